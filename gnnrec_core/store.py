"""Workspace: datasets and runs on disk, reloadable after a restart, never half-written.

    <root>/datasets/<name>/  events.parquet, catalogue.parquet, meta.json
    <root>/runs/<run id>/    model.npz, users.json, items.json, run.json

Each entry is written in full to a hidden temporary folder and renamed into place, so a crash or a
cancelled step leaves every earlier entry as it was. Names are checked so that none can escape the
workspace folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data.ingest import IngestReport, IngestResult
from .data.mapping import ColumnMapping
from .errors import InputError
from .models import Recommender
from .records import DatasetRef, RecordError, RunInfo


def fingerprint(result: IngestResult) -> str:
    """What identifies a dataset's content: its cleaned events and catalogue (order included)."""
    digest = hashlib.sha256()
    for frame in (result.events, result.catalogue.reset_index()):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:32]


NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def check_name(name: str, what: str = "name") -> str:
    name = str(name).strip()
    if not NAME_PATTERN.match(name) or ".." in name:
        raise InputError(f"expected a {what} of letters, digits, space, '_', '-' or '.' (at most 64, "
                         f"not starting with a symbol), found '{name[:80]}'")
    return name


@dataclass
class Run:
    model: Recommender
    users: np.ndarray
    items: np.ndarray
    info: RunInfo


@dataclass(frozen=True)
class Unreadable:
    """A workspace entry that is listed as unreadable instead of opened, and why (one line)."""

    kind: str  # "datasets" or "runs"
    name: str
    reason: str


class Workspace:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        (self.root / "datasets").mkdir(parents=True, exist_ok=True)
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        self._sweep_staging()

    # -- datasets ------------------------------------------------------------------------------
    def save_dataset(self, name: str, result: IngestResult, source: str = "") -> DatasetRef:
        name = check_name(name, "dataset name")

        def write(folder: Path) -> None:
            result.events.to_parquet(folder / "events.parquet", index=False)
            result.catalogue.reset_index(names="item").to_parquet(folder / "catalogue.parquet", index=False)
            meta = {"name": name, "source": source, "saved_at": time.time(), "fingerprint": fingerprint(result),
                    "mapping": result.mapping.as_dict(), "report": result.report.as_dict()}
            (folder / "meta.json").write_text(json.dumps(meta, indent=1, default=str))

        self._write_entry(self.root / "datasets" / name, write)
        return DatasetRef(name, source)

    def keep_dataset(self, stem: str, result: IngestResult, source: str = "") -> DatasetRef:
        """The saved dataset holding exactly these events and catalogue, saved now under `stem`
        (or `stem-2`, `stem-3`... when that name holds other data) if there is none: the CLI's
        runs name their dataset without ever replacing one."""
        mark = fingerprint(result)
        taken = {d["name"]: d for d in self.list_datasets()}
        same = next((d for d in taken.values() if d.get("fingerprint") == mark), None)
        if same is not None:
            return DatasetRef(same["name"], str(same.get("source", source)))
        base = re.sub(r"[^A-Za-z0-9 _.-]", "_", stem).strip(" ._-")[:56] or "dataset"
        name = next(n for n in (base, *(f"{base}-{i}" for i in range(2, 10_000))) if n not in taken)
        return self.save_dataset(name, result, source)

    def load_dataset(self, name: str) -> IngestResult:
        folder = self.root / "datasets" / check_name(name, "dataset name")
        if not (folder / "meta.json").is_file():
            raise InputError(f"expected a saved dataset '{name}', found none; saved: "
                             f"{', '.join(d['name'] for d in self.list_datasets()) or 'none'}")
        meta = json.loads((folder / "meta.json").read_text())
        events = pd.read_parquet(folder / "events.parquet")
        catalogue = pd.read_parquet(folder / "catalogue.parquet").set_index("item")
        report = IngestReport(**meta["report"])
        return IngestResult(events, catalogue, ColumnMapping(**meta["mapping"]), report)

    def list_datasets(self) -> list[dict[str, Any]]:
        return self._list("datasets", "meta.json")

    # -- runs ----------------------------------------------------------------------------------
    def save_run(self, run: Run) -> str:
        run_id = run.info.run_id or f"{time.strftime('%Y%m%d-%H%M%S')}-{run.model.name}-{uuid.uuid4().hex[:6]}"
        check_name(run_id, "run id")
        info = run.info.saved(run_id, time.time())

        def write(folder: Path) -> None:
            run.model.save(folder / "model.npz")
            (folder / "users.json").write_text(json.dumps([str(u) for u in run.users]))
            (folder / "items.json").write_text(json.dumps([str(i) for i in run.items]))
            (folder / "run.json").write_text(json.dumps(info.to_json(), indent=1, default=str))

        self._write_entry(self.root / "runs" / run_id, write)
        run.info = info
        return run_id

    def load_run(self, run_id: str) -> Run:
        folder = self.root / "runs" / check_name(run_id, "run id")
        if not (folder / "run.json").is_file():
            raise InputError(f"expected a saved run '{run_id}', found none")
        info = self._run_info(folder)
        return Run(Recommender.load(folder / "model.npz"),
                   np.array(json.loads((folder / "users.json").read_text()), dtype=object),
                   np.array(json.loads((folder / "items.json").read_text()), dtype=object), info)

    def list_runs(self) -> list[RunInfo]:
        """Every run that opens, newest first; the rest are in unreadable()."""
        runs = []
        for folder in self._entries("runs", "run.json"):
            try:
                runs.append(self._run_info(folder))
            except (OSError, ValueError, InputError):
                continue
        return sorted(runs, key=lambda r: r.saved_at, reverse=True)

    def unreadable(self) -> list[Unreadable]:
        """Entries that are listed but not opened, each with a one-line reason."""
        found = []
        for folder in self._entries("runs", "run.json"):
            try:
                self._run_info(folder)
            except (OSError, ValueError, InputError) as exc:
                found.append(Unreadable("runs", folder.name, str(exc)[:300]))
        return found

    def _run_info(self, folder: Path) -> RunInfo:
        """A run's record; a 0.9.0 run is migrated, and refused when its dataset was never saved here."""
        try:
            info = RunInfo.from_json(json.loads((folder / "run.json").read_text()))
        except json.JSONDecodeError as exc:
            raise RecordError(f"expected a run record in JSON, found a damaged file ({exc.msg})") from None
        if not info.dataset.name:
            raise RecordError(f"run '{folder.name}' was made by `train` before runs kept their data: its dataset "
                              f"'{info.dataset.source}' is not in this workspace; train it again to open it here")
        return info if info.run_id else replace(info, run_id=folder.name)

    def delete(self, kind: str, name: str) -> None:
        folder = self.root / kind / check_name(name)
        if folder.is_dir():
            shutil.rmtree(folder)

    # -- helpers -------------------------------------------------------------------------------
    def _entries(self, kind: str, meta_file: str) -> list[Path]:
        return [folder for folder in sorted((self.root / kind).iterdir())
                if not folder.name.startswith(".") and (folder / meta_file).is_file()]

    def _list(self, kind: str, meta_file: str) -> list[dict[str, Any]]:
        entries = []
        for folder in self._entries(kind, meta_file):
            try:
                entries.append(json.loads((folder / meta_file).read_text()))
            except (OSError, json.JSONDecodeError):
                continue  # a damaged entry is skipped, never fatal to the listing
        return sorted(entries, key=lambda e: e.get("saved_at", 0), reverse=True)

    def _write_entry(self, target: Path, write) -> None:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".tmp-{target.name}-"))
        try:
            write(staging)  # the slow part runs unlocked: sessions only queue for the rename
            with self._lock():
                if target.exists():  # replace: move the old entry aside first, drop it after the swap
                    old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:6]}"
                    os.replace(target, old)
                    os.replace(staging, target)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    @contextmanager
    def _lock(self):
        """One workspace-wide lock (flock) around renames, so that two sessions saving the same
        name one after the other both succeed and the later one wins whole."""
        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _sweep_staging(self, older_than: float = 24 * 3600) -> None:
        """Remove staging folders left by processes killed mid-write (hidden, never listed)."""
        now = time.time()
        for kind in ("datasets", "runs"):
            for folder in (self.root / kind).glob(".*-*"):
                try:
                    if folder.name.startswith((".tmp-", ".old-")) and now - folder.stat().st_mtime > older_than:
                        shutil.rmtree(folder, ignore_errors=True)
                except OSError:
                    continue
