"""Every case of the bad-input corpus (tests/bad_inputs.py) through the CLI and through the Data and
Train pages: one clear message, no traceback, and the workspace's datasets and runs intact."""

import json
import re

import pytest
from bad_inputs import corpus
from conftest import ROOT, SAMPLE
from streamlit.testing.v1 import AppTest

from gnnrec_core.cli import main
from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import MODELS
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.store import Run, Workspace

CASES = corpus()
IDS = [case.name for case in CASES]


def test_the_corpus_is_large_and_distinct():
    assert len(CASES) >= 60 and len(set(IDS)) == len(IDS)
    assert len({case.data for case in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace holding one dataset and one run, whose files must never change."""
    root = tmp_path_factory.mktemp("bad-inputs") / "workspace"
    store = Workspace(root)
    result = ingest(SAMPLE, drop_non_products=True)
    store.save_dataset("kept dataset", result)
    dataset = prepare(result)
    model = MODELS["pop"]().fit(dataset.interactions.matrix())
    run_id = store.save_run(Run(model, dataset.interactions.users, dataset.interactions.items,
                                RunInfo(DatasetRef("kept dataset"), "pop", results=())))
    return root, _snapshot(root), run_id


def _snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def _assert_intact(workspace):
    root, before, run_id = workspace
    after = _snapshot(root)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing stored was touched
    store = Workspace(root)
    assert len(store.load_dataset("kept dataset").events) > 0
    assert store.load_run(run_id).model.name == "pop"


@pytest.mark.filterwarnings("error::RuntimeWarning")  # none may leak to stderr: as errors they would exit 3
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_answers_each_bad_input_in_one_line(case, workspace, tmp_path, monkeypatch, capsys):
    for variable, value in case.env:
        monkeypatch.setenv(variable, value)
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code = main(["benchmark", str(path), "--models", "pop"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if case.outcome == "error":
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert code == 2 and len(errors) == 1, err
        assert re.search(case.message, errors[0]), errors[0]
    else:
        assert code == 0, err
        if case.stage == "upload":  # a repair made while reading: named on one `note:` line
            notes = [line for line in err.splitlines() if line.startswith("note: ")]
            assert any(re.search(case.message, line) for line in notes), err
    # `train` scores its model on a split as `benchmark` does, so it refuses what benchmark refuses.
    root = workspace[0]
    code = main(["train", str(path), "--model", "pop", "--workspace", str(root)])
    capsys.readouterr()
    assert code == (0 if case.outcome == "note" else 2)
    _assert_intact(workspace)


@pytest.mark.parametrize("case", [c for c in CASES if c.reads], ids=[c.name for c in CASES if c.reads])
def test_each_quiet_repair_reads_what_the_file_holds(case, tmp_path):
    """Files read with no message of their own (a line separator inside a name, inf quantities) must
    still be read right: the rows a table holds (not a basket list's), and every drop counted."""
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    report = json.dumps(ingest(path).report.as_dict(), ensure_ascii=False)
    assert re.search(case.reads, report), report


def _texts(at, kinds):
    """What the page shows, as typed: its markdown escapes (`1\\.2 MB`) taken off."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for kind in kinds for e in getattr(at, kind)]


@pytest.mark.parametrize("case", [c for c in CASES if c.page], ids=[c.name for c in CASES if c.page])
def test_page_answers_each_bad_input_and_stays_usable(case, workspace, monkeypatch):
    for variable, value in case.env:
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace[0]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload(case.filename, case.data, "application/octet-stream").run()
    assert not at.exception
    if case.outcome == "error" and case.stage != "train":
        if case.stage == "save" and not at.error:  # some problems only show once the rows are cleaned
            next(b for b in at.button if b.label == "Save dataset").click().run()
        assert any(re.search(case.message, e) for e in _texts(at, ["error"])), _texts(at, ["error", "warning"])
    else:
        assert not at.error, _texts(at, ["error"])
        if case.outcome == "note" and case.stage == "upload":
            assert any(re.search(case.message, w) for w in _texts(at, ["warning"])), _texts(at, ["warning"])
        at.text_input[0].set_value("upload " + re.sub(r"[^a-z0-9]+", " ", case.name.lower()).strip()[:40]).run()
        next(b for b in at.button if b.label == "Save dataset").click().run()
        assert not at.exception and not at.error, _texts(at, ["error"])
        assert any(s.startswith("Saved") for s in _texts(at, ["success"]))
        if case.outcome == "error":  # usable data that cannot train: the Train page refuses, in words
            at.switch_page("pages/train.py").run()
            next(s for s in at.selectbox if s.label == "Model").set_value("pop")
            next(b for b in at.button if b.label == "Train").click().run()
            assert not at.exception
            assert any(re.search(case.message, e) for e in _texts(at, ["error"])), _texts(at, ["error"])
    at.switch_page("pages/home.py").run()  # the app stays usable after the message
    assert not at.exception
    _assert_intact(workspace)
