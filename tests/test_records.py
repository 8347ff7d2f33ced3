"""One record per fact: each record's JSON form round-trips, carries its schema, and a workspace
written by release 0.9.0 (committed under tests/fixtures) opens migrated or is refused in one line."""

import json
import shutil

import pytest
from conftest import ROOT

from gnnrec_core.fit.metrics import METRICS
from gnnrec_core.records import (
    METRIC_NAMES,
    SCHEMA,
    BenchmarkResult,
    DatasetRef,
    RecordError,
    ResultRow,
    RunInfo,
    Tuning,
)
from gnnrec_core.store import Workspace

LEGACY = ROOT / "tests" / "fixtures" / "workspace_0.9.0"
GNN_TUNING = Tuning(chosen={"dim": 64, "layers": 2}, valid_ndcg=0.09, blend={"filter": 4.0, "popularity": 0.0},
                    blend_valid_ndcg=0.11, epochs=30, best_epoch=15, stopped="patience", budget=90.0, seconds=1.2,
                    search_seconds=1.0, candidates=11)


def _row(model="lightgcn", tuning=None, valid=0.1):
    return ResultRow(model, ndcg=0.2, precision=0.1, recall=0.3, map=0.1, hit_rate=0.5, coverage=0.4,
                     train_seconds=1.5, device="cpu", valid_ndcg=valid, tuning=tuning)


def test_the_records_name_the_same_metrics_as_the_evaluation():
    assert METRIC_NAMES == METRICS


def test_every_record_round_trips_through_its_json_form():
    rows = (_row(tuning=GNN_TUNING), _row("ease", Tuning(chosen={"l2": 20.0})), _row("pop", valid=None))
    info = RunInfo(DatasetRef("orders", "orders.csv"), "lightgcn", results=rows, k=5, seed=3, weighting="count",
                   settings={"time_budget": 5.0}, history=({"epoch": 5, "loss": 1.0},), notes=("a note",),
                   made_by="cli", run_id="r1", saved_at=12.5)
    assert RunInfo.from_json(json.loads(json.dumps(info.to_json()))) == info
    bench = BenchmarkResult(users=3, items=4, interactions=9, split={"method": "random"}, k=10, results=rows)
    assert BenchmarkResult.from_json(json.loads(json.dumps(bench.to_json()))) == bench
    assert info.to_json()["schema"] == bench.to_json()["schema"] == SCHEMA


def test_eases_tuning_has_no_gnn_fields_and_reads_without_them():
    """The crash of `benchmark` (KeyError 'valid_ndcg'): EASE's record holds only its lambda."""
    ease = Tuning.from_json({"chosen": {"l2": 20.0}})
    assert ease.valid_ndcg is None and not ease.blended and ease.best_valid_ndcg is None
    from gnnrec_core.cli.fit import tuning_line

    assert tuning_line(ease) == "chose regularisation lambda 20"
    assert "0.1100 blended with graph filter x4" in tuning_line(GNN_TUNING)


@pytest.mark.parametrize("data,expected", [
    ({"schema": 99, "model": "pop", "dataset": {"name": "x"}}, "schema 1 to 2, found schema 99"),
    ({"schema": 2, "model": "pop", "dataset": "x"}, "expected the run's dataset as {name, source}"),
    ({"schema": 2, "model": "pop", "dataset": {"name": "x"}, "results": {}}, "results as a list"),
    ({"schema": 2, "model": None, "dataset": {"name": "x"}}, "expected the run's model name"),
    ([], "expected a run record"),
])
def test_a_damaged_or_newer_run_record_is_refused_in_one_line(data, expected):
    with pytest.raises(RecordError, match=expected.replace("{", r"\{").replace("}", r"\}")) as caught:
        RunInfo.from_json(data)
    assert "\n" not in str(caught.value)


def test_nan_figures_are_written_as_null_never_as_bare_words():
    text = json.dumps(_row(valid=float("nan")).to_json(), allow_nan=False)  # raises on NaN
    assert '"valid_ndcg": null' in text


def test_a_dataset_from_release_0_9_0_takes_new_runs(tmp_path):
    """Its meta.json holds no fingerprint: the save's check that the dataset was not replaced while
    the run trained refused every run on it (a review found it), as 'replaced'."""
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save

    root = tmp_path / "ws"
    shutil.copytree(LEGACY, root)
    store = Workspace(root)
    data = prepare(store.load_dataset("tiny orders"))
    run_id = train_and_save(store, DatasetRef("tiny orders"), data, ExperimentConfig(model="pop", baselines=()))
    assert run_id in {r.run_id for r in store.list_runs()}


def test_a_workspace_from_release_0_9_0_opens_migrated(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(LEGACY, root)
    store = Workspace(root)
    runs = store.list_runs()
    assert [r.model for r in runs] == ["lightgcn"]  # the dashboard's run, migrated
    run = store.load_run(runs[0].run_id)
    info = run.info
    assert info.dataset == DatasetRef("tiny orders") and info.made_by == "dashboard"
    assert {r.model for r in info.results} == {"lightgcn", "pop", "itemknn", "cooc", "ease"}
    gnn = info.main_result
    assert gnn.tuning.blend == {"filter": 4.0, "popularity": 0.0}
    assert gnn.tuning.blend_valid_ndcg == pytest.approx(gnn.valid_ndcg)  # 0.9.0's {"blended": ...}, read
    assert next(r for r in info.results if r.model == "ease").tuning.chosen == {"l2": 20.0}
    assert run.model.n_items == len(run.items)
    # The CLI's 0.9.0 run never saved its dataset: refused, in one line that says why and what to do.
    (refused,) = store.unreadable()
    assert "itemknn" in refused.name and "tiny_orders.csv" in refused.reason and "train it again" in refused.reason
    assert "\n" not in refused.reason


@pytest.mark.parametrize("damage", [
    ("split", "train_interactions", None), ("split", "test_users", "x"), ("results", "model", "x"),
])
def test_a_run_with_a_damaged_field_is_refused_by_report_in_one_line(tmp_path, damage):
    """A fuzzed run.json (a split count null or text, an unknown model in the table) made `report
    --run` exit 3; now it is refused as damaged, exit 2, and listed among what cannot open."""
    import subprocess
    import sys

    from conftest import SAMPLE

    from gnnrec_core import ingest
    from gnnrec_core.models import MODELS
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.records import ResultRow
    from gnnrec_core.store import Run

    store = Workspace(tmp_path / "ws")
    result = ingest(SAMPLE)
    store.save_dataset("data", result)
    dataset = prepare(result)
    row = ResultRow("pop", ndcg=0.1, precision=0.1, recall=0.1, map=0.1, hit_rate=0.1, coverage=0.1, train_seconds=0.0)
    info = RunInfo(DatasetRef("data"), "pop", results=(row,), split={"train_interactions": 5, "test_users": 2})
    run_id = store.save_run(Run(MODELS["pop"]().fit(dataset.interactions.matrix()), dataset.interactions.users,
                                dataset.interactions.items, info))
    path = tmp_path / "ws" / "runs" / run_id / "run.json"
    record = json.loads(path.read_text())
    where, key, value = damage
    (record[where][0] if where == "results" else record[where])[key] = value
    path.write_text(json.dumps(record))
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "report", "--run", run_id, "--workspace",
                           tmp_path / "ws", "--out", tmp_path / "r.html"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "is damaged" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert [u.name for u in Workspace(tmp_path / "ws").unreadable()] == [run_id]
