"""Ray as the engine, each path against the one-process result on the same small synthetic graph:
the validation search as Ray Tune trials under ASHA (fit/ray_engine.py) and the data-parallel fit as
Ray Train workers (pipeline/distributed.py); and the one-line errors of --engine ray.

One local Ray instance (2 CPUs, no dashboard) serves the whole module. Ray is a dev requirement that
CI installs: when it is missing or cannot start, these tests fail, they never skip.
"""

import logging
import subprocess
import sys
import threading

import numpy as np
import pytest
import ray
from conftest import ROOT, SAMPLE

from gnnrec_core.cli import main
from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.fit import tuning
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.fit.tuning import search_engine
from gnnrec_core.matrix.interactions import carve_validation, split
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.distributed import fit_data_parallel, fixed

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray at a time when the suite runs in parallel


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """300 customers x 150 products, 3,000 order lines: the train part of the default split."""
    source = tmp_path_factory.mktemp("ray") / "orders.csv"
    generate(SyntheticConfig(interactions=3000, users=300, items=150, categories=8, seed=3)).to_csv(source, index=False)
    return split(prepare(ingest(source)).interactions)


def test_ray_tune_search_chooses_as_well_as_the_local_search(local_ray, graph, monkeypatch):
    """The same three candidates (the defaults first) and 15 epochs: locally the best after the
    first rung trains on, and the defaults beside it; under ASHA that one always continues too, and
    the defaults are carried after the trials as the local search carries them, so Ray's choice
    validates at least as well (to 1%), and its weights came back: the returned model scores what
    it reported."""
    draw = tuning.draw_candidates
    monkeypatch.setattr(tuning, "draw_candidates", lambda defaults, n, seed: draw(defaults, 3, seed))
    part, valid = carve_validation(graph.train, 0.2, seed=0)

    def fit():
        return LightGCN(epochs=15, seed=0, blend=False, time_budget=600, device="cpu").fit(part, valid)

    local = fit()
    with search_engine("ray"):
        on_ray = fit()
    pool = [{k: v for k, v in entry.items() if k in tuning.SEARCH_SPACE} for entry in local.tuning_["search"][:3]]
    tried = [{k: v for k, v in entry.items() if k in tuning.SEARCH_SPACE} for entry in on_ray.tuning_["search"]
             if not entry.get("rungs_winner") and not entry.get("carried")]  # the trials, then the choice
    assert tried[:-1] == pool and on_ray.tuning_["search"][-1]["chosen"]  # every candidate ran as a trial
    ray_score, local_score = on_ray.tuning().valid_ndcg, local.tuning().valid_ndcg
    assert on_ray.tuning().chosen in pool
    assert ray_score >= local_score * 0.99, (on_ray.tuning(), local.tuning())
    assert evaluate(on_ray.score, part, valid)["ndcg"] == pytest.approx(ray_score, abs=1e-6)  # the winner's weights
    assert len(on_ray.history_) == on_ray.tuning().epochs > 0


def test_two_ray_train_workers_make_the_one_process_model(local_ray, graph):
    """Full and sampled softmax, one worker group: both workers end with identical parameters that
    match one process (what a single worker runs: world size 1) to 2e-3 after 12 epochs, losses to
    1e-4. Batches hold all users but one, so the last batch has one user and worker 1's share of it
    is empty: it must still draw the same random numbers as worker 0."""
    train = graph.train
    users = int((np.diff(train.indptr) > 0).sum())
    runs = [{"epochs": 12, "seed": 0, "full_softmax_items": items, "batch_size": users - 1} for items in (20000, 50)]
    fitted = fit_data_parallel(train, runs, workers=2)
    for settings, two in zip(runs, fitted):
        one = LightGCN(**fixed(settings), device="cpu").fit(train)
        assert two["world_size"] == 2 and two["threads_per_worker"] == 1
        assert two["ranks_max_difference"] <= 1e-6  # the workers agree
        state = one.get_state()
        for key in ("user_vectors", "item_vectors", "item_bias"):
            np.testing.assert_allclose(two["state"][key], state[key], atol=2e-3)  # and match one process
        losses_two = [record["loss"] for record in two["history"]]
        assert losses_two[-1] < losses_two[0] * 0.95  # it learned
        np.testing.assert_allclose(losses_two, [record["loss"] for record in one.history_], rtol=1e-4)
        rebuilt = LightGCN(**fixed(settings), device="cpu")  # as the CLI saves rank 0's
        rebuilt.train_ = train
        rebuilt.set_state(two["state"])
        ndcg = [evaluate(model.score, train, graph.test)["ndcg"] for model in (rebuilt, one)]
        assert abs(ndcg[0] - ndcg[1]) < 1e-3


def test_the_search_watcher_reports_stops_and_pickles_without_its_callback():
    from ray import cloudpickle, tune  # Tune saves its stopper with cloudpickle

    from gnnrec_core.fit.ray_engine import _watcher

    lock = threading.Lock()  # a callback that cannot be pickled, as a progress bar's
    events = []
    watcher = _watcher(tune, [{"dim": 64}], lambda event: events.append(event) or (lock is None))
    assert watcher("trial", {"config": {"index": 0}, "valid_ndcg": 0.25}) is False
    assert events == [{"stage": "search", "candidate": 1, "score": 0.25, "settings": {"dim": 64}}]
    assert watcher.stop_all()  # the callback returned False: every trial stops
    assert cloudpickle.loads(cloudpickle.dumps(watcher)).report is None


@pytest.mark.parametrize("args,message", [
    (["--engine", "ray", "--ray-address", "127.0.0.1:1"],
     "error: expected a Ray cluster at 127.0.0.1:1 (started with `ray start --head`), found none reachable: "),
    (["--ray-address", "127.0.0.1:6379"], "error: --ray-address: expected engine ray beside it, found engine local"),
    (["--engine", "ray", "--models", "pop"], "error: --engine: expected a GNN among the models"),
], ids=["unreachable", "address-without-engine", "no-gnn"])
def test_engine_errors_are_one_line_before_any_data_is_read(args, message, tmp_path, capsys):
    models = [] if "--models" in args else ["--models", "lightgcn"]
    assert main(["benchmark", str(tmp_path / "never_read.csv"), *models, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_without_ray_installed_engine_ray_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as when it is not installed
    assert main(["train", str(SAMPLE), "--engine", "ray", "--workspace", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: expected Ray for --engine ray (pip install -e \".[ray]\" in the "
                                       "project), found it not installed\n")
    from gnnrec_core.pipeline import distributed

    assert distributed.main([str(SAMPLE), "--out", str(tmp_path / "ddp")]) == 2
    assert capsys.readouterr().err == ("error: expected Ray for the data-parallel fit (pip install -e \".[ray]\" "
                                       "in the project), found it not installed\n")


def test_nothing_imports_ray_until_the_ray_engine_is_asked_for():
    probe = ("import sys, gnnrec_core.cli, gnnrec_core.fit.tuning, gnnrec_core.pipeline.distributed\n"
             "print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_trial_whose_worker_died_is_said_in_one_line():
    """A worker killed for memory is the cluster's doing (exit 2, in words); any other failure is ours."""
    from types import SimpleNamespace

    from gnnrec_core.errors import ConfigError
    from gnnrec_core.fit.ray_engine import _raise_failed

    class WorkerCrashedError(Exception):
        pass

    fake_ray = SimpleNamespace(exceptions=SimpleNamespace(WorkerCrashedError=WorkerCrashedError))
    with pytest.raises(ConfigError, match=r"found one whose worker died \(killed by the OOM killer\)"):
        _raise_failed(fake_ray, WorkerCrashedError("killed by the OOM killer"))
    with pytest.raises(RuntimeError, match="a Ray Tune trial failed: ZeroDivisionError"):
        _raise_failed(fake_ray, ValueError("Traceback...\nZeroDivisionError"))
