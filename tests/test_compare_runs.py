"""The Compare page's two runs: by default two runs on one dataset (the active run's), and a
warning where the two picked are on different datasets; every row named by its label."""

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from gnnrec_core import LABELS
from gnnrec_core.records import DatasetRef, ResultRow, RunInfo
from gnnrec_core.serving.explore import overlap_words
from gnnrec_core.serving.run_diff import blend_weights, blends_by_parts, runs_side_by_side
from gnnrec_core.serving.verdicts import advice_verdicts, trusted_model
from gnnrec_core.store import Workspace
from pages.widgets import thin_words


def test_compare_opens_on_one_dataset_and_warns_across_two(small_log, tmp_path, monkeypatch):
    """A new user's page opened on EASE on one dataset against EASE on another, with figures read
    as a change between models and rows named by code where one run alone had them."""
    workspace = tmp_path / "ws"
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    other = tmp_path / "other.csv"
    frame = pd.read_csv(small_log, dtype=str)
    frame[frame["CustomerID"].isin(frame["CustomerID"].unique()[:100])].to_csv(other, index=False)
    for data, models in ((small_log, ("gfcf", "itemknn,cooc")), (other, ("gfcf", "pop,cooc")),
                         (small_log, ("pop", "itemknn"))):
        made = run_cli("train", data, "--model", models[0], "--compare-with", models[1], "--workspace", workspace,
                       "--quiet")
        assert made.returncode == 0, made.stderr
    by_id = {r.run_id: r for r in Workspace(workspace).list_runs()}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/compare.py").run()
    boxes = {s.label: s.value for s in at.selectbox if s.label.startswith("Run ")}
    assert not at.exception and by_id[boxes["Run A"]].dataset.name == by_id[boxes["Run B"]].dataset.name
    assert not [w for w in at.warning if "other customers and products" in w.value]
    # Neighbourhoods that changed: products of fewer than 10 buyers, whose neighbours change by chance, are
    # marked thin and listed after the rest (products of 2-3 buyers led the list, a new user's report)
    # (the mark is the word "thin", not a read-only checkbox that looks like a control)
    changed = next(d.value for d in at.dataframe if "overlap" in d.value.columns)
    assert set(changed["thin"]) == {"thin", ""}
    thin = changed["thin"] == "thin"
    assert (thin == (changed["buyers"] < 10)).all()
    assert thin.is_monotonic_increasing
    assert changed[~thin]["overlap"].is_monotonic_increasing
    _the_command_line_compares_as_the_page_does(at, boxes, workspace, tmp_path)

    assert [c for c in at.get("plotly_chart") if "runs-bars" in str(c.proto.id)]  # two runs of one dataset: drawn
    across = next(r for r in by_id if by_id[r].dataset.name != by_id[boxes["Run B"]].dataset.name)
    next(s for s in at.selectbox if s.label == "Run A").set_value(across).run()
    assert not at.exception
    assert any("other customers and products, so their figures say nothing of which model is better" in w.value
               for w in at.warning)
    # Nor does the page go on to compare them: no bars of A against B, no change columns
    assert not [c for c in at.get("plotly_chart") if "runs-bars" in str(c.proto.id)]
    assert any("the two runs' figures are on different data" in str(c.value) for c in at.caption)
    figures = next(d for d in at.dataframe if "model" in d.value.columns)
    assert not [c for c in figures.proto.column_order if "change" in c]
    # The active run alone on its dataset: the page opens on two runs of one dataset, not across two.
    lone = next(r for r in by_id if by_id[r].dataset.name == "other")
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    fresh.session_state["active_run"] = lone
    fresh.run().switch_page("pages/compare.py").run()
    paired = {s.label: s.value for s in fresh.selectbox if s.label.startswith("Run ")}
    assert {by_id[paired["Run A"]].dataset.name, by_id[paired["Run B"]].dataset.name} == {"small"}
    assert not [w for w in fresh.warning if "other customers and products" in w.value]
    # The Recommendations page's second model: the verdicts' trusted model, else the run's best other row on
    # validation (Popularity, first in the list, was a new user's default).
    gfcf_run = next(r for r in by_id.values() if r.model == "gfcf" and r.dataset.name == "small")
    best_other = max((r for r in gfcf_run.results if r.model != "gfcf"), key=lambda r: r.valid_ndcg).model
    recs = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    recs.session_state["active_run"] = gfcf_run.run_id
    recs.run().switch_page("pages/recommendations.py").run()
    second = next(s for s in recs.selectbox if s.label == "Compare with")
    assert trusted_model(advice_verdicts(gfcf_run)[0], "gfcf") is None  # GF-CF ahead of both: none trusted over it
    assert not recs.exception and second.value == best_other == "cooc"  # validation 0.018 against item-kNN's 0.003
    labels = set(LABELS.values())
    assert set(at.dataframe[0].value["model"]) <= labels  # cooc or itemknn, in one run alone: named all the same

    # Two datasets: each figure in words and formatted (it showed "user_item_pairs" and 0.0200...).
    next(r for r in at.radio if r.label == "Compare").set_value("Two datasets").run()
    assert not at.exception
    figures = at.dataframe[0].value.set_index("figure")
    assert list(figures.columns) == ["A: small", "B: other"]
    assert figures.loc["Customers"].tolist() == ["148", "99"]  # cleaning dropped customers with only returns
    assert figures.loc["Density", "B: other"].endswith("%")
    assert not [f for f in figures.index if "_" in f]

    # The sidebar keeps the active run and dataset together (a new user picked another dataset's run
    # and the Recommendations page showed one dataset's customer beside the other's products). AppTest
    # does not list the sidebar's selectors under st.navigation, so their callbacks are called as a pick would.
    import streamlit as st

    from pages import widgets

    runs = Workspace(workspace).list_runs()
    st.session_state.update({"active_dataset": by_id[boxes["Run B"]].dataset.name, "active_run": boxes["Run B"]})
    widgets._follow("active_dataset", by_id[across].dataset.name, {r.dataset.name for r in runs})  # a run picked
    assert st.session_state["active_dataset"] == by_id[across].dataset.name
    st.session_state["active_run"] = across
    home = by_id[boxes["Run B"]].dataset.name
    widgets.follow_dataset(home, runs)  # a dataset picked: its newest run comes with it
    assert st.session_state["active_run"] == next(r.run_id for r in runs if r.dataset.name == home)


def _the_command_line_compares_as_the_page_does(at: AppTest, boxes: dict, workspace, tmp_path) -> None:
    """`compare-runs A B`: the page's table row by row, its neighbourhoods' overlap, and its warning
    for runs on two datasets."""
    import json

    out = tmp_path / "compare.json"
    typed = run_cli("compare-runs", boxes["Run A"], boxes["Run B"], "--workspace", workspace, "--json", out)
    assert typed.returncode == 0, typed.stderr
    found = json.loads(out.read_text())
    shown = next(d.value for d in at.dataframe if "test nDCG A" in d.value.columns)
    rows = pd.DataFrame(found["rows"])
    assert list(rows["model"]) == list(shown["model"])
    for column in ("validation nDCG A", "validation nDCG B", "test nDCG A", "test nDCG B", "test nDCG change"):
        pd.testing.assert_series_equal(rows[column].astype(float), shown[column].astype(float), check_names=False)
    said = next(m.value for m in at.metric if m.label.startswith("Mean overlap"))
    assert overlap_words(found["neighbour_overlap"]) == said and found["comparable"] and not found["notes"]
    assert overlap_words(0.9966) == "0.996" and overlap_words(1.0) == "1.000"  # never 1 where a list changed
    assert found["same_data"] and found["same_split"] and found["same_k"]
    assert f"(Jaccard) {said}, over" in typed.stdout
    missing = rows[["test nDCG A", "test nDCG B"]].isna().to_numpy().any()  # a row one run alone has
    assert ("'-': that run has no such row" in typed.stdout) == missing
    by_id = {r.run_id: r for r in Workspace(workspace).list_runs()}
    across = next(r for r in by_id if by_id[r].dataset.name != by_id[boxes["Run B"]].dataset.name)
    other = run_cli("compare-runs", across, boxes["Run B"], "--workspace", workspace, "--json", tmp_path / "x.json")
    assert other.returncode == 0 and "other customers and products, so their figures say nothing" in other.stdout
    assert "chg" not in other.stdout and "val. A" in other.stdout  # each run's figures, no change (as the page)
    assert not [key for row in json.loads((tmp_path / "x.json").read_text())["rows"] for key in row if "change" in key]
    unknown = run_cli("compare-runs", "nope", boxes["Run B"], "--workspace", workspace)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: RUN_A: expected a saved run 'nope', found none")
    assert "saved runs, newest first: " in unknown.stderr


def _pop_run(workspace: Workspace, name: str, result, **info) -> str:
    """`result` saved as dataset `name` with a Popularity run on it (RunInfo fields in `info`): its id."""
    from gnnrec_core.models import MODELS
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.store import Run

    workspace.save_dataset(name, result)
    data = prepare(result)
    model = MODELS["pop"]().fit(data.interactions.matrix())
    return workspace.save_run(Run(model, data.interactions.users, data.interactions.items,
                                  RunInfo(DatasetRef(name), "pop", results=(_row("pop", 0.1),), **info)))


def _two_runs_page(runs: list[str]) -> AppTest:
    """Compare › Two runs with `runs` as A and B."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["active_run"] = runs[0]
    at.run().switch_page("pages/compare.py").run()
    next(s for s in at.selectbox if s.label == "Run A").set_value(runs[0]).run()
    next(s for s in at.selectbox if s.label == "Run B").set_value(runs[1]).run()
    return at


def _row(model: str, ndcg: float, blend: dict[str, float] | None = None) -> ResultRow:
    return ResultRow(model=model, ndcg=ndcg, precision=0.1, recall=0.2, map=0.1, hit_rate=0.3, coverage=0.5,
                     train_seconds=1.0, valid_ndcg=ndcg, blend=blend or {})


def test_two_names_for_the_same_data_are_compared_without_a_warning(small_log, tmp_path, monkeypatch):
    """One upload saved under two names (the CLI's and the Data page's) is the same customers and
    products: the page said 'other customers and products' of them."""
    from gnnrec_core import ingest

    workspace = Workspace(tmp_path / "ws")
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    result = ingest(small_log)
    runs = [_pop_run(workspace, name, result) for name in ("groceries", "groceries-ui")]
    at = _two_runs_page(runs)
    assert not at.exception and not [w for w in at.warning if "other customers and products" in w.value]
    assert any("two names for the same data" in c.value for c in at.caption)


def test_two_runs_share_a_blend_row_only_where_they_blend_the_same_parts():
    """A new user saw run A's LightGCN + graph filter + popularity and run B's LightGCN + graph filter
    set side by side as one "LightGCN + blend" row. Same parts (other weights) share a row; the weights
    are said per run."""
    a = RunInfo(DatasetRef("shop"), "lightgcn", (
        _row("lightgcn", 0.10), _row("lightgcn", 0.12, {"filter": 4.0, "popularity": 0.1}), _row("ease", 0.11)))
    b = RunInfo(DatasetRef("shop"), "lightgcn", (
        _row("lightgcn", 0.09), _row("lightgcn", 0.13, {"filter": 2.0, "popularity": 0.0}), _row("ease", 0.11)))
    c = RunInfo(DatasetRef("shop"), "lightgcn", (_row("lightgcn", 0.09), _row("lightgcn", 0.14, {"filter": 1.0})))
    merged = runs_side_by_side(blends_by_parts(a), blends_by_parts(b))
    assert merged["model"].tolist()[:3] == ["LightGCN", "LightGCN + graph filter + popularity", "EASE"]  # A's order
    merged = merged.set_index("model")
    assert merged.loc["LightGCN + graph filter + popularity", "test nDCG A"] == 0.12
    assert pd.isna(merged.loc["LightGCN + graph filter + popularity", "test nDCG B"])  # B blends no popularity
    assert merged.loc["LightGCN + graph filter", "test nDCG B"] == 0.13
    assert pd.isna(merged.loc["LightGCN + graph filter", "test nDCG A"])
    assert merged.loc["LightGCN", "test nDCG change"] == pytest.approx(-0.01)
    assert merged.loc["EASE", "test nDCG change"] == 0
    same = runs_side_by_side(blends_by_parts(b), blends_by_parts(c)).set_index("model")
    assert same.loc["LightGCN + graph filter", "test nDCG change"] == pytest.approx(0.01)  # x2 against x1: one row
    assert blend_weights(a) == ["LightGCN + graph filter x4 + popularity x0.1"]


def test_a_table_with_no_thin_row_has_no_thin_column():
    """An always-empty 'thin' column in the rules and pairs tables was read as broken (a new user)."""
    frame = pd.DataFrame({"name": ["a", "b"], "thin": [False, False]})
    assert list(thin_words(frame).columns) == ["name"]
    assert thin_words(frame.assign(thin=[True, False]))["thin"].tolist() == ["thin", ""]
    assert frame["thin"].tolist() == [False, False]  # the download's frame keeps its True/False


def test_neighbourhoods_that_changed_read_products_above_the_buyer_floor():
    """Compare › Two runs listed products of one or two buyers first (their neighbours change by
    chance); each run now reads only products with its floor of buyers (min_evidence: 2 here), among
    themselves, as the Product neighbourhood page does."""
    import numpy as np
    import scipy.sparse as sp

    from gnnrec_core import MODELS
    from gnnrec_core.serving.explore import compare_neighbours

    rng = np.random.default_rng(0)
    dense = (rng.random((60, 8)) < 0.5).astype(np.float32)
    dense[:, 7] = 0
    dense[3, 7] = 1  # product 7: one buyer
    items = np.array([f"p{i}" for i in range(8)])
    a = MODELS["itemknn"]().fit(sp.csr_matrix(dense))
    b = MODELS["cooc"]().fit(sp.csr_matrix(dense))
    changes = compare_neighbours(a, items, b, items, k=3)
    assert changes.attrs["min_buyers"] == (2, 2)
    assert set(changes["item"]) == {f"p{i}" for i in range(7)}  # p7 left out, as anchor and as neighbour
    assert not any("p7" in names for column in ("gained", "lost") for names in changes[column])
    lonely = sp.csr_matrix(np.eye(10, 8, dtype=np.float32))  # every product one buyer: none reaches the floor
    none_left = compare_neighbours(MODELS["itemknn"]().fit(lonely), items, MODELS["cooc"]().fit(lonely), items)
    assert none_left.empty and none_left.attrs["min_buyers"] == (2, 2)  # the page says which floor


def test_one_log_with_a_column_more_is_the_same_data_and_the_settings_that_differ_are_shown(
        small_log, tmp_path, monkeypatch):
    """The same order lines saved again with a Country column: another dataset, the same customers,
    products and interactions, so no 'other customers and products' warning; and what the two runs
    were asked to do differently (here the weighting and seed) is on the page."""
    from gnnrec_core import ingest
    from gnnrec_core.serving.run_diff import run_settings
    from gnnrec_core.store import Run

    workspace = Workspace(tmp_path / "ws")
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    frame = pd.read_csv(small_log, dtype=str)
    with_country = tmp_path / "with_country.csv"
    frame.assign(Country=["UK", "FR"] * (len(frame) // 2) + ["UK"] * (len(frame) % 2)).to_csv(with_country, index=False)
    runs = [_pop_run(workspace, "orders", ingest(small_log), weighting="binary", seed=0),
            _pop_run(workspace, "orders with country", ingest(with_country), weighting="count", seed=1)]
    marks = {d["name"]: d["fingerprint"] for d in workspace.list_datasets()}
    assert marks["orders"] != marks["orders with country"]  # two datasets by their content
    at = _two_runs_page(runs)
    assert not at.exception and not [w for w in at.warning if "other customers and products" in w.value]
    assert any("hold the same customers, products and interactions" in c.value for c in at.caption)
    differs = at.table[0].value
    assert set(differs.index) == {"run", "dataset", "weighting", "seed"}
    assert differs.loc["weighting"].tolist() == ["binary", "count"]
    infos = [workspace.load_run(r).info for r in runs]
    assert not run_settings(infos[0], infos[0])["differs"].any()
    assert not [w for w in at.warning if "different splits" in w.value]
    # A run of one dataset on a time split against one on a random split: their test sets differ, said so.
    loaded = workspace.load_run(runs[0])
    timed = workspace.save_run(Run(loaded.model, loaded.users, loaded.items, RunInfo(
        DatasetRef("orders"), "pop", results=(_row("pop", 0.2),), split={"method": "time", "test_size": 0.25})))
    at.run()  # the new run among the choices
    next(s for s in at.selectbox if s.label == "Run A").set_value(runs[0]).run()
    next(s for s in at.selectbox if s.label == "Run B").set_value(timed).run()
    assert not at.exception and any("scored on different splits" in w.value for w in at.warning)
    # Nor are they set against each other: a new user's page drew bars of A against B and change columns
    assert not [c for c in at.get("plotly_chart") if "runs-bars" in str(c.proto.id)]
    assert any("the two runs' figures are on different splits" in str(c.value) for c in at.caption)
    figures = next(d for d in at.dataframe if "model" in d.value.columns)
    assert not [c for c in figures.proto.column_order if "change" in c]
    # The same interactions under two names, split with two seeds: said to compare, so the split is said too.
    reseeded = workspace.save_run(Run(loaded.model, loaded.users, loaded.items, RunInfo(
        DatasetRef("orders with country"), "pop", results=(_row("pop", 0.2),), split={"method": "random",
                                                                                        "seed": 1})))
    at.run()
    next(s for s in at.selectbox if s.label == "Run B").set_value(reseeded).run()
    assert any("hold the same customers, products and interactions" in c.value for c in at.caption)
    assert any("scored on different splits" in w.value for w in at.warning)


def test_the_settings_table_words_a_cut_last_epoch_as_every_screen_does():
    """A run whose deadline cut its third epoch at 60% trained 2 epochs and 60% of another (its tuning record holds
    the share): the two-runs settings table says so, not '3'; a model that trains none shows '-'.
    The run's own `epochs` is the best epoch (2 here), shown as the weights kept, not as epochs trained."""
    from dataclasses import replace

    from gnnrec_core.records import Tuning
    from gnnrec_core.serving.run_diff import run_settings

    tuning = Tuning(chosen={}, epochs=3, last_epoch_share=0.6)
    cut = RunInfo(DatasetRef("orders"), "lightgcn", results=(replace(_row("lightgcn", 0.3), tuning=tuning),), epochs=2)
    untrained = RunInfo(DatasetRef("orders"), "pop", results=(_row("pop", 0.2),))
    table = run_settings(cut, untrained).set_index("setting")
    assert table.loc["epochs trained", "run A"] == "2 epochs and 60% of another"
    assert table.loc["epochs trained", "run B"] == "-"
    assert table.loc["weights kept from (best on validation)"].tolist()[:2] == ["epoch 2", "-"]
    budgeted = replace(cut, settings={"time_budget": 12.0})  # a setting one run was given: the other's default, said
    assert run_settings(budgeted, cut).set_index("setting").loc["time budget"].tolist()[:2] == ["12", "default (90)"]


def test_compare_runs_says_where_figures_do_not_compare_and_refuses_a_damaged_run(small_log, tmp_path):
    """Runs scored at nDCG@5 and @10 read as a change of model; two time splits of two seeds were
    called 'different splits' (a time cut has no seed); a damaged run was reported as missing."""
    import json
    import shutil

    from gnnrec_core import ingest
    from gnnrec_core.models import MODELS
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.run_diff import run_settings
    from gnnrec_core.store import Run

    workspace = Workspace(tmp_path / "ws")
    result = ingest(small_log)
    workspace.save_dataset("small", result)
    data = prepare(result)
    model = MODELS["pop"]().fit(data.interactions.matrix())
    time_split = {"method": "time", "test_size": 0.25}
    five, ten = (workspace.save_run(Run(model, data.interactions.users, data.interactions.items, RunInfo(
        DatasetRef("small"), "pop", results=(_row("pop", 0.1),), k=k, split=time_split | {"seed": seed})))
        for k, seed in ((5, 0), (10, 1)))
    settings = run_settings(workspace.load_run(five).info, workspace.load_run(ten).info).set_index("setting")
    assert not settings.loc["split", "differs"] and settings.loc["cut-off (nDCG@k)", "differs"]
    out = tmp_path / "compare.json"
    typed = run_cli("compare-runs", five, ten, "--workspace", workspace.root, "--json", out)
    assert typed.returncode == 0, typed.stderr
    assert "note: run A is scored at nDCG@5, run B at nDCG@10: their figures are not the same measure" in typed.stdout
    found = json.loads(out.read_text())
    assert "different splits" not in typed.stdout and len(found["notes"]) == 1
    assert "chg" not in typed.stdout and not [key for row in found["rows"] for key in row if "change" in key]
    # Lists longer than the products compared hold them all: an overlap of 1.00 said of nothing
    every = run_cli("compare-runs", five, ten, "--workspace", workspace.root, "--k", "5000", "--json", out)
    assert every.returncode == 0, every.stderr
    assert "so the overlap is 1 by construction; a smaller --k compares the neighbourhoods" in every.stdout
    assert any("by construction" in note for note in json.loads(out.read_text())["notes"])
    assert "by construction" not in typed.stdout
    # A script reads the same: the figures do not compare, and why (a new user's script read "comparable": true)
    assert (found["comparable"], found["same_data"], found["same_split"], found["same_k"]) == (False, True, True, False)
    damaged = workspace.root / "runs" / "damaged"
    shutil.copytree(workspace.root / "runs" / ten, damaged)
    next(p for p in damaged.iterdir() if p.name.startswith("model")).unlink()
    refused = run_cli("compare-runs", five, "damaged", "--workspace", workspace.root)
    assert refused.returncode == 2 and "damaged" in refused.stderr and "Traceback" not in refused.stderr
