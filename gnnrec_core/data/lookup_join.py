"""A lookup table joined to the events: the column the events lack (an invoice's customer) brought
in through a key both tables share, the first lookup row per key where several differ."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import InputError
from .catalogue import differing_keys, normalise_ids
from .frames import NESTED
from .mapping import listed, normalise_name, shown


def lookup_plan(columns: list[str], lookup_columns: list[str], key: str | None = None) -> tuple[str, str, list[str]]:
    """(events key, lookup key, the lookup's columns the events lack): what a lookup join brings."""
    keys = {normalise_name(c): c for c in columns}
    shared = [(keys[normalise_name(c)], c) for c in lookup_columns if normalise_name(c) in keys]
    if not shared:
        raise InputError("expected the lookup table to share a key column with the events, found "
                         f"events: {listed(columns)}; lookup: {listed(lookup_columns)}")
    if key is not None:
        shared = [pair for pair in shared if normalise_name(pair[1]) == normalise_name(key)]
        if not shared:
            raise InputError(f"expected the lookup key '{key}' in both tables, found events: "
                             f"{listed(columns)}; lookup: {listed(lookup_columns)}")
    left_key, right_key = shared[0]
    new_columns = [c for c in lookup_columns if normalise_name(c) not in keys]
    if not new_columns:
        raise InputError(f"expected the lookup table to bring a column the events lack, found only "
                         f"columns the events have: {listed(lookup_columns)}")
    return left_key, right_key, new_columns


def conflicting_keys_note(count: int, example: Any) -> str:
    """A lookup's keys whose rows bring different values (one invoice, two customers): each event
    takes the first row, said here, as both engines say it."""
    return (f"lookup: {count:,} key{'s are' if count > 1 else ' is'} on several rows that bring different "
            f"values (such as '{shown(example, 30)}'): the first row of each was used")


def _join_lookup(frame: pd.DataFrame, lookup: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    left_key, right_key, new_columns = lookup_plan(list(frame.columns), list(lookup.columns), key)
    table = lookup[[right_key, *new_columns]].copy()
    table[right_key] = normalise_ids(table[right_key])
    differ = differing_keys(table.set_index(right_key))
    table = table.drop_duplicates(subset=right_key).set_index(right_key)
    joined = frame.copy()
    key_values = normalise_ids(frame[left_key])
    for column in new_columns:
        joined[column] = key_values.map(table[column]).values
    notes = [*frame.attrs.get("notes", [])]
    if len(differ):
        notes.append(conflicting_keys_note(len(differ), differ[0]))
    brought = lookup.attrs.get(NESTED, {})  # a lookup's column of lists is refused as the events' own
    nested = {**frame.attrs.get(NESTED, {}), **{c: brought[c] for c in new_columns if c in brought}}
    joined.attrs = {**frame.attrs, NESTED: nested, "notes": notes,
                    "lookup": {"events_key": left_key, "lookup_key": right_key, "columns": list(new_columns),
                               "matched_rows": int(key_values.isin(table.index).sum())}}
    return joined
