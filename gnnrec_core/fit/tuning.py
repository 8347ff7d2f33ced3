"""Choosing a GNN's settings on validation, inside a time budget.

1. Successive halving (Jamieson & Talwalkar, AISTATS 2016) over a few configurations drawn from
   SEARCH_SPACE, the defaults always among them: every candidate trains a short rung on the
   train part, the best third continue for a longer rung, the winner trains on with early
   stopping. How many candidates start is set by the measured epoch time and the budget, so a
   large graph gets one configuration and a small one gets the whole search.
   With the Ray engine (`search_engine("ray")`, the CLI's `--engine ray`) the same candidates run
   as Ray Tune trials under ASHA, its asynchronous form (Li et al., MLSys 2020): fit/ray_engine.py.
2. Score blending: the trained GNN's score, a closed-form graph filter's (GF-CF or RP3beta, with
   the settings its own search chose on the same slice: models/embedding.py) and a popularity prior, each
   standardised per user, mixed with weights chosen on the same validation slice. Weights of zero
   leave the GNN alone; the data decide.

The validation slice is carved from train; the test split never reaches this module.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from ..data.limits import available_bytes
from ..errors import ConfigError
from ..progress import Progress, wants_stop
from .metrics import ranking_metrics, top_k

SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "temperature": (0.1, 0.2, 0.4),
    "layers": (1, 2, 3),
    "dim": (64, 128, 256),
    "lr": (0.005, 0.01, 0.02),
    "weight_decay": (0.0, 1e-6),
    "item_bias": (True, False),
}
FILTER_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
POPULARITY_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)
MAX_BLEND_USERS = 4000  # validation users scored per weight pair; a sample beyond this
MAX_BLEND_CELLS = 20_000_000  # users x items per dense score matrix (80 MB): the users scored at once
MAX_BLEND_WORK = 50_000_000  # users x items the blend scores in all: fewer users on wide catalogues
MIN_BLEND_USERS = 500
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class SearchEngine:
    """Where a search runs: "local" (candidates one after another in this process) or "ray" (Ray
    Tune trials on the cluster at `address`, else RAY_ADDRESS, else a Ray instance started here)."""

    name: str = "local"
    address: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ConfigError(f"engine: expected one of {', '.join(ENGINES)}, found '{self.name}'")
        if self.address is not None and self.name != "ray":
            raise ConfigError(f"ray address: expected engine ray beside it, found engine {self.name}")


_ENGINE: ContextVar[SearchEngine] = ContextVar("gnnrec_search_engine", default=SearchEngine())


def current_engine() -> SearchEngine:
    """The engine searches use here: the innermost `search_engine` block's, else local."""
    return _ENGINE.get()


@contextmanager
def search_engine(name: str = "local", address: str | None = None) -> Iterator[SearchEngine]:
    """Searches started inside the block (in this thread) run on `name`. With "ray", Ray is
    connected on entry, so a missing install or an unreachable address fails before any work,
    and a Ray instance started here is shut down on exit."""
    engine = SearchEngine(name, address)
    with ExitStack() as stack:
        if engine.name == "ray":
            from .ray_engine import ray_session

            stack.enter_context(ray_session(engine.address))
        token = _ENGINE.set(engine)
        try:
            yield engine
        finally:
            _ENGINE.reset(token)


def blend_users(n_items: int) -> int:
    """How many validation users the blend scores: 4,000, fewer on wide catalogues (at 50k items,
    1,000 in batches of 400, about 3 s: what 500 cost before the choice was made 0.45x faster; 2,000
    took 6 s and ran a 1M-line log's 90 s fit to 93 s). At 500 the weights changed from sample to
    sample on that log's validation users (docs/benchmarks.md, "The blend's weights on more
    validation users")."""
    return int(min(MAX_BLEND_USERS, max(MIN_BLEND_USERS, MAX_BLEND_WORK // max(n_items, 1))))


def blend_batch(n_items: int) -> int:
    """Users scored at once for the blend: each dense users x items matrix near 80 MB."""
    return int(max(1, MAX_BLEND_CELLS // max(n_items, 1)))


@dataclass
class Candidate:
    settings: dict[str, Any]
    trainer: Any = None
    module: Any = None
    score: float = -1.0
    epochs: int = 0


@dataclass
class SearchResult:
    best: Candidate
    tried: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False


def draw_candidates(defaults: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """The defaults, then up to n - 1 distinct configurations drawn from SEARCH_SPACE."""
    grid = [dict(zip(SEARCH_SPACE, values)) for values in itertools.product(*SEARCH_SPACE.values())]
    base = {k: defaults[k] for k in SEARCH_SPACE}
    grid = [g for g in grid if g != base]
    order = np.random.default_rng(seed).permutation(len(grid))
    return [base] + [grid[i] for i in order[: max(n - 1, 0)]]


def candidate_bytes(n_nodes: int, settings: dict[str, Any]) -> float:
    """What one more search candidate holds until the search ends: its embeddings (float32) and
    Adam's two moments, plus the propagated layers while it trains."""
    return float(n_nodes) * int(settings["dim"]) * 4 * (3 + 2 * (int(settings["layers"]) + 1))


def _memory_allows(n_nodes: int, settings: dict[str, Any]) -> bool:
    available = available_bytes()
    return available is None or candidate_bytes(n_nodes, settings) * 1.5 < available


def successive_halving(build: Callable[[dict[str, Any]], tuple[Any, Any]], part: sp.csr_matrix,
                       valid: sp.csr_matrix, defaults: dict[str, Any], max_epochs: int, deadline: float,
                       seed: int = 0, max_candidates: int = 8, first_rung: int = 5,
                       report: Progress | None = None, engine: SearchEngine | None = None) -> SearchResult:
    """build(settings) -> (module, trainer), the trainer started on `part`. Returns the winner,
    trained on with early stopping up to max_epochs or the deadline, with every candidate's score.
    `engine` (default: `current_engine()`) "ray" runs the candidates as Ray Tune trials instead."""
    engine = engine or current_engine()
    first_rung = max(1, min(first_rung, max_epochs))  # an epochs cap below a rung caps the rungs too
    if engine.name == "ray":
        from .ray_engine import tune_search

        return tune_search(build, part, valid, draw_candidates(defaults, max_candidates, seed), max_epochs,
                           deadline, first_rung, report, engine.address)
    started = time.perf_counter()
    cancelled = False

    def say(event: dict[str, Any]) -> None:
        nonlocal cancelled
        if wants_stop(report, event):
            cancelled = True

    def stop(candidate: Candidate) -> bool:
        return cancelled or candidate.trainer.stopped == "cancelled"

    pool = draw_candidates(defaults, max_candidates, seed)
    first = _train(Candidate(pool[0]), build, part, valid, first_rung)
    # How many candidates fit: two rungs each, in half of what remains of the budget.
    per_epoch = first.trainer.epoch_seconds
    room = max(deadline - time.perf_counter(), 0.0) * 0.5
    n_start = int(min(len(pool), max(1, room // max(per_epoch * first_rung * 2.0, 1e-9))))
    plan = planned_seconds(time.perf_counter() - started, n_start, first_rung, max_epochs, deadline)
    say({"stage": "search", "candidate": 1, "score": first.score, "settings": first.settings, "plan_seconds": plan})
    candidates = [first]
    for index, settings in enumerate(pool[1:n_start], start=2):
        if stop(candidates[-1]) or time.perf_counter() + per_epoch * first_rung > deadline:
            break
        if not _memory_allows(sum(getattr(part, "shape", (0, 0))), settings):  # each is kept until the search ends
            break
        candidates.append(_train(Candidate(settings), build, part, valid, first_rung))
        say({"stage": "search", "candidate": index, "score": candidates[-1].score, "settings": settings})
    tried = [{**c.settings, "valid_ndcg": c.score, "epochs": c.epochs} for c in candidates]
    survivors = sorted(candidates, key=lambda c: c.score, reverse=True)[: max(1, len(candidates) // 3)]
    if len(survivors) > 1 and not stop(candidates[-1]):
        for candidate in survivors:
            more = min(first_rung * 2, max(max_epochs - candidate.epochs, 0))
            if not more:  # the cap was the first rung: nothing more to train, no second row
                break
            _train(candidate, build, part, valid, more)
            tried.append({**candidate.settings, "valid_ndcg": candidate.score, "epochs": candidate.epochs})
            if stop(candidate):
                break
    best = max(survivors, key=lambda c: c.score)
    own = candidates[0]  # the defaults: pool[0]
    for other in candidates:  # free the losers' modules and optimiser state; the defaults are carried
        if other is not best and other is not own:
            other.module = other.trainer = None
    if not stop(best) and not cancelled:  # what is left, now the winner is known: the defaults' carry or not
        left = (max(min(max_epochs, PLANNED_EPOCHS) - best.epochs, 0)
                + (max(min(max_epochs, PLANNED_EPOCHS) - own.epochs, 0) if own is not best else 0))
        say({"stage": "search", "candidate": candidates.index(best) + 1, "score": best.score,
             "settings": best.settings, "plan_seconds": round(left * best.trainer.epoch_seconds, 2)})
        _train(best, build, part, valid, max(max_epochs - best.epochs, 0), early_stop=True)
    if own is not best:
        best = _carry_defaults(best, own, build, part, valid, (max_epochs, first_rung), deadline, tried,
                               stop(best) or cancelled)
        cancelled = cancelled or any(row.get("stopped") == "cancelled" for row in tried)  # the carry's too
    tried.append({**best.settings, "valid_ndcg": best.score, "epochs": best.epochs, "chosen": True,
                  "search_seconds": round(time.perf_counter() - started, 2)})
    return SearchResult(best, tried, cancelled=cancelled or best.trainer.stopped == "cancelled")


def _carry_defaults(winner: Candidate, own: Candidate, build: Callable[[dict[str, Any]], tuple[Any, Any]],
                    part: sp.csr_matrix, valid: sp.csr_matrix, epochs: tuple[int, int], deadline: float,
                    tried: list[dict[str, Any]], stopped: bool) -> Candidate:
    """The defaults trained on to early stopping with what the winner's training left of the budget,
    and kept where their validation score is higher. The rungs rank candidates after 5 and 15
    epochs, where the defaults start slowly: measured on customers the search never saw, the winner
    alone was behind the defaults on four of seven datasets (docs/benchmarks.md, "The settings
    search"). Carried only where a rung's epochs fit in what is left (a large graph's budget is
    spent by then: the winner stands, as before). `epochs`: (the most, a rung's). Both trained
    rows go in `tried`, so the comparison can be read back."""
    max_epochs, rung = epochs
    tried.append({**winner.settings, "valid_ndcg": winner.score, "epochs": winner.epochs, "rungs_winner": True,
                  "stopped": winner.trainer.stopped})
    if not stopped and time.perf_counter() + own.trainer.epoch_seconds * rung < deadline:
        _train(own, build, part, valid, max(max_epochs - own.epochs, 0), early_stop=True)
        tried.append({**own.settings, "valid_ndcg": own.score, "epochs": own.epochs, "carried": True,
                      "stopped": own.trainer.stopped})
    keep, drop = (own, winner) if own.score > winner.score else (winner, own)
    drop.module = drop.trainer = None
    return keep


# Epochs the winner is planned to train in all: the median early stopping reached on seven datasets'
# validation carves with the cap at 120 (25 to 90, docs/results/epochs_cap.json). Planning to the
# cap made the ETA the budget again; a run that trains longer is met by the clock's overrun rule.
PLANNED_EPOCHS = 40


def planned_seconds(rung_seconds: float, n_start: int, first_rung: int, max_epochs: int, deadline: float) -> float:
    """What the search has left once its first rung of `first_rung` epochs took `rung_seconds`
    (building, training, validation): the other candidates' first rung, the survivors' second, the
    winner's training to PLANNED_EPOCHS (or max_epochs, if fewer) and, where there was a search, the
    defaults' beside it (planned as if the winner were another: `_carry_defaults`; once the rungs
    name the winner the search plans again, without the carry where the defaults won), never past
    the deadline. The run's ETA counts it instead of the whole budget (pipeline/run_clock.py)."""
    survivors = max(1, n_start // 3)
    second = 2 * survivors if survivors > 1 else 0  # a survivor trains two rungs' epochs more (5 -> 15)
    trained = first_rung * (3 if second else 1)
    planned = min(max_epochs, PLANNED_EPOCHS)
    carried = max(planned - first_rung, 0) if n_start > 1 else 0
    rungs = (n_start - 1) + second + (max(planned - trained, 0) + carried) / max(first_rung, 1)
    return round(float(min(rungs * rung_seconds, max(deadline - time.perf_counter(), 0.0))), 2)


def _train(candidate: Candidate, build: Callable[[dict[str, Any]], tuple[Any, Any]], part: sp.csr_matrix,
           valid: sp.csr_matrix, epochs: int, early_stop: bool = False) -> Candidate:
    if candidate.module is None:
        candidate.module, candidate.trainer = build(candidate.settings)
    trainer = candidate.trainer
    if epochs > 0:
        trainer.run(candidate.module, part, valid, epochs, patience=None if early_stop else 0)
    candidate.score, candidate.epochs = trainer.best_score, len(trainer.history)
    return candidate


def standardise(scores: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Per-row z-scores, so components on different scales mix by weight alone. `in_place`: the
    caller drops `scores`, so an array of its own (float32, not a view) is standardised where it is,
    with no users x items temporaries (the export scores every customer this way)."""
    scores = np.asarray(scores, dtype=np.float32)
    if not (in_place and scores.base is None and scores.flags.writeable):
        scores = scores.copy()
    scores -= scores.mean(1, keepdims=True)
    variance = np.einsum("ij,ij->i", scores, scores) / max(scores.shape[1], 1)  # of the centred rows
    scores /= np.maximum(np.sqrt(variance, dtype=np.float32), np.float32(1e-6))[:, None]
    return scores


@dataclass(frozen=True)
class BlendChoice:
    """Blend weights by part (0: left out), the blend's validation nDCG, and each part's alone."""

    weights: dict[str, float]
    blended: float
    parts: dict[str, float]  # "gnn", "filter", "popularity" -> validation nDCG@k scored alone

    @property
    def alone(self) -> float:
        return self.parts["gnn"]


def choose_blend(components: dict[str, np.ndarray], history: sp.csr_matrix, relevant: sp.csr_matrix,
                 k: int = 10) -> BlendChoice:
    """Weights for (filter, popularity) added to the GNN's standardised score, by nDCG@k on
    validation rows. A blend is kept only when it beats the GNN alone by more than one standard error of the
    per-user difference: on a small validation slice noise would otherwise choose the weights
    (two standard errors rejected blends that helped on most sparse slices; docs/benchmarks.md)."""
    return pick_blend(blend_ndcgs(components, history, relevant, k))


def choose_blend_in_batches(components: Callable[[np.ndarray], dict[str, np.ndarray]], users: np.ndarray,
                            history: sp.csr_matrix, relevant: sp.csr_matrix, batch: int, k: int = 10) -> BlendChoice:
    """`choose_blend` over `users` (rows of `history` and `relevant`), `batch` at a time:
    components(batch users) gives their dense scores, so memory is one batch's whatever the users."""
    found: dict[tuple[float, float], list[np.ndarray]] = {}
    for start in range(0, len(users), max(1, batch)):
        chosen = users[start:start + max(1, batch)]
        for weights, ndcg in blend_ndcgs(components(chosen), history[chosen], relevant[chosen], k).items():
            found.setdefault(weights, []).append(ndcg)
    return pick_blend({weights: np.concatenate(parts) for weights, parts in found.items()})


ALONE = {"gnn": (0.0, 0.0), "filter": (-1.0, 0.0), "popularity": (0.0, -1.0)}  # keys of the parts alone


def blend_ndcgs(components: dict[str, np.ndarray], history: sp.csr_matrix, relevant: sp.csr_matrix,
                k: int = 10) -> dict[tuple[float, float], np.ndarray]:
    """Each user's nDCG@k for every (filter, popularity) weight pair of the grid, and for each part
    alone (the keys in ALONE). One users x items buffer is reused for every pair; popularity, where
    it is one row broadcast to every user, is standardised and added as that row."""
    gnn, graph_filter = standardise(components["gnn"]), standardise(components["filter"])
    prior = components["popularity"]
    popularity = standardise(prior[:1] if prior.ndim == 2 and prior.strides[0] == 0 else prior)

    def per_user(scores: np.ndarray, overwrite: bool = False) -> np.ndarray:
        top = top_k(scores, k, history, overwrite=overwrite)
        ndcg: np.ndarray = np.nan_to_num(ranking_metrics(top, relevant, k)["ndcg"])
        return ndcg

    shape = gnn.shape
    found = {ALONE["gnn"]: per_user(gnn), ALONE["filter"]: per_user(graph_filter),
             ALONE["popularity"]: per_user(np.broadcast_to(popularity, shape))}
    buffer = np.empty(shape, np.float32)
    for w_filter, w_pop in itertools.product(FILTER_WEIGHTS, POPULARITY_WEIGHTS):
        if w_filter == 0 and w_pop == 0:
            continue
        np.multiply(graph_filter, np.float32(w_filter), out=buffer)
        buffer += gnn
        buffer += np.float32(w_pop) * popularity
        found[(w_filter, w_pop)] = per_user(buffer, overwrite=True)
    return found


def pick_blend(found: dict[tuple[float, float], np.ndarray]) -> BlendChoice:
    """The choice from `blend_ndcgs`' per-user figures: the best pair by mean nDCG among those
    ahead of the GNN alone by more than one standard error of the per-user gain."""
    alone = found[ALONE["gnn"]]
    parts = {name: float(found[key].mean()) for name, key in ALONE.items()}
    best_weights, best = {"filter": 0.0, "popularity": 0.0}, alone
    for w_filter, w_pop in itertools.product(FILTER_WEIGHTS, POPULARITY_WEIGHTS):
        if w_filter == 0 and w_pop == 0:
            continue
        blended = found[(w_filter, w_pop)]
        gain = blended - alone
        if gain.mean() > gain.std() / np.sqrt(len(gain)) and blended.mean() > best.mean():
            best_weights, best = {"filter": w_filter, "popularity": w_pop}, blended
    return BlendChoice(best_weights, float(best.mean()), parts)
