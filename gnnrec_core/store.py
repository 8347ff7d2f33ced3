"""Workspace: datasets and runs on disk, reloadable after a restart, never half-written.

    <root>/datasets/<name>/  events.parquet, catalogue.parquet, meta.json
    <root>/runs/<run id>/    model.npz, users.json, items.json, run.json

Each entry is written in full to a hidden staging folder (`.tmp-<name>-*`) and renamed into place,
so a crash or a cancelled step leaves every earlier entry as it was. Replacing an entry is asked
for by name (`replace=True`) and happens under a workspace-wide lock: a marker file (`.complete`,
holding the name) is written last in staging, the old entry is moved aside (`.old-<name>-*`) and
staging renamed into place. A process killed between those two renames leaves the name missing;
opening the workspace (or listing it) finds the `.old-*` folder and rolls forward to the complete
staging folder, or back to the old entry: an `.old-*` folder whose entry is missing is never
deleted. An entry is listed only when its files are there and read (a cheap check, kept per file
version); the others are reported by `unreadable()` with a one-line reason. Disk errors (read-only
folder, no space) become `InputError`s naming the folder and the cause. Names are checked so that
none can escape the workspace folder. The writes and the recovery live in store_atomic.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data.ingest import NO_RETURNS, IngestReport, IngestResult
from .data.mapping import ColumnMapping
from .errors import GnnrecError, InputError
from .models import SPECS, Recommender
from .records import DatasetRef, RecordError, RunInfo
from .store_atomic import AtomicFolders
from .store_files import (
    CHECKS,
    GONE,
    _one_line,
    _orphans,
    _unwritable,
    check_name,
    fingerprint,
    name_from_file,
)
from .store_paths import KINDS, entries_folder_holding

FILES = {"datasets": ("events.parquet", "catalogue.parquet"), "runs": ("model.npz", "users.json", "items.json")}
RETURNS_FILE = "returns.parquet"  # a dataset's returned (user, item) pairs; datasets saved before it have none
DATASET_KEYS = ("name", "saved_at", "mapping", "report")


class NameTaken(InputError):
    """Saving under a name already saved without choosing to replace it."""


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


def _mark_workspace(root: Path) -> None:
    """The lock file, made on opening: what tells a workspace's folders from any runs/ and datasets/
    (store_paths). A workspace only read (a read-only folder) is still opened."""
    try:
        (root / ".lock").touch(exist_ok=True)
    except OSError:
        pass


class Workspace(AtomicFolders):
    def __init__(self, root: str | Path) -> None:
        """Open (or make) the workspace at `root`, finish any replace a killed process left half-done,
        and sweep old staging folders. A folder that cannot be written raises InputError (one line)."""
        self.root = Path(root)
        self.problem: str | None = None  # set on a workspace opened read-only (see `read_only`)
        self._verdicts: dict[tuple, str | None] = {}
        inside = entries_folder_holding(self.root / "runs")
        if inside is not None:  # its runs/ and datasets/ became two damaged entries of that workspace
            raise InputError(f"expected a workspace folder outside another workspace's saved runs and datasets, "
                             f"found '{root}', in the saved {inside.name} of the workspace at {inside.parent}; "
                             "choose a folder elsewhere")
        try:
            for kind in KINDS:
                (self.root / kind).mkdir(parents=True, exist_ok=True)
            _mark_workspace(self.root)
            if self._leftovers():  # of writes killed (or running): finished or swept under the lock
                with self._lock():
                    self._recover()
                    self._sweep_staging()
        except OSError as exc:
            raise _unwritable(self.root, exc, saving=False) from None

    @staticmethod
    def is_at(root: str | Path) -> bool:
        """Whether a workspace was made at `root` (what a command that only reads checks first, so
        that it makes none)."""
        return all((Path(root) / kind).is_dir() for kind in KINDS)

    @classmethod
    def read_only(cls, root: str | Path, problem: str) -> Workspace:
        """A workspace that lists and loads what `root` holds (if anything) and refuses every save
        with `problem`: what a front end keeps working with when `Workspace(root)` failed."""
        store = cls.__new__(cls)
        store.root, store.problem, store._verdicts = Path(root), problem, {}
        return store

    # -- datasets ------------------------------------------------------------------------------
    def save_dataset(self, name: str, result: IngestResult, source: str = "", *,
                     replace: bool = False) -> DatasetRef:
        """Save `result` as `name`. A name already saved is refused (NameTaken) unless `replace`."""
        name = check_name(name, "dataset name")
        if not replace and self.has_dataset(name):
            raise self._taken(name)

        def write(folder: Path) -> None:
            result.events.to_parquet(folder / "events.parquet", index=False)
            result.catalogue.reset_index(names="item").to_parquet(folder / "catalogue.parquet", index=False)
            result.returns.to_parquet(folder / RETURNS_FILE, index=False)  # optional: older datasets have none
            meta = {"name": name, "source": source, "saved_at": time.time(), "fingerprint": fingerprint(result),
                    "mapping": result.mapping.as_dict(), "report": result.report.as_dict()}
            (folder / "meta.json").write_text(json.dumps(meta, indent=1, default=str))

        self._write_entry(self.root / "datasets" / name, write, replace=replace, taken=lambda: self._taken(name))
        return DatasetRef(name, source)

    @staticmethod
    def _taken(name: str) -> NameTaken:
        return NameTaken(f"a dataset named '{name}' is already saved: choose another name, or tick the replace "
                         "choice to replace it")

    def has_dataset(self, name: str) -> bool:
        """Whether `name` is taken: a saved dataset, readable or damaged (False for an invalid name)."""
        try:
            return (self.root / "datasets" / check_name(name, "dataset name")).exists()
        except InputError:
            return False

    def keep_dataset(self, stem: str, result: IngestResult, source: str = "") -> DatasetRef:
        """The saved dataset holding exactly these events and catalogue, saved now under `stem`
        (or `stem-2`, `stem-3`... when that name holds other data) if there is none: the CLI's
        runs name their dataset without ever replacing one."""
        mark = fingerprint(result)
        same = next((d for d in self.list_datasets() if d.get("fingerprint") == mark), None)
        if same is not None:
            return DatasetRef(same["name"], str(same.get("source", source)))
        base = name_from_file(stem)
        for name in (base, *(f"{base}-{i}" for i in range(2, 10_000))):
            if self.has_dataset(name):
                continue
            try:
                return self.save_dataset(name, result, source)
            except NameTaken:  # another process took it meanwhile: the next name
                continue
        raise InputError(f"expected a free dataset name like '{base}', found 10,000 taken")

    def load_dataset(self, name: str) -> IngestResult:
        folder = self._folder("datasets", check_name(name, "dataset name"))
        if not folder.is_dir():
            raise InputError(f"expected a saved dataset '{name}', found none; saved: "
                             f"{', '.join(d['name'] for d in self.list_datasets()) or 'none'}")
        meta = self._dataset_meta(folder)
        try:
            events = pd.read_parquet(folder / "events.parquet")
            catalogue = pd.read_parquet(folder / "catalogue.parquet").set_index("item")
            returns = (pd.read_parquet(folder / RETURNS_FILE).astype(object) if (folder / RETURNS_FILE).is_file()
                       else NO_RETURNS.copy())
        except (OSError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
            raise InputError(_one_line(f"dataset '{folder.name}' is damaged: its tables do not read "
                                       f"({type(exc).__name__}: {exc})")) from None
        return IngestResult(events, catalogue, ColumnMapping(**meta["mapping"]), IngestReport(**meta["report"]),
                            returns)

    def list_datasets(self) -> list[dict[str, Any]]:
        """Every dataset that opens (its meta.json a complete record, its tables there), newest
        first; the rest are in unreadable()."""
        entries = []
        for folder in self._entries("datasets"):
            try:
                entries.append(self._dataset_meta(folder))
            except InputError:
                continue
        return sorted(entries, key=lambda e: e["saved_at"], reverse=True)

    def _dataset_meta(self, folder: Path) -> dict[str, Any]:
        """A dataset's meta.json, checked with its files; InputError (one line) when it cannot open."""
        def damaged(detail: str) -> InputError:
            return RecordError(_one_line(f"dataset '{folder.name}' is damaged: {detail}"))

        try:
            meta = json.loads((folder / "meta.json").read_text())
        except FileNotFoundError:
            raise damaged("meta.json is missing") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise damaged("meta.json is truncated or not JSON") from None
        if not isinstance(meta, dict):
            raise damaged(f"meta.json holds a JSON {type(meta).__name__}, not a record")
        missing = [key for key in DATASET_KEYS if key not in meta]
        if missing:
            raise damaged(f"meta.json lacks {', '.join(missing)}")
        if meta["name"] != folder.name:
            raise damaged(f"meta.json names another dataset ('{str(meta['name'])[:80]}')")
        if isinstance(meta["saved_at"], bool) or not isinstance(meta["saved_at"], (int, float)):
            raise damaged(f"meta.json's saved_at is {meta['saved_at']!r}, not a time")
        try:  # read back whole, so that every key a page reads is there
            meta |= {"mapping": ColumnMapping(**meta["mapping"]).as_dict(),
                     "report": IngestReport(**meta["report"]).as_dict()}
        except TypeError:
            raise damaged("meta.json's mapping or report is not a record this release reads") from None
        self._check_files(folder, "datasets", damaged)
        return meta

    # -- runs ----------------------------------------------------------------------------------
    def save_run(self, run: Run, trained_on: str | None = None) -> str:
        """Save `run`; its id. `trained_on`: the fingerprint of the data it trained on. Where given,
        the run is refused unless its dataset still holds that data when the run is written (a
        dataset replaced during training left a saved run that no command could open)."""
        run_id = run.info.run_id or f"{time.strftime('%Y%m%d-%H%M%S')}-{run.model.name}-{uuid.uuid4().hex[:6]}"
        check_name(run_id, "run id")
        info = run.info.saved(run_id, time.time())
        name = info.dataset.name

        def dataset_unchanged() -> None:
            folder = self.root / "datasets" / name
            try:
                held = json.loads((folder / "meta.json").read_text()).get("fingerprint", trained_on)
            except (OSError, ValueError, AttributeError):
                held = None
            # A dataset saved by release 0.9.0 holds no fingerprint: nothing to check it by, so kept (it
            # refused every run on such a dataset). Gone or unreadable: refused.
            if held != trained_on:
                found = "it replaced" if folder.is_dir() else "it deleted"
                raise InputError(f"expected dataset '{name}' to hold the data this run trained on, found {found} "
                                 "while the run trained: the run was not saved (its products would not match); "
                                 "train again")

        def write(folder: Path) -> None:
            run.model.save(folder / "model.npz")
            (folder / "users.json").write_text(json.dumps([str(u) for u in run.users]))
            (folder / "items.json").write_text(json.dumps([str(i) for i in run.items]))
            (folder / "run.json").write_text(json.dumps(info.to_json(), indent=1, default=str))

        self._write_entry(self.root / "runs" / run_id, write,
                          still_true=None if trained_on is None else dataset_unchanged)
        run.info = info
        return run_id

    def load_run(self, run_id: str) -> Run:
        folder = self._folder("runs", check_name(run_id, "run id"))
        if not folder.is_dir():
            raise InputError(f"expected a saved run '{run_id}', found none")
        info = self._run_info(folder)
        try:
            return Run(Recommender.load(folder / "model.npz"),
                       np.array(json.loads((folder / "users.json").read_text()), dtype=object),
                       np.array(json.loads((folder / "items.json").read_text()), dtype=object), info)
        except (GnnrecError, OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(_one_line(f"run '{folder.name}' is damaged: {exc}")) from None

    def list_runs(self) -> list[RunInfo]:
        """Every run that opens and whose dataset opens, newest first; the rest are in unreadable()."""
        return sorted(self._runs()[0], key=lambda r: r.saved_at, reverse=True)

    def unreadable(self) -> list[Unreadable]:
        """Entries that are listed but not opened (damaged datasets and runs, runs whose dataset is
        gone), each with a one-line reason."""
        found = []
        for folder in self._entries("datasets"):
            try:
                self._dataset_meta(folder)
            except InputError as exc:
                found.append(Unreadable("datasets", folder.name, _one_line(str(exc))))
        return found + self._runs()[1]

    def _runs(self) -> tuple[list[RunInfo], list[Unreadable]]:
        datasets = {d["name"] for d in self.list_datasets()}
        good, bad = [], []
        for folder in self._entries("runs"):
            try:
                info = self._run_info(folder)
            except InputError as exc:
                bad.append(Unreadable("runs", folder.name, _one_line(str(exc))))
                continue
            if info.dataset.name in datasets:
                good.append(info)
            else:
                bad.append(Unreadable("runs", folder.name, _one_line(
                    f"run '{folder.name}' needs dataset '{info.dataset.name}', which is missing or damaged: "
                    "save the dataset again under that name to open it")))
        return good, bad

    def _run_info(self, folder: Path) -> RunInfo:
        """A run's record, checked with its files; a 0.9.0 run is migrated, and refused when its
        dataset was never saved here. InputError (one line) when it cannot open."""
        def damaged(detail: str) -> InputError:
            return RecordError(_one_line(f"run '{folder.name}' is damaged: {detail}"))

        try:
            data = json.loads((folder / "run.json").read_text())
        except FileNotFoundError:
            raise damaged("run.json is missing") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise damaged(f"run.json is truncated or not JSON ({getattr(exc, 'msg', type(exc).__name__)})") from None
        try:
            info = RunInfo.from_json(data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # RecordError included
            raise damaged(str(exc)) from None
        unknown = [name for name in (info.model, *(row.model for row in info.results)) if name not in SPECS]
        if unknown:  # a damaged name exited 3 where its label was looked up
            raise damaged(f"expected models among {', '.join(SPECS)}, found {unknown[0][:40]!r}")
        if not info.dataset.name:
            raise RecordError(f"run '{folder.name}' was made by `train` before runs kept their data: its dataset "
                              f"'{info.dataset.source}' is not in this workspace; train it again to open it here")
        self._check_files(folder, "runs", damaged)
        return info if info.run_id else dataclasses.replace(info, run_id=folder.name)

    def _check_files(self, folder: Path, kind: str, damaged: Callable[[str], InputError]) -> None:
        """Each of the entry's files is there, non-empty and reads (checked once per file version)."""
        for name in FILES[kind]:
            path = folder / name
            try:
                stat = path.stat()
            except FileNotFoundError:
                raise damaged(f"{name} is missing") from None
            except OSError as exc:
                raise damaged(f"{name} cannot be read ({exc.strerror})") from None
            if stat.st_size == 0:
                raise damaged(f"{name} is empty")
            key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if key not in self._verdicts:
                if len(self._verdicts) > 10_000:
                    self._verdicts.clear()
                try:
                    CHECKS[name](path)
                    self._verdicts[key] = None
                except Exception as exc:  # any failure to read is the verdict, never a crash
                    self._verdicts[key] = f"{name} is {exc}" if isinstance(exc, ValueError) else \
                        f"{name} does not read ({type(exc).__name__})"
            verdict = self._verdicts[key]
            if verdict is not None:
                raise damaged(verdict)

    def delete(self, kind: str, name: str) -> None:
        folder = self.root / kind / check_name(name)
        if not folder.is_dir():
            return
        gone = folder.parent / f"{GONE}{folder.name}-{uuid.uuid4().hex[:6]}"
        try:
            with self._lock():
                os.replace(folder, gone)  # one rename: the entry is there whole, or not at all
            shutil.rmtree(gone, ignore_errors=True)
        except OSError as exc:
            raise _unwritable(folder.parent, exc, saving=False) from None

    # -- helpers -------------------------------------------------------------------------------
    def _folder(self, kind: str, name: str) -> Path:
        folder = self.root / kind / name
        if not folder.is_dir():
            self._entries(kind)  # an entry caught mid-replace is finished first
        return folder

    def _entries(self, kind: str) -> list[Path]:
        """The entry folders of `kind` (readable or not): every folder not hidden."""
        base = self.root / kind
        for _ in range(2):
            try:
                folders = sorted(p for p in base.iterdir() if p.is_dir())
            except OSError:
                return []
            if not _orphans({p.name for p in folders}):
                break
            try:  # an entry caught mid-replace by a killed process (or by a live one: wait for it)
                with self._lock():
                    self._recover()
            except OSError:
                break
        return [p for p in folders if not p.name.startswith(".")]
