"""The one progress protocol every long step reports through.

A progress callback receives one event per step: a dict with some of `stage`, `model`, `index`,
`total`, `epoch`, `epochs`, `loss`, `valid_ndcg`, `seconds`, `eta_seconds` (the fit under way), and from
a whole run (pipeline/experiment.py) `run_eta_seconds`, `run_eta_bound` (True while it holds a GNN's
whole time budget, an upper bound) and `run_done` (the share of the run's time spent, 0-1;
pipeline/run_clock.py). A GNN's search reports each candidate (`candidate`, `score`,
`settings`), the first with `plan_seconds`, what it expects to have left. A run repeated over
seeds adds `seed`, `seed_index` (1-based) and `seed_count` to each event (`for_seed`). Returning False asks
the work to stop; anything else (None, True) lets it go on. How a step stops is its own: a
trainer keeps what it has learned so far, a search stops drawing candidates, and the dashboard's
experiment and the CLI's benchmarks raise `Cancelled`, which saves nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

from .errors import GnnrecError


class Progress(Protocol):
    def __call__(self, event: dict[str, Any]) -> bool | None: ...


class Cancelled(GnnrecError):
    """The run was stopped by its user; earlier runs are untouched."""


def wants_stop(progress: Progress | None, event: dict[str, Any]) -> bool:
    """Send `event`; True when the callback asked to stop (returned False)."""
    return progress is not None and progress(event) is False


def report_or_cancel(progress: Progress | None, event: dict[str, Any]) -> None:
    """Send `event`; raise Cancelled when the callback asked to stop."""
    if wants_stop(progress, event):
        raise Cancelled("training cancelled; earlier runs are unchanged")


def for_seed(progress: Any, seed: int, index: int, count: int) -> Any:
    """`progress` with the seed each event belongs to: `seed`, `seed_index` (index + 1 of
    `seed_count`). None stays None."""
    if progress is None:
        return None

    def seeded(event: dict[str, Any]) -> Any:
        return progress({**event, "seed": seed, "seed_index": index + 1, "seed_count": count})

    return seeded
