import sys

import numpy as np
import pytest
import scipy.sparse as sp

from gnnrec_core.fit.metrics import evaluate, ranking_metrics, top_k


def test_metrics_against_a_hand_computed_case():
    # User 0 has relevant items {1, 4}; ranked [1, 2, 4] -> hits at ranks 1 and 3.
    # User 1 has relevant item {0}; ranked [2, 3, 1] -> no hit.
    top = np.array([[1, 2, 4], [2, 3, 1]])
    relevant = sp.csr_matrix(np.array([[0, 1, 0, 0, 1], [1, 0, 0, 0, 0]], np.float32))
    m = ranking_metrics(top, relevant, k=3)
    dcg = 1 + 1 / np.log2(4)
    idcg = 1 + 1 / np.log2(3)
    assert np.allclose(m["ndcg"], [dcg / idcg, 0])
    assert np.allclose(m["precision"], [2 / 3, 0])
    assert np.allclose(m["recall"], [1.0, 0])
    assert np.allclose(m["map"], [(1 / 1 + 2 / 3) / 2, 0])
    assert np.allclose(m["hit_rate"], [1, 0])


def test_top_k_masks_seen_items_and_evaluate_averages():
    scores = np.array([[5.0, 4.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    seen = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 1]], np.float32))
    assert top_k(scores, 2, seen).tolist() == [[1, 2], [2, 1]]
    test = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0]], np.float32))
    result = evaluate(lambda users: scores[users], seen, test, k=2)
    assert np.isclose(result["hit_rate"], 0.5) and np.isclose(result["precision"], 0.25)
    assert np.isclose(result["ndcg"], 0.5)  # user 0: hit at rank 1 (1.0); user 1: none
    assert np.isclose(result["coverage"], 0.5)  # items 1 and 2 recommended out of 4


def test_top_k_breaks_ties_by_lower_index_whether_or_not_torch_is_loaded(monkeypatch):
    """Popularity scores are full of ties; the figures must not depend on which library ranked them."""
    import sys

    import numpy as np
    import scipy.sparse as sp

    from gnnrec_core.fit import metrics

    scores = np.random.default_rng(0).integers(0, 4, (200, 30)).astype(np.float32)
    exclude = sp.random(200, 30, density=0.1, format="csr", random_state=0)
    masked = scores.copy()
    masked[exclude.nonzero()] = -np.inf
    expected = np.array([np.lexsort((np.arange(30), -row))[:6] for row in masked])
    with_torch = metrics._top_k_torch(scores, 6, exclude)
    assert metrics._top_k_torch(scores, 0, exclude).shape == (200, 0)  # k = 0: an empty ranking, not an error
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    without_torch = metrics.top_k(scores, 6, exclude)
    np.testing.assert_array_equal(with_torch, expected)
    np.testing.assert_array_equal(without_torch, expected)


@pytest.mark.parametrize("torch_loaded", [True, False])
def test_top_k_ranks_the_same_in_place_and_on_a_copy_and_spares_what_it_may_not_overwrite(torch_loaded, monkeypatch):
    """evaluate lets top_k write exclusions into the scores it drops (no copy of a users x items
    batch); the ranking is the brute-force one (nan as -inf, ties to the lower index, exclusions
    last) in chunks of any size, and an array the caller keeps (a view, or overwrite off) is unchanged."""
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 3, (60, 25)).astype(np.float32)
    scores[rng.random(scores.shape) < 0.05] = np.nan
    exclude = sp.random(60, 25, density=0.3, format="csr", random_state=1)
    masked = np.nan_to_num(scores, nan=-np.inf)
    masked[exclude.nonzero()] = -np.inf
    expected = np.array([np.lexsort((np.arange(25), -row))[:5] for row in masked])
    kept = scores.copy()
    if torch_loaded:
        import torch  # noqa: F401  (top_k ranks with torch once it is loaded)
    else:
        monkeypatch.delitem(sys.modules, "torch", raising=False)
    for work in (25 * 16, 7 * 25 * 16, 1 << 20):  # one row, seven rows, all rows per chunk
        np.testing.assert_array_equal(top_k(scores, 5, exclude, work_bytes=work), expected)
        np.testing.assert_array_equal(scores, kept)  # overwrite off: untouched
        view = scores[:]  # a stored array's view: not top_k's to write into
        np.testing.assert_array_equal(top_k(view, 5, exclude, work_bytes=work, overwrite=True), expected)
        np.testing.assert_array_equal(scores, kept)
        owned = scores.copy()
        np.testing.assert_array_equal(top_k(owned, 5, exclude, work_bytes=work, overwrite=True), expected)


@pytest.mark.parametrize("kind", ["distinct", "few values", "mostly excluded", "with nan"])
def test_numpy_ranking_by_blocks_matches_a_full_sort_on_wide_rows(kind):
    """Without torch, rows of thousands of items are ranked from their best blocks' cells (metrics.
    _top_k_by_blocks); the lists are a full stable sort's whatever the ties, -inf or nan, and the
    torch path's."""
    from gnnrec_core.fit import metrics

    rng = np.random.default_rng(len(kind))
    width = 4 * 11 * metrics.TOP_K_BLOCK + 37  # the blocked path, with a short last block
    scores = {"distinct": lambda: rng.standard_normal((30, width)),
              "few values": lambda: rng.integers(0, 3, (30, width)),
              "mostly excluded": lambda: np.where(rng.random((30, width)) < 0.002, 1.0, -np.inf),
              "with nan": lambda: np.where(rng.random((30, width)) < 0.2, np.nan, rng.standard_normal((30, width))),
              }[kind]().astype(np.float32)
    exclude = sp.random(30, width, density=0.02, format="csr", random_state=2)
    masked = np.nan_to_num(scores, nan=-np.inf, neginf=-np.inf)
    masked[exclude.nonzero()] = -np.inf
    expected = np.argsort(-masked, axis=1, kind="stable")[:, :10]
    np.testing.assert_array_equal(metrics._top_k_numpy(scores.copy(), 10, exclude), expected)
    np.testing.assert_array_equal(metrics._top_k_torch(scores.copy(), 10, exclude), expected)


def test_evaluation_holds_one_batch_of_scores_at_a_time():
    """Each batch's scores are dropped before the next batch is scored: the memory budget
    (users_per_batch) counts one batch. A scorer called eagerly kept two alive at once."""
    import tracemalloc

    from gnnrec_core.fit.metrics import evaluate_at

    users, items, batch = 400, 5_000, 100
    train = sp.random(users, items, density=0.001, format="csr", random_state=1, dtype=np.float32)
    test = sp.random(users, items, density=0.001, format="csr", random_state=2, dtype=np.float32)
    batch_bytes = batch * items * 4
    tracemalloc.start()
    try:
        evaluate_at(lambda u: np.random.default_rng(0).random((len(u), items), dtype=np.float32), train, test,
                    batch_size=batch, memory_budget=64 * 2**20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.6 * batch_bytes, (peak, batch_bytes)
