"""Turbo-CF (models/turbocf.py) against its formulas by dense numpy on tiny graphs: the paper's
filters, the widened search's second order on the scaled graph, the shared product its weights are
cut from, and a run saved before the search was widened."""

import numpy as np
import pytest
import scipy.sparse as sp
from test_filters import _dense_parts, _tiny

from gnnrec_core.models.graph_filter import polynomial
from gnnrec_core.models.row_pruning import prune_rows
from gnnrec_core.models.turbocf import TurboCF, second_orders, top_eigenvalue


@pytest.mark.parametrize("kind, polynomial_of", [(1, lambda p: p), (2, lambda p: 2 * p - p @ p),
                                                 (3, lambda p: p + 0.01 * (-p @ p @ p + 10 * p @ p - 29 * p))])
def test_turbocf_scores_are_the_papers_polynomial_of_the_powered_graph(kind, polynomial_of):
    train = _tiny()
    r, p, _ = _dense_parts(train, exponent=0.6)
    model = TurboCF(exponent=0.6, power=0.7, filter=kind, neighbours=None, product_neighbours=None).fit(train)
    assert np.allclose(model.score_history(train[:6]), r[:6] @ polynomial_of(p ** 0.7), atol=1e-4)


def test_turbocf_searched_filter_is_the_second_order_of_the_graph_scaled_to_its_top_eigenvalue():
    """Filter 0, the default: P^ - c P^^2, P^ the powered graph of D_u^-a R D_i^-b over its largest
    eigenvalue, the exponents apart (a = 0.25, b = 0.5 here; the paper ties b = 1 - a)."""
    train = _tiny()
    r = train.toarray().astype(np.float64)
    normalised = (r.sum(1)[:, None] ** -0.25) * r * (r.sum(0)[None, :] ** -0.5)
    powered = (normalised.T @ normalised) ** 0.7
    scaled = powered / np.max(np.abs(np.linalg.eigvalsh(powered)))
    model = TurboCF(exponent=0.25, item_exponent=0.5, power=0.7, sharpen=0.75, neighbours=None,
                    product_neighbours=None).fit(train)
    assert np.allclose(model.score_history(train[:6]), r[:6] @ (scaled - 0.75 * scaled @ scaled), atol=1e-4)
    assert model.tuning().chosen == {"exponent": 0.25, "power": 0.7, "filter": 0, "item_exponent": 0.5,
                                     "sharpen": 0.75}


def test_top_eigenvalue_of_a_row_pruned_graph_is_its_perron_root():
    graph = sp.random(50, 50, density=0.2, random_state=3, format="csr", dtype=np.float32)
    graph = prune_rows(graph + graph.T, 4)  # pruned row by row: no longer symmetric
    assert top_eigenvalue(graph) == pytest.approx(max(abs(np.linalg.eigvals(graph.toarray()))), rel=1e-3)


def test_a_turbocf_run_saved_before_the_search_was_widened_loads_with_the_papers_settings(planted):
    """Its saved choice holds (exponent, power, filter) only: b is the paper's 1 - a and there is
    no second-order weight; the saved matrix scores as it did."""
    model = TurboCF(exponent=0.6, power=0.7, filter=2).fit(planted)
    state = model.get_state()
    state["turbo_chosen"] = state["turbo_chosen"][:3]
    loaded = TurboCF(exponent=0.6, power=0.7, filter=2)
    loaded.train_ = planted
    loaded.set_state(state)
    assert loaded.chosen_ == {"exponent": 0.6, "power": 0.7, "filter": 2, "item_exponent": pytest.approx(0.4),
                              "sharpen": 0.0}
    assert np.allclose(loaded.score_history(planted[:3]), model.score_history(planted[:3]))


@pytest.mark.parametrize("neighbours, through", [(20, 16), (None, None), (50, None)])
def test_the_second_orders_cut_from_one_product_equal_each_polynomial(neighbours, through):
    """One block product serves every weight: each G - w G^2 is what Horner makes for (1, -w), pruned alike."""
    graph = sp.random(300, 300, density=0.3, random_state=1, format="csr", dtype=np.float32)
    weights = (0.0, 0.5, 1.0)
    for weight, found in zip(weights, second_orders(graph, weights, neighbours, through)):
        expected = polynomial(graph, (1.0, -weight) if weight else (1.0,), neighbours, through)
        assert found.nnz == expected.nnz and abs(found - expected).max() == 0
