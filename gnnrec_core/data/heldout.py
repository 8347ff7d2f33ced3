"""A held-out file (a published split's test set) read as its dataset was read, for the Train
page: the dataset's customer and product columns, postage and fees dropped (as `--test` is), and
the dataset's rating floor where it was read with one, so a test pair rated below it is not a like
to predict."""

from __future__ import annotations

from typing import Any

from .ingest import IngestResult, ingest


def read_like(dataset: IngestResult, source: Any) -> IngestResult:
    roles = dataset.mapping.as_dict()
    floor = dataset.report.min_rating
    if floor is None:
        return ingest(source, user=roles["user"], item=roles["item"], drop_non_products=True)
    return ingest(source, user=roles["user"], item=roles["item"], rating=roles["rating"], drop_non_products=True,
                  min_rating=floor)
