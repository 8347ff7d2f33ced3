"""BSPM's exact form: the polynomial applied through the interactions at scoring time
(models/exact_filter.py), against dense numpy; when the search offers it; what a saved run keeps,
and a dashboard-made run of it read by the CLI."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import ROOT, SAMPLE

from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import bspm as bspm_module
from gnnrec_core.models import exact_filter
from gnnrec_core.models.base import Recommender
from gnnrec_core.models.bspm import BSPM, exact_operator
from gnnrec_core.models.exact_filter import ExactPolynomialFilter
from gnnrec_core.models.graph_filter import LinearFilter, normalise
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save
from gnnrec_core.records import DatasetRef
from gnnrec_core.store import Workspace


def _train(users: int = 40, items: int = 15, seed: int = 3) -> sp.csr_matrix:
    train = sp.random(users, items, density=0.3, random_state=seed, format="csr", dtype=np.float32)
    train.data[:] = 1.0
    return train


def test_the_polynomial_through_the_interactions_is_the_dense_one_in_any_slices(monkeypatch):
    train = _train()
    normalised, _ = normalise(train)
    p = (normalised.T @ normalised).toarray().astype(np.float64)
    coefficients = [0.7, -0.4, 0.05]
    dense = coefficients[0] * p + coefficients[1] * p @ p + coefficients[2] * p @ p @ p
    left = np.random.default_rng(0).random((15, 2)).astype(np.float32)
    right = np.random.default_rng(1).random((2, 15)).astype(np.float32)
    history = train[:9].toarray()
    expected = history @ dense + 0.5 * history @ left @ right
    for cells in (1, 100, 1 << 23):  # one history per slice, a few, all at once
        monkeypatch.setattr(exact_filter, "SLICE_CELLS", cells)
        found = ExactPolynomialFilter(normalised, coefficients, left, right, alpha=0.5)
        assert np.allclose(found.score_history(train[:9]), expected, atol=1e-5)
        assert np.allclose(found.rows(np.array([4, 0, 11])), (dense + 0.5 * left @ right)[[4, 0, 11]], atol=1e-5)


@pytest.mark.parametrize("variant", ["rk4", "euler"])
def test_the_exact_form_is_the_authors_ode_where_pruning_would_change_it(variant):
    """With one entry per item kept, the pruned form is another filter; the exact form ignores the
    pruning and equals the unpruned one (itself checked against the authors' ODE steps in
    test_filters.py)."""
    train = _train()
    unpruned = BSPM(rank=3, variant=variant, form="pruned", neighbours=None, product_neighbours=None).fit(train)
    exact = BSPM(rank=3, variant=variant, form="exact", neighbours=1, product_neighbours=1).fit(train)
    pruned = BSPM(rank=3, variant=variant, form="pruned", neighbours=1, product_neighbours=1).fit(train)
    assert isinstance(exact.filter_, ExactPolynomialFilter)
    assert np.allclose(exact.score_history(train[:8]), unpruned.score_history(train[:8]), atol=1e-4)
    assert not np.allclose(pruned.score_history(train[:8]), unpruned.score_history(train[:8]), atol=1e-4)
    everything = exact.item_item(np.arange(15))
    assert np.allclose(exact.score_history(train[:8]), train[:8] @ everything, atol=1e-4)


def test_the_search_offers_the_exact_form_only_where_pruning_cuts_and_scoring_is_affordable(monkeypatch):
    train = _train(60, 20)
    pruning = BSPM(seed=0, product_neighbours=2).fit(train)  # 3 ranks x 2 variants pruned, + each variant exact
    assert pruning.tuning().candidates == 8
    covered = BSPM(seed=0).fit(train)  # 20 items: the pruned form is exact already
    assert covered.tuning().candidates == 6 and covered.tuning().chosen["form"] == "pruned"
    monkeypatch.setattr(bspm_module, "affordable", lambda train, degree: False)
    assert BSPM(seed=0, product_neighbours=2).fit(train).tuning().candidates == 6


def test_an_exact_choice_is_what_the_model_then_scores_with(monkeypatch):
    train = _train(60, 20)

    def prefer_exact(candidates, part, valid):
        return [(settings, 1.0 if settings["form"] == "exact" and settings["variant"] == "rk4" else 0.5)
                for settings, _ in candidates]

    monkeypatch.setattr(bspm_module, "validation_scores", prefer_exact)
    model = BSPM(seed=0, product_neighbours=2).fit(train)
    assert model.tuning().chosen["form"] == "exact" and model.tuning().chosen["variant"] == "rk4"
    expected = BSPM(rank=model.rank_, variant="rk4", form="pruned", neighbours=None,
                    product_neighbours=None).fit(train)
    assert np.allclose(model.score_history(train[:5]), expected.score_history(train[:5]), atol=1e-4)


def test_a_saved_exact_model_scores_as_before_and_an_old_file_reads_as_pruned(tmp_path):
    train = _train()
    model = BSPM(rank=3, variant="rk4", form="exact").fit(train)
    loaded = Recommender.load(model.save(tmp_path / "bspm.npz"))
    assert isinstance(loaded.filter_, ExactPolynomialFilter)
    assert np.allclose(loaded.score_history(train[:6]), model.score_history(train[:6]))
    assert loaded.tuning().chosen["form"] == "exact"
    # A file saved before the exact form: its chosen settings had no form, its config no `form` field.
    pruned = BSPM(rank=3, variant="euler", form="pruned").fit(train)
    path = pruned.save(tmp_path / "new.npz")
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["state__bspm_chosen"] = arrays["state__bspm_chosen"][:2]
    meta = json.loads(arrays["meta_json"].tobytes())
    del meta["config"]["form"]
    arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = Recommender.load(tmp_path / "old.npz")
    assert isinstance(old.filter_, LinearFilter) and old.tuning().chosen["form"] == "pruned"
    assert np.allclose(old.score_history(train[:6]), pruned.score_history(train[:6]))


def test_the_exact_candidate_takes_the_rank_its_pruned_form_chose(monkeypatch):
    """The exact form is tried once per variant, at the rank that variant's pruned candidates ranked
    first on validation; with the form set to exact, every rank is tried in it."""
    train = _train(300, 120, seed=5)  # ranks 64 and 256 differ on a 120-product catalogue
    tried = []

    def favour_rank_256_for_rk4_and_64_for_euler(candidates, part, valid):
        out = []
        for settings, _ in candidates:
            tried.append(dict(settings))
            best = 256 if settings["variant"] == "rk4" else 64
            out.append((settings, 0.9 if settings["rank"] == best and settings["form"] == "pruned" else 0.1))
        return out

    monkeypatch.setattr(bspm_module, "validation_scores", favour_rank_256_for_rk4_and_64_for_euler)
    BSPM(seed=0, product_neighbours=2).fit(train)
    exact = [(t["variant"], t["rank"]) for t in tried if t["form"] == "exact"]
    assert exact == [("rk4", 256), ("euler", 64)]
    tried.clear()
    model = BSPM(seed=0, form="exact").fit(train)
    assert sorted((t["variant"], t["rank"]) for t in tried) == sorted(
        (v, r) for v in ("rk4", "euler") for r in (64, 256, 512))
    assert model.tuning().candidates == 6 and model.tuning().chosen["form"] == "exact"


def test_the_work_bound_counts_the_wider_side_and_admits_its_own_value(monkeypatch):
    train = _train(40, 15)
    assert exact_filter.scoring_work(train, 5) == 40 * 2 * train.nnz * 5
    wide = _train(10, 60)
    assert exact_filter.scoring_work(wide, 2) == 60 * 2 * wide.nnz * 2  # every product's row
    monkeypatch.setattr(exact_filter, "EXACT_WORK", exact_filter.scoring_work(train, 5))
    assert exact_filter.affordable(train, 5) and not exact_filter.affordable(train, 6)


def test_empty_histories_unbought_products_and_no_histories_at_all():
    train = _train(30, 12)
    train = sp.csr_matrix(sp.hstack([train, sp.csr_matrix((30, 1), dtype=np.float32)]))  # product 12: no buyer
    normalised, _ = normalise(train)
    found = ExactPolynomialFilter(normalised, [1.0, -0.5])
    empty = sp.csr_matrix((3, 13), dtype=np.float32)
    assert np.array_equal(found.score_history(empty), np.zeros((3, 13), np.float32))
    assert found.score_history(train[:0]).shape == (0, 13)
    scores = found.score_history(train[:5])
    assert scores.dtype == np.float32 and np.all(scores[:, 12] == 0) and np.all(found.rows(np.array([12])) == 0)


def test_exact_operator_sharpens_the_low_pass_part_through_the_interactions():
    train = _train()
    normalised, _ = normalise(train)
    p = (normalised.T @ normalised).toarray().astype(np.float64)
    left = np.eye(15, 2, dtype=np.float32)
    right = np.ones((2, 15), np.float32)
    found = exact_operator(normalised, left, right, bspm_module.VARIANTS["euler"])
    step = np.eye(15) - 1.2 * p  # Euler: S(P~) = I - h P~
    assert np.allclose(found.right_, right @ step, atol=1e-5)
    assert found.alpha == pytest.approx(0.3 * 0.5)  # beta x the sharpened point's share (t-point: 1/2)


def test_a_dashboard_run_of_the_exact_form_answers_the_cli(tmp_path):
    """The Train page's path (train_and_save, the form set as a setting) saves an exact BSPM run; the
    CLI's `recommend --run` and `similar --run` answer from it with the saved model's own lists."""
    frame = pd.read_csv(SAMPLE, dtype=str)
    small = tmp_path / "small.csv"
    frame[frame["CustomerID"].isin(frame["CustomerID"].dropna().unique()[:120])].to_csv(small, index=False)
    store = Workspace(tmp_path / "ws")
    result = ingest(small, drop_non_products=True)
    store.save_dataset("small", result)
    config = ExperimentConfig(model="bspm", baselines=("pop",), settings=(("form", "exact"),))
    run_id = train_and_save(store, DatasetRef("small"), prepare(result), config)
    run = store.load_run(run_id)
    assert isinstance(run.model.filter_, ExactPolynomialFilter)
    user = str(run.users[0])
    expected, _ = run.model.recommend(np.array([0]), k=5)

    def cli(*args):
        done = subprocess.run([sys.executable, "-m", "gnnrec_core", *args, "--run", run_id, "--workspace",
                               str(tmp_path / "ws"), "--json", "-"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    listed = cli("recommend", "--user", user, "--k", "5")["recommendations"]
    assert [str(r["item"]) for r in listed] == [str(run.items[i]) for i in expected[0]]
    assert cli("similar", "--item", str(run.items[expected[0][0]]), "--k", "3")


def test_a_refit_on_every_interaction_keeps_the_exact_form_only_within_the_bound(monkeypatch, planted):
    """The work bound was checked on the train split; every interaction is more. Past the bound the
    served model is pruned, and the run's notes say so."""
    import gnnrec_core.models.bspm as bspm_module
    from gnnrec_core.models.bspm import BSPM

    model = BSPM(form="exact", variant="rk4", rank=4).fit(planted)
    chosen = {"variant": "rk4", "rank": 4, "form": "exact"}
    assert model.refit_settings(chosen, planted) == (chosen, None)  # inside the bound: as chosen
    monkeypatch.setattr(bspm_module, "affordable", lambda train, degree: False)
    served, note = model.refit_settings(chosen, planted)
    assert served == chosen | {"form": "pruned"} and "served in its pruned form" in note
    assert model.refit_settings(chosen | {"form": "pruned"}, planted) == (chosen | {"form": "pruned"}, None)
