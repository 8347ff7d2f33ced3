"""Interaction weights reach training: on a case built so that binary weighting ties, the
weighted strength breaks the tie the right way for every model that can use weights."""

import numpy as np
import pandas as pd
import pytest

from gnnrec_core.matrix.interactions import InteractionConfig, build_interactions, split, strength
from gnnrec_core.models import EASE, Cooccurrence, ItemKNN, LightGCN, Popularity


def _events(big_quantity: int = 10) -> pd.DataFrame:
    """Pairs (A, X) and (B, Y) each bought together by their own customers, mirror images of
    each other. Customer t bought A in bulk and B once: only the quantity tells X from Y."""
    rows = []
    for group, (first, second) in enumerate((("A", "X"), ("B", "Y"))):
        for n in range(6):
            rows += [(f"g{group}u{n}", first, 1), (f"g{group}u{n}", second, 1)]
    rows += [("t", "A", big_quantity), ("t", "B", 1)]
    frame = pd.DataFrame(rows, columns=["user", "item", "quantity"])
    return frame.assign(time=pd.NaT, event=None, rating=np.nan)


def _scores_for_t(model_class, weighting: str, **settings) -> dict[str, float]:
    data = build_interactions(_events(), InteractionConfig(weighting=weighting))
    model = model_class(**settings).fit(data.matrix())
    scores = model.score(np.array([data.user_lookup()["t"]]))[0]
    return {str(item): float(scores[i]) for i, item in enumerate(data.items)}


@pytest.mark.parametrize("model_class,settings", [(ItemKNN, {}), (Cooccurrence, {}), (EASE, {"l2": 1.0})])
def test_bulk_purchase_pulls_its_partner_ahead(model_class, settings):
    binary = _scores_for_t(model_class, "binary", **settings)
    weighted = _scores_for_t(model_class, "quantity", **settings)
    assert weighted["X"] - weighted["Y"] > 1e-3  # A was bought ten times: its partner X comes first
    assert abs(binary["X"] - binary["Y"]) < abs(weighted["X"] - weighted["Y"]) / 2  # binary nearly ties


def test_lightgcn_learns_the_bulk_purchase_as_the_stronger_tie():
    # The softmax loss takes each user's strengths as its target distribution: t's A (ten units)
    # must come out well above its B (one unit); binary weighting leaves them level.
    settings = {"dim": 16, "epochs": 60, "auto": False, "blend": False}
    binary = _scores_for_t(LightGCN, "binary", **settings)
    weighted = _scores_for_t(LightGCN, "quantity", **settings)
    assert weighted["A"] - weighted["B"] > 0.5 and abs(binary["A"] - binary["B"]) < 0.1


def test_popularity_by_strength():
    frame = pd.DataFrame({"user": ["a", "b", "c"], "item": ["P", "P", "Q"], "quantity": [1, 1, 50]})
    frame = frame.assign(time=pd.NaT, event=None, rating=np.nan)
    for weighting, first in (("binary", "P"), ("quantity", "Q")):  # two buyers, or 50 units
        data = build_interactions(frame, InteractionConfig(weighting=weighting))
        counts = Popularity().fit(data.matrix()).counts_
        assert str(data.items[int(np.argmax(counts))]) == first


def test_strength_is_one_per_unit_and_test_relevance_stays_binary():
    assert np.allclose(strength(np.array([1.0, 3.0, 1023.0])), [1.0, 2.0, 10.0])
    frame = pd.DataFrame({"user": [f"u{i // 6}" for i in range(60)], "item": [f"p{i % 9}" for i in range(60)],
                          "quantity": np.arange(60) % 7 + 1}).assign(time=pd.NaT, event=None, rating=np.nan)
    parts = split(build_interactions(frame, InteractionConfig(weighting="quantity")))
    assert set(np.unique(parts.test.data)) == {1.0} and len(np.unique(parts.train.data)) > 1


def test_the_dashboards_run_trains_on_the_chosen_weighting(tmp_path):
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment

    rows = [(f"o{i}", f"p{(i * 7 + j) % 9}", f"u{i % 6}", 1 + (i + j) % 4) for i in range(40) for j in range(3)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id", "quantity"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    for weighting, distinct in (("binary", {1.0}), ("quantity", set(strength(np.arange(1, 13)).tolist()))):
        run = run_experiment(dataset, ExperimentConfig(model="itemknn", baselines=("pop",), weighting=weighting))
        assert set(run.model.train_.data.tolist()) <= distinct and len(set(run.model.train_.data.tolist())) > (
            weighting != "binary")


def test_buyers_of_both_are_customers_whatever_the_weighting():
    """With quantity weights, a product of weights was shown as 'buyers of both': 715 against 89
    buyers of the product itself. Six customers bought A with X; t bought A ten times, and X never."""
    from gnnrec_core.serving.explore import buyers_of_both

    data = build_interactions(_events(big_quantity=10), InteractionConfig(weighting="quantity"))
    model = Popularity().fit(data.matrix())
    index = {str(item): i for i, item in enumerate(data.items)}
    assert buyers_of_both(model, [index["X"], index["B"]], index["A"]).tolist() == [6, 1]
