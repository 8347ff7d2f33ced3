"""Injection through what gnnrec shows, and the hostile workspace both injection files use (CSV
injection, through what gnnrec hands out, is test_injection_csv.py's).

Markdown injection: every value from an upload or a link reaches Streamlit's Markdown
(messages, captions, metric and widget labels, help) through one helper (`escape_markdown`), so a
link, image, emphasis, HTML or LaTeX is shown as typed, nothing lost."""

import ast
import re
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from gnnrec_core import ingest
from gnnrec_core.models import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, ResultRow, RunInfo
from gnnrec_core.serving.safe_text import WORD_JOINER, escape_markdown
from gnnrec_core.store import Run, Workspace

sys.path.insert(0, str(ROOT / "tests"))
from test_changes import order_log  # noqa: E402

LOGIN = "[Your session expired - sign in again](https://evil.example/login)"
IMAGE = "![x](http://evil.example/x.png)"
MIXED = "$x^2$ <b>b</b> `c` # h | t | _u_ *s* ~d~ &lt; :red[r]"
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"y\")", "+cmd|' /C calc'!A0", "=1+2", "-2+3", "@SUM(A1)"]
NAMES = [*FORMULAS, "\tTAB=1", "\rCR=1", LOGIN, IMAGE, MIXED]
CATEGORY = "![c](http://evil.example/c.png)"
COLUMN = "Region [r](http://evil.example)"
GROUPS = {"DE": "![de](http://evil.example/de.png)", "FR": "$FR$ *fr*"}
DATASET = "hostile _log_"  # dataset names allow letters, digits, space, _ - . only: `_` is the markup left
FORMULA_CELL = re.compile(r"^(?:[\t\r]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def hostile_log() -> pd.DataFrame:
    """Orders over two periods and two regions, with hostile product names, codes, a category,
    a segment column name and its values."""
    frame = order_log(0, baskets=600, triple="P003")
    codes = sorted(frame["product"].unique())
    names = {code: NAMES[i] if i < len(NAMES) else f"Product {code}" for i, code in enumerate(codes)}
    frame["Description"] = frame["product"].map(names)
    frame["category"] = np.where(frame["product"] < "P005", CATEGORY, "Mugs")
    frame["product"] = frame["product"].replace({"P001": "@SUM(A1)", "P002": "-2+3"})
    frame["Country"] = frame["Country"].map(GROUPS)
    return frame.rename(columns={"Country": COLUMN})


def _row(valid: float | None) -> ResultRow:
    return ResultRow("lightgcn", ndcg=0.2, precision=0.1, recall=0.3, map=0.1, hit_rate=0.5, coverage=0.4,
                     train_seconds=1.0, valid_ndcg=valid)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_workspace(tmp_path_factory)


def hostile_workspace(tmp_path_factory) -> dict:
    """A workspace holding the hostile dataset (twice, for comparing datasets), two runs on it, a run
    on it whose products no longer match it, and two runs that cannot open: one whose dataset is gone,
    one damaged whose folder name is a link."""
    root = tmp_path_factory.mktemp("injection")
    path = root / "log.csv"
    hostile_log().to_csv(path, index=False)
    result = ingest(path)
    store = Workspace(root / "ws")
    store.save_dataset(DATASET, result)
    store.save_dataset("other _copy_", result)
    dataset = prepare(result)
    users, items = dataset.interactions.users, dataset.interactions.items
    runs = []
    for seed, valid in ((0, 0.5), (1, 0.4)):
        model = LightGCN(epochs=3, dim=8, seed=seed).fit(dataset.interactions.matrix())
        runs.append(store.save_run(Run(model, users, items, RunInfo(DatasetRef(DATASET), "lightgcn", (_row(valid),)))))
    replaced = store.save_run(Run(model, users, items[::-1], RunInfo(DatasetRef(DATASET), "lightgcn", (_row(None),))))
    store.save_run(Run(model, users, items, RunInfo(DatasetRef("gone _x_"), "lightgcn", (_row(None),))))
    broken = root / "ws" / "runs" / "[click](javascript:alert(1))"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    return {"root": root / "ws", "csv": path, "runs": runs, "replaced": replaced, "broken": broken.name}


def _app(hostile, monkeypatch, run: str | None = None) -> AppTest:
    monkeypatch.setenv("GNNREC_WORKSPACE", str(hostile["root"]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["active_dataset"] = DATASET
    at.session_state["active_run"] = run or hostile["runs"][0]
    return at.run()


def _open(at: AppTest, page: str, **params: str) -> AppTest:
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title")
    return [str(e.value) for kind in kinds for e in getattr(at, kind)]


def _escaped_in(value: str, texts: list[str]) -> bool:
    """The value is shown escaped somewhere, and never raw where it holds markup."""
    escaped = escape_markdown(value)
    raw_shown = escaped != value and any(value in t for t in texts)
    return any(escaped in t for t in texts) and not raw_shown


# -- Markdown -----------------------------------------------------------------------------------------------------

MARKUP = "[]()!*_`<>#|$"


@pytest.mark.parametrize("value", [LOGIN, IMAGE, MIXED, "- item\n# heading\n===", "\\[x\\]", "T-LIGHT 3.5 cm",
                                   "https://evil.example/refund www.evil.example me@evil.example"])
def test_escape_markdown_escapes_every_markup_character_and_loses_nothing(value):
    escaped = escape_markdown(value)
    # one backslash less, and no word joiner (it keeps a URL from being linked), gives the text back
    assert re.sub(r"\\(.)", r"\1", escaped.replace(WORD_JOINER, ""), flags=re.S) == value
    assert not [c for c in re.sub(r"\\.", "", escaped, flags=re.S) if c in MARKUP + "\\"]  # none left bare
    assert not re.search(r"(?m)^\s*[-=]", re.sub(r"\\.", "x", escaped))  # no list item or underline
    assert "T-LIGHT" in escape_markdown("T-LIGHT")  # a hyphen inside a word stays as typed
    # Streamlit links bare URLs, www. names and addresses after rendering, escaped or not: each is broken
    # by a word joiner (checked in headless Chromium: no <a> left)
    assert not re.search(r"(?i)://|www\\?\.|\w@\w+\.", escaped.replace("\\", ""))


def test_link_values_are_shown_as_typed(hostile, monkeypatch):
    at = _app(hostile, monkeypatch)
    for page, param in (("pages/neighbourhood.py", "product"), ("pages/recommendations.py", "customer"),
                        ("pages/compare.py", "mode")):
        for value in (LOGIN, IMAGE):
            _open(at, page, **{param: value})
            warnings = [str(w.value) for w in at.warning]
            assert _escaped_in(value, warnings), (page, param, warnings)
    # A segment link: the column's name (from the upload) and the value (from the link), both escaped.
    _open(at, "pages/compare.py", mode="segments", dataset=DATASET, by=COLUMN, a=LOGIN)
    warnings = [str(w.value) for w in at.warning]
    assert _escaped_in(LOGIN, warnings) and _escaped_in(COLUMN, warnings), warnings


def test_segment_values_and_names_reach_labels_escaped(hostile, monkeypatch):
    at = _app(hostile, monkeypatch)
    _open(at, "pages/compare.py", mode="segments", dataset=DATASET, by=COLUMN, a=GROUPS["DE"], b=GROUPS["FR"])
    labels = [m.label for m in at.metric]
    for group, side in zip(GROUPS.values(), "ab"):
        assert f"{side}: {escape_markdown(COLUMN)} = {escape_markdown(group)}" in labels, labels
    assert not any(GROUPS["DE"] in label or COLUMN in label for label in labels)
    assert _escaped_in(DATASET, [str(c.value) for c in at.caption])  # "Within the active dataset, ..."
    _open(at, "pages/compare.py", mode="datasets", a=DATASET, b="other _copy_")
    captions = [str(c.value) for c in at.caption]
    assert f"Top pairs in {escape_markdown(DATASET)}" in captions, captions


def test_names_in_headers_labels_and_errors_are_escaped(hostile, monkeypatch):
    at = _app(hostile, monkeypatch)
    helps = [c.help for c in at.sidebar.caption if c.help]  # entries that could not be opened, named
    assert _escaped_in(hostile["broken"], helps) and _escaped_in("gone _x_", helps), helps
    at.switch_page("pages/train.py").run()
    assert any(s.startswith("Results: ") and escape_markdown(DATASET) in s for s in _shown(at)), _shown(at)
    at.switch_page("pages/recommendations.py").run()
    boost = next(m for m in at.sidebar.multiselect if m.label == "Boost or bury categories")
    boost.set_value([CATEGORY]).run()
    assert not at.exception, [e.value for e in at.exception]
    sliders = [s.label for s in at.sidebar.slider]
    assert f"{escape_markdown(CATEGORY)}: standard deviations" in sliders, sliders
    at.session_state["active_run"] = hostile["replaced"]  # its products no longer match the dataset's
    at.run()
    assert _escaped_in(DATASET, [str(e.value) for e in at.error]), [e.value for e in at.error]



def test_product_names_in_the_recommendations_table_are_shown_as_typed(hostile, monkeypatch):
    """st.table renders its cells as Markdown: a product named as a link was a live link on the page,
    an image name fetched its picture from the viewer's browser."""
    at = _app(hostile, monkeypatch)
    at.switch_page("pages/recommendations.py").run()
    at.radio[0].set_value("New customer (build a basket)").run()
    basket = at.multiselect[0]
    basket.set_value(basket.options[-3:]).run()  # the basket's own products are not listed: the rest are
    assert not at.exception, [e.value for e in at.exception]
    cells = [str(cell) for column in at.table[0].value.columns for cell in at.table[0].value[column]]
    hostile_names = [name for name in (LOGIN, IMAGE, MIXED) if any(escape_markdown(name) in c for c in cells)]
    assert hostile_names and not [c for c in cells for name in (LOGIN, IMAGE, MIXED) if name in c]


# Streamlit calls whose first argument (a message, caption, header or widget label) and whose `label=`
# and `help=` are rendered as Markdown.
MARKDOWN_CALLS = {"warning", "info", "error", "success", "exception", "caption", "markdown", "write", "title", "header",
                  "subheader", "toast", "metric", "selectbox", "multiselect", "slider", "select_slider", "radio",
                  "checkbox", "toggle", "text_input", "text_area", "number_input", "date_input", "file_uploader",
                  "button", "download_button", "form_submit_button", "expander", "popover", "page_link",
                  "table"}  # st.table: its cells are Markdown (safe_text.markdown_cells escapes a frame's)
# Interpolations that hold no text from an upload or a link: counts and settings, fixed labels, the
# engine's own words, the operator's workspace path. Anything else must be escape_markdown(...).
TRUSTED = {
    "basket_kind", "MOST_COLUMNS", "share_of(report.pair_shares)", "pair_share_words(report.pair_shares)",
    "run.model.name", "found[1].model.name", "q", "min_baskets", "k", "shared", "shown", "info.k",
    "info_a.k", "info_b.k",
    "status.capitalize()", "kind[:-1].capitalize()", "overlap['shared']", "overlap['pairs_a']", "overlap['pairs_b']",
    "SAMPLE_NAME", "(hits['match'] == 'close in meaning').sum()", "graph.number_of_nodes()", "len(meaning)",
    "len(shared)", "len(unreadable)", "text_encoder_note()", "device_report()", "env_name('map_points')",
    "split.get('method')", "split.get('test_size')", "split.get('seed')", "label", "default", "int(default)",
    "float(default)", "m",
    "describe(a)", "describe(b)",  # escapes the segment's column and value inside (pages/changes_view.py)
    "status_words", "top_words", "_last_day(p['end'])",  # status words, fixed text, a date (changes_view.py)
    "buyers",  # fixed words and two counts (pages/changes_view.py)
    "why_not",  # fixed words: why two runs' figures do not compare (pages/compare.py)
    "report.word(status).capitalize()",
    "run_label(info, markdown=True)", "run_label(active, markdown=True)",  # escapes the dataset's name inside
    "store.problem", "problem",  # the workspace folder the operator set, or saving the bundled sample
    "report_problem", "side",  # widgets.dataset_problem escapes the dataset's name inside; the letters A and B
    "min(len(table), len(other_table))", "_duration(job.finished - job.started)",  # a count; seconds
    "pair",  # model labels (the registry's) and figures (pages/train.py's verdict on what training added)
    "role.replace('_', ' ')",  # the engine's role names (data.mapping.ROLES)
    "', '.join(roles)",  # each column name in it escaped where the list is built (pages/data.py)
    "mapping_words(report.mapping, report.catalogue_mapping)",  # escapes each column name inside; roles are ROLES
    "figures['users']", "figures['items']", "figures['repeat_users']", "env_name('dense_items')",  # counts, names
    "THIN", "ROOT_ENV", "BLEND_WEIGHTS_WORDS", "MISSING",  # constants: a count, a variable's name, words, a dash
    "HELP.get(name)",  # a setting's help, fixed text of pages/widgets.py
    "_runs_it_closes(name.strip())",  # a count of runs in fixed words (pages/data.py)
    "volcano_words(len(table))",  # counts in the engine's words (serving.plots)
    "split_sentence(info.split, info.k)",  # counts and the split's settings, words of the engine's own
    # The engine's words and the run's seeds (integers):
    "seeds_caption(info.split, info.seeds)", "seeds_words(info.seeds, over.training)",
    "seeds_words(info.seeds, over.graph)", "first_split_words(info.seeds, info.split)",
    "in_baskets", "baskets_are",  # two counts in fixed words; fixed words (pages/neighbourhood.py)
    "PARTNER_BOUND_WORDS", "UNIT",  # fixed words (baskets/evidence.py; pages/associations.py)
    # counts in fixed words (baskets/rules.py)
    "chance_words(chance, len(table), products_reaching(stats, min_support), fewest_baskets)",
    # what the log records, the engine's fixed words (data/log_words.py)
    "words.bought", "words.buyers", "TOGETHER", "together", "together.capitalize()", "FEWEST",
    "words.purchase.split()[0]", "words.said(PARTNER_BOUND_WORDS)", "figures.words.bought", "words.sales",
    "TEST_SHARE_HELP",
}


def _untrusted(node: ast.AST) -> list[str]:
    """The parts of a Markdown argument that are neither constant text, a formatted number,
    escape_markdown(...) nor TRUSTED."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("escape_markdown", "markdown_cells"):
        return []
    if isinstance(node, ast.JoinedStr):
        return [bad for value in node.values for bad in _untrusted(value)]
    if isinstance(node, ast.FormattedValue):
        return [] if node.format_spec is not None else _untrusted(node.value)
    if isinstance(node, ast.BinOp):
        return _untrusted(node.left) + _untrusted(node.right)
    if isinstance(node, ast.IfExp):
        return _untrusted(node.body) + _untrusted(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.args[0], ast.GeneratorExp):
        return _untrusted(node.args[0].elt)
    text = ast.unparse(node)
    return [] if text in TRUSTED else [text]


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_value_shown_as_markdown_is_escaped_or_trusted(page):
    """pages/ read with `ast`: what reaches a Markdown-rendering call is escaped, or known to hold no
    text from an upload or a link (a new interpolation must choose)."""
    found = []
    for call in ast.walk(ast.parse(page.read_text())):
        if not isinstance(call, ast.Call) or getattr(call.func, "attr", None) not in MARKDOWN_CALLS:
            continue
        label = [] if call.func.attr == "page_link" else call.args[:1]  # page_link's first is the page
        shown = label + [k.value for k in call.keywords if k.arg in ("label", "help", "body")]
        found += [f"{page.name}:{call.lineno} {call.func.attr}: {bad}" for arg in shown for bad in _untrusted(arg)]
    assert found == []
