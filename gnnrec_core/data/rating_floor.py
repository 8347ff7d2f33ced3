"""A rating floor (`--min-rating`, the Data page's "Minimum rating"): rated lines below it are read
as not liked and dropped, by both ingest engines, with one reason and one wording everywhere."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .mapping import ColumnMapping


def floor_text(floor: float) -> str:
    """4.0 -> '4', 3.5 -> '3.5'; in full where '%g' would round it (3.3000000000000003, 1234567.5), so
    the words name the floor the lines were compared with."""
    short = f"{floor:g}"
    return short if float(short) == floor else repr(float(floor))


def check_min_rating(min_rating: float | None, m: ColumnMapping, optional: bool = False,
                     notes: list[str] | None = None) -> float | None:
    """The floor as a float, or None. Refused where it is not a finite number, or where no column
    is mapped as the rating (it would drop nothing, and the user believes it did); `optional` (a
    held-out file of customer-product pairs, which are likes already): not applied there, said in
    `notes`."""
    if min_rating is None:
        return None
    floor = float(min_rating)
    if not np.isfinite(floor):
        raise InputError(f"min-rating: expected a finite number, found {min_rating}")
    if m.rating:
        return floor
    if optional:
        if notes is not None:
            notes.append(f"no rating column: the rating floor {floor_text(floor)} drops nothing here; "
                         "every pair counts")
        return None
    raise InputError(f"expected a rating column to keep ratings of at least {floor_text(floor)}, found none mapped; "
                     "map the rating column, or leave the floor out")


def low_rating_reason(floor: float) -> str:
    """The drop reason of rated lines below the floor, as both engines count it."""
    return f"rating below {floor_text(floor)} (not a like)"


def floor_dropped_line(name: str, min_rating: float | None, dropped: dict[str, int]) -> str | None:
    """What the floor took from the log `name`, beside a command's table, in the cleaning report's
    words ('ratings.csv: dropped 30 rating below 4 (not a like)'); None without a floor."""
    if min_rating is None:
        return None
    reason = low_rating_reason(min_rating)
    return f"{name}: dropped {dropped.get(reason, 0):,} {reason}"
