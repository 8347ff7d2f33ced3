"""The workspace under faults: a name already saved, a process killed at every rename and write of
a save (replaces included), a read-only or full disk. After each, a fresh Workspace lists every
dataset and run that was saved and each loads. Damaged files: test_workspace_damage.py; every page
of the dashboard over all of these: test_workspace_pages.py (both use this file's helpers).

Run as a script, this file is the worker of the kill test (`_kill_at_every_point`)."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from gnnrec_core.data.ingest import ingest
from gnnrec_core.errors import InputError
from gnnrec_core.models import MODELS
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.store import NameTaken, Run, Workspace

KILLED = 99  # the exit status of a worker killed at its injection point


def _log(users: int = 9, baskets: int = 60, seed: int = 0) -> bytes:
    """An order-line log: baskets of three products for `users` customers."""
    lines = [f"o{seed}-{i},p{(i * 7 + j + seed) % 13},u{i % users}" for i in range(baskets) for j in range(3)]
    return ("order_id,product_id,user_id\n" + "\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    return make_template(tmp_path_factory)


def make_template(tmp_path_factory) -> tuple[Path, str]:
    """A workspace holding dataset 'base' and an item-kNN run on it, copied by each test."""
    root = tmp_path_factory.mktemp("faults") / "workspace"
    store = Workspace(root)
    result = ingest(_log(), "orders.csv")
    store.save_dataset("base", result)
    data = prepare(result)
    model = MODELS["itemknn"]().fit(data.interactions.matrix())
    run_id = store.save_run(Run(model, data.interactions.users, data.interactions.items,
                                RunInfo(DatasetRef("base"), "itemknn", results=())))
    return root, run_id


def _copy(template: tuple[Path, str], to: Path) -> tuple[Path, str]:
    shutil.copytree(template[0], to)
    return to, template[1]


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message, message
    return message


# -- 1. replacing is a choice -------------------------------------------------------------------

def test_saving_under_a_taken_name_is_refused_unless_replace_is_chosen(template, tmp_path):
    root, _ = _copy(template, tmp_path / "ws")
    store = Workspace(root)
    rows = len(store.load_dataset("base").events)
    other = ingest(_log(users=5, baskets=20, seed=1), "orders.csv")
    with pytest.raises(NameTaken) as refused:
        store.save_dataset("base", other)
    message = _one_line(refused)
    assert "'base'" in message and "choose another name" in message and "replace" in message
    assert len(Workspace(root).load_dataset("base").events) == rows  # the saved dataset, whole
    assert sorted(p.name for p in (root / "datasets").iterdir()) == ["base"]  # nothing staged is left
    store.save_dataset(" base ", other, replace=True)  # chosen: replaced whole
    assert len(Workspace(root).load_dataset("base").events) == len(other.events) != rows
    # The CLI's `train` never replaces: a name held even by a damaged entry gets the next free name.
    (root / "datasets" / "held").mkdir()
    assert store.keep_dataset("held", ingest(_log(seed=2), "held.csv")).name == "held-2"
    assert not any((root / "datasets" / "held").iterdir())


# -- 2. a kill at every rename and write --------------------------------------------------------

class Faults:
    """Counts every rename, folder creation, file write and removal under `root`, and injects a
    fault at the `at`-th (at 0: at every one): a kill (the process exits at once, a write leaving
    half its bytes) or an OSError with `code`."""

    def __init__(self, root: Path, at: int, kill: bool, code: int = errno.ENOSPC) -> None:
        self.root, self.at, self.kill, self.code = str(root), at, kill, code
        self.points: list[str] = []

    def __call__(self, what: str, path, partial: Callable[[], None] | None = None) -> None:
        if not (isinstance(path, int) or str(path).startswith(self.root)):
            return
        self.points.append(f"{what} {str(path)[len(self.root):] if not isinstance(path, int) else 'model file'}")
        if self.at and len(self.points) != self.at:
            return
        if self.kill:
            if partial is not None:
                partial()  # what a kill in the middle of this write leaves on disk
            os._exit(KILLED)
        if what != "remove":  # shutil.rmtree(..., ignore_errors=True) never raises
            raise OSError(self.code, os.strerror(self.code), str(path))

    def install(self, patch: Callable[[object, str, object], None]) -> None:
        replace, rename, mkdtemp, mkstemp = os.replace, os.rename, tempfile.mkdtemp, tempfile.mkstemp
        rmtree, write_text, to_parquet, savez = shutil.rmtree, Path.write_text, pd.DataFrame.to_parquet, np.savez
        mkdir = Path.mkdir

        def on_mkdir(path, *args, **kwargs):
            if not (kwargs.get("exist_ok") and path.is_dir()):  # an existing folder: the system says so first
                self("create", path)
            return mkdir(path, *args, **kwargs)

        def on_replace(src, dst, *args, **kwargs):
            self("rename", f"{dst} <- {Path(src).name}")
            return replace(src, dst, *args, **kwargs)

        def on_rename(src, dst, *args, **kwargs):
            self("rename", f"{dst} <- {Path(src).name}")
            return rename(src, dst, *args, **kwargs)

        def on_mkdtemp(*args, dir=None, **kwargs):
            self("create", dir)
            return mkdtemp(*args, dir=dir, **kwargs)

        def on_mkstemp(*args, dir=None, **kwargs):
            self("create", dir)
            return mkstemp(*args, dir=dir, **kwargs)

        def on_rmtree(path, *args, **kwargs):
            self("remove", path)
            return rmtree(path, *args, **kwargs)

        def on_write_text(path, data, *args, **kwargs):
            self("write", path, lambda: write_text(path, data[: len(data) // 2]))
            return write_text(path, data, *args, **kwargs)

        def on_to_parquet(frame, path, *args, **kwargs):
            def half() -> None:
                to_parquet(frame, path, *args, **kwargs)
                os.truncate(path, os.path.getsize(path) // 2)

            self("write", path, half)
            return to_parquet(frame, path, *args, **kwargs)

        def on_savez(file, *args, **kwargs):
            def half() -> None:
                savez(file, *args, **kwargs)
                file.flush()
                file.truncate(file.tell() // 2)
                file.flush()

            self("write", getattr(file, "name", file), half)
            return savez(file, *args, **kwargs)

        for owner, name, value in ((os, "replace", on_replace), (os, "rename", on_rename),
                                   (tempfile, "mkdtemp", on_mkdtemp), (tempfile, "mkstemp", on_mkstemp),
                                   (Path, "mkdir", on_mkdir),
                                   (shutil, "rmtree", on_rmtree), (Path, "write_text", on_write_text),
                                   (pd.DataFrame, "to_parquet", on_to_parquet), (np, "savez", on_savez)):
            patch(owner, name, value)


def _inputs(store: Workspace, run_id: str) -> dict:
    full, run = store.load_dataset("base"), store.load_run(run_id)
    half = dataclasses.replace(full, events=full.events.iloc[: len(full.events) // 2])
    return {"full": full, "half": half, "run": run}


def _scenario(store: Workspace, inputs: dict, done: Callable[[str], None]) -> None:
    """Replace a dataset, save a new one, save a new run, replace a run: every kind of write."""
    run = inputs["run"]
    store.save_dataset("base", inputs["half"], replace=True)
    done("replaced base")
    store.save_dataset("fresh", inputs["full"])
    done("saved fresh")
    new_id = store.save_run(Run(run.model, run.users, run.items, RunInfo(DatasetRef("base"), "itemknn", results=())))
    done(f"saved run {new_id}")
    store.save_run(Run(run.model, run.users, run.items, dataclasses.replace(run.info, seed=7)))  # same run id
    done("replaced run")


def _check_after(root: Path, run_id: str, done: list[str], full: int, half: int) -> Workspace:
    """What a restarted app sees: every entry saved before the fault, whole, and nothing damaged."""
    store = Workspace(root)
    assert store.unreadable() == []
    for kind in ("datasets", "runs"):
        names = {p.name for p in (root / kind).iterdir()}
        assert not [n for n in names if n.startswith(".old-") and n[5:].rsplit("-", 1)[0] not in names]
    datasets = {d["name"] for d in store.list_datasets()}
    assert "base" in datasets
    rows = len(store.load_dataset("base").events)
    assert rows == half if "replaced base" in done else rows in (full, half)
    assert "fresh" in datasets or "saved fresh" not in done
    for name in datasets:
        assert len(store.load_dataset(name).events) in (full, half)
    runs = {r.run_id for r in store.list_runs()}
    assert run_id in runs and {line.split()[-1] for line in done if line.startswith("saved run")} <= runs
    for each in runs:
        loaded = store.load_run(each)
        assert loaded.model.n_items == len(loaded.items)
    return store


def _kill_at_every_point(template: Path, run_id: str, out: Path) -> None:
    """The worker: for N = 1, 2, ... fork a child that copies the template and runs the scenario,
    killed (os._exit) at its N-th injection point, until a child finishes untouched."""
    inputs = _inputs(Workspace(template), run_id)
    codes = {}
    for at in range(1, 500):
        root = out / str(at)
        shutil.copytree(template, root)
        pid = os.fork()
        if pid == 0:  # the child: no cleanup handler runs past the injection point
            log = os.open(out / f"{at}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            store, faults = Workspace(root), Faults(root, at, kill=True)
            faults.install(setattr)
            _scenario(store, inputs, lambda step: os.write(log, f"{step}\n".encode()))
            (out / "points.json").write_bytes(json.dumps(faults.points).encode())  # plain write: not counted
            os._exit(0)
        codes[at] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if codes[at] != KILLED:
            break
    (out / "codes.json").write_text(json.dumps(codes))


def test_a_save_killed_at_every_rename_and_write_loses_nothing(template, tmp_path):
    root, run_id = template
    out = tmp_path / "kills"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    worker = subprocess.run([sys.executable, __file__, str(root), run_id, str(out)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert worker.returncode == 0, worker.stderr[-3000:]
    codes = {int(k): v for k, v in json.loads((out / "codes.json").read_text()).items()}
    points = json.loads((out / "points.json").read_text())
    last = max(codes)
    assert codes[last] == 0 and len(points) == last - 1  # the untouched run passed every point once
    assert all(codes[at] == KILLED for at in range(1, last)), codes  # every other child died at its point
    renames = [p for p in points if p.startswith("rename")]
    moved_aside = [i for i, p in enumerate(points) if p.startswith("rename") and "/.old-" in p.split(" <- ")[0]]
    assert len(moved_aside) == 2 and len(renames) >= 6, points  # a dataset and a run replaced, each aside first
    assert sum(p.startswith("write") for p in points) >= 10 and any(p.startswith("remove") for p in points)

    full = len(Workspace(root).load_dataset("base").events)
    for at in range(1, last + 1):
        log = out / f"{at}.log"
        done = log.read_text().splitlines() if log.exists() else []
        store = _check_after(out / str(at), run_id, done, full, full // 2)
        if at - 1 == moved_aside[0] + 1:  # killed between the two renames of the replace: rolled forward
            assert len(store.load_dataset("base").events) == full // 2


def test_an_entry_moved_aside_comes_back_when_the_workspace_opens(template, tmp_path, monkeypatch):
    """Killed between the two renames of a replace: rolled forward to a complete staging folder,
    else back to the old entry; an `.old-*` folder whose entry is missing is never swept."""
    root, run_id = _copy(template, tmp_path / "ws")
    datasets = root / "datasets"
    rows = len(Workspace(root).load_dataset("base").events)
    os.replace(datasets / "base", datasets / ".old-base-abc123")
    os.utime(datasets / ".old-base-abc123", (0, 0))  # older than the sweep's day
    def fail(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    with monkeypatch.context() as patch:  # the rename back fails this time: the only copy stays, unswept
        patch.setattr(os, "replace", fail)
        assert Workspace(root).list_datasets() == []
    assert (datasets / ".old-base-abc123" / "meta.json").is_file()
    incomplete = datasets / ".tmp-base-zz"
    shutil.copytree(datasets / ".old-base-abc123", incomplete)  # staging without its marker: not whole
    assert Workspace(root).list_datasets()[0]["name"] == "base"  # rolled back
    assert len(Workspace(root).load_dataset("base").events) == rows

    store = Workspace(root)
    other = ingest(_log(users=5, baskets=20, seed=1), "orders.csv")
    store.save_dataset("other", other)
    staged = datasets / ".tmp-base-yy"
    os.replace(datasets / "other", staged)
    (staged / "meta.json").write_text((staged / "meta.json").read_text().replace('"other"', '"base"'))
    (staged / ".complete").write_text("base")  # whole: written last, under the lock
    os.replace(datasets / "base", datasets / ".old-base-def456")
    assert len(store.load_dataset("base").events) == len(other.events)  # even a long-lived instance rolls forward
    assert {d["name"] for d in store.list_datasets()} == {"base"}

    runs = root / "runs"
    os.replace(runs / run_id, runs / f".old-{run_id}-abc123")
    assert [r.run_id for r in Workspace(root).list_runs()] == [run_id]


# -- 4. a read-only or full disk ----------------------------------------------------------------

@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_a_failed_write_anywhere_is_refused_in_one_line_and_leaves_nothing(template, tmp_path, monkeypatch, code):
    """Tests run as root, where chmod stops nothing: each write is made to fail in turn instead."""
    root, run_id = template
    inputs = _inputs(Workspace(root), run_id)
    full = len(inputs["full"].events)
    points = 0
    for at in range(1, 200):
        copy = tmp_path / f"ws{at}"
        shutil.copytree(root, copy)
        before = {p.name for kind in ("datasets", "runs") for p in (copy / kind).iterdir()}
        store, faults, done = Workspace(copy), Faults(copy, at, kill=False, code=code), []
        with monkeypatch.context() as patch:
            faults.install(patch.setattr)
            try:
                _scenario(store, inputs, done.append)
            except InputError as exc:
                message = str(exc)
                assert "\n" not in message and str(copy) in message and os.strerror(code) in message, message
                assert "nothing was saved" in message
            else:
                assert at > len(faults.points) or faults.points[at - 1].startswith("remove")
        if at > len(faults.points):
            break
        points += 1
        now = {p.name for kind in ("datasets", "runs") for p in (copy / kind).iterdir()}
        assert {n for n in before if not n.startswith(".")} <= now  # at once, not only after a reopen
        store = _check_after(copy, run_id, done, full, full // 2)
        left = {p.name for kind in ("datasets", "runs") for p in (copy / kind).iterdir()} - before
        assert not [n for n in left if n.startswith(".")], left  # nothing half-written is left behind
        if not done:  # the failed replace left the saved dataset as it was
            assert len(store.load_dataset("base").events) == full
    assert points >= 20


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_workspace_that_cannot_be_made_is_refused_in_one_line(tmp_path, monkeypatch, code):
    mkdir = Path.mkdir

    def refuse(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(code, os.strerror(code), str(path))
        return mkdir(path, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(InputError) as refused:
        Workspace(tmp_path / "ro")
    assert str(tmp_path / "ro") in _one_line(refused) and os.strerror(code) in str(refused.value)
    store = Workspace.read_only(tmp_path / "ro", str(refused.value))  # what the dashboard keeps working with
    assert store.list_datasets() == [] and store.list_runs() == [] and store.unreadable() == []
    with pytest.raises(InputError, match=os.strerror(code)):
        store.save_dataset("x", ingest(_log(), "orders.csv"))


if __name__ == "__main__":
    _kill_at_every_point(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
