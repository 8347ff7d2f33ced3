"""RP3beta, the random-walk filter (models/rp3beta.py): its scores against the paper's formula
computed densely, its search's candidates against the walk pruned once, and what the grid-searched
filters (models/grid_filter.py: RP3beta, Turbo-CF) keep of their choice in a saved model."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import communities

from gnnrec_core.models import MODELS, Recommender
from gnnrec_core.models.rp3beta import RP3beta, walk_graph


@pytest.mark.parametrize("neighbours", [0, 3])
def test_rp3beta_scores_are_the_papers_three_step_walk(neighbours):
    """W = (D_i^-1 R^T)^a (D_u^-1 R)^a D_i^-b with a zero diagonal, each row's `neighbours` largest
    kept, computed densely from the paper's formula on weighted interactions."""
    rng = np.random.default_rng(3)
    train = sp.random(30, 12, density=0.35, random_state=3, format="csr", dtype=np.float32)
    train.data = rng.integers(1, 4, train.nnz).astype(np.float32)
    dense = train.toarray().astype(np.float64)
    user_degree, item_degree = dense.sum(1), dense.sum(0)
    to_item = (dense / np.where(user_degree > 0, user_degree, 1.0)[:, None]) ** 0.7
    to_user = (dense.T / np.where(item_degree > 0, item_degree, 1.0)[:, None]) ** 0.7
    walk = to_user @ to_item * np.where(item_degree > 0, item_degree, 1.0) ** -0.4
    np.fill_diagonal(walk, 0.0)
    if neighbours:
        walk[np.arange(12)[:, None], np.argsort(-walk, axis=1)[:, neighbours:]] = 0.0
    model = RP3beta(power=0.7, discount=0.4, neighbours=neighbours).fit(train)
    assert np.allclose(model.item_item(np.arange(12)), walk, atol=1e-6)
    assert np.allclose(model.score_history(train[:5]), dense[:5] @ walk, atol=1e-5)


def test_rp3beta_searches_each_neighbour_count_as_the_walk_pruned_to_it():
    """The search prunes each smaller neighbour count from the next larger; every candidate is the
    walk pruned once to its count, ties (integer weights) included."""
    train = communities(users_each=15, items_each=8, bought=4, groups=3)
    grid = {"power": (0.5, 1.0), "discount": (0.3,), "neighbours": (2, 5, 0)}
    for settings, candidate in RP3beta()._candidates(train, grid):
        alone = walk_graph(train, settings["power"], settings["discount"], settings["neighbours"] or None)
        assert (candidate.linear_ != alone).nnz == 0 and candidate.linear_.nnz == alone.nnz


@pytest.mark.parametrize("name", ["rp3beta", "turbocf"])
def test_a_saved_grid_filter_keeps_its_choice_and_scores(name, planted, tmp_path):
    model = MODELS[name](seed=0).fit(planted)
    loaded = Recommender.load(model.save(tmp_path / f"{name}.npz"))
    assert loaded.tuning().chosen == model.tuning().chosen and loaded.tuning().candidates == 1
    assert all(type(value) is type(model.tuning().chosen[key]) for key, value in loaded.tuning().chosen.items())
    assert np.array_equal(loaded.score(np.arange(40)), model.score(np.arange(40)))


def test_a_gnns_walk_part_is_its_rows_walk_in_a_run_and_is_saved_with_its_settings(planted, tmp_path, monkeypatch):
    """A GNN blended with RP3beta holds the walk the RP3beta row chose, computed once in a run
    (shared_parts.sharing); saved and loaded it scores the same, and refitted on another graph it
    walks that graph with the same settings."""
    from gnnrec_core.models import LightGCN, rp3beta
    from gnnrec_core.models.rp3beta import WalkFilter
    from gnnrec_core.models.shared_parts import sharing

    walks, walk = [], rp3beta.walk_graph
    monkeypatch.setattr(rp3beta, "walk_graph", lambda *args: walks.append(args[1:]) or walk(*args))
    with sharing():
        row = RP3beta(seed=0).fit(planted)
        searched = len(walks)
        part = WalkFilter(**row.chosen_).fit(planted)
    assert len(walks) == searched and (part.linear_ != row.filter_.linear_).nnz == 0  # the row's walk, not a new one
    model = LightGCN(dim=8, epochs=2, auto=False, blend=False).fit(planted)
    model.tuning_ = {"blend": {"rp3beta": 0.5, "popularity": 0.0}}
    model.filter_, model.popularity_ = part, None
    loaded = Recommender.load(model.save(tmp_path / "blended.npz"))
    assert loaded.blend_weights == {"rp3beta": 0.5, "popularity": 0.0}
    assert isinstance(loaded.filter_, WalkFilter) and loaded.filter_.settings().tolist() == part.settings().tolist()
    assert np.allclose(loaded.score(np.arange(40)), model.score(np.arange(40)), atol=1e-5)
    alone = Recommender.load(model.without_blend().save(tmp_path / "alone.npz"))  # the walk kept, weighted 0
    assert np.allclose(alone.score(np.arange(40)), model.without_blend().score(np.arange(40)), atol=1e-5)
    fewer = planted.tolil()
    fewer[0, fewer[0].nonzero()[1]] = 0
    fewer = sp.csr_matrix(fewer)
    fewer.eliminate_zeros()
    model.refit_graph(fewer)
    settings = (row.chosen_["power"], row.chosen_["discount"], row.chosen_["neighbours"] or None)
    assert (model.filter_.linear_ != walk_graph(fewer, *settings)).nnz == 0 and model.filter_.linear_.nnz


@pytest.mark.parametrize("gfcf_figure, walk_figure, chosen", [(0.5, 0.4, "gfcf"), (0.4, 0.4, "gfcf"),
                                                               (0.4, 0.5, "rp3beta")])
def test_the_blend_takes_the_filter_whose_search_scored_higher(planted, monkeypatch, gfcf_figure, walk_figure, chosen):
    """GF-CF where its search scored higher or level, RP3beta where the walk's did: recorded with both
    figures, served under its own part's name and as its own kind of filter."""
    from gnnrec_core.models import LightGCN, embedding
    from gnnrec_core.models.graph_filter import GraphFilter
    from gnnrec_core.models.registry import filter_part
    from gnnrec_core.models.rp3beta import WalkFilter

    figures = {embedding.GFCF: gfcf_figure, embedding.RP3beta: walk_figure}
    for kind in figures:
        def scored(self, *args, fit=kind.fit, kind=kind, **kwargs):
            fitted = fit(self, *args, **kwargs)
            fitted.valid_ndcg_ = figures[kind]  # what its search scored, set here
            return fitted

        monkeypatch.setattr(kind, "fit", scored)
    model = LightGCN(time_budget=10, dim=8, epochs=3, seed=0).fit(planted)
    record = model.tuning().blend_filter
    assert record["model"] == chosen and record["valid_ndcg"] == {"gfcf": gfcf_figure, "rp3beta": walk_figure}
    part, weight = filter_part(model.blend_weights)
    assert weight > 0 and part == ("filter" if chosen == "gfcf" else "rp3beta")  # the planted filter helps
    assert isinstance(model.filter_, WalkFilter if chosen == "rp3beta" else GraphFilter)
