"""A held-out file (a published split's test set) read as its dataset was read, for the Train
page: the dataset's customer and product columns, postage and fees dropped (as `--test` is), and
the dataset's rating floor where it was read with one and the file has ratings (its rating column
found by name), so a test pair rated below it is not a like to predict."""

from __future__ import annotations

from typing import Any

from .ingest import IngestResult, ingest


def read_like(dataset: IngestResult, source: Any) -> IngestResult:
    """`source` read with `dataset`'s customer and product columns and its rating floor, which a
    file with no rating column (customer-product pairs, likes already) is read without, and says so."""
    roles = dataset.mapping.as_dict()
    return ingest(source, user=roles["user"], item=roles["item"], drop_non_products=True,
                  min_rating=dataset.report.min_rating, floor_optional=True)
