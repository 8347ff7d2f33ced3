"""Verdicts worded by their interval: what training added, the best graph model against the best
baseline, the notes beside them, and verdicts read over seeds (issue 21, item 2)."""

import json

import numpy as np
import pytest
from test_cli import run_cli

from gnnrec_core.pipeline.table_verdicts import gain, verdicts
from gnnrec_core.records import Gain, ResultRow, Tuning
from gnnrec_core.serving.verdicts import gain_words, graph_sentence, interval_words, percent, training_sentence


def _row(model, ndcg, blend=None, valid=None):
    return ResultRow(model, ndcg=ndcg, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                     train_seconds=1.0, blend=blend or {}, valid_ndcg=valid)


class _Evaluated:
    """An Evaluation's per-user nDCG@10, all a verdict reads."""

    def __init__(self, ndcg):
        self.per_user = {10: {"ndcg": np.asarray(ndcg)}}


def test_a_verdict_speaks_for_the_row_validation_chose_against_the_tests_best_reference():
    """Picking the best of four trained rows by their test figures overstated what training added;
    the side a verdict speaks for is chosen on validation, its reference is the test's best, so
    neither verdict flatters its claim (and no row the table shows above the reference is skipped)."""
    rows = [_row("lightgcn", 0.22, valid=0.20), _row("lightgcn", 0.21, {"filter": 0.5}, valid=0.21),
            _row("gfcf", 0.20, valid=0.19), _row("bspm", 0.205, valid=0.18), _row("ease", 0.215)]
    found = verdicts(rows)
    assert (found.training.row, found.training.reference) == ("lightgcn+blend", "bspm")
    assert found.training.value == 0.21 and found.training.reference_value == 0.205
    assert (found.graph.row, found.graph.reference) == ("lightgcn+blend", "ease")  # validation's graph row
    asked = verdicts(rows, asked=["lightgcn", "gfcf", "bspm", "ease", "itemknn", "cooc"])
    assert asked.graph.reference_label == "EASE (the best baseline that ran; Item-kNN and Co-occurrence " \
        "(lift/Jaccard) did not)"  # asked for, no row: "the best baseline" is not the best of all
    rows[0] = _row("lightgcn", 0.22, valid=0.23)  # alone on the whole carve, above its blend's figure on a
    assert verdicts(rows).training.row == "lightgcn+blend"  # sample: the blend beat it on its own customers
    rows[1] = _row("lightgcn", 0.21, {"filter": 0.5})  # a trained row with no validation figure (saved before)
    assert verdicts(rows).training.row == "lightgcn"  # the test's best then


def test_a_gain_is_worded_by_its_interval():
    gnn, graph_filter = _row("lightgcn", 0.22), _row("gfcf", 0.20)
    users = np.linspace(0.0, 0.4, 200)
    ahead = gain(gnn, graph_filter, 10, paired=(users + 0.02, users))  # better by 0.02 for every user
    assert ahead.verdict == "ahead" and ahead.low == pytest.approx(0.1) == ahead.high and ahead.n == 200
    noisy = np.random.default_rng(0).normal(0, 0.3, 200)
    level = gain(gnn, graph_filter, 10, paired=(users + noisy, users))  # +10% on average, inside the noise
    assert level.low < 0 < level.high and level.verdict == "level" and level.relative == pytest.approx(0.1)
    assert "is level with Graph filter" in gain_words(level) and "over 200 test users" in gain_words(level)
    assert "Training added nothing measurable" in training_sentence(level)
    behind = gain(graph_filter, gnn, 10, paired=(users, users + 0.02))
    assert behind.verdict == "behind" and "behind LightGCN" in gain_words(behind)
    assert Gain.from_json(json.loads(json.dumps(ahead.to_json()))) == ahead


def test_the_two_verdicts_never_trust_two_models():
    """Training behind the filter and every graph model behind EASE: the filter is trusted among the
    graph models only, and the sentence names EASE as the one that ranks better."""
    users = np.linspace(0.0, 0.4, 200)
    gnn, bspm, ease = _row("lightgcn", 0.16), _row("bspm", 0.17), _row("ease", 0.19)
    training = gain(gnn, bspm, 10, paired=(users, users + 0.01))
    graph = gain(bspm, ease, 10, paired=(users, users + 0.02))
    assert training.verdict == graph.verdict == "behind"
    said = training_sentence(training, graph)
    assert "Trust the filter for ranking" not in said and "Of the graph models, trust the filter; EASE" in said
    assert training_sentence(training).endswith("Trust the filter for ranking.")  # no baseline ahead
    # "behind", the word the README gives an interval that excludes zero (a new user looked for it), and
    # the share the trained row's own change, the sign its interval has: "by 5.9%", beside "-9.8% to ...".
    assert f"LightGCN is behind Blur-sharpen filter (BSPM, no training), a graph filter solved without training, " \
           f"by {-training.relative:.1%} (" in said
    # The graph verdict names the model to trust, nothing of a map the run may not have.
    assert graph_sentence(graph).endswith("over 200 test users). On this data, trust EASE for ranking.")


def test_a_blend_ahead_of_ease_says_the_lead_needs_no_training_where_the_filter_has_it_too():
    """The demo's green "LightGCN + random-walk filter x1 + popularity x0.1 is ahead of EASE" read as
    the GNN's win beside "training added nothing": RP3beta alone was as far ahead. The graph verdict
    now says so, and only there: training ahead, or a filter behind the baseline, adds nothing."""
    users = np.linspace(0.0, 0.4, 200)
    blend, walk, ease = _row("lightgcn+blend", 0.1986), _row("rp3beta", 0.1981), _row("ease", 0.1895)
    training = gain(blend, walk, 10, paired=(users, users + 0.0005 * np.sin(np.arange(200))))
    graph = gain(blend, ease, 10, paired=(users + 0.01 + 0.04 * np.sin(np.arange(200)), users))
    assert training.verdict == "level" and graph.verdict == "ahead" and 0 < graph.low < 0.1981 / 0.1895 - 1
    said = graph_sentence(graph, training)
    assert said.endswith(f"ahead of EASE on nDCG@10: {graph.value:.4f} vs {graph.reference_value:.4f}, "
                         f"{percent(graph.relative)} ({interval_words(graph)}). The lead needs no training: "
                         f"Random-walk filter (RP3beta, no training) alone scores {training.reference_value:.4f}, "
                         f"{percent(0.1981 / 0.1895 - 1)} over EASE at {graph.reference_value:.4f}."), said
    earned = gain(blend, walk, 10, paired=(users + 0.01, users))
    assert earned.verdict == "ahead" and graph_sentence(graph, earned) == graph_sentence(graph)
    weak_filter = gain(blend, _row("rp3beta", 0.18), 10, paired=(users, users + 0.0005 * np.sin(np.arange(200))))
    assert graph_sentence(graph, weak_filter) == graph_sentence(graph)  # the filter alone is behind EASE
    barely = gain(blend, _row("rp3beta", 0.1897), 10, paired=(users, users + 0.0005 * np.sin(np.arange(200))))
    assert graph.low > 0.1897 / 0.1895 - 1 and graph_sentence(graph, barely) == graph_sentence(graph)  # +0.1% only
    # Level with EASE, the blend has no lead to speak of, whatever the filter alone scores.
    level = gain(blend, ease, 10, paired=(users + 0.002 * np.sin(np.arange(200)), users))
    assert level.verdict == "level" and level.low < 0 < 0.1981 / 0.1895 - 1
    assert graph_sentence(level, training) == graph_sentence(level) and "lead" not in graph_sentence(level, training)


def test_training_cut_by_its_budget_while_improving_is_said_beside_the_verdict():
    """'Training added nothing' reads as final; where the time budget stopped the trained row at an
    epoch that was still its best on validation, the verdict says so (a new user read such a verdict
    on groceries, 6 epochs, as the last word). An earlier best epoch, or no deadline: nothing added."""
    from dataclasses import replace

    from gnnrec_core.records import Verdicts

    users = np.linspace(0.0, 0.4, 200)
    cut_short = Tuning(chosen={"dim": 64}, valid_ndcg=0.1, epochs=6, best_epoch=6, stopped="deadline", budget=90.0)
    gnn, graph_filter = replace(_row("lightgcn", 0.16), tuning=cut_short), _row("gfcf", 0.17)
    pairs = [(gnn, _Evaluated(users)), (graph_filter, _Evaluated(users + 0.01))]
    found = verdicts(pairs)
    assert found.cut is not None and (found.cut.label, found.cut.epochs, found.cut.budget) == ("LightGCN", 6, 90.0)
    said = training_sentence(found.training, found.graph, found.cut)
    assert said.startswith("Training added nothing on this data") and said.endswith(
        "LightGCN's training was stopped by its 90 s time budget after 6 epochs while still improving on "
        "validation: a longer time budget may change this.")
    assert Verdicts.from_json(json.loads(json.dumps(found.to_json()))) == found  # kept in run.json
    for settled in (replace(cut_short, best_epoch=4), replace(cut_short, stopped="patience"),
                    replace(cut_short, stopped="cancelled")):
        pairs[0] = (replace(gnn, tuning=settled), pairs[0][1])
        assert verdicts(pairs).cut is None
    # Its most epochs run (the sample's LightGCN: 40 of 40, its best the last) is said as well.
    pairs[0] = (replace(gnn, tuning=replace(cut_short, stopped="", epochs=40, best_epoch=40)), pairs[0][1])
    capped = verdicts(pairs)
    assert capped.cut is not None and (capped.cut.reason, capped.cut.epochs) == ("epochs", 40)
    assert training_sentence(capped.training, capped.graph, capped.cut).endswith(
        "LightGCN's training ran its most epochs (40) while still improving on validation: more epochs (--epochs, "
        "or the Train page's Epochs) may change this.")
    assert Verdicts.from_json(json.loads(json.dumps(capped.to_json()))) == capped
    assert Verdicts.from_json({"training": None, "graph": None}).cut is None  # a run saved before the field


def test_basket_completion_says_when_the_budget_cut_training_short():
    """basket-eval's rows carried no tuning, so its verdict never said a time budget had cut training."""
    from gnnrec_core.pipeline.benchmark import completion_verdicts
    from gnnrec_core.records import BasketRow

    cut_short = Tuning(chosen={"dim": 64}, valid_ndcg=0.1, epochs=3, best_epoch=3, stopped="deadline", budget=10.0)
    rows = [BasketRow("lightgcn", ndcg=0.24, hit_rate=0.4, tuning=cut_short),
            BasketRow("gfcf", ndcg=0.25, hit_rate=0.4)]
    per_basket = {"lightgcn": np.linspace(0.0, 0.48, 50), "gfcf": np.linspace(0.02, 0.48, 50)}
    found = completion_verdicts(rows, per_basket, k=10)
    assert found.cut is not None and (found.cut.label, found.cut.epochs, found.cut.budget) == ("LightGCN", 3, 10.0)
    assert rows[0].to_json()["tuning"]["stopped"] == "deadline"


def test_basket_completion_verdicts_speak_for_the_rows_validation_chose():
    """basket-eval's verdicts fell back to the best row on test (its rows lost their validation figures):
    on groceries "chosen on validation: LightGCN + blend" sat above a verdict judging LightGCN alone,
    the row with the best test score. Here validation prefers the blend, and test the GNN alone."""
    from gnnrec_core.pipeline.benchmark import completion_verdicts
    from gnnrec_core.records import BasketRow

    rows = [BasketRow("lightgcn", valid_ndcg=0.2164, ndcg=0.2474, hit_rate=0.4),
            BasketRow("lightgcn", valid_ndcg=0.2256, ndcg=0.2397, hit_rate=0.4, blend={"filter": 1.0}),
            BasketRow("turbocf", valid_ndcg=0.2200, ndcg=0.2430, hit_rate=0.4),
            BasketRow("gfcf", valid_ndcg=0.2150, ndcg=0.2400, hit_rate=0.4),  # the blend's filter, a row of its own
            BasketRow("ease", valid_ndcg=0.2100, ndcg=0.2300, hit_rate=0.4)]
    per_basket = {"lightgcn": np.linspace(0.0, 0.4948, 50), "lightgcn+blend": np.linspace(0.0, 0.4794, 50),
                  "turbocf": np.linspace(0.0, 0.4860, 50), "gfcf": np.linspace(0.0, 0.48, 50),
                  "ease": np.linspace(0.0, 0.46, 50)}
    found = completion_verdicts(rows, per_basket, k=10)
    assert found.training is not None and found.training.row == "lightgcn+blend"
    assert (found.training.value, found.training.reference) == (0.2397, "turbocf")
    assert found.graph is not None and found.graph.row == "lightgcn+blend"  # validation's best graph row


def test_a_run_that_serves_another_model_than_its_verdicts_trust_says_how_to_serve_that_one():
    """A saved LightGCN run whose verdict trusts EASE kept serving LightGCN on every page and command
    with no word; the note names the trusted model and how to serve it. Level verdicts, or a run of
    the trusted model itself: no note."""
    from gnnrec_core.records import Verdicts
    from gnnrec_core.serving.verdicts import serving_note

    users = np.linspace(0.0, 0.4, 200)
    gnn, bspm, ease = _row("lightgcn", 0.16, {"filter": 1.0}), _row("bspm", 0.17), _row("ease", 0.19)
    training = gain(gnn, bspm, 10, paired=(users, users + 0.01))
    graph_behind = gain(bspm, ease, 10, paired=(users, users + 0.02))
    said = serving_note(Verdicts(training, graph_behind), "lightgcn")
    assert said == ("This run serves LightGCN; the verdicts trust EASE. To serve that instead, train it as the "
                    "run's model (--model ease, or the Train page's Model).")
    graph_ahead = gain(bspm, ease, 10, paired=(users + 0.02, users))
    assert "--model bspm" in serving_note(Verdicts(training, graph_ahead), "lightgcn")  # the filter training trailed
    blended = serving_note(Verdicts(training, graph_behind), "lightgcn", label="LightGCN + graph filter x2")
    assert blended.startswith("This run serves LightGCN + graph filter x2; the verdicts trust EASE.")  # as it serves
    assert serving_note(Verdicts(training, graph_behind), "ease") is None  # it serves what it trusts
    level = gain(gnn, bspm, 10, paired=(users + np.random.default_rng(0).normal(0, 0.3, 200), users))
    assert level.verdict == "level" and serving_note(Verdicts(level, graph_ahead), "lightgcn") is None


def test_a_gnn_that_searched_nothing_is_not_said_to_have_chosen():
    """The feature GCN runs its defaults (no search): the CLI and the run's notes said it 'chose'
    them, as if a search had picked them. EASE's lambda is always chosen on validation."""
    from gnnrec_core.cli.fit import tuning_line
    from gnnrec_core.pipeline.experiment import _tuning_notes

    settings = {"temperature": 0.2, "layers": 2}
    for candidates, words in ((0, "(no search)"), (1, "(the time budget left room for no other configuration)")):
        tuning = Tuning(chosen=settings, valid_ndcg=0.1, epochs=20, best_epoch=20, candidates=candidates)
        assert tuning_line(tuning).startswith(
            f"ran its default settings, softmax temperature 0.2, 2 propagation layers {words}")
        assert "chose" not in _tuning_notes("gcn", tuning)[0] and "ran its default settings" in _tuning_notes(
            "gcn", tuning)[0]
    searched = Tuning(chosen=settings, valid_ndcg=0.1, epochs=20, best_epoch=20, candidates=11)
    chose = "chose softmax temperature 0.2, 2 propagation layers among 11 configurations"
    assert tuning_line(searched).startswith(f"{chose} (")
    assert chose in _tuning_notes("lightgcn", searched)[0]
    assert tuning_line(Tuning(chosen={"l2": 200.0})) == "chose regularisation lambda 200"


def test_a_graph_filters_note_speaks_of_no_epochs_and_no_blend():
    """A graph filter trained as the run's model said "(validation nDCG@10 0.0893, None epochs); no
    blend beat it on validation": it trains no epochs and blends nothing."""
    from gnnrec_core.pipeline.experiment import _tuning_notes

    note = _tuning_notes("gfcf", Tuning(chosen={"rank": 256, "alpha": 0.3}, valid_ndcg=0.0893, candidates=18))
    assert note == ["Graph filter (GF-CF, no training): chose low-pass rank 256, low-pass weight 0.3 among 18 "
                    "configurations on a "
                    "validation slice of train (validation nDCG@10 0.0893)."]
    gnn = _tuning_notes("lightgcn", Tuning(chosen={"dim": 64}, valid_ndcg=0.1, epochs=7, best_epoch=7,
                                           stopped="deadline", candidates=4, blend={"filter": 0.0, "popularity": 0.0},
                                           blend_valid_ndcg=0.098))
    assert gnn[0].endswith("(validation nDCG@10 0.1000, 7 epochs, stopped by the time budget); no blend beat it on "
                           "validation.")
    blended = _tuning_notes("lightgcn", Tuning(chosen={"dim": 64}, valid_ndcg=0.1, epochs=7, best_epoch=7,
                                               candidates=4, blend={"rp3beta": 0.5, "popularity": 0.0},
                                               blend_valid_ndcg=0.1071))
    # the blend's own figure beside the GNN's: the run is served as the blend (as `train`'s saved line says)
    assert blended[0].endswith("(validation nDCG@10 0.1000, 7 epochs); blended with random-walk filter x0.5 "
                               "(validation nDCG@10 0.1071 blended).")


def test_a_gnn_fitted_without_blending_says_nothing_of_blends(planted):
    """LightGCN(blend=False) keeps zero weights in its tuning: it said "no blend beat it on
    validation" though no blend was tried."""
    from gnnrec_core.cli.fit import tuning_line
    from gnnrec_core.models.lightgcn import LightGCN
    from gnnrec_core.pipeline.experiment import _tuning_notes

    tuning = LightGCN(blend=False, epochs=3, dim=8, time_budget=5, seed=0).fit(planted).tuning()
    assert "blend" not in _tuning_notes("lightgcn", tuning)[0] and "blend" not in tuning_line(tuning)
    tried = LightGCN(blend=True, epochs=3, dim=8, time_budget=5, seed=0).fit(planted).tuning()
    assert "blend" in _tuning_notes("lightgcn", tried)[0] and "blend" in tuning_line(tried)


def test_the_search_curve_shows_the_best_so_far_not_a_saw_tooth():
    """Each configuration of the search trains from epoch 1: the curve counts every epoch trained
    and its validation line never falls back when a new configuration starts lower."""
    from gnnrec_core.serving.plots import training_curve

    history = [{"epoch": 1, "loss": 1.0, "valid_ndcg": 0.10}, {"epoch": 2, "loss": 0.9, "valid_ndcg": 0.12},
               {"epoch": 1, "loss": 1.2, "valid_ndcg": 0.05}, {"epoch": 2, "loss": 1.0, "valid_ndcg": 0.15}]
    loss, best = training_curve(history).data
    assert list(loss.x) == [1, 2, 3, 4]
    assert list(best.y) == [0.10, 0.12, 0.12, 0.15]
    flat = training_curve([{"epoch": e, "loss": 1.0 / e, "valid_ndcg": 0.1} for e in (1, 2, 3)])
    axis = flat.layout.yaxis2  # a flat validation line sits on an axis from 0, not -0.5
    assert axis.range[0] == 0 and axis.range[1] > 0.1 and axis.tickmode == "auto"  # its own ticks, not the loss's


def test_a_bound_near_zero_keeps_its_sign_and_a_tie_says_so():
    """'-9.8% to +0.0%' read as touching zero; a bound of +0.04% prints as such, and two rows that
    rank every test user alike are called the same, not '+0.0% (95% interval +0.0% to +0.0%)'."""
    assert percent(0.0004) == "+0.04%" and percent(-0.00003) == "-0.003%" and percent(-0.0981) == "-9.8%"
    users = np.linspace(0.0, 0.4, 200)
    almost = gain(_row("lightgcn", 0.20), _row("gfcf", 0.20), 10, paired=(users + np.r_[0.0008, np.zeros(199)], users))
    assert almost.low < 0 < almost.high and "to +0.0%" not in gain_words(almost)
    tie = gain(_row("lightgcn", 0.20), _row("gfcf", 0.20), 10, paired=(users, users))
    assert tie.verdict == "level" and "the same on each of 200 test users" in gain_words(tie)


def test_a_gain_with_too_few_cases_or_a_reference_of_zero_says_why_it_has_no_interval():
    """cold-start on two held-out products, or names that find nothing: the verdict read 'ahead ...
    +100%' from one case, or 'level ... +nan%', each 'saved before intervals were kept'."""
    from gnnrec_core.pipeline.table_verdicts import paired_gain
    from gnnrec_core.serving.verdicts import gain_words

    def words(row, reference):
        return paired_gain(("combined", "tfidf"), (np.mean(row), np.mean(reference)), "ndcg", 10,
                           (np.array(row), np.array(reference)), "new products", ("combined", "names alone"))

    one = words([0.5], [0.25])
    assert one.verdict == "level" and gain_words(one).endswith("+100.0% (no interval from 1 new products)")
    zero = words([0.5, 0.1], [0.0, 0.0])
    assert zero.verdict == "ahead" and "nan" not in gain_words(zero)
    assert gain_words(zero).endswith("0.3000 vs 0.0000 (no interval: the reference scores 0 on each of 2 new products)")
    old = Gain("a", "b", "ndcg", 10, 0.2, 0.1, 1.0)  # a run saved before intervals: by the sign, as before
    assert old.verdict == "ahead" and "saved before intervals" in gain_words(old)


def test_benchmark_repeated_over_seeds_reads_each_verdict_over_the_seeds(small_log, tmp_path):
    """`benchmark --repeat 3`: three runs, seeds 0-2, each drawing its split; what training added is
    the change of the mean over the runs' own verdict pairs, its interval from Student's t over seeds."""
    from scipy.stats import t

    from gnnrec_core.records import SeededBenchmark

    out = tmp_path / "seeds.json"
    result = run_cli("benchmark", small_log, "--models", "pop,gfcf,rp3beta,lightgcn", "--repeat", "3", "--time-budget",
                     "5", "--quiet", "--json", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    seeded = SeededBenchmark.from_json(data)
    assert seeded.seeds == (0, 1, 2) and [run.split["seed"] for run in seeded.runs] == [0, 1, 2]
    per_run = [run.verdicts.training for run in seeded.runs]
    values = np.array([g.value for g in per_run])
    references = np.array([g.reference_value for g in per_run])
    training = seeded.verdicts.training
    assert training.over == "seeds" and training.n == 3
    assert training.relative == pytest.approx((values.mean() - references.mean()) / references.mean())
    half = t.ppf(0.975, 2) * np.std(values - references, ddof=1) / np.sqrt(3) / references.mean()
    assert training.high - training.low == pytest.approx(2 * half)
    assert "3 runs, seeds 0, 1, 2 (each seed draws the split and seeds the models)" in result.stdout
    assert "3 of 3" in result.stdout and "over the seeds, what training added: " in result.stdout
    assert "over 3 seeds)" in result.stdout  # the interval says what it is over
    assert SeededBenchmark.from_json(json.loads(json.dumps(seeded.to_json()))) == seeded


def test_repeat_on_a_time_split_says_the_split_stays_and_left_out_models_are_said(small_log, tmp_path):
    """A time cut is the same in every run: only the models' seeds vary, and the header says so.
    With every model left out the notes still say why (it was an internal error under --repeat)."""
    result = run_cli("benchmark", small_log, "--models", "pop,gfcf", "--split", "time", "--repeat", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 runs, seeds 0, 1 (the same time cut each time; the models' seeds vary)" in result.stdout
    import os
    import subprocess
    import sys

    env = {**os.environ, "GNNREC_MAX_DENSE_ITEMS": "10"}
    for repeat in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(small_log), "--models", "ease",
                               "--repeat", repeat, "--quiet"], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 2, done.stderr  # no model scored: refused, never an internal error
        assert "expected at most 10 items" in done.stdout + done.stderr


def test_a_run_serving_the_baseline_a_graph_model_beats_is_told_to_serve_that_one():
    """`train --model ease` on the sample: "Random-walk filter is ahead of EASE" and no note, where the
    README says train names the model the verdicts trust when the run serves another."""
    from gnnrec_core.records import Verdicts
    from gnnrec_core.serving.verdicts import serving_note, trusted_model

    users = np.linspace(0.0, 0.4, 200)
    walk, ease = _row("rp3beta", 0.1981), _row("ease", 0.1895)
    found = Verdicts(graph=gain(walk, ease, 10, paired=(users + 0.01, users)))
    assert found.graph.verdict == "ahead"
    assert trusted_model(found, "ease") == ("rp3beta", "Random-walk filter (RP3beta, no training)")
    assert serving_note(found, "ease").startswith("This run serves EASE; the verdicts trust Random-walk filter")
    assert trusted_model(found, "rp3beta") is None and trusted_model(found, "itemknn") is None  # EASE not served


def test_training_is_read_against_popularity_where_its_blend_adds_the_prior_and_the_prior_ranks_better():
    """A sparse check-in log (a new user's): LightGCN alone 0.0058, Popularity 0.0549, the best filter
    0.0416, and the blend validation chose, "LightGCN + popularity x1", 0.0515. It was said to add +24%
    over the filters, credit the popularity prior earns alone; read against Popularity, training added
    nothing and Popularity is the model to trust."""
    from gnnrec_core.serving.verdicts import trusted_model

    users = 600
    rng = np.random.default_rng(0)
    per_user = {name: np.clip(mean + rng.normal(0, 0.02, users), 0, 1) for name, mean in
                (("lightgcn", 0.0058), ("blend", 0.0515), ("pop", 0.0549), ("rp3beta", 0.0416))}
    rows = [(_row("lightgcn", per_user["lightgcn"].mean(), valid=0.004), _Evaluated(per_user["lightgcn"])),
            (_row("lightgcn", per_user["blend"].mean(), {"popularity": 1.0}, valid=0.05),
             _Evaluated(per_user["blend"])),
            (_row("pop", per_user["pop"].mean()), _Evaluated(per_user["pop"])),
            (_row("rp3beta", per_user["rp3beta"].mean(), valid=0.04), _Evaluated(per_user["rp3beta"]))]
    found = verdicts(rows)
    assert (found.training.row, found.training.reference) == ("lightgcn+blend", "pop")
    assert found.training.verdict == "behind"
    said = training_sentence(found.training, found.graph)
    assert said.startswith("Training added nothing on this data: LightGCN + popularity x1 is behind Popularity, its "
                           "blend's popularity prior alone, by ")
    assert said.endswith("Trust Popularity for ranking.")
    assert trusted_model(found, "lightgcn") == ("pop", "Popularity")
    # A blend without the prior is read against the filters alone, whatever Popularity scores
    rows[1] = (_row("lightgcn", per_user["blend"].mean(), {"rp3beta": 1.0}, valid=0.05), _Evaluated(per_user["blend"]))
    assert verdicts(rows).training.reference == "rp3beta"
