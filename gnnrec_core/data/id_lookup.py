"""A customer or product the user names (`recommend --user`, `similar --item`, the pages' links)
found in a dataset: by its ID, written as the data writes it or another way; a product also by its
catalogue name. Not found: one line saying what was expected, with the likeliest meaning (an ID
written another way, products whose names hold the words typed, a fee code)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError


def find_id(table: dict[str, int], raw: str, what: str, known: np.ndarray, names: np.ndarray | None = None) -> int:
    """The index of `raw` in `table` (ID -> index). For products (`names`: each index's catalogue
    name), a name that one product alone carries, in any case, finds it too."""
    wanted = str(raw).strip()
    index = table.get(wanted)
    if index is not None:
        return index
    if names is not None:
        text = pd.Index(names).astype(str).str.strip()  # an unnamed product's name is its ID: not a name here
        named = np.flatnonzero((text.str.casefold() == wanted.casefold()) & (text != pd.Index(known).astype(str)))
        if len(named) == 1:
            return int(named[0])
        if len(named) > 1:
            codes = ", ".join(str(known[i]) for i in named[:5])
            raise InputError(f"expected one {what} named '{raw}', found {len(named):,} ({codes}): give its ID")
    close = _close_ids(wanted, table)
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif what == "item" and _is_charge(wanted):
        hint = "a postage or fee code: reading the data drops such lines as not products unless told to keep them"
    elif names is not None and (containing := _names_containing(wanted, known, names)):
        hint = f"products whose names hold '{wanted}': {containing}; give one's ID or whole name"
    else:
        hint = f"IDs look like: {', '.join(map(str, known[:3]))}"
    raise InputError(f"expected a known {what} ID, found '{raw}' ({hint})")


def _names_containing(wanted: str, known: np.ndarray, names: np.ndarray, shown: int = 5) -> str:
    """Up to `shown` products whose catalogue names hold `wanted` (3 characters or more, any case),
    each as NAME (ID), or its name alone where the ID is the name; '' where none does."""
    if len(wanted) < 3:
        return ""
    text = pd.Index(names).astype(str).str.strip()
    found = np.flatnonzero(text.str.casefold().str.contains(wanted.casefold(), regex=False))
    labels = [product_label(text[i], known[i]) for i in found[:shown]]
    more = f" and {len(found) - shown:,} more" if len(found) > shown else ""
    return ", ".join(labels) + more


def product_label(name: object, code: object) -> str:
    """'NAME (code)', as selectors and hints name a product; the code alone where the name is the code
    (a basket list of names: 'whole milk (whole milk)' read as two things)."""
    return f"{name} ({code})" if str(name) != str(code) else str(code)


def _is_charge(code: str) -> bool:
    from .charges import non_products

    return bool(non_products(pd.Index([code]), lettered=False)[0])


def _close_ids(raw: str, table: dict[str, int]) -> list[str]:
    """The ID the user most likely meant: the same written another way (another case, spaces, a
    spreadsheet's '.0', leading zeros), else, for IDs with letters, up to three close spellings
    (difflib; only on this error's path, ~1 s at 100k IDs). Numbers get no spelling guesses: 12345
    is one digit from 16345, another customer altogether."""
    import difflib

    def plain(text: str) -> str:
        text = re.sub(r"\s+", "", text.casefold())
        text = re.sub(r"^(\d+)\.0+$", r"\1", text)
        return text.lstrip("0") or text

    wanted = plain(raw)
    same = [known for known in table if plain(known) == wanted]
    if same or not re.search(r"[^\d.\s]", raw):
        return same[:3]
    return difflib.get_close_matches(raw, list(table), n=3, cutoff=0.8)
