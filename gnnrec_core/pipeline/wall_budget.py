"""A drawn-split `benchmark` run's wall budget, and the test customers its table scores.

Issue 21's bar: `benchmark` with every default model on a 1M-line log (50,000 products) ends within
5 minutes on two cores. The baselines' and the graph filters' fits have no time budget (a fit lasts
as long as its search); the GNNs' do (90 s each). So the run's wall budget is kept by the GNNs: when
a GNN's turn comes it trains for at most its own budget and at most an equal share of what the run
has left, less what the test scoring of the GNNs still to come is expected to take
(`WallBudget.gnn_budget`). Where the whole run ends well inside the budget (every dataset of
docs/benchmarks.md's defaults table) no budget is cut; a cut is said in the table's notes.

Above TEST_USERS test customers the table scores a random sample of them, the same customers for
every row (so the rows' paired intervals hold): at 1M lines the full ranking of 69,564 customers x
49,974 products for ten rows took about two minutes of the run, which would otherwise come out of
the GNNs' training. Measured in docs/benchmarks.md, "The 1M-line benchmark inside five minutes".

A given split (`--test`) gets neither: it is what a run is compared with published tables on, where
each model's budget is the comparison's unit and every test user is scored.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..matrix.interactions import Split

WALL_BUDGET = 300.0  # seconds: issue 21's bar for the 1M-line log
TEST_USERS = 20_000  # most test customers a drawn split's table scores (0: all)
LEAST_GNN_SECONDS = 10.0  # a GNN's budget is never cut below this: under it a row says little
# Held back from the GNNs' shares for what the clock does not see: the process's start before the
# command's clock, the verdicts and the JSON after the last row, a GNN's fit running past its budget
# by a second or two (the first 300 s run at 1M lines, with none held back, took 303 s).
SLACK_SECONDS = 10.0
# A GNN's test scoring, against the slowest scoring so far (a filter's): a blended GNN ranks twice in
# one pass and adds its filter's scores (at 1M lines 38 s against GF-CF's 25 s).
GNN_SCORING_VS_SLOWEST = 1.5


@dataclass
class WallBudget:
    """The run's clock: seconds it may take (0: no budget), when it started, and how long each
    model's test scoring took so far (what the GNNs' scoring still to come is reckoned from)."""

    seconds: float = WALL_BUDGET
    started: float = field(default_factory=time.perf_counter)
    scoring: list[float] = field(default_factory=list)

    def scored(self, seconds: float) -> None:
        self.scoring.append(seconds)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def gnn_budget(self, asked: float, gnns_left: int) -> float:
        """The budget the next GNN trains for: `asked` (its own), cut to an equal share of what the run
        has left among the `gnns_left` GNNs still to fit (this one included), each less its scoring."""
        if not self.seconds or gnns_left < 1:
            return asked
        scoring = GNN_SCORING_VS_SLOWEST * max(self.scoring, default=0.0)
        share = (self.seconds - SLACK_SECONDS - self.elapsed()) / gnns_left - scoring
        # Whole seconds: the note, the run's record and the verdict all say the same "67 s".
        return float(min(asked, max(math.floor(share), LEAST_GNN_SECONDS)))


def cut_note(label: str, budget: float, asked: float, wall: float) -> str:
    """The table's note on a GNN whose budget the wall budget cut."""
    return (f"{label} trained for at most {budget:g} s of its {asked:g} s budget, to end the run within its "
            f"{wall:g} s wall budget (--wall-budget 0 gives it its whole budget, and so does --time-budget SECONDS "
            "given alone)")


def over_note(elapsed: float, wall: float) -> str:
    return (f"the run took {elapsed:.0f} s, past its {wall:.0f} s wall budget: the baselines' and filters' fits and "
            "the test scoring are not cut, and no GNN trains for under "
            f"{LEAST_GNN_SECONDS:.0f} s")


def sampled_test(data_split: Split, most: int, seed: int) -> Split:
    """`data_split` with its test part cut to `most` test customers drawn at random (by `seed`), every
    pair of theirs kept; unchanged at or under `most`, or with `most` 0. The split's record says how
    many test customers and pairs it was drawn from."""
    import numpy as np  # the CLI reads this module's defaults for its help: no numpy at its start
    import scipy.sparse as sp

    from ..matrix.interactions import Split

    test = data_split.test
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if not most or len(users) <= most:
        return data_split
    kept = np.sort(np.random.default_rng(seed).choice(users, size=most, replace=False))
    keep = np.zeros(test.shape[0], dtype=np.float32)
    keep[kept] = 1.0
    scored = sp.csr_matrix(sp.diags(keep) @ test)
    scored.eliminate_zeros()
    info = {**data_split.info, "test_users_drawn": int(len(users)), "test_interactions_drawn": int(test.nnz)}
    return Split(data_split.train, scored, data_split.config, info)


def run_limits(wall_budget: float | None, test_users: int | None, given_split: bool,
               time_budget_asked: bool) -> tuple[float, int]:
    """The run's wall budget and most test customers scored, where the caller left them to default
    (None): on a drawn split WALL_BUDGET and TEST_USERS; on a given split neither (module docstring);
    and no wall budget where a GNN time budget was asked for by name, which the wall would cut."""
    wall = (0.0 if given_split or time_budget_asked else WALL_BUDGET) if wall_budget is None else float(wall_budget)
    most = (0 if given_split else TEST_USERS) if test_users is None else int(test_users)
    return wall, most
