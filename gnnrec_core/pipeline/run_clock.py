"""One ETA for a whole Train run: every model's stage and the last step, not just the fit under way.

Before the run, each model's stage (fit on train, validation figure, test scoring) is expected to
take `fixed + per_cell x users x items + per_unit x units` seconds, units being the shape feature
that drives the model's cost (COST; constants measured by `python -m benchmarks.run_clock` on the
project's 2-core machine, docs/results/run_clock.json). A trained GNN's stage is its time budget
(it stops at its deadline, or earlier when validation stops improving) until its search has timed
its first candidate and says what it has left (`replan`). As stages finish, the
ratio of their actual to their expected seconds rescales what is left, so a faster or busier
machine than the one measured corrects the estimate after the first model or two.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data.limits import limits


@dataclass(frozen=True)
class Shape:
    users: int
    items: int
    pairs: int  # user-item pairs in train
    cells: float  # users x items: what scoring every user against every item costs
    pair_products: float  # sum over users of (items bought)^2: what an item-item product costs
    dense_solve: float  # min(users, items) x items^2: EASE's dense solve (primal or dual, the smaller)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def shape_of(train: sp.csr_matrix) -> Shape:
    degrees = np.diff(train.indptr).astype(np.float64)
    users, items = train.shape
    return Shape(int(users), int(items), int(train.nnz), float(users) * float(items),
                 float((degrees ** 2).sum()), float(min(users, items)) * float(items) ** 2)


@dataclass(frozen=True)
class Cost:
    unit: str  # the Shape field that drives the model's own work
    fixed: float
    per_cell: float
    per_unit: float

    def seconds(self, shape: Shape) -> float:
        return self.fixed + self.per_cell * shape.cells + self.per_unit * float(getattr(shape, self.unit))


# Measured by `python -m benchmarks.run_clock` (docs/results/run_clock.json): six datasets from 169 to
# 8,937 products, on the 2-core machine while other jobs ran (so on the slow side; the pace corrects).
# Each stage is a fit on train, a validation figure and the test scoring. Within 2x of the measured
# seconds on most stages, up to 6x on the first (busiest) dataset.
COST: dict[str, Cost] = {
    "pop": Cost("cells", 0.015, 1.75e-08, 0),
    "itemknn": Cost("pair_products", 0.026, 1.38e-08, 1.87e-07),
    "cooc": Cost("pair_products", 0.018, 1.43e-08, 1.93e-07),
    "ease": Cost("dense_solve", 0.0, 4.59e-07, 3.42e-10),
    "gfcf": Cost("pair_products", 0.062, 3.31e-07, 6.57e-07),
    "bspm": Cost("pair_products", 0.0, 2.22e-07, 1.77e-06),
    "turbocf": Cost("pair_products", 0.0, 1.12e-07, 1.24e-06),
    # not in run_clock.json: from its fits in the defaults runs (2.5 s on the retail slice, 18 s on the invoices)
    "rp3beta": Cost("pair_products", 0.3, 1.0e-07, 1.0e-06),
}
FINAL_SECONDS_PER_PAIR = 2e-6  # placing every interaction in a trained GNN: a few propagations
MIN_FACTOR, MAX_FACTOR = 0.25, 8.0  # how far a run's own pace may rescale the measured costs


def expected_seconds(model: str, shape: Shape, budget: float | None = None) -> float:
    """A model's stage: its budget when it has one (a trained GNN), else the measured cost."""
    if budget is not None:
        return float(budget)
    if model == "ease" and shape.items > limits().dense_items:
        return 0.0  # refuses a catalogue past its dense cap at once: the grocery run's "57 min left" was its solve
    cost = COST.get(model)
    return cost.seconds(shape) if cost is not None else 1.0


def stage(model: str, index: int = 0) -> str:
    """A model's stage in the run's `index`-th seed (0: the run's own seed)."""
    return model if index == 0 else f"{model}#{index + 1}"


@dataclass
class RunClock:
    """The run's stages in order, each with its expected seconds; `remaining` is the ETA."""

    expected: dict[str, float]  # stage -> seconds, in run order ("final" last)
    budgeted: frozenset[str] = frozenset()  # stages whose expectation is a budget, not a measured cost
    taken: dict[str, float] = field(default_factory=dict)
    current: str | None = None
    started: float = 0.0
    replanned: set[str] = field(default_factory=set)  # budgeted stages whose search has timed its pace

    @classmethod
    def plan(cls, models: list[str], shape: Shape, budgets: dict[str, float], main: str | None = None,
             repeat: int = 1) -> RunClock:
        """`main`: the model refitted on every interaction at the end (default: the first). `repeat`:
        every model's stage once per seed (`stage(model, index)`), the final refit once."""
        expected = {stage(name, index): expected_seconds(name, shape, budgets.get(name))
                    for index in range(repeat) for name in models}
        main = models[0] if main is None else main
        expected["final"] = (FINAL_SECONDS_PER_PAIR * shape.pairs + 0.5 if main in budgets
                             else expected_seconds(main, shape) / 2)  # a refit on all, no validation or test
        # After a trained GNN the last step is a few propagations, not a measured cost: not rescaled by pace.
        budgeted = {stage(name, index) for index in range(repeat) for name in budgets}
        return cls(expected, frozenset(budgeted) | ({"final"} if main in budgets else frozenset()))

    def begin(self, stage: str, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if self.current is not None:
            self.taken[self.current] = now - self.started
        self.current, self.started = stage, now

    def replan(self, stage: str, seconds_left: float, now: float | None = None) -> None:
        """The stage under way now expects `seconds_left` more (a GNN's search once its first
        candidate measured the pace), never more than it was planned at (a budget)."""
        if stage != self.current or stage not in self.expected:
            return
        now = time.perf_counter() if now is None else now
        self.expected[stage] = min(self.expected[stage], now - self.started + max(float(seconds_left), 0.0))
        self.replanned.add(stage)

    def bounded(self) -> bool:
        """Whether `remaining` still holds a trained GNN's whole budget (a bound: it stops at its
        deadline or earlier, when validation stops improving), not yet its search's own estimate.
        The demo's first line said "about 2 min left" of a run that took 24 s."""
        left = [s for s in self.expected if s not in self.taken]
        return any(s in self.budgeted and s != "final" and s not in self.replanned for s in left)

    def pace(self) -> float:
        """Actual over expected seconds of the measured stages done so far (1 before any)."""
        done = [s for s in self.taken if s not in self.budgeted and s in self.expected]
        expected = sum(self.expected[s] for s in done)
        if not done or expected <= 0:
            return 1.0
        return float(min(MAX_FACTOR, max(MIN_FACTOR, sum(self.taken[s] for s in done) / expected)))

    def remaining(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        pace = self.pace()

        def scaled(stage: str) -> float:
            return self.expected[stage] * (1.0 if stage in self.budgeted else pace)
        later = [s for s in self.expected if s not in self.taken and s != self.current]
        left = sum(scaled(s) for s in later)
        if self.current in self.expected:  # a stage past its estimate is expected to go on a while, never "0 s"
            elapsed = now - self.started
            left += max(scaled(self.current) - elapsed, 0.25 * elapsed)
        return float(left)

    def fraction_done(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        spent = sum(self.taken.values()) + (now - self.started if self.current else 0.0)
        total = spent + self.remaining(now)
        return float(spent / total) if total > 0 else 0.0
