"""One ETA for the whole Train run: every model's stage and the last step, rescaled by the run's
own pace, never "0 s left" while a stage is still going."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from gnnrec_core.data.ingest import ingest
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment
from gnnrec_core.pipeline.run_clock import COST, RunClock, expected_seconds, shape_of


def test_shape_counts_what_drives_each_model():
    train = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 0]], dtype=np.float32))
    shape = shape_of(train)
    assert (shape.users, shape.items, shape.pairs) == (4, 3, 6)
    assert shape.cells == 12 and shape.pair_products == 4 + 9 + 0 + 1 and shape.dense_solve == 3 * 9


def test_ease_past_its_dense_cap_costs_nothing_in_the_eta():
    """EASE refuses a catalogue past GNNREC_MAX_DENSE_ITEMS at once: its dense solve of 21,860
    products was 49 of the "57 min left" of a grocery run that took under 3."""
    from gnnrec_core.pipeline.run_clock import Shape

    def wide(items):
        return Shape(17_000, items, 300_000, 17_000.0 * items, 7e6, float(min(17_000, items)) * items ** 2)
    assert expected_seconds("ease", wide(21_860)) == 0.0
    assert expected_seconds("ease", wide(9_000)) > 100  # within the cap: its solve is the wait


def test_the_eta_counts_every_stage_and_follows_the_runs_pace():
    clock = RunClock({"lightgcn": 60.0, "pop": 1.0, "ease": 10.0, "final": 2.0}, frozenset({"lightgcn"}))
    clock.begin("lightgcn", now=0.0)
    assert clock.remaining(now=0.0) == pytest.approx(73.0)  # the GNN's budget and all that follows
    assert clock.remaining(now=20.0) == pytest.approx(53.0)
    clock.begin("pop", now=30.0)  # the GNN stopped early: its budget no longer counts
    assert clock.remaining(now=30.0) == pytest.approx(13.0)
    clock.begin("ease", now=33.0)  # pop took 3x its estimate: what is left is rescaled by that pace
    assert clock.pace() == pytest.approx(3.0)
    assert clock.remaining(now=33.0) == pytest.approx(30.0 + 6.0)
    assert clock.remaining(now=100.0) > 0  # a stage past its estimate never reads as finished
    assert clock.fraction_done(now=33.0) == pytest.approx(33.0 / (33.0 + 36.0))


def test_the_eta_is_a_bound_while_it_holds_a_gnns_whole_budget():
    clock = RunClock({"lightgcn": 60.0, "pop": 1.0, "final": 2.0}, frozenset({"lightgcn", "final"}))
    clock.begin("lightgcn", now=0.0)
    assert clock.bounded()  # "at most": it may stop long before its budget
    clock.replan("lightgcn", 10.0, now=5.0)  # its search timed the pace: an estimate now
    assert not clock.bounded() and clock.remaining(now=5.0) == pytest.approx(13.0)
    other = RunClock({"pop": 1.0, "lightgcn": 60.0, "final": 2.0}, frozenset({"lightgcn", "final"}))
    other.begin("pop", now=0.0)
    assert other.bounded()  # the GNN's budget is still ahead
    other.begin("lightgcn", now=1.0)
    other.begin("final", now=20.0)  # done early: only the last step is left
    assert not other.bounded()


def test_an_unusual_pace_is_bounded():
    clock = RunClock({"pop": 1.0, "ease": 10.0}, frozenset())
    clock.begin("pop", now=0.0)
    clock.begin("ease", now=1000.0)
    assert clock.remaining(now=1000.0) == pytest.approx(80.0)  # at most 8x the measured cost


def test_every_default_model_has_a_measured_cost():
    from gnnrec_core.models.registry import SPECS

    shape = shape_of(sp.random(500, 300, density=0.05, format="csr", random_state=0))
    for name, spec in SPECS.items():
        if not spec.is_gnn:
            assert name in COST and 0 < expected_seconds(name, shape) < 60


def test_a_train_run_reports_the_whole_runs_eta(tmp_path):
    rows = [(f"o{i}", f"p{(i * 7 + j) % 40}", f"u{i % 60}") for i in range(600) for j in range(3)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    events: list[dict] = []
    run_experiment(prepare(ingest(path)), ExperimentConfig(settings=(("time_budget", 8.0),)), events.append)
    assert all("run_eta_seconds" in e and 0 <= e["run_done"] <= 1 for e in events)
    assert events[0]["run_eta_seconds"] >= 8.0  # the GNN's budget and every baseline after it
    assert events[0]["run_eta_bound"]  # said as a bound ("at most"): the GNN may stop before its budget
    epochs = [e for e in events if "epoch" in e]
    assert epochs and all(e["run_eta_seconds"] > 0 for e in epochs)  # the whole run left, not the fit's
    last = events[-1]
    assert last["stage"].startswith("placing")
    # The last step is the furthest along, whatever the machine's speed: only its own short stage is left.
    assert last["run_done"] >= max(e["run_done"] for e in events[:-1])
    assert last["run_eta_seconds"] < 5.0 and not last["run_eta_bound"]


def test_the_main_model_is_named_not_the_first_fitted():
    """The Train run fits GF-CF before a GNN (its blend reuses GF-CF's search): the GNN is still the
    model whose budget the user set and whose propagation ends the run."""
    from gnnrec_core.pipeline.experiment import _budgets

    train = sp.random(200, 50, density=0.1, random_state=0, format="csr")
    budgets = _budgets(["gfcf", "lightgcn", "gcn"], {"time_budget": 15.0}, main="lightgcn")
    assert budgets == {"lightgcn": 15.0, "gcn": 90.0}
    clock = RunClock.plan(["gfcf", "lightgcn"], shape_of(train), budgets, main="lightgcn")
    assert clock.expected["lightgcn"] == 15.0 and "final" in clock.budgeted  # a GNN's propagation ends it
    first_fitted = RunClock.plan(["gfcf", "lightgcn"], shape_of(train), budgets)
    assert "final" not in first_fitted.budgeted  # what taking models[0] as the main model got wrong


def test_a_gnn_stage_follows_its_searchs_plan_once_known_never_past_its_budget():
    clock = RunClock({"lightgcn": 90.0, "pop": 1.0, "final": 1.0}, frozenset({"lightgcn", "final"}))
    clock.begin("lightgcn", now=0.0)
    assert clock.remaining(now=1.0) == pytest.approx(89.0 + 2.0)  # the budget until the search knows better
    clock.replan("lightgcn", 6.0, now=1.0)  # its first candidate took 1 s: 6 s of search and training left
    assert clock.remaining(now=1.0) == pytest.approx(6.0 + 2.0)
    clock.replan("lightgcn", 500.0, now=2.0)
    assert clock.expected["lightgcn"] == pytest.approx(7.0)  # a plan never grows the stage
    clock.replan("pop", 0.1, now=2.0)  # only the stage under way is replanned
    assert clock.expected["pop"] == 1.0


def test_the_searchs_plan_counts_its_rungs_and_stops_at_the_deadline():
    import time

    from gnnrec_core.fit.tuning import planned_seconds

    far = time.perf_counter() + 1e6
    # 8 candidates: 7 more first rungs, 2 survivors' 10 epochs more (2 rungs each), then 25 epochs =
    # 5 rungs for the winner and 35 = 7 for the defaults carried beside it
    assert planned_seconds(1.0, 8, 5, 40, far) == pytest.approx(7 + 4 + 5 + 7)
    assert planned_seconds(1.0, 1, 5, 40, far) == pytest.approx(7.0)  # one candidate: no second rung
    assert planned_seconds(1.0, 8, 5, 40, time.perf_counter() + 3.0) <= 3.0
    # The cap at 120: the winner is planned to the epochs early stopping usually reaches (40), not
    # to the cap; a cap under that still bounds it.
    assert planned_seconds(1.0, 8, 5, 120, far) == planned_seconds(1.0, 8, 5, 40, far)
    assert planned_seconds(1.0, 8, 5, 20, far) == pytest.approx(7 + 4 + 1 + 3)


def test_the_runs_eta_drops_from_the_budget_to_the_searchs_plan(tmp_path):
    """On a small log the default 90 s budget is what the first ETA counts; once the search has
    timed its first candidate, the ETA is what the search has left, far under the budget."""
    from gnnrec_core.data.synthetic import SyntheticConfig, generate

    path = tmp_path / "orders.csv"  # 300 customers x 150 products: enough for a validation search
    generate(SyntheticConfig(interactions=3000, users=300, items=150, categories=8, seed=3)).to_csv(path, index=False)
    events: list[dict] = []
    run_experiment(prepare(ingest(path)), ExperimentConfig(baselines=("pop",), settings=(("epochs", 10),)),
                   events.append)  # 10 epochs at most: the budget stays the default 90 s
    planned = next(i for i, e in enumerate(events) if "plan_seconds" in e)
    assert events[0]["run_eta_seconds"] >= 90.0
    assert events[planned]["run_eta_seconds"] < 45.0 and events[planned]["candidate"] == 1
