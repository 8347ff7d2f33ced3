"""User-item lists: one user per line, the user's number first and then the numbers of their items,
separated by spaces (or tabs). The train.txt / test.txt of the published splits LightGCN, GF-CF and
BSPM report on (github.com/gusye1234/LightGCN-PyTorch, data/gowalla: "0 0 1 2 3 ...").

Told from a basket list of numeric products by its first numbers: one per line, never repeated,
rising line by line, over a sample of lines of different lengths. A basket list's first products
repeat (best sellers open many baskets), and a table's rows keep one width."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError

USER_LIST_COLUMNS = ("user", "item")
_NUMBERS = re.compile(r"[ \t]*\d+(?:[ \t]+\d+)*[ \t]*")
MIN_LINES = 5  # fewer lines tell nothing: a short file of rising first numbers is read as before


def is_user_lists(lines: list[str]) -> bool:
    """`lines` (a sample of the file's first non-blank lines) read as user-item lists."""
    if len(lines) < MIN_LINES or not all(_NUMBERS.fullmatch(line) for line in lines):
        return False
    fields = [line.split() for line in lines]
    if len({len(row) for row in fields}) == 1:  # one width: a table (user item rating time ...)
        return False
    users = [int(row[0]) for row in fields]
    return all(a < b for a, b in zip(users, users[1:]))


def read_user_lists(text: str, name: str, notes: list[str]) -> pd.DataFrame:
    """(user, item) rows, one per item of each line; a user on several lines keeps every item. A
    line of a user alone (no items) is a user without interactions: counted in the note."""
    users: list[str] = []
    items: list[str] = []
    alone = 0
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if not all(field.isdigit() for field in fields):
            raise InputError(f"expected numbers separated by spaces on every line of '{name}' (a user, then "
                             f"their items), found line {number:,}: '{line.strip()[:60]}'")
        if len(fields) == 1:
            alone += 1
        users += [fields[0]] * (len(fields) - 1)
        items += fields[1:]
    frame = pd.DataFrame({USER_LIST_COLUMNS[0]: pd.array(np.asarray(users, dtype=object), dtype="str"),
                          USER_LIST_COLUMNS[1]: pd.array(np.asarray(items, dtype=object), dtype="str")})
    without = f"; {alone:,} line{'' if alone == 1 else 's'} named a user with no items" if alone else ""
    notes.append(f"read as user-item lists, one user per line ({frame['user'].nunique():,} users, {len(frame):,} "
                 f"pairs): the first number names the user, the rest their items, as in the train.txt and "
                 f"test.txt of published splits{without}")
    return frame
