"""JSON tables: an array of objects, or JSON lines (one object per line), each object a row.
Read by readers.read_table once the content says JSON; every value comes back as text.

A lone UTF-16 surrogate (\\ud800 with no partner) is not text any encoder accepts: each becomes
U+FFFD, with a note. Nesting too deep to read and integers too long to parse are one-line errors.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from ..errors import InputError
from .delimited import LINE_BREAK
from .frames import _as_text, _one_line

SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _read_json(text: str, name: str, notes: list[str]) -> pd.DataFrame:
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(stripped)
        else:
            records = []
            for number, line in enumerate(LINE_BREAK.split(stripped), start=1):
                if line.strip():
                    records.append(_json_line(line, number, name))
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError(f"expected a JSON array in '{name}', found invalid JSON at line {exc.lineno}") from None
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         "to read; flatten them") from None
    except ValueError as exc:  # an integer of over 4,300 digits
        raise InputError(f"expected a JSON array in '{name}', found a value that cannot be read ({_one_line(exc)})"
                         ) from None
    if not records or not all(isinstance(r, dict) for r in records):
        raise InputError(f"expected JSON objects with named fields in '{name}', found other values")
    if SURROGATE_ESCAPE.search(text):
        records = _without_surrogates(records, notes)
    try:
        return _as_text(pd.DataFrame.from_records(records))
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         "to read; flatten them") from None


def _json_line(line: str, number: int, name: str) -> Any:
    try:
        return json.loads(line)
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         f"to read at line {number}; flatten them") from None
    except ValueError:  # JSONDecodeError, or an integer of over 4,300 digits
        raise InputError(f"expected JSON lines (one object per line) in '{name}', found invalid JSON "
                         f"at line {number}") from None


def _without_surrogates(records: list[dict[Any, Any]], notes: list[str]) -> list[dict[Any, Any]]:
    """A lone surrogate (\\ud800 with no partner) is not text any encoder accepts: each becomes U+FFFD."""
    count = 0

    def fix(value: Any) -> Any:
        nonlocal count
        if isinstance(value, str) and SURROGATE.search(value):
            count += 1
            return SURROGATE.sub("\ufffd", value)
        return value

    fixed = [{fix(k): fix(v) for k, v in record.items()} for record in records]
    if count:
        notes.append(f"{count:,} values held a lone UTF-16 surrogate (such as \\ud800), which is not text; "
                     "each became \ufffd")
    return fixed


