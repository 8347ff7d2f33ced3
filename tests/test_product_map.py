"""The product map on sparse data: products with too little evidence out of the default view (a
toggle draws them in grey), cluster words that neither repeat nor overlap, and the time UMAP takes
said before it starts."""

import base64
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from gnnrec_core.baskets.evidence import THIN
from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.serving.plots import product_map
from gnnrec_core.serving.projection import map_points, map_regions, place_labels, umap_seconds
from gnnrec_core.serving.search import cluster_labels
from gnnrec_core.store import Run, Workspace


def test_no_two_cluster_labels_share_a_word():
    # Two clusters of dairy told apart only by their own words: "organic · milk · yogurt" twice is gone.
    names = pd.Series(["ORGANIC WHOLE MILK", "ORGANIC MILK YOGURT", "ORGANIC GREEK YOGURT", "ORGANIC SKIM MILK",
                       "ORGANIC MILK KEFIR", "ORGANIC YOGURT DRINK", "ORGANIC VANILLA YOGURT", "ORGANIC GOAT MILK"])
    labels = cluster_labels(names, np.array([0, 0, 1, 0, 0, 1, 1, 0]), n_words=3)
    words = [set(label.split(" · ")) for label in labels.values()]
    assert len(labels) == 2 and not words[0] & words[1]
    assert "milk" in words[0] and "yogurt" in words[1]  # each word labels the cluster it describes best


def test_the_maps_colours_are_regions_of_the_map_as_drawn():
    """Three groups apart on the map are three colours, each in one place; a thin product (left out of
    the fit) takes the region it sits in. Clusters of the embedding itself lay scattered over the map."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    xy = np.vstack([centre + rng.normal(0, 0.5, (40, 2)) for centre in centres] + [[[9.5, 0.5]]])
    well = np.r_[np.ones(120, bool), False]
    regions = map_regions(xy, well, n_regions=3)
    groups = [set(regions[i * 40:(i + 1) * 40]) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3
    assert regions[-1] == regions[40]  # the thin one at (9.5, 0.5): the second group's region
    # A long tail's 20 drawn products made 12 colours, most of one product each: ten points a region at least
    few = rng.normal(0, 1, (20, 2))
    assert len(set(map_regions(few, np.ones(20, bool), n_regions=12))) == 2
    assert len(set(map_regions(few[:9], np.ones(9, bool), n_regions=12))) == 1


def _overlap(a, b):
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def test_cluster_words_are_placed_without_overlapping():
    centres = pd.DataFrame({"x": [0.0, 0.01, 0.02, 5.0, 10.0], "y": [0.0, 0.0, 0.01, 5.0, 10.0]})
    texts = pd.Series(["tea · light · holder", "christmas · star", "bag · jumbo", "cake · tin", "mug · cup"])
    size, font = (1100, 600), 12
    placed = place_labels(centres, texts, size, font)
    per_x, per_y = 10.0 / size[0], 10.0 / size[1]
    boxes = [(r.x - (0.6 * font * len(r.text) + 8) * per_x / 2, r.x + (0.6 * font * len(r.text) + 8) * per_x / 2,
              r.y - (font + 8) * per_y / 2, r.y + (font + 8) * per_y / 2) for r in placed.itertuples()]
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert set(placed["text"]) == set(texts)  # three crowded at one spot: nudged apart, none lost here
    assert placed.iloc[0][["x", "y"]].tolist() == [0.0, 0.0]  # the first (largest cluster) stays at its centre


def test_thin_products_are_left_out_and_the_rest_capped_by_popularity():
    buyers = np.array([50, 3, 12, 9, 10, 200])
    assert map_points(buyers, 10, THIN).tolist() == [0, 2, 4, 5]
    assert map_points(buyers, 2, THIN).tolist() == [0, 5]
    assert map_points(buyers, 10).tolist() == list(range(6))


def test_a_thin_product_is_placed_beside_the_laid_out_products_it_is_most_like():
    from gnnrec_core.serving.projection import placed_beside

    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.99, 0.1], [0.1, 0.99]])
    xy = np.array([[0.0, 0.0], [10.0, 10.0]])
    places = placed_beside(vectors, np.array([0, 1]), xy, k=1)
    assert places[:2].tolist() == xy.tolist()  # the layout as it was
    assert np.abs(places[2] - [0, 0]).max() < 0.5 and np.abs(places[3] - [10, 10]).max() < 0.5  # jitter: 1% of 10


def test_grey_points_are_drawn_under_the_coloured_ones():
    points = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0], "name": ["a", "b", "c"], "item": ["1", "2", "3"],
                           "size": [1, 2, 3], "hover": ["", "", ""], "cluster": ["01 x", "01 x", "02 y"],
                           "muted": [False, True, False]})
    figure = product_map(points, "cluster", muted_label="fewer than 10 buyers")
    assert figure.data[0].name == "fewer than 10 buyers" and list(figure.data[0].x) == [1.0]
    assert sorted(x for trace in figure.data[1:] for x in trace.x) == [0.0, 2.0]


def test_umap_time_is_said_from_its_size():
    assert umap_seconds(50_000) > umap_seconds(1_000) > 0


@pytest.fixture(scope="module")
def sparse_run(tmp_path_factory):
    """A grocery-shaped log: many products bought by a handful of customers."""
    root = tmp_path_factory.mktemp("sparse-map")
    path = root / "orders.csv"
    generate(SyntheticConfig(interactions=4000, users=400, items=600, categories=12, seed=5)).to_csv(path, index=False)
    result = ingest(path)
    dataset = prepare(result)
    store = Workspace(root / "ws")
    store.save_dataset("sparse", result)
    model = LightGCN(epochs=2, dim=8, auto=False, blend=False).fit(dataset.interactions.matrix())
    run_id = store.save_run(Run(model, dataset.interactions.users, dataset.interactions.items,
                                RunInfo(DatasetRef("sparse"), "lightgcn", ())))
    buyers = np.diff(dataset.interactions.matrix().tocsc().indptr)
    return root / "ws", run_id, buyers


def _points(trace):
    """How many points a trace of the page's figure holds (plotly sends arrays as base64 typed arrays)."""
    x = trace["x"]
    return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize if isinstance(x, dict) else len(x)


def _values(array):
    """A trace's x or y as numbers (plotly sends arrays as base64 typed arrays)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), np.dtype(array["dtype"])).tolist()
    return list(array)


def _places(traces):
    return sorted((x, y) for t in traces for x, y in zip(_values(t["x"]), _values(t["y"])))


def _map_traces(at):
    return json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]


def test_the_map_page_leaves_thin_products_out_until_asked(sparse_run, monkeypatch):
    workspace, run_id, buyers = sparse_run
    thin, well = int((buyers < THIN).sum()), int((buyers >= THIN).sum())
    assert thin > 100 and well >= 20  # the case this test is about: a sparse catalogue
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    import pages.state
    from gnnrec_core.serving.projection import pca_2d

    # UMAP's layout is not what is tested here, and its first call compiles for tens of seconds.
    monkeypatch.setattr(pages.state, "umap_2d", lambda vectors, *args, **kwargs: pca_2d(vectors))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["active_dataset"], at.session_state["active_run"] = "sparse", run_id
    at.run()
    at.switch_page("pages/product_map.py").run()
    next(r for r in at.radio if r.label == "Projection").set_value("PCA").run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert sum(title.startswith("PCA") for title in titles) == 1, titles  # it was drawn twice, the preview kept
    hidden = Workspace(workspace).load_run(run_id).items[buyers < THIN][0]  # found by its code, though not drawn
    next(t for t in at.text_input if t.label.startswith("Find products")).set_value(str(hidden)).run()
    assert any("1 more matches among the products with fewer than" in str(c.value) for c in at.caption)
    next(t for t in at.text_input if t.label.startswith("Find products")).set_value("").run()
    captions = " ".join(str(c.value) for c in at.caption)
    assert (f"{thin:,} of the run's {len(buyers):,} products (those bought by a known customer) have fewer than "
            f"{THIN} buyers and are left out" in captions)
    traces = _map_traces(at)
    assert sum(_points(t) for t in traces) == well and not any(t["name"].startswith("fewer than") for t in traces)
    before = _places(traces)
    assert len(before) == well
    texts_before = [a["text"] for a in json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"].get("annotations",
                                                                                                      [])]
    next(t for t in at.toggle if t.label.startswith(f"Show the {thin:,} products")).set_value(True).run()
    grey = [t for t in _map_traces(at) if t["name"] == f"fewer than {THIN} buyers"]
    assert len(grey) == 1 and _points(grey[0]) == thin
    # The thin products join the map: the well-bought ones keep their places and the regions their names.
    assert _places(t for t in _map_traces(at) if t["name"] != grey[0]["name"]) == before
    texts = [a["text"] for a in json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"].get("annotations", [])]
    assert texts == texts_before
    words = [w for text in texts for w in text.split(" · ")]
    assert len(words) == len(set(words))  # no word repeated across the cluster labels


def test_each_map_region_is_named_by_its_category_its_words_or_its_best_seller():
    """The groceries baskets' regions read "abrasive · cocoa · decalcifier" (one product's rare word
    each), and a log of "Product N of category M" names left every region but one unnamed."""
    from gnnrec_core.serving.search import region_labels

    regions = np.repeat([0, 1, 2], 4)
    buyers = np.array([5, 50, 1, 2, 9, 3, 4, 1, 1, 7, 30, 2])
    names = pd.Series(["tin lid", "jar", "mug", "cup",  # region 0: a category holds three of four
                       "lunch bag red", "lunch bag pink", "lunch box", "bag charm",  # region 1: shared words
                       "whole milk", "abrasive cleaner", "cocoa drinks", "decalcifier"])  # region 2: neither
    categories = pd.Series(["Kitchen", "Kitchen", "Kitchen", None, *[None] * 8])
    labels = region_labels(names, regions, buyers, categories)
    assert labels[0] == "Kitchen"
    assert set(labels[1].split(" · ")[:2]) == {"lunch", "bag"}  # the words most of its names hold first
    assert labels[2] == "cocoa drinks"  # its best seller: no word is a fifth of its names
    synthetic = pd.Series([f"Product {i} of category {i // 4}" for i in range(12)])
    assert region_labels(synthetic, regions, buyers) == {0: "Product 1 of category 0", 1: "Product 4 of category 1",
                                                          2: "Product 10 of category 2"}


def test_a_category_names_one_region_only():
    """Two regions both mostly 'Kitchen' were both labelled so: one colour name for two places."""
    from gnnrec_core.serving.search import region_labels

    names = pd.Series(["tin", "jar", "mug", "cup", "bowl", "plate", "spoon", "fork"])
    categories = pd.Series(["Kitchen"] * 7 + ["Garden"])
    labels = region_labels(names, np.repeat([0, 1], 4), np.array([1, 2, 3, 4, 9, 1, 1, 1]), categories)
    assert labels == {0: "Kitchen", 1: "bowl"}  # region 1 (3 of 4 Kitchen) by its best seller


def test_a_volcano_of_many_pairs_draws_the_least_q_and_a_sample_and_says_so():
    """A year of invoices tests 847,585 pairs: every one drawn made a 40 MB figure, sent again on each
    rerun of the Compare page. Past 50,000 the chart draws the 25,000 of least q-value and a seeded
    sample of the rest, and its title and the page's caption say so; the table keeps every row."""
    from gnnrec_core.serving.plots import change_volcano, volcano_rows, volcano_words

    rng = np.random.default_rng(0)
    many = pd.DataFrame({"q_value": rng.random(120_000), "log2_ratio": rng.normal(size=120_000),
                         "status": "no clear change", "baskets_a": 3, "baskets_b": 4})
    drawn = volcano_rows(many)
    assert len(drawn) == len(np.unique(drawn)) == 50_000 and (np.diff(drawn) > 0).all()
    least = np.argsort(many["q_value"].to_numpy())[:25_000]
    assert set(least) <= set(drawn) and np.array_equal(drawn, volcano_rows(many))  # seeded: the same each rerun
    figure = change_volcano(many, pd.Series(["a + b"] * len(many)), 0.05, "Every pair tested")
    assert figure.layout.title.text == "Every pair tested (50,000 of 120,000 drawn)"
    assert sum(len(trace.x) for trace in figure.data) == 50_000
    assert volcano_words(120_000) == ("The chart draws 50,000 of the 120,000: the 25,000 of least q-value and a "
                                      "random 25,000 of the rest. The table below holds every one (its Show box "
                                      "picks the statuses).")
    few = many.head(1_000)
    assert len(volcano_rows(few)) == 1_000 and volcano_words(1_000) == ""
    assert change_volcano(few, pd.Series(["a + b"] * 1_000), 0.05, "Every pair tested").layout.title.text == (
        "Every pair tested")


def test_the_metrics_chart_says_orange_only_where_a_bar_is():
    """An EASE run's chart said "trained GNNs in orange" over grey bars alone."""
    from gnnrec_core.serving.plots import metrics_bars

    plain = pd.DataFrame({"model": ["pop", "ease"], "ndcg": [0.1, 0.2], "kind": ["", ""]})
    assert "orange" not in metrics_bars(plain, k=10).layout.title.text
    trained = pd.DataFrame({"model": ["pop", "lightgcn"], "ndcg": [0.1, 0.2], "kind": ["", "gnn"]})
    assert metrics_bars(trained, k=10).layout.title.text.endswith("(trained GNNs in orange)")


def test_a_run_without_product_vectors_offers_the_datasets_gnn_run(tmp_path, monkeypatch):
    """A filter run (`train --model gfcf`) made after a LightGCN run left the map a dead end; the page
    now offers the dataset's GNN run, and one click draws its map."""
    from gnnrec_core.models.gfcf import GFCF

    path = tmp_path / "orders.csv"
    generate(SyntheticConfig(interactions=1500, users=120, items=80, seed=2)).to_csv(path, index=False)
    result = ingest(path)
    dataset = prepare(result)
    store = Workspace(tmp_path / "ws")
    store.save_dataset("orders", result)
    matrix, users, items = dataset.interactions.matrix(), dataset.interactions.users, dataset.interactions.items
    gnn = store.save_run(Run(LightGCN(epochs=1, dim=8, auto=False, blend=False).fit(matrix), users, items,
                             RunInfo(DatasetRef("orders"), "lightgcn", ())))
    store.save_run(Run(GFCF().fit(matrix), users, items, RunInfo(DatasetRef("orders"), "gfcf", ())))
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    import pages.state
    from gnnrec_core.serving.projection import pca_2d

    monkeypatch.setattr(pages.state, "umap_2d", lambda vectors, *args, **kwargs: pca_2d(vectors))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/product_map.py").run()
    assert not at.exception and at.session_state["active_run"] != gnn  # the newest run, the filter's
    assert any("has no product vectors to map" in i.value and "This dataset has such a run" in i.value
               for i in at.info)
    assert not at.get("plotly_chart")
    next(b for b in at.button if b.label.startswith("Use LightGCN on orders")).click().run()
    assert not at.exception and at.session_state["active_run"] == gnn and at.get("plotly_chart")
    # The dataset saved again after the GNN run: that run is of other data, and is not offered
    store.save_dataset("orders", result, replace=True)
    store.save_run(Run(GFCF().fit(matrix), users, items, RunInfo(DatasetRef("orders"), "gfcf", ())))
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    again.switch_page("pages/product_map.py").run()
    assert not again.exception and any("Train one on the Train page" in i.value for i in again.info)
    assert not [b for b in again.button if b.label.startswith("Use ")]


def test_a_map_of_more_categories_than_hues_colours_the_largest_and_greys_the_rest():
    """20 grocery categories on 12 hues painted Meat as Alcohol and Dairy as Spices: the 11 largest
    each get a hue of their own, the rest one grey entry that says how many it holds."""
    from gnnrec_core.serving.plots import CLUSTER_PALETTE, OTHER_GREY, product_map

    counts = {f"aisle {i:02d}": 40 - i for i in range(20)}  # aisle 00 the largest
    category = [name for name, n in counts.items() for _ in range(n)]
    points = pd.DataFrame({"x": np.arange(len(category), dtype=float), "y": 0.0, "name": category,
                           "item": [str(i) for i in range(len(category))], "size": 1.0, "hover": "",
                           "category": category})
    traces = {t.name: t.marker.color for t in product_map(points, "category").data}
    hued = {name: colour for name, colour in traces.items() if colour != OTHER_GREY}
    assert sorted(hued) == [f"aisle {i:02d}" for i in range(11)] and len(set(hued.values())) == 11
    assert set(hued.values()) <= set(CLUSTER_PALETTE) and traces["other (9 category values)"] == OTHER_GREY
    few = points[points["category"].isin([f"aisle {i:02d}" for i in range(12)])]
    assert len({t.marker.color for t in product_map(few, "category").data}) == 12  # twelve: a hue each


def test_a_multi_genre_label_colours_and_names_the_map_by_its_first_genre():
    """Films' "Comedy|Romance" made 806 whole labels, coloured alike by the dozen, and regions named
    by best-selling titles: the map reads each by its first genre."""
    from gnnrec_core.serving.merchandising import first_categories
    from gnnrec_core.serving.search import region_labels

    genres = pd.Series(["Comedy|Romance", None, "Drama", "Comedy|Drama", " Drama | War", "Comedy"])
    assert first_categories(genres).tolist() == ["Comedy", None, "Drama", "Comedy", "Drama", "Comedy"]
    names = pd.Series([f"Film {i}" for i in range(6)])
    labels = region_labels(names, np.array([0, 0, 1, 0, 1, 1]), np.ones(6), first_categories(genres))
    assert labels == {0: "Comedy", 1: "Drama"}
