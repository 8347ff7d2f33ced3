"""The dates a comparison is split at, as a user types them: one that reads two ways (05/01/2011:
5 January or 1 May?) is refused with both readings rather than read one way in silence."""

from __future__ import annotations

import re
from calendar import month_name
from typing import Any

import pandas as pd

from ..errors import InputError

# Day and month first, in either order: 12/05/2010 read as 5 December (month first) and 15/12/2010
# as 15 December (day first), silently. Where both numbers could be the month, the user says which.
NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")


def parse_date(text: Any, what: str) -> pd.Timestamp:
    numeric = NUMERIC_DATE.match(text) if isinstance(text, str) else None
    if numeric is not None:
        first, second = int(numeric.group(1)), int(numeric.group(2))
        if first != second and 1 <= first <= 12 and 1 <= second <= 12:
            year = numeric.group(3)
            raise InputError(f"{what}: expected a date that reads one way, such as 2011-06-01, found '{text}' "
                             f"({first} {month_name[second]} or {second} {month_name[first]}?); write "
                             f"{_iso(year, second, first)} or {_iso(year, first, second)}")
    try:
        # read the one way it reads: day first unless the second number cannot be a month
        stamp = pd.to_datetime(text, dayfirst=int(numeric.group(2)) <= 12) if numeric is not None else \
            pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = pd.NaT
    # pandas reads '-1' as the year -1, which no calendar date can hold (the split's words crashed on it)
    if pd.isna(stamp) or not 1000 <= stamp.year <= 9999:
        raise InputError(f"{what}: expected a date such as 2011-06-01, found '{text}'")
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


def _iso(year: str, month: int, day: int) -> str:
    """A two-digit year as pandas and strptime read it: 69-99 in the 1900s, 00-68 in the 2000s."""
    full = year if len(year) == 4 else f"{'19' if int(year) >= 69 else '20'}{year}"
    return f"{full}-{month:02d}-{day:02d}"


def in_window(events: pd.DataFrame, start: Any, end: Any) -> tuple[pd.DataFrame, dict[str, str]]:
    """The lines timed in [start, end) (an open end: the data's first or last time), and the window
    as a comparison's periods state it: two segments compared within one month."""
    if "time" not in events or events["time"].isna().all():
        raise InputError("start/end: expected a time column to take the dates of, found none")
    times = events["time"]
    lo = parse_date(start, "start date") if start is not None else times.min()
    hi = parse_date(end, "end date") if end is not None else times.max() + pd.Timedelta(seconds=1)
    if not lo < hi:
        raise InputError(f"expected start < end, found {lo:%Y-%m-%d %H:%M} / {hi:%Y-%m-%d %H:%M}")
    return events[(times >= lo) & (times < hi)], {"start": str(lo), "end": str(hi)}
