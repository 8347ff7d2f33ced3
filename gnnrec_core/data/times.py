"""Times as people write them -> datetime64[ns]: Unix seconds or milliseconds told by their size,
day-first or month-first dates told by the data, time zones converted to UTC. Both ingest engines
parse through `parse_times` (DuckDB's once per distinct value)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ..errors import InputError
from . import DATE_ORDERS
from .mapping import shown

EPOCH_SECONDS = (1e8, 1e11)  # 1973-03-03 to 5138: Unix seconds
EPOCH_MILLIS = (1e11, 1e14)  # 1973-03-03 onwards in milliseconds; a value's size tells its unit
EARLIEST, LATEST = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")  # what datetime64[ns] holds
PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# What Python's \s matches, spelled out: pandas hands a pattern with \s to Python's re (RE2's \s is
# narrower), one value at a time; with the class written out it runs in pyarrow, 20x faster.
SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
ZONED = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?[" + SPACES + r"]*(?:[Zz]|[+-]\d\d(?::?\d\d)?|UTC|GMT|utc|gmt)$"  # after a time


def parse_times(series: pd.Series, notes: list[str] | None = None, weights: np.ndarray | None = None,
                date_order: str = "auto") -> pd.Series:
    """Text or numbers -> datetime64[ns] (NaT where unparseable), each value on its own.

    A plain number is Unix seconds or milliseconds by its size (so a column mixing them reads both),
    or a date written without separators (20101201, 20101201083000); any other plain number is not a
    time (a quantity column mapped as time is unparseable, not years 6 and 1728). d/m/y is chosen
    over m/d/y where more dates can only be day-first (13/12) than only month-first (12/13) (`_day_first`),
    and year-first dates (2010-12-01) are read year-month-day whatever the others are; a time zone (Z, +02:00) is
    converted to UTC and dropped, and values without one are taken as UTC. Dates outside
    1677-2262, which datetime64[ns] cannot hold, are unparseable. What was done is added to `notes`.
    weights: how many rows each value stands for, when `series` holds each distinct value once (the
    DuckDB ingest parses only distinct times), so that the counts in `notes` are counts of rows.
    date_order: "day-first" or "month-first" reads every d/m/y-or-m/d/y date so, as its user says it
    is written (a European export of the 1st to the 12th has nothing in it to tell); a date that
    cannot be read that way (13/12 month-first) is unparseable, not read the other way."""
    check_date_order(date_order)
    result = np.full(len(series), np.datetime64("NaT"), dtype="datetime64[ns]")
    present = series.notna().to_numpy()
    if not present.any():
        return pd.Series(result, index=series.index)
    at = np.flatnonzero(present)  # positions, not labels: an index may repeat
    rows = np.ones(len(at), np.int64) if weights is None else np.asarray(weights, np.int64)[present]
    text = series.reset_index(drop=True)[present].astype(str).str.strip().reset_index(drop=True)
    numeric = pd.to_numeric(text.where(text.str.fullmatch(PLAIN_NUMBER)), errors="coerce")
    compact_dates = _compact_dates(text.where(numeric.notna()))
    compact = compact_dates.notna().to_numpy()  # 20101201083000 is a date, not milliseconds after 2262
    result[at[compact]] = compact_dates[compact].to_numpy()
    seconds = numeric.between(*EPOCH_SECONDS, inclusive="left").to_numpy() & ~compact
    millis = numeric.between(*EPOCH_MILLIS, inclusive="left").to_numpy() & ~compact
    for mask, scale in ((seconds, 1.0), (millis, 1e-3)):
        if mask.any():
            values = numeric[mask] * scale
            inside = values.between(EARLIEST.timestamp(), LATEST.timestamp())
            if not inside.all() and notes is not None:
                late = int(rows[mask][~inside.to_numpy()].sum())
                notes.append(f"{late:,} Unix times fall after 2262 (such as "
                             f"'{shown(text[mask][~inside.to_numpy()].iloc[0], 20)}'), beyond what can be stored: "
                             "counted as unparseable")
            values = values.where(inside)
            result[at[mask]] = pd.to_datetime(values, unit="s", errors="coerce").astype("datetime64[ns]").to_numpy()
    if seconds.any() and millis.any() and notes is not None:
        notes.append(f"time values mix Unix seconds ({int(rows[seconds].sum()):,}) and milliseconds "
                     f"({int(rows[millis].sum()):,}); "
                     "each was read by its size")
    # Any other plain number is not a time (a quantity or price column mapped as time): unparseable,
    # not a year (dateutil reads '1728' as 1728-01-01 and '-1' as year -1).
    other = numeric.notna().to_numpy() & ~(compact | seconds | millis)
    if other.any() and notes is not None:
        example = shown(text[other].iloc[0], 20)
        notes.append(f"{int(rows[other].sum()):,} time values are plain numbers, neither Unix times nor dates "
                     f"written as digits up to 2262 (such as '{example}'): counted as unparseable")
    words = numeric.isna().to_numpy()
    if words.any():
        result[at[words]] = _parse_dates(text[words], notes, rows[words], date_order).to_numpy()
    return pd.Series(result, index=series.index)


def check_date_order(date_order: str) -> str:
    if date_order not in DATE_ORDERS:
        raise InputError(f"date order: expected one of {', '.join(DATE_ORDERS)}, found '{shown(str(date_order), 30)}'")
    return date_order


def _compact_dates(text: pd.Series) -> pd.Series:
    """Digits written as a date without separators, 20101201, 201012010826 or 20101201083000 ->
    datetime64[ns]; NaT for any other value (missing ones included) and for dates past 2262."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for digits, layout in ((8, "%Y%m%d"), (12, "%Y%m%d%H%M"), (14, "%Y%m%d%H%M%S")):
        written = (text.str.fullmatch(r"\d{%d}" % digits) & text.str.match(r"^(19|2[0-2])")).fillna(False).astype(bool)
        if written.any():
            found = pd.to_datetime(text[written], format=layout, errors="coerce")
            parsed[written] = found.where((found >= EARLIEST) & (found <= LATEST)).astype("datetime64[ns]")
    return parsed


def _parse_dates(text: pd.Series, notes: list[str] | None, rows: np.ndarray, date_order: str) -> pd.Series:
    if date_order == "auto":
        dayfirst, guessed, why = _day_first(text, rows)
    else:
        dayfirst, guessed, why = date_order == "day-first", False, ""
    if guessed and notes is not None:  # 01/12/2010 read as 12 January with no word of it
        read = ((value, _one_date(value, dayfirst), _one_date(value, not dayfirst))
                for value in text[text.str.match(DAY_MONTH)].drop_duplicates().head(SAMPLED))
        either = next(((value, found) for value, found, other in read  # one whose readings differ: not 01/01
                       if not pd.isna(found) and not pd.isna(other) and found != other), None)
        if either is not None:
            notes.append(f"no date tells day from month (none has a day past 12), so dates such as "
                         f"'{shown(either[0], 30)}' were read {'day' if dayfirst else 'month'}-first "
                         f"({either[1]:%Y-%m-%d}){why}; dates written year-first (2010-12-01) are read as written; "
                         "where that is wrong, give the date order")
    zoned = text.str.contains(ZONED)
    codes, uniques = pd.factorize(text)  # timestamps repeat (an order's lines): each is parsed once
    parsed = pd.Series(_to_utc(pd.Series(uniques), dayfirst).dt.tz_localize(None).to_numpy()[codes],
                       index=text.index)
    inside = parsed.between(EARLIEST, LATEST)
    outside = parsed.notna() & ~inside
    if outside.any() and notes is not None:
        example = shown(text[outside].iloc[0], 40)
        count = int(rows[outside.to_numpy()].sum())
        notes.append(f"{count:,} dates fall outside 1677-2262 (such as '{example}'), beyond what can be "
                     "stored: counted as unparseable")
    parsed = parsed.where(inside)
    if date_order != "auto":
        parsed = parsed.where(~_against(text, dayfirst, rows, notes))
    if zoned.any() and notes is not None:
        example = text[zoned].iloc[0]
        plain = int(rows[(~zoned & parsed.notna()).to_numpy()].sum())
        zoned_rows = int(rows[zoned.to_numpy()].sum())
        notes.append(f"{zoned_rows:,} time values carried a time zone (such as '{shown(example, 40)}'): "
                     "converted to UTC and the zone dropped"
                     + (f"; {plain:,} without one were taken as UTC" if plain else ""))
    return parsed.astype("datetime64[ns]")


DAY_MONTH = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"  # 01/12/2010, 1-12-10, 01.12.2010: day and month either way


def _day_and_month(fields: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and second numbers of d/m/y-or-m/d/y dates (NaN where a value is none)."""
    first = pd.to_numeric(fields.str.replace(r"(?s)^(\d{1,2})[/.-].*$", r"\1", regex=True), errors="coerce")
    second = pd.to_numeric(fields.str.replace(r"(?s)^\d{1,2}[/.-](\d{1,2})[/.-].*$", r"\1", regex=True),
                           errors="coerce")
    return first, second


def _against(text: pd.Series, dayfirst: bool, rows: np.ndarray, notes: list[str] | None) -> pd.Series:
    """The dates a given order cannot read (13/12/2010 month-first: no month 13), which dateutil
    would read the other way round without a word; said in `notes`."""
    dated = text.str.match(DAY_MONTH).fillna(False).astype(bool)
    first, second = _day_and_month(text.where(dated, ""))
    month = second if dayfirst else first
    wrong = dated & (month > 12)
    if wrong.any() and notes is not None:
        order = "day-first" if dayfirst else "month-first"
        count = int(rows[wrong.to_numpy()].sum())
        notes.append(f"{count:,} date{'s' if count != 1 else ''} cannot be read {order}, as the date order given "
                     f"says (such as '{shown(text[wrong].iloc[0], 30)}': no month {int(month[wrong].iloc[0])}): "
                     "counted as unparseable")
    return wrong


def _day_first(text: pd.Series, rows: np.ndarray) -> tuple[bool, bool, str]:
    """Whether d/m/y dates (13/12/2010, 13-12-2010, 13.12.2010) outnumber m/d/y ones, by rows, and
    whether that was guessed (such dates, none telling), with the reason for a guess. Only a day can
    pass 12, so 13/12 is day-first evidence, 12/13 month-first, 32/13 (garbage) neither.

    Without evidence, a log whose values carry a time of day (a transaction log) is read in the
    order whose dates span less time: nine days of orders written 01/12 to 09/12 span 8 days read
    day-first and 243 read month-first (on the 12th of nine months), and 12/01 to 12/09 the other
    way round. Dates alone may be periodic (the 1st of each month, 01/02 to 01/12 in Germany, 02/01
    to 12/01 in the US), where the shorter span is the wrong reading: there, and where the spans
    tie, dotted dates (01.12.2010, as Europe writes them) are day-first and others month-first."""
    dated = text.str.match(DAY_MONTH).to_numpy(bool)  # vectorised, not str.extract
    if not dated.any():
        return False, False, ""
    fields = text[dated]  # (?s): a value holding a line break is still one value
    first, second = _day_and_month(fields)
    weight = rows[dated]
    day = int(weight[((first > 12) & (second <= 12)).to_numpy(bool)].sum())
    month = int(weight[((second > 12) & (first <= 12)).to_numpy(bool)].sum())
    if day or month:
        return day > month, False, ""
    clock = fields.str.extract(r"\s(\d{1,2}):(\d\d)").astype(float)  # 08:26; a midnight 00:00 is dates alone
    if ((clock[0] > 0) | (clock[1] > 0)).any():
        dates = pd.Series(pd.unique(fields.str.extract(r"^(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})", expand=False)))
        spans = [_span(_to_utc(dates, reading)) for reading in (True, False)]  # at C speed: one layout each
        if spans[0] is not None and spans[1] is not None and spans[0] != spans[1]:
            dayfirst = spans[0] < spans[1]
            return dayfirst, True, (f", as the dates then span {_days(spans[0 if dayfirst else 1])} "
                                    f"({_days(spans[1 if dayfirst else 0])} read {'month' if dayfirst else 'day'}"
                                    "-first)")
    dotted = fields.str.match(r"^\d{1,2}\.").to_numpy(bool)
    dayfirst = int(weight[dotted].sum()) * 2 > int(weight.sum())
    return dayfirst, True, ", as dotted dates are written" if dayfirst else ""


def _span(dates: pd.Series) -> pd.Timedelta | None:
    found = dates.dropna()
    return found.max() - found.min() if len(found) else None


def _days(span: pd.Timedelta) -> str:
    return f"{span.days:,} day{'' if span.days == 1 else 's'}"


def _to_utc(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Distinct date texts -> UTC datetimes: those in a common layout at C speed (the layout of the
    first of the first 50 values that has one, then again among those left, so a column mixing a few
    layouts reads each fast), the rest one by one (format="mixed" costs dateutil's 100 us a value),
    year-first ones never day-first (dateutil's dayfirst reads 2010-12-01 as 12 January)."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    rest = pd.Series(True, index=text.index)
    for _ in range(LAYOUTS_TRIED):
        layout = next((found for value in text[rest].head(SAMPLED) if (found := _layout_of(str(value), dayfirst))),
                      None)
        if layout is None:
            break
        try:
            parsed[rest] = pd.to_datetime(text[rest], errors="coerce", format=layout, utc=True)
        except (ValueError, OverflowError, TypeError):
            break
        rest = parsed.isna()
        if not rest.any():
            return parsed
    iso = text.str.match(r"^\d{4}[-/.]|^\d{8}T")  # year first: 2010-12-01, 2010/12/01, 20101201T0826
    for part, part_dayfirst in ((rest & iso, False), (rest & ~iso, dayfirst)):
        if part.any():
            try:
                parsed[part] = pd.to_datetime(text[part], errors="coerce", format="mixed", dayfirst=part_dayfirst,
                                              utc=True)
            except (ValueError, OverflowError, TypeError):  # a value pandas cannot coerce: parse one by one
                parsed[part] = [_one_date(v, part_dayfirst) for v in text[part]]
    return parsed


LAYOUTS_TRIED, SAMPLED = 3, 50  # layouts read at C speed; values looked at to find each
ISO_LAYOUTS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
               "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")
DAY_FIRST = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y %H:%M",
             "%d-%m-%Y")
MONTH_FIRST = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%m/%d/%y %H:%M", "%m/%d/%y", "%m-%d-%Y %H:%M",
               "%m-%d-%Y")


def _layout_of(value: str, dayfirst: bool) -> str | None:
    """The common layout `value` is written in, tried with strptime (pandas' guess_datetime_format
    prints a warning when its guess disagrees with dayfirst); None when it is none of them."""
    for layout in ISO_LAYOUTS + (DAY_FIRST if dayfirst else MONTH_FIRST):
        try:
            datetime.strptime(value, layout)
            return layout
        except ValueError:
            continue
    return None


def _one_date(value: str, dayfirst: bool) -> pd.Timestamp:
    """One value, at microseconds as the column it goes into (a nanosecond export, '08:26:00.1234567',
    raised a TypeError there)."""
    try:
        found = pd.to_datetime(value, errors="coerce", dayfirst=dayfirst, utc=True)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    return pd.NaT if pd.isna(found) else found.as_unit("us")
