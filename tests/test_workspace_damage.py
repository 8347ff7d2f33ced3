"""A damaged workspace entry (a file truncated, emptied or missing, a record incomplete) is left
out of every listing, named with a one-line reason, and refused in one line when asked for by name;
a run whose dataset is damaged goes with it. test_workspace_pages.py opens every page over them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_workspace_faults import _copy, _one_line, make_template

from gnnrec_core.errors import InputError
from gnnrec_core.store import Workspace


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    return make_template(tmp_path_factory)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "model.npz truncated": ("runs", "model.npz", _truncate),
    "model.npz missing": ("runs", "model.npz", Path.unlink),
    "model.npz empty": ("runs", "model.npz", lambda p: p.write_bytes(b"")),
    "items.json truncated": ("runs", "items.json", _truncate),
    "users.json truncated": ("runs", "users.json", _truncate),
    "users.json missing": ("runs", "users.json", Path.unlink),
    "run.json truncated": ("runs", "run.json", _truncate),
    "run.json {}": ("runs", "run.json", lambda p: p.write_text("{}")),
    "events.parquet truncated": ("datasets", "events.parquet", _truncate),
    "events.parquet empty": ("datasets", "events.parquet", lambda p: p.write_bytes(b"")),
    "catalogue.parquet missing": ("datasets", "catalogue.parquet", Path.unlink),
    "meta.json {}": ("datasets", "meta.json", lambda p: p.write_text("{}")),
    "meta.json truncated": ("datasets", "meta.json", _truncate),
    "meta.json without its report": ("datasets", "meta.json",
                                     lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "report": 1}))),
}


def _damaged_copy(root: Path, run_id: str, case: str, newer: float = 1e6) -> str:
    """A copy of the good dataset or run under another name, newest of all, then damaged."""
    kind, file, damage = DAMAGE[case]
    source = root / kind / ("base" if kind == "datasets" else run_id)
    name = "damaged " + "".join(c if c.isalnum() else " " for c in case).strip()
    if kind == "runs":
        name = name.replace(" ", "-")
    shutil.copytree(source, root / kind / name)
    record = root / kind / name / ("meta.json" if kind == "datasets" else "run.json")
    data = json.loads(record.read_text())
    data |= {"name": name} if kind == "datasets" else {"run_id": name}
    data["saved_at"] += newer  # the newest: what a page opens by default
    record.write_text(json.dumps(data))
    damage(root / kind / name / file)
    return name


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_entry_is_left_out_named_and_refused_in_one_line(template, tmp_path, case):
    root, run_id = _copy(template, tmp_path / "ws")
    name = _damaged_copy(root, run_id, case)
    kind = DAMAGE[case][0]
    store = Workspace(root)
    assert [d["name"] for d in store.list_datasets()] == ["base"]
    assert [r.run_id for r in store.list_runs()] == [run_id]
    (found,) = store.unreadable()
    assert (found.kind, found.name) == (kind, name) and "\n" not in found.reason
    assert DAMAGE[case][1] in found.reason or "not a record" in found.reason or "expected" in found.reason
    with pytest.raises(InputError) as refused:
        store.load_dataset(name) if kind == "datasets" else store.load_run(name)
    assert "is damaged" in _one_line(refused) and f"'{name}'" in str(refused.value)
    assert len(store.load_dataset("base").events) > 0 and store.load_run(run_id).model.name == "itemknn"


def test_a_run_whose_dataset_is_damaged_is_left_out_and_says_why(template, tmp_path):
    root, run_id = _copy(template, tmp_path / "ws")
    _truncate(root / "datasets" / "base" / "events.parquet")
    store = Workspace(root)
    assert store.list_datasets() == [] and store.list_runs() == []
    reasons = {u.name: u.reason for u in store.unreadable()}
    assert set(reasons) == {"base", run_id} and "needs dataset 'base'" in reasons[run_id]
    with pytest.raises(InputError) as refused:
        store.load_dataset("base")
    assert "events.parquet" in _one_line(refused)




def test_run_latest_says_which_damaged_runs_it_passed_over(template, tmp_path):
    """Two newer runs damaged, `recommend --run latest` answered from an older run (another dataset's,
    in a new user's workspace) with no word of the runs it passed over. It names them, as it names the
    run that answers."""
    import subprocess
    import sys

    from conftest import ROOT

    root, run_id = _copy(template, tmp_path / "ws")
    damaged = sorted(_damaged_copy(root, run_id, case) for case in ("model.npz truncated", "run.json truncated"))
    user = str(Workspace(root).load_run(run_id).users[0])
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "recommend", "--run", "latest", "--workspace",
                           str(root), "--user", user], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"--run latest: {run_id} (Item-kNN on the dataset 'base')" in done.stderr
    said = next(line for line in done.stderr.splitlines() if line.startswith("note: 2 saved runs"))
    assert "that cannot be opened were passed over: " in said and all(f"{name} (" in said for name in damaged)
