"""A log of codes alone (a check-in export: customer, place, time) gives the feature-aware GCN nothing
to read: it ran in every default table without a word, scoring below popularity on one such log, and
the Neighbourhood page told the user to train it to place new products from rows the data lacks."""

import json

import pandas as pd
from test_cli import run_cli

from gnnrec_core.data.catalogue import FEATURELESS_NOTE, describes_products


def test_benchmark_says_the_feature_gcn_had_no_features_to_read(small_log, tmp_path):
    codes = tmp_path / "checkins.csv"
    frame = pd.read_csv(small_log, dtype=str)
    frame[["CustomerID", "StockCode", "InvoiceDate"]].set_axis(["user", "venue_id", "time"], axis=1).assign(
        venue_id=lambda f: "p" + f["venue_id"].factorize()[0].astype(str)).to_csv(codes, index=False)
    notes = {}
    for name, path, models in (("codes", codes, "pop,gcn"), ("sample", small_log, "pop,gcn"),
                               ("codes, no gcn", codes, "pop,itemknn")):  # said only where a model reads features
        out = tmp_path / f"{name}.json"
        budget = ("--time-budget", "2") if "gcn" in models else ()
        done = run_cli("benchmark", path, "--models", models, *budget, "--json", out)
        assert done.returncode == 0, done.stderr
        notes[name] = json.loads(out.read_text())["notes"]
        assert (FEATURELESS_NOTE in done.stdout) == (name == "codes")
    assert FEATURELESS_NOTE in notes["codes"] and FEATURELESS_NOTE not in notes["sample"] + notes["codes, no gcn"]
    # train (the Train page's run) and basket-eval say it too
    trained = run_cli("train", codes, "--model", "gcn", "--compare-with", "pop", "--time-budget", "2",
                      "--workspace", tmp_path / "ws", "--quiet")
    completed = run_cli("basket-eval", codes, "--models", "pop,gcn", "--time-budget", "2")
    for done in (trained, completed):
        assert done.returncode == 0 and FEATURELESS_NOTE in done.stdout, done.stderr


def test_a_catalogue_describes_its_products_by_names_categories_or_prices():
    codes = pd.DataFrame({"name": ["p1", "p2"], "category": [None, None], "price": [None, None]}, index=["p1", "p2"])
    assert not describes_products(codes)
    assert describes_products(codes.assign(category=[None, "Cafe"]))
    assert describes_products(codes.assign(price=[2.5, None]))
    assert describes_products(codes.assign(name=["Blue Mug", "Red Mug"]))


def test_the_neighbourhood_page_says_the_data_gives_no_row_to_place_from(small_log, tmp_path, monkeypatch):
    """It said to train the feature-aware GCN, which places a new product from a catalogue row the data lacks."""
    from test_app import _app, _texts

    codes = tmp_path / "checkins.csv"
    pd.read_csv(small_log, dtype=str)[["CustomerID", "StockCode"]].set_axis(["user", "venue_id"], axis=1).assign(
        venue_id=lambda f: "p" + f["venue_id"].factorize()[0].astype(str)).to_csv(codes, index=False)
    done = run_cli("train", codes, "--model", "pop", "--workspace", tmp_path / "ws")
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    at = _app().run()
    at.switch_page("pages/neighbourhood.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "and this data gives none: upload a catalogue with the log on the Data page" in _texts(at)
