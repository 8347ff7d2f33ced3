"""CSV injection: every file a person downloads from the dashboard or gets from `export` goes through
one writer (`gnnrec_core.serving.safe_text.csv_bytes`), which quotes any cell a spreadsheet would run
as a formula. The hostile workspace and its helpers are test_injection.py's."""

import ast
import csv
import io

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.runtime.media_file_manager import MediaFileManager
from test_injection import FORMULA_CELL, FORMULAS, _app, _open, hostile_workspace

from gnnrec_core.data.delimited import _is_number  # a number is no formula, as the reader reads it
from gnnrec_core.serving import safe_text
from gnnrec_core.serving.safe_text import csv_bytes


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_workspace(tmp_path_factory)


# -- the one CSV writer ------------------------------------------------------------------------------------------

def _live_formulas(data: bytes, sep: str = ",") -> list[str]:
    """Cells a spreadsheet would run: starting with = + - @ (after spaces), tab or CR, and not a number."""
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep) for cell in row]
    return [c for c in cells if FORMULA_CELL.match(c) and not _is_number(c)]


def test_the_one_writer_quotes_every_formula_and_keeps_the_rest():
    hostile = [*FORMULAS, "\tTAB", "\rCR", "  =1+2", "\uff1dSUM(A1)", "\n=1", "T-LIGHT", "a=b", "", None]
    frame = pd.DataFrame({"name": pd.Series(hostile, dtype="str"), "code": pd.Series(hostile, dtype=object),
                          "kind": pd.Categorical(["=x"] * len(hostile)), "score": np.linspace(-1, 1, len(hostile)),
                          "=HYPERLINK(\"x\")": 1})
    data = csv_bytes(frame)
    assert _live_formulas(data) == []
    back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(back.columns) == ["name", "code", "kind", "score", "'=HYPERLINK(\"x\")"]  # the header too
    expected = ["'" + v if v is not None and FORMULA_CELL.match(v) else (v or "") for v in hostile]
    assert list(back["name"]) == expected and list(back["code"]) == expected  # quoted, nothing else changed
    assert set(back["kind"]) == {"'=x"}
    assert back["score"].astype(float).tolist() == pytest.approx(np.linspace(-1, 1, len(hostile)))  # numbers kept
    assert _live_formulas(csv_bytes(frame, sep="\t"), sep="\t") == []


def _download_calls(path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "download_button"]


def _producer(call: ast.Call) -> str:
    """The function whose result a download_button hands out (through `lambda:` and `.encode()`)."""
    data = call.args[1] if len(call.args) > 1 else next(k.value for k in call.keywords if k.arg == "data")
    if isinstance(data, ast.Lambda):
        data = data.body
    while isinstance(data, ast.Call) and isinstance(data.func, ast.Attribute) and data.func.attr == "encode":
        data = data.func.value
    if not isinstance(data, ast.Call):
        return ast.unparse(data)
    return getattr(data.func, "id", None) or getattr(data.func, "attr", None) or ast.unparse(data.func)


# What each download may hand out: CSV only through the one writer; HTML only from the report builders,
# which escape every text from an upload (tests/test_report.py).
PRODUCERS = {"csv_bytes": "text/csv", "changes_html": "text/html", "report_html": "text/html"}


def test_every_download_button_hands_out_the_one_writers_bytes():
    import pages.widgets

    assert pages.widgets.csv_bytes is safe_text.csv_bytes  # the pages' csv_bytes is the engine's writer
    found = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for call in _download_calls(path):
            producer, where = _producer(call), f"{path.name}:{call.lineno}"
            mime = call.args[3] if len(call.args) > 3 else next((k.value for k in call.keywords if k.arg == "mime"),
                                                                None)
            mime_text = mime.value if isinstance(mime, ast.Constant) else None
            assert producer in PRODUCERS, f"{where} hands out {producer}(...), not the one CSV writer"
            assert mime_text == PRODUCERS[producer], f"{where}: {producer} with mime {mime_text}"
            found.append(where)
    assert len(found) >= 9, found  # every page's downloads were seen (a rename would hide them)


def test_nothing_writes_csv_but_the_one_writer():
    """No `to_csv` or `csv.writer` for people anywhere in the pages, the serving layer or the CLI."""
    sources = [*(ROOT / "pages").glob("*.py"), *(ROOT / "gnnrec_core" / "serving").glob("*.py"),
               *(ROOT / "gnnrec_core" / "cli").glob("*.py"), ROOT / "app.py"]
    offenders = []
    for path in sources:
        if path.name == "safe_text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("to_csv", "writer", "DictWriter"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == []


@pytest.fixture
def downloads(monkeypatch):
    """Every file the app hands to the browser, by file name, as the bytes served."""
    served: dict[str, bytes] = {}
    original = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if file_name and isinstance(path_or_data, bytes):
            served[file_name] = path_or_data
        return original(self, path_or_data, mimetype, coordinates, file_name=file_name,
                        is_for_static_download=is_for_static_download)

    deferred = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        """A file built on the click (a large comparison's CSV): built here, as the click would."""
        if file_name:
            data = data_callable()
            served[file_name] = data.encode() if isinstance(data, str) else data
        return deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return served


def test_compare_downloads_hold_no_live_formula(hostile, monkeypatch, downloads):
    at = _app(hostile, monkeypatch)
    _open(at, "pages/compare.py", mode="periods", split="2024-03-01")
    for what in ("products", "pairs"):  # every tested row, not only the named changes
        at.multiselect(key=f"show-{what}").set_value(["rising", "new", "falling", "gone", "no clear change"]).run()
    assert not at.exception, [e.value for e in at.exception]
    _open(at, "pages/compare.py", mode="runs", a=hostile["runs"][0], b=hostile["runs"][1])
    wanted = {"products_changes.csv", "pairs_changes.csv", "weekly_trajectory.csv", "neighbour_changes.csv",
              "run_comparison.csv"}
    assert wanted <= set(downloads), sorted(downloads)
    for name in wanted:
        assert _live_formulas(downloads[name]) == [], name
    for name in ("products_changes.csv", "neighbour_changes.csv"):  # the hostile names are there, quoted
        cells = {c for row in csv.reader(io.StringIO(downloads[name].decode())) for c in row}
        assert {"'=1+2", "'-2+3", "'@SUM(A1)"} <= cells, name
    assert any("'=1+2" in c for c in csv.reader(io.StringIO(downloads["pairs_changes.csv"].decode())))


def test_export_command_files_hold_no_live_formula(hostile, tmp_path, capsys):
    from gnnrec_core.cli import main

    out = tmp_path / "export"
    code = main(["export", str(hostile["csv"]), "--model", "lightgcn", "--epochs", "2", "--time-budget", "5",
                 "--quiet", "--k", "3", "--out", str(out)])
    assert code in (0, None), capsys.readouterr().err
    for name, sep in (("recommendations.csv", ","), ("similar_items.csv", ","), ("metadata.tsv", "\t")):
        data = (out / name).read_bytes()
        assert _live_formulas(data, sep) == [], name
        cells = {c for row in csv.reader(io.StringIO(data.decode()), delimiter=sep) for c in row}
        assert {"'=1+2", "'@SUM(A1)"} <= cells, name  # the hostile names and codes are there, quoted
    shown = (out / "metadata.tsv").read_text().splitlines()  # the Projector splits on tabs and unquotes nothing
    assert not any('""' in line for line in shown) and len({len(line.split("\t")) for line in shown}) == 1
    assert any('HYPERLINK("http://evil.example","y")' in line for line in shown)  # its quotes as typed
