"""A drawn-split `benchmark` run's wall budget (the GNNs' budgets cut to keep it) and its sample of
test customers (pipeline/wall_budget.py), in the engine and as the command a user types."""

import json
import time

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import SAMPLE
from test_cli import run_cli

from gnnrec_core.matrix.interactions import Split, SplitConfig
from gnnrec_core.pipeline.wall_budget import (
    LEAST_GNN_SECONDS,
    SLACK_SECONDS,
    TEST_USERS,
    WALL_BUDGET,
    WallBudget,
    run_limits,
    sampled_test,
)


def test_a_gnn_gets_an_equal_share_of_what_the_run_has_left_less_its_scoring():
    # 110 s budget (10 s of it held back), 39 s gone, two GNNs to fit, the slowest scoring so far 4 s:
    # each GNN's scoring is reckoned at 1.5 x 4 = 6 s, so each trains for (110 - 10 - 39) / 2 - 6 = 24.5 s,
    # whole seconds down: 24 (the few microseconds this test takes count too).
    assert SLACK_SECONDS == 10.0
    wall = WallBudget(110.0, started=time.perf_counter() - 39.0, scoring=[2.0, 4.0])
    assert wall.gnn_budget(90.0, gnns_left=2) == 24.0
    assert wall.gnn_budget(15.0, gnns_left=2) == 15.0  # its own budget fits: not cut
    assert wall.gnn_budget(90.0, gnns_left=1) == 54.0  # the last GNN takes what is left: 61 - 6, less a moment
    late = WallBudget(100.0, started=time.perf_counter() - 200.0)
    assert late.gnn_budget(90.0, gnns_left=1) == LEAST_GNN_SECONDS  # past the budget: never under the floor
    assert WallBudget(0.0, started=time.perf_counter() - 200.0).gnn_budget(90.0, 2) == 90.0  # 0: no wall budget


def test_the_sample_keeps_whole_customers_the_same_for_a_seed():
    test = sp.random(60, 30, density=0.2, format="lil", random_state=1, dtype=np.float32)
    test[5, :] = 0  # a customer with nothing in test is never drawn
    test = sp.csr_matrix(test)
    test.data[:] = 1.0
    train = sp.csr_matrix((60, 30), dtype=np.float32)
    data_split = Split(train, test, SplitConfig(), {"note": "kept"})
    with_pairs = np.flatnonzero(np.diff(test.indptr) > 0)
    drawn = sampled_test(data_split, 20, seed=3)
    kept = np.flatnonzero(np.diff(drawn.test.indptr) > 0)
    assert len(kept) == 20 and set(kept) <= set(with_pairs)
    for user in range(60):  # a drawn customer keeps every test pair; the others none
        expected = test[user].toarray() if user in kept else np.zeros((1, 30))
        np.testing.assert_array_equal(drawn.test[user].toarray(), expected)
    assert np.array_equal(np.flatnonzero(np.diff(sampled_test(data_split, 20, seed=3).test.indptr) > 0), kept)
    assert drawn.train is train
    record = drawn.as_dict()
    assert record["test_users"] == 20 and record["test_users_drawn"] == len(with_pairs)
    assert record["test_interactions_drawn"] == test.nnz and record["note"] == "kept"
    assert sampled_test(data_split, 0, seed=3) is data_split  # 0: every test customer
    assert sampled_test(data_split, len(with_pairs), seed=3) is data_split


def test_the_defaults_differ_for_a_drawn_split_a_given_one_and_an_asked_gnn_budget():
    assert run_limits(None, None, given_split=False, time_budget_asked=False) == (WALL_BUDGET, TEST_USERS)
    assert run_limits(None, None, given_split=True, time_budget_asked=False) == (0.0, 0)  # --test: as published
    assert run_limits(None, None, given_split=False, time_budget_asked=True) == (0.0, TEST_USERS)
    assert run_limits(60.0, 500, given_split=True, time_budget_asked=True) == (60.0, 500)  # asked for: kept


def test_benchmark_cuts_a_gnn_budget_to_its_wall_budget_and_scores_the_sample(small_log, tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli("benchmark", small_log, "--models", "pop,gfcf,rp3beta,lightgcn", "--time-budget", "12",
                     "--wall-budget", "1", "--test-users", "40", "--json", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    cut = f"LightGCN trained for at most {LEAST_GNN_SECONDS:.0f} s of its 12 s budget, to end the run within its 1 s"
    assert cut in result.stdout and any(note.startswith(cut) for note in data["notes"])
    assert any("past its 1 s wall budget" in note for note in data["notes"])
    gnn = next(row for row in data["results"] if row["key"] == "lightgcn")
    assert gnn["tuning"]["budget"] == LEAST_GNN_SECONDS  # what the GNN was given is what its record says
    split = data["split"]
    assert split["test_users"] == 40 and split["test_users_drawn"] > 40
    assert f"a random 40 of the {split['test_users_drawn']:,} test customers" in result.stdout
    assert data["verdicts"]["training"]["n"] == 40  # every row on the same 40 customers, paired
    # Popularity's figure is the engine's, in process, on the same sample of the same split.
    from gnnrec_core import ingest, prepare
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.matrix.interactions import split as draw
    from gnnrec_core.models import Popularity

    parts = sampled_test(draw(prepare(ingest(small_log, drop_non_products=True)).interactions), 40, seed=0)
    expected = evaluate(Popularity().fit(parts.train).score, parts.train, parts.test, k=10)
    assert data["results"][0]["ndcg"] == pytest.approx(expected["ndcg"], abs=1e-4)


def test_a_budget_is_cut_in_whole_seconds_and_only_below_its_own():
    import gnnrec_core.models.embedding  # noqa: F401  (torch: imported before the clocks below start)
    from gnnrec_core.pipeline.benchmark import _within_wall

    # 300 s, 10 held back, 199.6 gone, one GNN: a share of 90.4 s against its 90 s: not cut, no note.
    wall = WallBudget(300.0, started=time.perf_counter() - 199.6)
    settings, notes = _within_wall("lightgcn", None, wall, {}, ["lightgcn"])
    assert settings == {} and notes == []
    wall = WallBudget(300.0, started=time.perf_counter() - 229.5)
    settings, notes = _within_wall("lightgcn", None, wall, {}, ["lightgcn", "pop"])
    assert settings["time_budget"] == 60.0 and notes[0].startswith(
        "LightGCN trained for at most 60 s of its 90 s budget")


def test_a_split_that_stays_keeps_its_sample_and_its_counts_add_up(tmp_path):
    out = tmp_path / "time.json"
    sampled = run_cli("benchmark", SAMPLE, "--models", "pop", "--split", "time", "--test-users", "50",
                      "--repeat", "2", "--json", out)
    assert sampled.returncode == 0, sampled.stderr
    runs = json.loads(out.read_text())["runs"]
    first, second = ({k: v for k, v in run["split"].items() if k != "seed"} for run in runs)
    assert first["test_users"] == 50 and first == second  # one time cut, one sample (the seeds are the models')
    assert "each run scored a random 50 of its" in sampled.stdout and "(the same; --test-users 0" in sampled.stdout
    # The customers left out by the time cut: their pairs are the data less train and every drawn test pair.
    whole = run_cli("benchmark", SAMPLE, "--models", "pop", "--split", "time", "--test-users", "0")
    one = run_cli("benchmark", SAMPLE, "--models", "pop", "--split", "time", "--test-users", "50")

    def neither(text: str) -> str:
        return next(line for line in text.splitlines() if line.startswith("data: ")).split("left out")[1]
    assert neither(one.stdout) == neither(whole.stdout)


def test_a_wall_budget_without_a_gnn_is_refused(small_log):
    result = run_cli("benchmark", small_log, "--models", "pop,gfcf", "--wall-budget", "60")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: --wall-budget: expected a GNN among the models")
