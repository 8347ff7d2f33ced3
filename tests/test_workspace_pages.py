"""The dashboard over a workspace's faults (test_workspace_faults.py builds them): an upload under a
saved name replaces nothing unless asked, and every page opens over damaged entries and on a
read-only or full workspace, saying why in one line and leaving nothing half-written."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_workspace_damage import DAMAGE, _damaged_copy, _truncate
from test_workspace_faults import Faults, _copy, _log, make_template

from gnnrec_core.cli import main
from gnnrec_core.data.ingest import ingest
from gnnrec_core.store import Workspace
from pages.routes import PAGES

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    return make_template(tmp_path_factory)


def _app(root: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("GNNREC_WORKSPACE", str(root))
    return AppTest.from_file(APP, default_timeout=180)


def _every_page_opens(at: AppTest) -> None:
    for page in PAGES.values():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    modes = next(r for r in at.radio if r.label == "Compare")  # the last page: each of its modes too
    for mode in modes.options:
        modes.set_value(mode).run()
        assert not at.exception, (mode, [e.value for e in at.exception])


def _save(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Save dataset").click().run()


def test_an_upload_under_a_saved_name_keeps_the_saved_rows_unless_replace_is_ticked(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    at = _app(root, monkeypatch).run()
    at.switch_page(PAGES["data"]).run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("orders.csv", _log(), "text/csv").run()
    assert at.text_input[0].value == "orders" and not any(c.label.startswith("Replace") for c in at.checkbox)
    assert any(s.value.startswith("Saved 'orders'") for s in _save(at).success)
    assert at.radio[0].value == "active" and not at.file_uploader  # the saved dataset shown, no Save of a copy
    first = len(Workspace(root).load_dataset("orders").events)
    (tmp_path / "orders.csv").write_bytes(_log())  # a run on it, by the CLI (the same content: the same entry)
    assert main(["train", str(tmp_path / "orders.csv"), "--model", "pop", "--compare-with", "pop", "--quiet"]) == 0

    second = _log(users=5, baskets=20, seed=1)  # another file of the same name: the name is filled in again
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("orders.csv", second, "text/csv").run()
    assert at.text_input[0].value == "orders" and any("already saved" in w.value for w in at.warning)
    # What replacing does to its run, said before the tick ("will no longer match their data" understated it)
    assert any("its 1 saved run will be kept but stop opening" in w.value for w in at.warning)
    box = next(c for c in at.checkbox if c.label == "Replace the saved dataset 'orders'")
    assert box.value is False  # replacing is never the default
    _save(at)
    assert not at.exception and not at.success
    assert any("'orders' is already saved" in e.value and "choose another name" in e.value for e in at.error)
    assert len(Workspace(root).load_dataset("orders").events) == first  # nothing stored

    next(c for c in at.checkbox if c.label == "Replace the saved dataset 'orders'").check().run()
    assert any(s.value.startswith("Replaced 'orders'") for s in _save(at).success)
    replaced = len(Workspace(root).load_dataset("orders").events)
    assert replaced == len(ingest(second, "orders.csv").events) != first
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("orders.csv", _log(seed=3), "text/csv").run()  # the next upload asks again
    assert next(c for c in at.checkbox if c.label == "Replace the saved dataset 'orders'").value is False
    _save(at)
    assert len(Workspace(root).load_dataset("orders").events) == replaced


@pytest.mark.parametrize("where", ["beside the good ones", "in the run's own dataset"])
def test_every_page_opens_over_damaged_entries(template, tmp_path, monkeypatch, where):
    """Every kind of damage at once, each entry the newest of its kind (what a page opens by
    default), or the good run's own dataset damaged."""
    root, run_id = _copy(template, tmp_path / "ws")
    if where == "beside the good ones":
        for case in DAMAGE:
            _damaged_copy(root, run_id, case)
    else:
        _truncate(root / "datasets" / "base" / "events.parquet")
    at = _app(root, monkeypatch).run()
    assert not at.exception, [e.value for e in at.exception]
    left_out = len(DAMAGE) if where == "beside the good ones" else 2
    assert any(f"{left_out} saved entries could not be opened" in c.value for c in at.sidebar.caption)
    if where == "beside the good ones":
        assert at.session_state["active_run"] == run_id and at.session_state["active_dataset"] == "base"
    _every_page_opens(at)


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_every_page_opens_on_a_read_only_or_full_workspace(template, tmp_path, monkeypatch, code):
    """Read-only: an empty workspace folder where nothing can be made. Full: a workspace holding a
    dataset and a run where nothing more can be written. Saving says why; nothing is half-written."""
    root = tmp_path / "ws"
    if code == errno.EROFS:
        root.mkdir()
    else:
        _copy(template, root)
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    Faults(root, 0, kill=False, code=code).install(monkeypatch.setattr)
    at = _app(root, monkeypatch).run()
    assert not at.exception, [e.value for e in at.exception]
    if code == errno.EROFS:  # said at the top of every page
        assert any(str(root) in e.value and os.strerror(code) in e.value for e in at.error)
    else:  # a full disk still opens what it holds
        assert not at.error and at.session_state["active_dataset"] == "base"
    _every_page_opens(at)
    at.switch_page(PAGES["data"]).run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("new orders.csv", _log(seed=4), "text/csv").run()
    _save(at)
    assert not at.exception and not at.success
    shown = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as typed: markdown escapes off
    assert any(str(root) in e and os.strerror(code) in e and "nothing was saved" in e for e in shown), shown
    at.switch_page(PAGES["home"]).run()
    assert not at.exception
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before  # nothing half-written


