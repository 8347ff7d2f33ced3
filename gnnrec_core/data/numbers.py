"""The numbers a column mapped as quantity, price or rating holds, as both ingest engines read them
(pandas over rows, DuckDB over distinct values, so each decision rests on the set of values): a
decimal comma read where nothing else fits, a column of text refused with the way out, inf, nan and
numbers too large to weigh told apart from a cell left empty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .catalogue import MISSING_ID_SPELLINGS
from .mapping import shown


def remap(role: str) -> str:
    """How to map another column to `role`, or none, on either front end."""
    return (f"map another column as {role}, or none (the Data page's {role} role; --{role}-col NAME, or "
            f"--{role}-col '' for none)")


DECIMAL_COMMA = r"[+-]?\d*,\d+"  # 2,55 as a semicolon export writes 2.55
# A price with its currency sign, before or after, thousands grouped by commas: "$12.99", "£1,299.00", "5 €"
_AMOUNT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
CURRENCY = rf"[$£€¥]\s?{_AMOUNT}|{_AMOUNT}\s?[$£€¥]"


def read_numbers(raw: pd.Series) -> tuple[pd.Series, bool]:
    """The column's numbers (NaN where none is written), and whether they were read with a decimal
    comma: where every value that is not a number is one with a comma (2,55), none holds a dot, and
    one at least has other than three digits after it (1,234 alone could be a thousand). Decided on
    the set of values, so both engines (pandas over rows, DuckDB over distinct values) agree."""
    numbers = pd.to_numeric(raw, errors="coerce")
    text = raw[raw.notna()].astype(str).str.strip()
    unread = text[numbers[text.index].isna().to_numpy() & (text != "").to_numpy()]
    unread = unread[~unread.str.lower().isin(NAN_WORDS)]
    priced = unread[unread.str.fullmatch(CURRENCY)]
    if len(priced):  # "$12.99" read as 12.99 (a review dump's prices were all lost to NaN without a word)
        numbers = numbers.copy()
        numbers[priced.index] = pd.to_numeric(priced.str.replace(r"[$£€¥,\s]", "", regex=True), errors="coerce")
        unread = unread.drop(priced.index)
        if unread.empty:
            return numbers, False
    if unread.empty or not unread.str.fullmatch(DECIMAL_COMMA).all() or text.str.contains(".", regex=False).any():
        return numbers, False
    if (unread.str.len() - unread.str.find(",") - 1 == 3).all():
        return numbers, False
    return pd.to_numeric(raw.astype(object).where(raw.isna(), raw.astype(str).str.replace(",", ".", regex=False)),
                         errors="coerce"), True


def decimal_comma_note(role: str, column: str) -> str:
    return f"{role} column '{shown(column, 40)}' read with a decimal comma (2,55 as 2.55)"


def check_numbers(role: str, column: str, raw: pd.Series, numbers: pd.Series) -> None:
    """A column mapped as quantity, price or rating must hold numbers: one of text only (product
    names) was read as all missing, kept without a word, and took the names' column away."""
    written = raw.dropna()
    written = written[written.astype(str).str.strip() != ""]
    if len(written) and numbers.isna().all():
        examples = ", ".join(f"'{shown(v, 40)}'" for v in pd.unique(written.astype(str))[:3])
        raise InputError(f"expected numbers in column '{column}' mapped as {role} (such as 3 or 2.50), found "
                         f"values like {examples}; {remap(role)}")


MAX_NUMBER = 1e15  # a quantity, price or rating beyond this is an error, and its sum would overflow float32
NAN_WORDS = ("nan", "+nan", "-nan")


def unreadable(raw: pd.Series, numbers: pd.Series) -> pd.Series:
    """Rows whose cell holds text that is no number ('C536379', 'two'): kept with the number unknown,
    and counted (`unread_note`), where a cell written as missing ('', 'NULL', 'n/a': the spellings IDs
    read as missing) is plain missing and inf or nan is dropped."""
    text = raw.astype(str).str.strip()
    return (raw.notna() & numbers.isna() & ~text.isin(MISSING_ID_SPELLINGS)
            & ~text.str.lower().isin(NAN_WORDS))


NO_RATING_NOTE = "rows with no rating (kept as interactions; a minimum rating drops none of them)"


def unread_note(role: str) -> str:
    """The report's note counting a number column's unreadable cells among the kept rows."""
    return f"rows whose {role} is no number (kept, {role} unknown)"


def _not_finite(raw: pd.Series, numbers: pd.Series) -> pd.Series:
    """Rows whose number was written but is inf, nan (the word) or too large to weigh; an empty or
    unreadable cell ('n/a') is missing, not this."""
    nan_word = raw.notna() & raw.astype(str).str.strip().str.lower().isin(NAN_WORDS)
    with np.errstate(invalid="ignore", over="ignore"):
        too_big = ~(numbers.abs() <= MAX_NUMBER) & numbers.notna()
    return nan_word | too_big
