"""The closed-form graph filters (GF-CF, BSPM, Turbo-CF, RP3beta) against their papers' formulas computed by
dense numpy on tiny graphs, the pruning and block-wise products they share, and their bounds."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from gnnrec_core.errors import ConfigError
from gnnrec_core.matrix import interactions
from gnnrec_core.models import MODELS, Recommender
from gnnrec_core.models import graph_filter as gf
from gnnrec_core.models.bspm import BSPM
from gnnrec_core.models.graph_filter import GraphFilter, polynomial, pruned_product
from gnnrec_core.models.row_pruning import prune_rows
from gnnrec_core.models.turbocf import TurboCF

FILTERS = ("gfcf", "bspm", "turbocf", "rp3beta")


def _tiny(users: int = 30, items: int = 12, seed: int = 1) -> sp.csr_matrix:
    train = sp.random(users, items, density=0.35, random_state=seed, format="csr", dtype=np.float32)
    train.data[:] = 1.0
    return train


def _dense_parts(train: sp.csr_matrix, exponent: float = 0.5, rank: int = 3):
    """R~, P~ = R~^T R~ and L = D_i^-(1-a) V_k V_k^T D_i^(1-a), by the papers' definitions."""
    r = train.toarray().astype(np.float64)
    du, di = r.sum(1), r.sum(0)
    normalised = (du[:, None] ** -exponent) * r * (di[None, :] ** -(1 - exponent))
    _, _, vt = np.linalg.svd(normalised)
    v = vt[:rank]
    low_pass = np.diag(di ** -(1 - exponent)) @ v.T @ v @ np.diag(di ** (1 - exponent))
    return r, normalised.T @ normalised, low_pass


def test_gfcf_scores_are_the_linear_plus_ideal_low_pass_filter_by_hand():
    train = _tiny()
    r, p, low_pass = _dense_parts(train)
    found = GraphFilter(rank=3, alpha=0.3, neighbours=None).fit(train).score_history(train[:6])
    assert np.allclose(found, r[:6] @ p + 0.3 * r[:6] @ low_pass, atol=1e-4)


def test_bspm_scores_are_the_authors_ode_steps():
    """Blur and ideal low-pass by one Euler step each, then the sharpening ODE dy/dt = -y P~ by the
    solver's own function evaluations (RK4: k1..k4), as the authors' code runs them."""
    train = _tiny()
    r, p, low_pass = _dense_parts(train)
    h = r[:6]
    blurred = h + 1.0 * (h @ p - h)
    ideal = h + 1.0 * (h @ low_pass - h)

    def sharpen(y):
        return -y @ p

    y0 = blurred + 0.2 * ideal
    k1 = sharpen(y0)
    k2 = sharpen(y0 + 1.25 * k1)
    k3 = sharpen(y0 + 1.25 * k2)
    k4 = sharpen(y0 + 2.5 * k3)
    rk4 = y0 + 2.5 / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    model = BSPM(rank=3, variant="rk4", neighbours=None, product_neighbours=None).fit(train)
    assert np.allclose(model.score_history(train[:6]), rk4, atol=1e-4)

    y0 = blurred + 0.3 * ideal
    euler = (blurred + (y0 + 1.2 * sharpen(y0))) / 2  # t-point combination: mean of blurred and sharpened
    model = BSPM(rank=3, variant="euler", neighbours=None, product_neighbours=None).fit(train)
    assert np.allclose(model.score_history(train[:6]), euler, atol=1e-4)


@pytest.mark.parametrize("name", FILTERS)
def test_a_score_is_exactly_the_sum_of_its_history_items_contributions(name, planted):
    model = MODELS[name](seed=0).fit(planted)
    history = planted[:5]
    assert np.allclose(model.score_history(history), history @ model.item_item(np.arange(planted.shape[1])),
                       atol=1e-4)


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_ranks_within_the_planted_community_and_reports_its_choice(name, planted):
    model = MODELS[name](seed=0).fit(planted)
    top, _ = model.recommend(np.arange(40), k=4)
    assert ((top < 10) == (np.arange(40)[:, None] < 20)).all()
    tuning = model.tuning()
    assert tuning.candidates > 1 and 0 < tuning.valid_ndcg <= 1
    fixed = {"gfcf": {"rank": 4, "alpha": 0.5, "neighbours": 0},
             "bspm": {"rank": 4, "variant": "euler", "form": "pruned"},
             "turbocf": {"exponent": 0.5, "power": 1.0, "filter": 0, "item_exponent": 0.25, "sharpen": 0.75},
             "rp3beta": {"power": 0.5, "discount": 0.3, "neighbours": 5}}[name]
    model = MODELS[name](**fixed).fit(planted)  # every setting given: no search
    assert model.tuning().chosen == fixed and model.tuning().valid_ndcg is None


@pytest.mark.parametrize("way", ["dense", "partitioned"])
def test_pruning_keeps_each_rows_largest_magnitudes_and_the_first_stored_on_ties(monkeypatch, way):
    """Ties at the last place go to the entries stored first (the lower columns in a sorted row);
    nan and stored zeros rank as magnitude 0; a cell stored twice counts twice (the dense way then
    gives way to the partition of entries). Both ways of finding the thresholds keep exactly these entries, in
    stored order; fewer than one neighbour keeps nothing."""
    from gnnrec_core.models import row_pruning

    monkeypatch.setattr(row_pruning, "DENSE_SHARE", 0.0 if way == "dense" else float("inf"))
    monkeypatch.setattr(row_pruning, "DENSE_CHUNK_CELLS", 40)  # dense blocks of 2 rows: the offsets matter
    monkeypatch.setattr(row_pruning, "PADDED_CHUNK_CELLS", 30)  # blocks of entries of a few rows, likewise
    rng = np.random.default_rng(0)
    for trial in range(60):
        matrix = sp.random(15, 20, density=rng.uniform(0.1, 0.9), random_state=trial, format="csr", dtype=np.float32)
        matrix.data = np.round(rng.standard_normal(matrix.nnz) * 2).astype(np.float32)  # ties, negatives, zeros
        matrix.data[rng.random(matrix.nnz) < 0.05] = np.nan
        if trial % 2:  # entries stored out of column order, as a product leaves them
            for row in range(15):
                span = slice(matrix.indptr[row], matrix.indptr[row + 1])
                order = rng.permutation(span.stop - span.start)
                matrix.indices[span], matrix.data[span] = matrix.indices[span][order], matrix.data[span][order]
        k = int(rng.integers(1, 8))
        if trial % 7 == 0:  # the longest row stores its largest cell three times: each copy takes a place
            matrix.data = rng.standard_normal(matrix.nnz).astype(np.float32)  # no ties to hide the difference
            row = int(np.argmax(np.diff(matrix.indptr)))
            start, column = matrix.indptr[row], matrix.indices[matrix.indptr[row]]
            data, indices = np.insert(matrix.data, start, [10.5, 10.5]), np.insert(matrix.indices, start, [column] * 2)
            data[start + 2] = 10.5
            indptr = np.r_[matrix.indptr[:row + 1], matrix.indptr[row + 1:] + 2]
            matrix, k = sp.csr_matrix((data, indices, indptr), shape=matrix.shape), max(k, 4)
        if trial % 5 == 0:  # 64-bit positions, as a large product has
            matrix.indptr, matrix.indices = matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64)
        kept = prune_rows(matrix, k)
        for row in range(15):
            span = slice(matrix.indptr[row], matrix.indptr[row + 1])
            magnitude = np.nan_to_num(np.abs(matrix.data[span]), nan=0.0)
            first = np.sort(np.lexsort((np.arange(len(magnitude)), -magnitude))[:k])  # stored order kept
            kept_span = slice(kept.indptr[row], kept.indptr[row + 1])
            assert np.array_equal(kept.indices[kept_span], matrix.indices[span][first]), (trial, row)
            assert np.array_equal(kept.data[kept_span], matrix.data[span][first], equal_nan=True), (trial, row)
    assert prune_rows(matrix, 0).nnz == 0 and prune_rows(matrix, 0).shape == matrix.shape


def test_block_wise_products_and_polynomials_equal_the_whole_ones(monkeypatch):
    graph = sp.random(40, 40, density=0.3, random_state=3, format="csr", dtype=np.float32)
    dense = graph.toarray()
    monkeypatch.setattr(gf, "BLOCK_CELLS", 40 * 3)  # blocks of 3 rows
    assert np.allclose(pruned_product(graph, graph, 6).toarray(), prune_rows(sp.csr_matrix(dense @ dense), 6).toarray())
    exact = polynomial(graph, [1.0, -0.5, 0.25], None, None).toarray()
    assert np.allclose(exact, dense - 0.5 * dense @ dense + 0.25 * dense @ dense @ dense, atol=1e-5)
    threaded = {}
    for threads in (1, 3):  # a block per thread, gathered in order: the same matrix to the bit
        monkeypatch.setattr(gf, "PRODUCT_THREADS", threads)
        threaded[threads] = polynomial(graph, [1.0, -0.5, 0.25], 6, 5)
    assert (threaded[1] != threaded[3]).nnz == 0 and np.array_equal(threaded[1].indices, threaded[3].indices)


def test_a_dense_co_purchase_graph_is_never_held_whole(monkeypatch):
    """2,000 products bought together so often that R~^T R~ has ~3.4M entries (about 40 MB as CSR):
    computed in blocks and pruned to 10 per item, the fit's peak stays a fraction of that."""
    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(200), 100)
    cols = np.concatenate([rng.choice(2000, 100, replace=False) for _ in range(200)])
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(200, 2000))
    monkeypatch.setattr(gf, "BLOCK_CELLS", 2000 * 20)
    tracemalloc.start()
    graph = GraphFilter(alpha=0.0, neighbours=10).fit(train).linear_
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert graph.nnz == 2000 * 10 and peak < 8 * 2**20


def test_bad_settings_are_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match="variant: expected one of rk4, euler, found 'heun'"):
        BSPM(variant="heun")
    with pytest.raises(ConfigError, match="filter: expected one of 0, 1, 2, 3, found 4"):
        TurboCF(filter=4)
    with pytest.raises(ConfigError, match="exponent: expected a number between 0 and 1, found 1.5"):
        TurboCF(exponent=1.5)
    with pytest.raises(ConfigError, match="item exponent: expected a number between 0 and 1, found -1"):
        TurboCF(item_exponent=-1)
    with pytest.raises(ConfigError, match="sharpen: expected no value with the paper's filter 2"):
        TurboCF(filter=2, sharpen=0.5)
    small = sp.random(30, 40, density=0.3, random_state=1, format="csr", dtype=np.float32)
    for name in FILTERS:  # the Train page's "Valid fraction" was refused as "test_size: ..." by the split
        with pytest.raises(ConfigError, match=r"valid_fraction: expected a fraction in \(0, 0.5\), found 0.0"):
            MODELS[name](valid_fraction=0.0).fit(small)
    fixed = MODELS["gfcf"](valid_fraction=0.6, rank=4, alpha=0.5, neighbours=10).fit(small)  # no carve, no check
    fixed.save(tmp_path / "gfcf")  # a run saved so (0.6 was allowed before) still loads: checked at use, not load
    assert Recommender.load(tmp_path / "gfcf").config.valid_fraction == 0.6
    wide = sp.csr_matrix((np.ones(2), ([0, 1], [0, gf.DENSE_ITEMS])), shape=(2, gf.DENSE_ITEMS + 1))
    wide_message = f"a catalogue of {gf.DENSE_ITEMS + 1:,} items"
    with pytest.raises(ConfigError, match=f"neighbours: expected an integer >= 1 for {wide_message}"):
        MODELS["gfcf"](neighbours=0).fit(wide)
    with pytest.raises(ConfigError, match=f"neighbours: expected a number for {wide_message}"):
        BSPM(neighbours=None, rank=2, variant="rk4").fit(wide)


def test_the_choice_goes_to_the_candidate_that_ranks_the_held_out_items_first(monkeypatch):
    """A candidate that knows each user's validation items against one that ranks them last; and
    above MAX_VALID_USERS validation users a seeded sample of them is scored."""
    users, items = 30, 120
    rows = np.repeat(np.arange(users), 8)  # items 3u..3u+2 are user u's alone: one survives the carve of 2
    cols = np.concatenate([[3 * u, 3 * u + 1, 3 * u + 2] + list(90 + (u + np.arange(5)) % 30) for u in range(users)])
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(users, items))
    part, valid = gf.validation_slices(train, None, 0.25, seed=0)
    held = valid.toarray()

    class Oracle(gf.LinearFilter):
        def __init__(self, sign: float) -> None:
            super().__init__(sp.csr_matrix((items, items)))
            self.sign = sign

        def score_history(self, history):  # whose history it is: the items only that user bought
            owners = [int(row.indices[row.indices < 90][0]) // 3 for row in sp.csr_matrix(history)]
            return self.sign * held[owners]

    chosen, score, tried = gf.best_on_validation(iter([({"name": "inverted"}, Oracle(-1.0)),
                                                      ({"name": "knows"}, Oracle(1.0))]), part, valid)
    assert chosen == {"name": "knows"} and score == pytest.approx(1.0) and tried == 2
    monkeypatch.setattr(interactions, "MAX_VALID_USERS", 5)
    _, sampled = gf.validation_slices(train, None, 0.25, seed=0)
    assert (np.diff(sampled.indptr) > 0).sum() == 5 and (np.diff(valid.indptr) > 0).sum() > 5


def test_pruning_ranks_a_nan_entry_last():
    """A polynomial that overflowed can hold nan: it is never kept ahead of a real entry."""
    matrix = sp.csr_matrix(np.array([[1.0, np.nan, 2.0, 0.5, -3.0]], np.float32))
    kept = prune_rows(matrix, 2)
    assert sorted(kept.indices.tolist()) == [2, 4]


def test_a_run_builds_each_item_graph_and_svd_once_and_scores_as_without(monkeypatch, planted):
    """Inside `sharing` GF-CF, BSPM and Turbo-CF on one train split compute each (matrix, neighbours)
    item graph and each (matrix, rank) SVD once, and score exactly as each fitted alone; outside it,
    and in another thread's run, nothing is reused."""
    import threading

    from gnnrec_core.models import shared_parts
    from gnnrec_core.models.gfcf import GFCF

    train = planted
    calls = {"graph": [], "svd": []}
    product, vectors = gf.pruned_product, gf._low_pass_vectors
    monkeypatch.setattr(gf, "pruned_product", lambda left, right, n, combine=None: calls["graph"].append(
        (shared_parts.fingerprint(right), n, combine is None)) or product(left, right, n, combine))
    monkeypatch.setattr(gf, "_low_pass_vectors", lambda m, rank, seed: calls["svd"].append(
        (shared_parts.fingerprint(m), rank)) or vectors(m, rank, seed))
    alone = [cls(seed=0).fit(train) for cls in (GFCF, BSPM, TurboCF)]
    graphs_alone, svds_alone = len(calls["graph"]), len(calls["svd"])
    calls["graph"].clear(), calls["svd"].clear()
    with shared_parts.sharing():
        together = [cls(seed=0).fit(train) for cls in (GFCF, BSPM, TurboCF)]
        svds, graphs = list(calls["svd"]), list(calls["graph"])
        calls["svd"].clear()
        in_thread = threading.Thread(target=lambda: GFCF(seed=0).fit(train))  # its own context: no sharing
        in_thread.start(), in_thread.join()
    item_graphs = [c for c in graphs if c[2]]  # R~^T R~, not a polynomial's step
    assert len(svds) == len(set(svds)) and len(item_graphs) == len(set(item_graphs))  # each once
    assert len(svds) < svds_alone and len(graphs) < graphs_alone
    assert calls["svd"] and set(calls["svd"]) <= set(svds)  # the thread computed its own again
    users = np.arange(20)
    for one, shared in zip(alone, together):
        np.testing.assert_array_equal(one.score(users), shared.score(users))
    calls["svd"].clear()
    GFCF(seed=0).fit(train)  # after the block: computed again
    assert calls["svd"] and set(calls["svd"]) <= set(svds)


def test_a_filter_serves_its_chosen_rank_cut_from_the_svd_its_search_scored(monkeypatch):
    """GF-CF's and BSPM's searches score each rank as the leading vectors of one SVD at the largest
    rank; the row refitted on train is cut the same way, with no SVD at the chosen rank (a fresh
    one resolved its vectors less well: 7% of validation nDCG on a grocery-shaped log)."""
    from gnnrec_core.models.gfcf import GFCF

    rng = np.random.default_rng(5)
    rows = np.repeat(np.arange(600), 10)
    cols = (rng.integers(0, 30, 600)[rows] * 20 + rng.integers(0, 20, len(rows))) % 700
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(600, 700))
    ranks, vectors = [], gf._low_pass_vectors
    monkeypatch.setattr(gf, "_low_pass_vectors", lambda m, rank, seed: ranks.append(rank) or vectors(m, rank, seed))
    for cls in (GFCF, BSPM):
        ranks.clear()
        model = cls(seed=0).fit(train)
        assert model.candidates_ > 1 and model.rank_ < 512
        assert ranks and set(ranks) == {512}, (cls.name, ranks)  # the search's and the row's: the largest only
        assert model.filter_.left_.shape[1] == model.rank_  # a slice of its own, not a view of the 512


def test_basket_eval_builds_each_svd_once_and_scores_as_model_by_model(monkeypatch):
    """basket-eval fits every model on train and on its validation part inside one `sharing` block:
    GF-CF and BSPM share each (matrix, rank) SVD, and each row is what the model scores alone."""
    import pandas as pd

    from gnnrec_core.models import shared_parts
    from gnnrec_core.pipeline.basket_eval import basket_eval

    rng = np.random.default_rng(0)
    rows = [(str(b), f"p{item}") for b in range(120) for item in rng.choice(30, rng.integers(2, 6), replace=False)]
    events = pd.DataFrame(rows, columns=["basket", "item"])
    for column in ("user", "time", "event", "quantity", "price", "rating"):
        events[column] = None
    catalogue = pd.DataFrame({"name": pd.Series(dtype=str)})
    svds = []
    vectors = gf._low_pass_vectors
    monkeypatch.setattr(gf, "_low_pass_vectors", lambda m, rank, seed: svds.append(
        (shared_parts.fingerprint(m), rank)) or vectors(m, rank, seed))
    together = basket_eval(events, catalogue, ["gfcf", "bspm"])
    assert svds and len(svds) == len(set(svds))  # each once: BSPM reused GF-CF's
    alone = [basket_eval(events, catalogue, [name]).results[0] for name in ("gfcf", "bspm")]
    assert len(svds) > len(set(svds))  # alone, BSPM computed them again
    assert [(r.model, r.ndcg, r.valid_ndcg) for r in together.results] == [(r.model, r.ndcg, r.valid_ndcg)
                                                                           for r in alone]


def test_basket_eval_says_what_training_added_and_the_best_graph_model_as_every_table_does():
    """basket-eval's own verdict (validation's first against its second) said nothing of what the
    GNN added over the filter or of the best baseline; it now carries the two verdicts every table
    has, over its test baskets, each with its interval."""
    import pandas as pd

    from gnnrec_core.pipeline.basket_eval import basket_eval

    rng = np.random.default_rng(0)
    rows = [(str(b), f"p{b % 4}_{item}") for b in range(200)  # 4 groups of 8 products
            for item in rng.choice(8, rng.integers(2, 5), replace=False)]
    events = pd.DataFrame(rows, columns=["basket", "item"])
    for column in ("user", "time", "event", "quantity", "price", "rating"):
        events[column] = None
    catalogue = pd.DataFrame({"name": pd.Series(dtype=str)})
    out = basket_eval(events, catalogue, ["pop", "cooc", "gfcf", "lightgcn"], epochs=5, time_budget=20)
    ndcg = {row.key: row.ndcg for row in out.results}
    trained = [key for key in ndcg if key.startswith("lightgcn")]
    training, graph = out.verdicts.training, out.verdicts.graph
    assert (training.row, training.reference, training.over, training.n) == (
        max(trained, key=ndcg.get), "gfcf", "test baskets", out.test_baskets)
    assert training.value == ndcg[training.row] and training.low is not None
    best_graph, best_baseline = max(("gfcf", *trained), key=ndcg.get), max(("pop", "cooc"), key=ndcg.get)
    assert (graph.row, graph.reference) == (best_graph, best_baseline)
    assert out.to_json()["verdicts"]["graph"]["over"] == "test baskets"
    # the GNN alone always has its row, and a blend (none was chosen on this data) comes after it
    assert [row.key for row in out.results if row.model == "lightgcn"] in (["lightgcn"], ["lightgcn", "lightgcn+blend"])


def test_basket_eval_names_a_gnn_blend_as_a_row_of_its_own():
    """A GNN carves its own validation slice from the train baskets and may blend there: its row was
    the blend under the GNN's name. Now the GNN alone comes first, then the blend, named by its parts,
    each with the matching fit on the validation part."""
    from gnnrec_core.models.registry import row_label
    from gnnrec_core.pipeline.basket_eval import _variants
    from gnnrec_core.records import BasketRow, Tuning

    class Blended:
        def __init__(self, name, part="filter"):
            self.name, self.part = name, part

        def tuning(self):
            return Tuning(chosen={}, blend={self.part: 1.0, "popularity": 0.0})

        def without_blend(self):
            return f"{self.name} alone"

    model, on_part = Blended("train"), Blended("part")
    variants = _variants(model, on_part)
    assert variants == [("train alone", "part alone", {}), (model, on_part, {"filter": 1.0})]
    walked = Blended("part", "rp3beta")  # the validation fit blended the other filter: no figure of another blend
    assert _variants(model, walked)[1] == (model, None, {"filter": 1.0})
    row = BasketRow("lightgcn", ndcg=0.2, blend=variants[1][2])
    assert row.key == "lightgcn+blend" and row.to_json()["blend"] == {"filter": 1.0}
    assert row_label(row.model, row.blend) == "LightGCN + graph filter x1"
    alone = type("Alone", (), {"tuning": lambda self: None})()
    assert _variants(alone, None) == [(alone, None, {})] and BasketRow("pop").key == "pop"  # no blend: one row
