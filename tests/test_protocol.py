"""The test split is read once, for the final table: poison it and every choice a run makes (the
GNN's settings, epochs and blend, EASE's lambda, the validation figures) stays the same, while
the test figures move. And every model of a dashboard run carries a validation figure."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import gnnrec_core.pipeline.benchmark as pipeline_module
import gnnrec_core.pipeline.experiment as experiment_module
from gnnrec_core.data.ingest import ingest
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import Split, carve_validation, split
from gnnrec_core.models import ItemKNN
from gnnrec_core.pipeline.benchmark import benchmark, prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment

GNN = (("time_budget", 600.0), ("epochs", 12))  # a budget no search reaches: no timing in choices


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(3)
    rows = [(f"o{u}-{n}", f"p{(u % 5) * 8 + int(rng.integers(16))}", f"u{u}") for u in range(120) for n in range(16)]
    path = tmp_path_factory.mktemp("protocol") / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    return prepare(ingest(path))


def _poisoned(data, config) -> Split:
    """The real split with its test matrix replaced by random pairs of the same size."""
    real = split(data, config)
    test = real.test.tocoo()
    rng = np.random.default_rng(99)
    cols = rng.integers(real.test.shape[1], size=test.nnz)
    fake = sp.csr_matrix((np.ones(test.nnz, np.float32), (test.row, cols)), shape=real.test.shape)
    return Split(real.train, fake, real.config, real.info)


def _untimed(tuning):
    return {k: v for k, v in (tuning.to_json() if tuning else {}).items() if "seconds" not in k}


def _choices(results):
    return [(r.model, r.valid_ndcg, _untimed(r.tuning)) for r in results]


def test_run_experiment_never_reads_the_test_matrix(dataset, monkeypatch):
    config = ExperimentConfig(model="lightgcn", baselines=("pop", "ease"), settings=GNN)
    clean = run_experiment(dataset, config).results
    monkeypatch.setattr(experiment_module, "split", _poisoned)
    poisoned = run_experiment(dataset, config).results
    assert _choices(clean) == _choices(poisoned)
    assert [r.ndcg for r in clean] != [r.ndcg for r in poisoned]  # the poison did reach the table


def test_benchmark_and_eases_lambda_never_read_the_test_matrix(dataset, monkeypatch):
    clean = benchmark(dataset, ["ease", "lightgcn"], gnn_settings=dict(GNN)).results
    monkeypatch.setattr(pipeline_module, "split", _poisoned)
    poisoned = benchmark(dataset, ["ease", "lightgcn"], gnn_settings=dict(GNN)).results
    assert [_untimed(r.tuning) for r in clean] == [_untimed(r.tuning) for r in poisoned]
    assert clean[0].tuning.chosen["l2"] > 0  # EASE reports the lambda it chose
    assert [r.ndcg for r in clean] != [r.ndcg for r in poisoned]


def test_every_model_of_a_run_has_its_validation_figure(dataset):
    config = ExperimentConfig(model="lightgcn", baselines=("pop", "itemknn"), settings=GNN, seed=2)
    results = {r.model: r for r in run_experiment(dataset, config).results}
    # A baseline's figure: refitted on train less the GNN's validation slice, scored on that slice.
    part, valid = carve_validation(split(dataset.interactions, config.split).train, 0.1, seed=2)
    expected = evaluate(ItemKNN().fit(part).score, part, valid)["ndcg"]
    assert results["itemknn"].valid_ndcg == pytest.approx(expected)
    gnn = results["lightgcn"]
    assert gnn.valid_ndcg == pytest.approx(gnn.tuning.blend_valid_ndcg if gnn.tuning.blend_valid_ndcg is not None
                                           else gnn.tuning.valid_ndcg)


def test_eases_validation_figure_uses_the_lambda_it_chose_without_a_second_search(dataset, monkeypatch):
    """EASE's row chose lambda on a carve of train; its validation figure refits EASE on the rest of
    train at that lambda, scored on the slice (a second search cost ~1 s of the sample's Train run)."""
    import gnnrec_core.models.ease as ease_module
    from gnnrec_core.models import EASE

    searches = []
    choose = ease_module.choose_l2
    monkeypatch.setattr(ease_module, "choose_l2", lambda *a, **kw: searches.append(1) or choose(*a, **kw))
    config = ExperimentConfig(model="itemknn", baselines=("ease",), seed=1)  # EASE as a row, not the final model
    row = next(r for r in run_experiment(dataset, config).results if r.model == "ease")
    assert len(searches) == 1
    part, valid = carve_validation(split(dataset.interactions, config.split).train, 0.1, seed=1)
    expected = evaluate(EASE(l2=row.tuning.chosen["l2"]).fit(part).score, part, valid)["ndcg"]
    assert row.valid_ndcg == pytest.approx(expected)


@pytest.mark.parametrize("model", ["gfcf", "bspm", "turbocf", "rp3beta"])
def test_the_served_filter_is_the_one_its_row_measured(dataset, model):
    """A filter as the run's model was refitted on every interaction with a second search on a new
    carve, so the saved model could differ from the row the table shows (another rank, variant or
    form). The final fit now takes the row's choice as its settings."""
    config = ExperimentConfig(model=model, baselines=(), seed=2)
    experiment = run_experiment(dataset, config)
    chosen = experiment.results[0].tuning.chosen
    served = experiment.model.tuning()
    assert served.chosen == chosen and experiment.model.train_.nnz == dataset.interactions.matrix().nnz
    assert experiment.results[0].tuning.candidates > 1 and served.candidates == 1  # no second search


@pytest.mark.parametrize("model", ["gfcf", "bspm", "turbocf", "rp3beta"])
def test_the_pages_comparison_model_is_the_one_its_row_measured(dataset, model):
    """The Recommendations page's second list: a filter the run scored as a comparison, fitted on
    every interaction at its row's choice, with no second search (at 50,000 products GF-CF's search
    made the page's first load 3.5 minutes)."""
    from gnnrec_core.pipeline.experiment import chosen_settings, refit_on_everything

    run = run_experiment(dataset, ExperimentConfig(model="itemknn", baselines=(model,), seed=2))
    row = next(r for r in run.results if r.model == model)
    side, changed = refit_on_everything(model, dataset, chosen_settings(model, row.tuning), seed=2)
    assert side.tuning().chosen == row.tuning.chosen and changed is None
    assert row.tuning.candidates > 1 and side.tuning().candidates == 1
    assert side.train_.nnz == dataset.interactions.matrix().nnz
