"""Roles read from the values of a table with no header, whose columns are only column_1..column_N:
MovieLens' u.data and ratings.dat (user, item, rating, Unix time), Amazon's ratings-only dumps (user,
item, "5.0", Unix time), SNAP's check-ins (user, ISO time, latitude, longitude, place). Names say
nothing there, so each was refused ("found none among: column_1, ...") until mapped by hand.

The guess follows how such dumps are laid out: the first two columns of codes (no decimal point, no
space) are the customer and the product, in that order; a later column of at most 11 values from 0
to 10 is the rating; one of whole numbers in Unix seconds' or milliseconds' range (or of dates) is the
time. Only tables of up to five columns are read this way: a wider headerless export is a retail
table whose invoice would be taken for its customer. A catalogue is read the other way round
(`catalogue_roles`): its codes first, then its names (nearly all different, words before codes),
then its categories. Every guess is said in a note, and each can be mapped otherwise."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

NUMBERED = re.compile(r"column_\d+")
MOST_COLUMNS = 5
SAMPLE_ROWS = 200  # what the DuckDB ingest's mapping sees: both engines guess alike
RATING_VALUES = 11  # 0-10 in whole steps at most; half stars (0.5-5) are 10
DECIMAL = r"[+-]?\d*\.\d+"


def is_headerless(columns: list[str]) -> bool:
    """Numbered columns only, as delimited.py names those of a file with no header."""
    return bool(columns) and all(NUMBERED.fullmatch(str(c)) for c in columns)


def _values(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column].head(SAMPLE_ROWS).dropna().astype(str).str.strip()
    return values[~values.isin(("", "nan", "None", "<NA>"))]


def _codes(values: pd.Series) -> bool:
    return len(values) > 0 and not values.str.contains(r"\s").any() and not values.str.fullmatch(DECIMAL).any()


def _numbers(values: pd.Series) -> pd.Series | None:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers if len(values) and numbers.notna().all() else None


def _rating_like(values: pd.Series) -> bool:
    numbers = _numbers(values)
    return numbers is not None and numbers.nunique() <= RATING_VALUES and bool(numbers.between(0, 10).all())


def _epoch_like(values: pd.Series) -> bool:
    from .times import EPOCH_MILLIS, EPOCH_SECONDS

    numbers = _numbers(values)
    if numbers is None or not values.str.fullmatch(r"\d+").all():
        return False
    return bool(numbers.between(*EPOCH_SECONDS).all() or numbers.between(*EPOCH_MILLIS).all())


def event_roles(frame: pd.DataFrame, fixed: Mapping[str, str | None]) -> dict[str, str]:
    """The roles of user, item, rating and time that `fixed` (the user's mapping, and dates found
    already) leaves open, for a headerless log of up to MOST_COLUMNS columns; {} for any other table.
    The columns of codes not fixed go to the open ones of user and item, in that order."""
    columns = [str(c) for c in frame.columns]
    if not is_headerless(columns) or len(columns) > MOST_COLUMNS:
        return {}
    free = [c for c in columns if c not in {column for column in fixed.values() if column}]
    codes = [c for c in free if _codes(_values(frame, c))]
    open_ids = [role for role in ("user", "item") if role not in fixed]
    # Unix seconds are whole numbers, codes to _codes: a time written first ("1600000000,17,42") took the
    # customer's place. Left out where enough other codes remain (a 9-digit customer ID is a code too).
    not_times = [c for c in codes if not _epoch_like(_values(frame, c))]
    codes = not_times if len(not_times) >= len(open_ids) else codes
    roles = dict(zip(open_ids, codes))
    if len(roles) < len(open_ids):  # too few columns of codes: not a log laid out this way
        return {}
    rest = [c for c in free if c not in roles.values()]
    rating = next((c for c in rest if _rating_like(_values(frame, c))), None) if "rating" not in fixed else None
    if rating:
        roles["rating"] = rating
    if "time" not in fixed:
        epoch = next((c for c in rest if c != rating and _epoch_like(_values(frame, c))), None)
        if epoch:
            roles["time"] = epoch
    return roles


def catalogue_roles(frame: pd.DataFrame, fixed: dict[str, str]) -> dict[str, str]:
    """item, item_name and category of a headerless catalogue (movies.dat: id, title, genres) that
    `fixed` (the user's choice) leaves open: the first column of codes, then the first of text
    nearly all different (of words with spaces, where one is), then the next of text that is no number."""
    columns = [str(c) for c in frame.columns]
    if not is_headerless(columns) or len(columns) > MOST_COLUMNS:
        return {}
    free = [c for c in columns if c not in set(fixed.values())]
    roles = {}
    if "item" not in fixed:
        item = next((c for c in free if _codes(_values(frame, c))), None)
        if item is None:
            return {}
        roles["item"] = item
    texts = {c: values for c in free if c not in roles.values()
             for values in [_values(frame, c)] if len(values) and _numbers(values) is None}
    distinct = [c for c, values in texts.items() if values.nunique() >= 0.9 * len(values)]
    # Names are nearly all different: of several such columns, words with spaces first, then words of
    # no digit (one-word names, "1,Apple,Fruit"), then any; a code column (SKU-0001) is names last
    if "item_name" not in fixed and distinct:
        roles["item_name"] = min(distinct, key=lambda c: (texts[c].str.contains(r"\s").mean() <= 0.5,
                                                          texts[c].str.contains(r"\d").mean() > 0.5))
    # A category's values repeat (Fruit, Nuts); where none repeats (a catalogue of four dishes, four
    # courses), the next text that is not a column of distinct codes (SKU-0001) beside the names
    rest = [c for c in texts if c not in roles.values()]
    category = next((c for c in rest if texts[c].nunique() < 0.9 * len(texts[c])),
                    next((c for c in rest if not (c in distinct and texts[c].str.contains(r"\d").mean() > 0.5)), None))
    if "category" not in fixed and category:
        roles["category"] = category
    return roles


def guessed_note(columns: list[str], mapped: Mapping[str, str | None], overrides: Mapping[str, str | None]) -> str:
    """What the ingest says of a headerless table's roles read from values ('' for a table with a
    header, or where the user mapped every role there is)."""
    guessed = {role: column for role, column in mapped.items() if column and overrides.get(role) is None}
    if not is_headerless(columns) or not guessed:
        return ""
    said = ", ".join(f"{role.replace('_', ' ')} {column}" for role, column in guessed.items())
    return f"no header: the columns' roles were read from their values ({said}); map them where they are not"
