"""The default fit's choices (fit/tuning.py) on cases whose right answer is known."""

import time

import numpy as np
import scipy.sparse as sp

from gnnrec_core.fit.tuning import choose_blend, choose_blend_in_batches, draw_candidates, successive_halving

N_USERS, N_ITEMS = 300, 60


def _relevance(seed=0):
    """Each user's single held-out item, and an empty history."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_ITEMS, N_USERS)
    relevant = sp.csr_matrix((np.ones(N_USERS), (np.arange(N_USERS), truth)), shape=(N_USERS, N_ITEMS))
    return truth, relevant, sp.csr_matrix((N_USERS, N_ITEMS))


def _scores_that_know(truth, strength, rng):
    """Noise plus `strength` on each user's true item."""
    scores = rng.standard_normal((N_USERS, N_ITEMS))
    scores[np.arange(N_USERS), truth] += strength
    return scores


def test_blend_takes_a_filter_that_knows_the_answer():
    truth, relevant, history = _relevance()
    rng = np.random.default_rng(1)
    components = {"gnn": rng.standard_normal((N_USERS, N_ITEMS)), "filter": _scores_that_know(truth, 6.0, rng),
                  "popularity": np.zeros((N_USERS, N_ITEMS))}
    choice = choose_blend(components, history, relevant)
    assert choice.weights["filter"] > 0 and choice.blended > choice.alone + 0.3
    assert choice.parts["filter"] > choice.parts["gnn"] + 0.3  # the part that knows the answer, scored alone


def test_blend_keeps_the_gnn_alone_when_the_parts_are_noise():
    truth, relevant, history = _relevance()
    rng = np.random.default_rng(2)
    components = {"gnn": _scores_that_know(truth, 6.0, rng), "filter": rng.standard_normal((N_USERS, N_ITEMS)),
                  "popularity": np.broadcast_to(rng.standard_normal(N_ITEMS), (N_USERS, N_ITEMS))}
    choice = choose_blend(components, history, relevant)
    assert choice.weights == {"filter": 0.0, "popularity": 0.0} and choice.blended == choice.alone


def test_the_blend_chosen_in_batches_of_users_is_the_one_chosen_at_once():
    """Wide catalogues choose the blend over more users than one dense matrix holds, a batch at a
    time: the weights and every figure are those of one pass over the same users."""
    truth, relevant, history = _relevance()
    rng = np.random.default_rng(3)
    scores = {"gnn": _scores_that_know(truth, 1.0, rng), "filter": _scores_that_know(truth, 1.5, rng),
              "popularity": np.broadcast_to(rng.standard_normal(N_ITEMS), (N_USERS, N_ITEMS))}
    users = np.sort(rng.choice(N_USERS, 200, replace=False))
    whole = choose_blend({name: part[users] for name, part in scores.items()}, history[users], relevant[users])
    batched = choose_blend_in_batches(lambda batch: {name: part[batch] for name, part in scores.items()},
                                      users, history, relevant, batch=37)
    assert whole.weights["filter"] > 0 and batched == whole
    # Popularity broadcast from one row is standardised as that row: the same choice as its full matrix.
    assert choose_blend({**scores, "popularity": np.array(scores["popularity"])}, history, relevant) == \
        choose_blend(scores, history, relevant)


class _FakeTrainer:
    """Validation score rises with epochs towards a ceiling set by the settings."""

    def __init__(self, ceiling, epoch_seconds=0.0):
        self.ceiling, self.history, self.best_score, self.stopped = ceiling, [], -1.0, ""
        self.epoch_seconds, self.runs = epoch_seconds, []

    def run(self, module, part, valid, epochs, patience=None):
        self.runs.append(epochs)
        for _ in range(epochs):
            self.history.append({})
            self.best_score = self.ceiling * (1 - 0.5 ** len(self.history))


def _ceiling(settings):
    """The best configuration: layers 3, dim 256, temperature 0.1 (the highest ceiling)."""
    return settings["layers"] * 10 + settings["dim"] / 256 + (0.4 - settings["temperature"])


DEFAULTS = {"temperature": 0.2, "layers": 2, "dim": 128, "lr": 0.01, "weight_decay": 0.0, "item_bias": True}


def test_successive_halving_keeps_the_best_candidate_and_trains_it_longest():
    built = []

    def build(settings):
        trainer = _FakeTrainer(_ceiling(settings))
        built.append((settings, trainer))
        return object(), trainer

    result = successive_halving(build, None, None, DEFAULTS, max_epochs=40, deadline=time.perf_counter() + 60,
                                max_candidates=12)
    assert len(built) == 12  # a generous budget: every drawn candidate gets its first rung
    best = max(built, key=lambda pair: _ceiling(pair[0]))
    assert result.best.settings == best[0]
    assert result.best.epochs == 40 and all(len(t.history) < 40 for s, t in built if s not in (best[0], DEFAULTS))
    assert result.tried[-1]["chosen"] and result.tried[-1]["valid_ndcg"] == result.best.score
    # the defaults were carried to the end beside the winner, and lost to it on validation
    assert len(built[0][1].history) == 40 and built[0][0] == DEFAULTS
    assert [row for row in result.tried if row.get("carried")][0]["valid_ndcg"] < result.best.score


def test_an_epochs_cap_below_a_rung_caps_every_candidate():
    """`train --epochs 2` trained 15 epochs: the rungs (5, then 10 more) ignored the cap."""
    built = []

    def build(settings):
        trainer = _FakeTrainer(_ceiling(settings))
        built.append(trainer)
        return object(), trainer

    for cap in (2, 7):
        built.clear()
        result = successive_halving(build, None, None, DEFAULTS, max_epochs=cap, deadline=time.perf_counter() + 60,
                                    max_candidates=6)
        assert len(built) == 6 and max(len(t.history) for t in built) == cap and result.best.epochs == cap
        assert all(row["epochs"] <= cap for row in result.tried)
        rows = [tuple(sorted((k, str(v)) for k, v in row.items())) for row in result.tried]
        assert len(rows) == len(set(rows))  # the cap at the first rung: no second, identical row per survivor


class _SlowStarter(_FakeTrainer):
    """The score rises towards its ceiling at `rate` an epoch: slow starters trail after the rungs."""

    def __init__(self, ceiling, rate):
        super().__init__(ceiling)
        self.rate = rate

    def run(self, module, part, valid, epochs, patience=None):
        self.runs.append(epochs)
        for _ in range(epochs):
            self.history.append({})
            self.best_score = self.ceiling * (1 - self.rate ** len(self.history))


def test_defaults_that_start_slowly_are_kept_where_they_end_higher():
    """The rungs rank after 5 epochs (and 15): defaults at 0.41 of a ceiling of 1.0 after 5 epochs
    lose them to a fast starter at 0.78 of 0.8, yet trained on they reach 0.99. The defaults are
    carried to the end beside the winner and kept on their higher validation score."""
    def build(settings):
        slow = settings == DEFAULTS
        return object(), _SlowStarter(1.0 if slow else 0.8, 0.9 if slow else 0.5)

    events = []
    result = successive_halving(build, None, None, DEFAULTS, max_epochs=40, deadline=time.perf_counter() + 60,
                                max_candidates=4, report=events.append)
    assert result.best.settings == DEFAULTS and result.best.epochs == 40
    assert result.best.score > 0.98 and result.tried[-1]["chosen"] and result.tried[-1]["valid_ndcg"] > 0.98
    rung_scores = [row["valid_ndcg"] for row in result.tried if row["epochs"] == 5]
    assert rung_scores[0] < 0.45 and max(rung_scores[1:]) > 0.75  # the rungs alone would have lost them
    # both trained rows are on record: the rungs' winner (trained on) and the defaults carried past it
    winner = next(row for row in result.tried if row.get("rungs_winner"))
    carried = next(row for row in result.tried if row.get("carried"))
    assert winner["epochs"] == 40 and 0.75 < winner["valid_ndcg"] < carried["valid_ndcg"]
    # the plan is made twice: at the first rung with the carry in it, and once the rungs name the winner
    plans = [event["plan_seconds"] for event in events if "plan_seconds" in event]
    assert len(plans) == 2


def test_a_cancel_while_the_defaults_are_carried_is_the_searchs_cancel():
    """The caller cancels a few epochs into the carry: the defaults, short of the winner, are not
    kept, yet the search still says it was cancelled (it said so only when it kept the defaults)."""
    class _Cancelled(_SlowStarter):
        def run(self, module, part, valid, epochs, patience=None):
            if patience is None and self.ceiling == 1.0:  # the defaults' carry: one epoch, then the cancel
                super().run(module, part, valid, 1, patience)
                self.stopped = "cancelled"
                return
            super().run(module, part, valid, epochs, patience)

    def build(settings):
        slow = settings == DEFAULTS
        return object(), _Cancelled(1.0 if slow else 0.8, 0.9 if slow else 0.5)

    result = successive_halving(build, None, None, DEFAULTS, max_epochs=40, deadline=time.perf_counter() + 60,
                                max_candidates=4)
    assert result.best.settings != DEFAULTS and result.cancelled  # the winner kept, the cancel still said


def test_successive_halving_tries_fewer_candidates_when_epochs_are_slow():
    built = []

    def build(settings):
        trainer = _FakeTrainer(_ceiling(settings), epoch_seconds=1.0)  # 5 s a rung, as measured
        built.append(trainer)
        return object(), trainer

    successive_halving(build, None, None, DEFAULTS, max_epochs=40, deadline=time.perf_counter() + 30,
                       max_candidates=12)
    assert len(built) == 1  # half of 30 s holds one candidate's two rungs at 5 s each, not twelve


def test_successive_halving_stops_when_the_caller_cancels():
    built = []

    def build(settings):
        built.append(_FakeTrainer(_ceiling(settings)))
        return object(), built[-1]

    result = successive_halving(build, None, None, DEFAULTS, max_epochs=40, deadline=time.perf_counter() + 60,
                                max_candidates=12, report=lambda event: False)
    assert result.cancelled and len(built) == 1 and result.best.epochs == 5


def test_candidates_start_from_the_defaults_and_are_distinct():
    drawn = draw_candidates(DEFAULTS, 10, seed=0)
    assert drawn[0] == DEFAULTS and len({tuple(sorted(d.items())) for d in drawn}) == 10


def test_standardise_gives_per_row_z_scores_and_writes_only_into_an_array_it_may():
    from gnnrec_core.fit.tuning import standardise

    rows = np.random.default_rng(0).standard_normal((5, 40)).astype(np.float32) * 7 + 3
    rows[2] = 1.5  # a constant row: centred, not divided by zero
    expected = (rows - rows.mean(1, keepdims=True)) / np.maximum(rows.std(1, keepdims=True), 1e-6)
    kept = rows.copy()
    np.testing.assert_allclose(standardise(rows), expected, atol=1e-5)
    np.testing.assert_allclose(standardise(rows[:], in_place=True), expected, atol=1e-5)  # a view: copied
    np.testing.assert_array_equal(rows, kept)
    owned = rows.copy()
    assert standardise(owned, in_place=True) is owned
    np.testing.assert_allclose(owned, expected, atol=1e-5)


def test_the_tuning_record_counts_configurations_not_rows_of_the_search():
    """The search's record has a row per rung a configuration trained and one for the winner: a
    GNN whose budget fitted only its defaults was said to have 'chosen among 2 configurations'."""
    from gnnrec_core.models.embedding import _configurations
    from gnnrec_core.records import Tuning

    def build(settings, epoch_seconds):
        return object(), _FakeTrainer(_ceiling(settings), epoch_seconds)

    many = successive_halving(lambda s: build(s, 0.0), None, None, DEFAULTS, max_epochs=40,
                              deadline=time.perf_counter() + 60, max_candidates=12)
    assert len(many.tried) > 12 and _configurations(many.tried) == 12
    alone = successive_halving(lambda s: build(s, 1.0), None, None, DEFAULTS, max_epochs=40,
                               deadline=time.perf_counter() + 30, max_candidates=12)
    assert len(alone.tried) == 2 and _configurations(alone.tried) == 1  # its first rung, then the winner's row
    tuning = Tuning(chosen=DEFAULTS, epochs=40, candidates=_configurations(alone.tried))
    assert not tuning.searched and tuning.unsearched_reason.startswith("the time budget left room")
