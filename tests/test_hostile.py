"""Hostile content: product names holding HTML/JS, Markdown or spreadsheet formulas are shown as
text in figures and captions and neutralised in CSV exports; names cannot escape the workspace."""

import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from gnnrec_core.data.ingest import ingest
from gnnrec_core.errors import InputError
from gnnrec_core.models import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.serving.export import export_all
from gnnrec_core.serving.graphs import neighbourhood_figure, rules_graph
from gnnrec_core.serving.plots import product_map
from gnnrec_core.serving.safe_text import escape_markdown
from gnnrec_core.store import Run, Workspace, check_name

SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src=x onerror="alert(1)">'
MARKDOWN = "**bold** [click](javascript:alert(1)) `code`"
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"]
HOSTILE = [SCRIPT, IMAGE, MARKDOWN, *FORMULAS]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    rows = [(f"o{n}", f"p{(n * 3 + j) % 12}", f"u{n % 15}") for n in range(90) for j in range(3)]
    frame = pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"])
    names = {f"p{i}": name for i, name in enumerate(HOSTILE)}
    frame["product_name"] = frame["product_id"].map(lambda p: names.get(p, f"Product {p}"))
    frame["category"] = frame["product_id"].map(lambda p: SCRIPT if p == "p8" else "Mugs")
    path = tmp_path_factory.mktemp("hostile") / "log.csv"
    frame.to_csv(path, index=False)
    dataset = prepare(ingest(path))
    return path, dataset, LightGCN(epochs=3, dim=8).fit(dataset.interactions.matrix())


def _no_raw_markup(text):
    return SCRIPT not in text and "<img" not in text


def test_figures_show_names_as_text(hostile):
    _, dataset, _ = hostile
    names = dataset.item_names(np.arange(dataset.interactions.n_items))
    points = pd.DataFrame({"x": np.arange(len(names), dtype=float), "y": 0.0, "name": names,
                           "item": dataset.interactions.items, "size": 1.0, "hover": names, "category": names})
    assert _no_raw_markup(product_map(points, "category", highlight=[0, 1]).to_json())
    graph = nx.MultiGraph()
    graph.add_edge(0, 1, kind="similar", weight=0.9)
    graph.add_edge(0, 2, kind="bought together", weight=2.0)
    figure = neighbourhood_figure(graph, {i: names[i] for i in range(3)}, centre=0).to_json()
    assert _no_raw_markup(figure) and ("&lt;script&gt;" in figure or "&lt;img" in figure)
    rules = pd.DataFrame({"antecedents": [("p0",)], "consequents": [("p1",)], "lift": [3.0],
                          "confidence": [0.5], "support": [0.1]})
    assert _no_raw_markup(rules_graph(rules, {"p0": SCRIPT, "p1": IMAGE}).to_json())


def test_figures_show_quotes_as_typed():
    """Plotly decodes &lt; and &amp; but not &quot;: the sample's 'RECORD FRAME 7" SINGLE SIZE' read
    'RECORD FRAME 7&quot; SINGLE SIZE' on the Neighbourhood graph and the Product map."""
    names = {0: 'RECORD FRAME 7" SINGLE SIZE', 1: "BAKER'S <b>TWINE</b> & CO", 2: "plain"}
    graph = nx.MultiGraph()
    graph.add_edge(0, 1, kind="similar", weight=0.9)
    graph.add_edge(0, 2, kind="bought together", weight=2.0)
    figure = neighbourhood_figure(graph, names, centre=0)
    shown = [text for trace in figure.data for text in (trace.hovertext or ())]
    assert 'RECORD FRAME 7" SINGLE SIZE' in shown and "BAKER'S &lt;b&gt;TWINE&lt;/b&gt; &amp; CO" in shown
    points = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": 0.0, "name": list(names.values()), "item": ["a", "b", "c"],
                           "size": 1.0, "hover": list(names.values()), "category": ['7" frames', "&" * 60, "y"]})
    legend = [trace.name for trace in product_map(points, "category").data]
    assert '7" frames' in legend and "&amp;" * 40 in legend  # cut before escaping: no entity cut in half


def test_markdown_captions_show_names_as_typed():
    escaped = escape_markdown(MARKDOWN + " " + SCRIPT)
    assert not re.search(r"(?<!\\)[<>\[\]()*`]", escaped)  # every markup character escaped
    assert escaped.replace("\\", "") == MARKDOWN + " " + SCRIPT  # nothing lost, only escaped


def test_csv_exports_neutralise_formulas(hostile, tmp_path):
    _, dataset, model = hostile
    export_all(model, dataset, tmp_path)
    quoted = []
    for name in ("recommendations.csv", "similar_items.csv"):
        table = pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)
        cells = table.to_numpy().ravel()
        text_cells = [c for c in cells if not _is_number(c)]
        assert not [c for c in text_cells if c[:1] in ("=", "+", "-", "@")], name
        quoted += [c for c in cells if c[:2] in ("'=", "'+", "'-", "'@")]
    # The hostile names are there, quoted (in similar items at least: customers who bought every
    # hostile product are never recommended one again).
    assert quoted


def test_dashboard_downloads_neutralise_formulas():
    from pages.widgets import csv_bytes

    frame = pd.DataFrame({"name": pd.Series(FORMULAS + [SCRIPT], dtype="str"), "score": np.arange(5.0)})
    table = pd.read_csv(__import__("io").BytesIO(csv_bytes(frame)), dtype=str)
    assert list(table["name"]) == ["'" + f for f in FORMULAS] + [SCRIPT]
    assert list(table["score"]) == ["0.0", "1.0", "2.0", "3.0", "4.0"]


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("name", ["../escape", "..", "/etc/passwd", "a/b", "a\\b", ".hidden", "x\x00y", "",
                                  "~root", "C:evil", "a" * 65, "runs/../../x"])
def test_names_cannot_escape_the_workspace(name, tmp_path):
    with pytest.raises(InputError):
        check_name(name)
    store = Workspace(tmp_path / "ws")
    with pytest.raises(InputError):
        store.load_dataset(name)
    with pytest.raises(InputError):
        store.load_run(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]


def _neighbourhood_page(tmp_path, monkeypatch, dataset, model, product: str) -> AppTest:
    """The Neighbourhood page on `product`, its dataset and a LightGCN run of `model` saved and active."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    store = Workspace(tmp_path / "ws")
    store.save_dataset("data", dataset.ingest)
    run_id = store.save_run(Run(model, dataset.interactions.users, dataset.interactions.items,
                                RunInfo(DatasetRef("data"), "lightgcn", ())))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["active_dataset"], at.session_state["active_run"] = "data", run_id
    at.session_state["active_product"] = product
    at.run()
    at.switch_page("pages/neighbourhood.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("product", ["p0", "p2"], ids=["script", "markdown"])
def test_pages_render_hostile_names_as_text(hostile, tmp_path, monkeypatch, product):
    """The neighbourhood caption and the map search caption carry a hostile name and a hostile
    query: every markup character arrives escaped, and nothing raw reaches the page."""
    path, dataset, model = hostile
    at = _neighbourhood_page(tmp_path, monkeypatch, dataset, model, product)
    name = {"p0": SCRIPT, "p2": MARKDOWN}[product]
    captions = [str(c.value) for c in at.caption]
    assert any(c.startswith(escape_markdown(name) + ":") for c in captions), captions  # the name, escaped
    at.switch_page("pages/product_map.py").run()
    next(t for t in at.text_input if t.label.startswith("Find products")).set_value(name).run()
    shown = [str(e.value) for kind in ("markdown", "caption", "info", "warning") for e in getattr(at, kind)]
    assert any(escape_markdown(name) in m for m in shown), shown
    assert not any(re.search(r"(?<!\\)(<script|<img|\]\(javascript)", m) for m in shown)


@pytest.mark.parametrize("product, thin", [("rare", True), ("p0", False)])
def test_the_neighbourhood_of_a_product_of_few_buyers_says_so(tmp_path, monkeypatch, product, thin):
    """A product of two buyers showed full similarity bars and no word (`similar` and the Associations
    page say such a list rests on too few customers); a product of 15 buyers says nothing of it."""
    rows = [(f"o{n}", f"p{(n * 3 + j) % 12}", f"u{n % 15}") for n in range(90) for j in range(3)]
    rows += [("o0", "rare", "u0"), ("o1", "rare", "u1")]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=2, dim=8).fit(dataset.interactions.matrix())
    at = _neighbourhood_page(tmp_path, monkeypatch, dataset, model, product)
    warned = [str(w.value) for w in at.warning if "too few customers to trust" in str(w.value)]
    assert bool(warned) == thin
    if thin:
        assert warned[0].replace("\\", "").startswith("This product has 2 buyers (fewer than 10)")
        assert any(": bought by 2 customers, in 2 of" in str(c.value) for c in at.caption)


@pytest.mark.parametrize("orders", [True, False], ids=["orders", "check-ins"])
def test_the_neighbourhood_of_a_log_without_orders_counts_customers_not_baskets(tmp_path, monkeypatch, orders):
    """A check-in log has no order column: the caption said 'in 77 of 2,000 baskets ... Baskets count
    every order in the data' of a log that has no orders."""
    rows = [(f"o{n}", f"v{(n * 3 + j) % 12}", f"u{n % 15}") for n in range(90) for j in range(3)]
    frame = pd.DataFrame(rows, columns=["order_id", "venue_id", "user_id"])
    path = tmp_path / "log.csv"
    (frame if orders else frame.drop(columns="order_id")).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=2, dim=8).fit(dataset.interactions.matrix())
    at = _neighbourhood_page(tmp_path, monkeypatch, dataset, model, "v0")
    # a place's log of no orders records visits (data/log_words.py); with orders, purchases
    verb = "bought" if orders else "visited"
    caption = next(str(c.value) for c in at.caption if str(c.value).startswith(f"v0: {verb} by "))
    assert ("Baskets count every order in the data" in caption) is orders
    assert ("each customer's whole history is their one basket" in caption) is not orders
    assert (" of 90 baskets" in caption) is orders
