"""A run repeated over seeds (`train --repeat N`, the Train page's "Repeat over seeds"): the table and
the model are the first seed's, and both verdicts are read again over the seeds, as `benchmark
--repeat` reads them, on whichever front end made the run."""

import json
import time

import pytest
import scipy.sparse as sp
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from gnnrec_core.errors import ConfigError
from gnnrec_core.pipeline.experiment import MAX_REPEAT, ExperimentConfig
from gnnrec_core.pipeline.run_clock import RunClock, shape_of, stage
from gnnrec_core.records import RunInfo, SeededBenchmark
from gnnrec_core.store import Workspace


def test_train_repeated_reads_the_verdicts_over_seeds_as_benchmark_repeat_does(small_log, tmp_path):
    """Models whose fits do not depend on the clock (no time budget): seed 1's run inside `train
    --repeat 2` is the same as `benchmark --repeat 2`'s, so the verdict over the two seeds must be
    the same figures to the digit; the table stays seed 0's."""
    workspace = tmp_path / "ws"
    trained = run_cli("train", small_log, "--model", "gfcf", "--compare-with", "pop,itemknn", "--repeat", "2",
                      "--workspace", workspace, "--quiet")
    assert trained.returncode == 0, trained.stderr
    assert "over 2 seeds (0 to 1), best graph model against the best baseline: " in trained.stdout
    assert "on the first seed's split (seed 0), best graph model against the best baseline: " in trained.stdout
    assert "The run was repeated with seeds 0 to 1 (each seed drawing its split)" in trained.stdout
    few = "note: Over 2 seeds the interval is very wide (Student's t with one degree of freedom)"
    assert few in trained.stdout  # why it may read level where seed 0's verdict does not
    (info,) = Workspace(workspace).list_runs()
    out = tmp_path / "seeds.json"
    benched = run_cli("benchmark", small_log, "--models", "gfcf,pop,itemknn", "--repeat", "2", "--quiet",
                      "--json", out)
    assert benched.returncode == 0 and few in benched.stdout, benched.stderr
    seeded = SeededBenchmark.from_json(json.loads(out.read_text()))
    over, expected = info.over_seeds.graph, seeded.verdicts.graph
    assert info.seeds == (0, 1) and over.over == "seeds" and over.n == 2
    assert (over.row, over.reference) == (expected.row, expected.reference)
    for field in ("value", "reference_value", "relative", "low", "high"):
        assert getattr(over, field) == pytest.approx(getattr(expected, field), abs=1e-6), field
    assert info.split["seed"] == 0 and info.verdicts.graph.over == "test users"  # the table: seed 0's split
    assert info.verdicts.graph.value == pytest.approx(seeded.runs[0].verdicts.graph.value, abs=1e-6)
    assert info.over_seeds.training is None  # no trained row: nothing to say training added


def test_a_repeated_cli_run_opens_in_the_dashboard_and_a_dashboard_repeat_in_the_report(small_log, tmp_path,
                                                                                         monkeypatch):
    """Both directions across front ends: `train --repeat 2` shows its verdicts over seeds on the
    Train page; the page's Repeat over seeds saves a run whose report (`report --run latest`) says them."""
    workspace = tmp_path / "ws"
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    trained = run_cli("train", small_log, "--compare-with", "pop,gfcf,rp3beta", "--repeat", "2", "--time-budget", "4",
                      "--workspace", workspace, "--quiet")
    assert trained.returncode == 0, trained.stderr
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    shown = "\n".join(str(e.value) for kind in ("info", "warning", "success", "caption") for e in getattr(at, kind))
    shown = shown.replace("\\", "")  # as typed: Markdown escapes removed
    assert "What training added, over 2 seeds (0 to 1)" in shown and "over 2 seeds)" in shown
    assert "Best graph model against the best baseline, over 2 seeds (0 to 1)" in shown
    assert "those over seeds read the same comparison in each seed's run" in shown
    assert "What training added, on the first seed's split (seed 0)" in shown  # not read as the seeds' verdict

    next(s for s in at.selectbox if s.label == "Model").set_value("gfcf")
    baselines = next(m for m in at.multiselect if m.label == "Compare with")
    for name in list(baselines.value):
        baselines.unselect(name)
    baselines.select("pop")
    next(n for n in at.number_input if n.label == "Repeat over seeds").set_value(3)
    next(b for b in at.button if b.label == "Train").click().run()
    deadline = time.time() + 120
    while len(Workspace(workspace).list_runs()) < 2 and time.time() < deadline:
        time.sleep(1)
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    runs = Workspace(workspace).list_runs()
    dashboard = next(r for r in runs if r.made_by == "dashboard")
    assert dashboard.seeds == (0, 1, 2) and dashboard.over_seeds.graph.n == 3
    report = tmp_path / "report.html"
    done = run_cli("report", "--run", dashboard.run_id, "--workspace", workspace, "--out", report, "--quiet")
    assert done.returncode == 0, done.stderr
    html = report.read_text()
    assert "Best graph model against the best baseline, over 3 seeds (0 to 2)" in html and "over 3 seeds)" in html


def test_repeat_is_bounded_in_words_and_a_run_without_it_reads_as_before():
    with pytest.raises(ConfigError, match=f"Repeat over seeds\\): expected 1 to {MAX_REPEAT} seeds"):
        ExperimentConfig(repeat=MAX_REPEAT + 1)
    with pytest.raises(ConfigError, match="up to 2\\*\\*32 - 1"):
        ExperimentConfig(seed=2**32 - 1, repeat=2)
    assert ExperimentConfig(seed=5, repeat=3).seeds == (5, 6, 7)
    saved = RunInfo.from_json({"schema": 2, "dataset": {"name": "d"}, "model": "pop", "results": []})
    assert saved.seeds == () and saved.over_seeds.training is None and saved.over_seeds.graph is None


def test_the_run_clock_plans_every_seeds_stages_and_the_final_refit_once():
    train = sp.random(200, 50, density=0.1, random_state=0, format="csr")
    clock = RunClock.plan(["gfcf", "lightgcn"], shape_of(train), {"lightgcn": 10.0}, main="lightgcn", repeat=3)
    assert list(clock.expected) == ["gfcf", "lightgcn", "gfcf#2", "lightgcn#2", "gfcf#3", "lightgcn#3", "final"]
    assert {stage("lightgcn", i) for i in range(3)} <= clock.budgeted and "gfcf#2" not in clock.budgeted
    single = RunClock.plan(["gfcf", "lightgcn"], shape_of(train), {"lightgcn": 10.0}, main="lightgcn")
    assert clock.remaining(now=0.0) == pytest.approx(3 * single.remaining(now=0.0) - 2 * single.expected["final"])


def test_with_your_own_test_set_the_words_say_only_training_varied(small_log, tmp_path):
    """A given test set stays for every seed: the first verdicts are that seed's run (not its split),
    and the intervals over seeds hold training's noise alone, in the printed lines and the report."""
    import pandas as pd

    frame = pd.read_csv(small_log, dtype=str)
    later = frame["InvoiceDate"] >= "2010-12-10"  # ISO dates: the text orders as the time
    data, heldout = tmp_path / "train.csv", tmp_path / "test.csv"
    frame[~later].to_csv(data, index=False)
    frame[later].to_csv(heldout, index=False)
    workspace = tmp_path / "ws"
    done = run_cli("train", data, "--test", heldout, "--model", "gfcf", "--compare-with", "pop,itemknn", "--repeat",
                   "2", "--workspace", workspace, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "on the first seed's run (seed 0), best graph model" in done.stdout and "split (seed 0)" not in done.stdout
    assert "your test set each time; the models' seeds varied" in done.stdout
    (info,) = Workspace(workspace).list_runs()
    assert info.split["method"] == "given" and info.over_seeds.graph.n == 2
    report = tmp_path / "report.html"
    assert run_cli("report", "--run", "latest", "--workspace", workspace, "--out", report).returncode == 0
    html = report.read_text()
    assert "training&#x27;s noise alone: the test set was the same for every seed" in html
    assert "on the first seed&#x27;s run (seed 0)" in html


def test_the_advice_on_which_model_to_serve_follows_the_verdicts_over_seeds():
    """One seed level with EASE, the seeds behind it: the repeated run advises EASE and says whose
    verdicts; a run of one seed follows its own."""
    from dataclasses import replace

    from gnnrec_core.records import DatasetRef, Gain, Verdicts
    from gnnrec_core.serving.verdicts import advice_verdicts, serving_note, trusted_model

    def graph(low: float, high: float, over: str) -> Gain:
        return Gain("gfcf", "ease", "ndcg", 10, 0.10, 0.12, -0.17, low, high, over, 8, "GF-CF", "EASE")

    info = RunInfo(DatasetRef("d"), "gfcf", (), verdicts=Verdicts(graph=graph(-0.4, 0.01, "test users")))
    assert serving_note(*advice_verdicts(info)[:1], "gfcf") is None  # level on the first seed's test users
    repeated = replace(info, seeds=(0, 1, 2), over_seeds=Verdicts(graph=graph(-0.3, -0.1, "seeds")))
    advice, whose = advice_verdicts(repeated)
    assert trusted_model(advice, "gfcf") == ("ease", "EASE")
    assert serving_note(advice, "gfcf", whose).startswith(
        "This run serves Graph filter (GF-CF, no training); the verdicts over 3 seeds (0 to 2) trust EASE.")


def test_what_each_seed_chose_is_counted_out_of_the_seeds():
    """'in 1' read as 'in seed 1' where the seeds are numbered from 0: the count says of how many."""
    from gnnrec_core.pipeline.table_verdicts import _chosen_in_each

    counted = _chosen_in_each(["A", "B", "A"], "the trained row")
    assert counted == "the trained row of each seed (A in 2 of 3; B in 1 of 3)"
    assert _chosen_in_each(["A", "A"], "the trained row") == "A"


def test_the_heading_over_seeds_says_how_many_seeds_a_verdict_read():
    """A verdict over seeds reads only the seeds whose run had both of its rows: the heading counts
    those ("over 2 of the 3 seeds"), not every seed of the run."""
    from gnnrec_core.records import Gain
    from gnnrec_core.serving.verdicts import seeds_words

    def over(n: int) -> Gain:
        return Gain(row="lightgcn", reference="gfcf", metric="ndcg", k=10, value=0.2, reference_value=0.1,
                    relative=1.0, low=0.5, high=1.5, over="seeds", n=n)
    assert seeds_words((0, 1, 2), over(2)) == "over 2 of the 3 seeds (0 to 2)"
    assert seeds_words((0, 1, 2), over(3)) == seeds_words((0, 1, 2)) == "over 3 seeds (0 to 2)"
