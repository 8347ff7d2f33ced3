"""The graph filter as a model of its own: closed form, settings chosen on validation, reasons exact."""

import numpy as np
import scipy.sparse as sp

from gnnrec_core.models import GFCF, Recommender, gfcf


def test_ranks_within_the_planted_community_and_chooses_on_validation(planted):
    model = GFCF(seed=0).fit(planted)
    top, _ = model.recommend(np.arange(40), k=4)
    assert ((top < 10) == (np.arange(40)[:, None] < 20)).all()  # every pick from the user's own community
    tuning = model.tuning()
    assert set(tuning.chosen) == {"rank", "alpha", "neighbours"} and 0 < tuning.valid_ndcg <= 1


def test_fixed_settings_skip_the_search():
    train = sp.random(30, 25, density=0.3, random_state=1, format="csr", dtype=np.float32)
    train.data[:] = 1
    model = GFCF(rank=4, alpha=0.5, neighbours=200).fit(train)
    assert model.tuning().chosen == {"rank": 4, "alpha": 0.5, "neighbours": 200} and model.tuning().valid_ndcg is None


def test_a_score_is_exactly_the_sum_of_its_history_items_contributions(planted):
    """score_history(h) = h @ item_item(all items): each purchase's share in a reason sums to the score."""
    model = GFCF(seed=0).fit(planted)
    history = planted[:5]
    by_parts = history @ model.item_item(np.arange(planted.shape[1]))
    assert np.allclose(model.score_history(history), by_parts, atol=1e-4)


def test_save_and_load_give_the_same_scores(planted, tmp_path):
    model = GFCF(seed=0).fit(planted)
    loaded = Recommender.load(model.save(tmp_path / "gfcf.npz"))
    assert np.allclose(loaded.score(np.arange(10)), model.score(np.arange(10)), atol=1e-5)



def test_a_gnns_blend_uses_the_filters_as_chosen_on_its_slice_and_a_run_searches_once(tmp_path, monkeypatch):
    """The blend's filter is GF-CF or RP3beta with the settings its own search chose on the same carve
    (its row's, in the same run), whichever scored higher there, and a `benchmark` run with the
    filters and the GNN searches each filter's candidates once."""
    from gnnrec_core import benchmark, ingest, prepare
    from gnnrec_core.data.synthetic import SyntheticConfig, generate
    from gnnrec_core.models import embedding, grid_filter

    source = tmp_path / "orders.csv"
    generate(SyntheticConfig(interactions=4000, users=300, items=200, categories=6, seed=2)).to_csv(source, index=False)
    searches, blend_filters = [], []
    for module in (gfcf, grid_filter):
        monkeypatch.setattr(module, "best_on_validation", lambda *args, search=module.best_on_validation:
                            searches.append(1) or search(*args))
    choose = embedding.EmbeddingScores._choose_blend

    def spy(self, module, part, valid, part_filter, *name):
        blend_filters.append(part_filter)
        return choose(self, module, part, valid, part_filter, *name)

    monkeypatch.setattr(embedding.EmbeddingScores, "_choose_blend", spy)
    dataset = prepare(ingest(source))
    result = benchmark(dataset, ["gfcf", "rp3beta", "lightgcn"], gnn_settings={"time_budget": 10, "epochs": 2})
    assert len(searches) == 2
    rows = {r.model: r for r in result.results}
    record = rows["lightgcn"].tuning.blend_filter
    chosen = rows[record["model"]].tuning
    assert {k: v for k, v in record.items() if k not in ("model", "valid_ndcg")} == chosen.chosen
    assert record["valid_ndcg"] == {name: rows[name].tuning.valid_ndcg for name in ("gfcf", "rp3beta")}
    assert chosen.valid_ndcg == max(record["valid_ndcg"].values())
    (blend_filter,) = blend_filters
    if record["model"] == "gfcf":
        assert (blend_filter.rank, blend_filter.alpha, blend_filter.neighbours) == (
            chosen.chosen["rank"], chosen.chosen["alpha"], chosen.chosen["neighbours"] or None)  # 0 (all) is None
    # The Train page's run (an experiment): the filters are fitted first so the GNN's blend reuses
    # their searches, and the table still lists the trained model's rows first.
    from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment

    searches.clear()
    config = ExperimentConfig(baselines=("pop", "rp3beta", "gfcf"), settings=(("time_budget", 10), ("epochs", 2)))
    rows = [row.model for row in run_experiment(dataset, config).results]
    assert len(searches) == 2 and rows[0] == "lightgcn" and rows[-3:] == ["pop", "rp3beta", "gfcf"]


def test_fitted_on_the_slice_it_searched_the_filter_scores_what_validation_recorded(monkeypatch):
    """A GNN's blend fits GF-CF on its train part with its validation rows given: the filter kept is
    the one the search scored (cut from the largest-rank fit), not a second SVD at the chosen rank,
    so its validation nDCG is the recorded one to the last digit. A randomised SVD at rank 64 is not
    the leading 64 vectors of one at rank 512 (2,000 products: neither covers the catalogue)."""
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.matrix.interactions import carve_validation
    from gnnrec_core.models import gfcf

    monkeypatch.setattr(gfcf, "ALPHA_GRID", (1.0,))  # the low-pass part counts fully in every candidate
    monkeypatch.setattr(gfcf, "NEIGHBOURS_GRID", (20,))
    rng = np.random.default_rng(4)
    users, items = 1500, 2000
    taste = rng.integers(0, 40, users)
    rows = np.repeat(np.arange(users), 12)
    cols = (taste[rows] * 50 + rng.integers(0, 50, len(rows)) + rng.integers(0, 3, len(rows)) * 17) % items
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(users, items))
    train.data[:] = 1
    part, valid = carve_validation(train, 0.2, seed=0)
    model = GFCF(seed=0).fit(part, valid)
    assert model.rank_ < 512 and model.candidates_ == 3
    again = evaluate(lambda u: model.filter_.score_history(part[u]), part, valid)["ndcg"]
    assert again == model.valid_ndcg_


def test_the_rows_own_filter_is_fitted_on_all_of_train_not_the_carve_it_searched(monkeypatch):
    """GF-CF's row searches on a carve of train and then fits its choice on all of train; a cut from
    the search (a GNN's blend, whose search part is train itself) would have left out the carve's
    validation interactions: 1.7% of test nDCG at 50,000 products. Its low-pass part is the chosen
    rank's leading vectors of an SVD at the largest rank, as the search scored every rank: a fresh
    SVD at the chosen rank resolves them less well on wide catalogues."""
    from gnnrec_core.models.graph_filter import GraphFilter

    monkeypatch.setattr(gfcf_module(), "ALPHA_GRID", (1.0,))
    rng = np.random.default_rng(5)
    rows = np.repeat(np.arange(600), 10)
    cols = (rng.integers(0, 30, 600)[rows] * 20 + rng.integers(0, 20, len(rows))) % 700
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(600, 700))
    train.data[:] = 1
    model = GFCF(seed=0).fit(train)
    assert model.candidates_ > 1
    own = GraphFilter(512, model.alpha_, model.neighbours_ or None, 0).fit(train)
    assert model.rank_ < 512 and model.filter_.left_.shape[1] == model.rank_
    assert (model.filter_.linear_ != own.linear_).nnz == 0
    assert np.allclose(model.filter_.left_, own.left_[:, :model.rank_], atol=1e-6)
    assert np.allclose(model.filter_.right_, own.right_[:model.rank_], atol=1e-6)


def gfcf_module():
    from gnnrec_core.models import gfcf

    return gfcf


def test_a_choice_with_no_low_pass_part_takes_no_svd_on_train(monkeypatch):
    """Where validation chooses alpha 0 (the invoices, groceries), the row is the item graph alone:
    its refit on train takes no SVD (the search's, on the carve, is the only one)."""
    from gnnrec_core.models import graph_filter as gf

    monkeypatch.setattr(gfcf_module(), "ALPHA_GRID", (0.0,))
    rng = np.random.default_rng(5)
    rows = np.repeat(np.arange(600), 10)
    cols = (rng.integers(0, 30, 600)[rows] * 20 + rng.integers(0, 20, len(rows))) % 700
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(600, 700))
    shapes, vectors = [], gf._low_pass_vectors  # the interactions each SVD was taken of
    monkeypatch.setattr(gf, "_low_pass_vectors", lambda m, rank, seed: shapes.append(m.nnz) or vectors(m, rank, seed))
    model = GFCF(seed=0).fit(train)
    assert model.candidates_ > 1 and model.alpha_ == 0.0 and model.filter_.left_ is None
    assert len(shapes) == 1 and shapes[0] < train.nnz  # the carve's part only


def test_above_the_cap_the_gnns_choices_are_scored_on_the_filters_sample_of_users(tmp_path, monkeypatch):
    """Above MAX_VALID_USERS validation users, LightGCN's search and early stopping score the same
    seeded sample as GF-CF's search (validation figures on the same users, and a choice that costs
    the same at any size), and the run still searches GF-CF once: the blend's search is the row's."""
    from gnnrec_core import benchmark, ingest, prepare
    from gnnrec_core.data.synthetic import SyntheticConfig, generate
    from gnnrec_core.fit.train import Trainer
    from gnnrec_core.matrix import interactions

    source = tmp_path / "orders.csv"
    generate(SyntheticConfig(interactions=4000, users=300, items=200, categories=6, seed=2)).to_csv(source, index=False)
    dataset = prepare(ingest(source))
    monkeypatch.setattr(interactions, "MAX_VALID_USERS", 40)
    # GF-CF sizes its rank grid by the pairs it sees: the row sees all of train, just past the bound,
    # and so must the blend's search (the part and the whole carve, not the sample), or it searches twice.
    pairs = interactions.split(dataset.interactions, interactions.SplitConfig()).train.nnz
    monkeypatch.setattr(gfcf, "LARGE_NNZ", pairs - 1)
    searched, validated = [], []
    search, validate = gfcf.best_on_validation, Trainer.validate
    monkeypatch.setattr(gfcf, "best_on_validation", lambda candidates, part, valid: searched.append(valid)
                        or search(candidates, part, valid))
    monkeypatch.setattr(Trainer, "validate", lambda self, module, train, valid: validated.append(valid)
                        or validate(self, module, train, valid))
    benchmark(dataset, ["gfcf", "lightgcn"], gnn_settings={"time_budget": 10, "epochs": 2})

    def users(valid):
        return frozenset(np.flatnonzero(np.diff(valid.indptr) > 0).tolist())

    (filters,) = searched
    assert len(users(filters)) == 40 and validated
    assert all(users(valid) == users(filters) for valid in validated)
