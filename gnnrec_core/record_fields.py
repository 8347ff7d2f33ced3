"""What every record of records.py is written and read with: the schema number, the metric names,
the one-line error of a record that cannot be read, and the checks of its JSON fields."""

from __future__ import annotations

import math
from typing import Any

from .errors import InputError

SCHEMA = 2  # 1: release 0.9.0's untyped dicts (migrated on read)
METRIC_NAMES = ("ndcg", "precision", "recall", "map", "hit_rate", "coverage")  # fit.metrics.METRICS (a test checks)
METRIC_LABELS = {"ndcg": "nDCG", "precision": "precision", "recall": "recall", "map": "MAP", "hit_rate": "hit rate",
                 "coverage": "coverage"}


class RecordError(InputError):
    """A stored record that cannot be read: damaged, or written by a newer release."""


def _check_schema(data: Any, what: str) -> int:
    if not isinstance(data, dict):
        raise RecordError(f"expected a {what} record (a JSON object), found {type(data).__name__}")
    schema = data.get("schema", 1)
    if not isinstance(schema, int) or not 1 <= schema <= SCHEMA:
        raise RecordError(f"expected a {what} record of schema 1 to {SCHEMA}, found schema {schema!r} "
                          "(written by a newer release?)")
    return schema


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(f"expected a number for {what}, found {value!r}")
    return float(value)


def _optional_number(value: Any, what: str) -> float | None:
    return None if value is None else _number(value, what)


def _finite_or_none(value: float | None) -> float | None:
    """NaN and inf are not JSON: written as null."""
    return None if value is None or not math.isfinite(value) else value


# A run's split record: the counts the pages and the report format as numbers ({:,}).
SPLIT_COUNTS = ("train_interactions", "test_interactions", "test_users", "test_users_without_history",
                "heldout_pairs", "skipped_unknown_users", "skipped_unknown_items", "skipped_in_train")


def _split_record(value: Any) -> dict[str, Any]:
    """A run's split: a JSON object whose counts are numbers (a damaged count exited 3 in `report`)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"expected the run's split as a JSON object, found {type(value).__name__}")
    for key in SPLIT_COUNTS:
        if key in value:
            _number(value[key], f"the split's {key}")
    return dict(value)

