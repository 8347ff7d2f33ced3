"""Workspace: datasets and runs on disk, reloadable after a restart, never half-written.

    <root>/datasets/<name>/  events.parquet, catalogue.parquet, meta.json
    <root>/runs/<run id>/    model.npz, users.json, items.json, run.json

Each entry is written in full to a hidden temporary folder and renamed into place, so a crash or a
cancelled step leaves every earlier entry as it was. Names are checked so that none can escape the
workspace folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data.ingest import IngestReport, IngestResult
from .data.mapping import ColumnMapping
from .errors import InputError
from .models import Recommender

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
    info: dict[str, Any]


class Workspace:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        (self.root / "datasets").mkdir(parents=True, exist_ok=True)
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        self._sweep_staging()

    # -- datasets ------------------------------------------------------------------------------
    def save_dataset(self, name: str, result: IngestResult, source: str = "") -> str:
        name = check_name(name, "dataset name")

        def write(folder: Path) -> None:
            result.events.to_parquet(folder / "events.parquet", index=False)
            result.catalogue.reset_index(names="item").to_parquet(folder / "catalogue.parquet", index=False)
            meta = {"name": name, "source": source, "saved_at": time.time(),
                    "mapping": result.mapping.as_dict(), "report": result.report.as_dict()}
            (folder / "meta.json").write_text(json.dumps(meta, indent=1, default=str))

        self._write_entry(self.root / "datasets" / name, write)
        return name

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
        run_id = run.info.get("run_id") or f"{time.strftime('%Y%m%d-%H%M%S')}-{run.model.name}-{uuid.uuid4().hex[:6]}"
        check_name(run_id, "run id")
        run.info["run_id"] = run_id

        def write(folder: Path) -> None:
            run.model.save(folder / "model.npz")
            (folder / "users.json").write_text(json.dumps([str(u) for u in run.users]))
            (folder / "items.json").write_text(json.dumps([str(i) for i in run.items]))
            (folder / "run.json").write_text(json.dumps({**run.info, "saved_at": time.time()}, indent=1, default=str))

        self._write_entry(self.root / "runs" / run_id, write)
        return run_id

    def load_run(self, run_id: str) -> Run:
        folder = self.root / "runs" / check_name(run_id, "run id")
        if not (folder / "run.json").is_file():
            raise InputError(f"expected a saved run '{run_id}', found none")
        return Run(Recommender.load(folder / "model.npz"),
                   np.array(json.loads((folder / "users.json").read_text()), dtype=object),
                   np.array(json.loads((folder / "items.json").read_text()), dtype=object),
                   json.loads((folder / "run.json").read_text()))

    def list_runs(self) -> list[dict[str, Any]]:
        return self._list("runs", "run.json")

    def delete(self, kind: str, name: str) -> None:
        folder = self.root / kind / check_name(name)
        if folder.is_dir():
            shutil.rmtree(folder)

    # -- helpers -------------------------------------------------------------------------------
    def _list(self, kind: str, meta_file: str) -> list[dict[str, Any]]:
        entries = []
        for folder in sorted((self.root / kind).iterdir()):
            if folder.name.startswith(".") or not (folder / meta_file).is_file():
                continue
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
