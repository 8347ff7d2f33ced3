"""A held-out file (a published split's test set) read as its dataset was read, for the Train
page: the dataset's customer and product columns, postage and fees dropped (as `--test` is), and
the dataset's rating floor where it was read with one and the file has ratings (its rating column
found by name), so a test pair rated below it is not a like to predict."""

from __future__ import annotations

from typing import Any

from .ingest import IngestResult, ingest


def cleaning_line(what: str, result: IngestResult) -> str:
    """One line of a file's cleaning (a held-out file's, beside the table it was scored in): rows
    read and kept, and each reason's dropped count, as `ingest` lists them."""
    report = result.report
    dropped = "; ".join(f"dropped {count:,} {reason}" for reason, count in report.dropped.items())
    return f"{what}: rows read {report.rows_read:,}, kept {report.rows_kept:,}" + (f"; {dropped}" if dropped else "")


def heldout_notes(name: str, result: IngestResult) -> tuple[str, ...]:
    """What reading the held-out file `name` did, for the run's notes (so the Train page says it as the
    CLI does): its cleaning line, then what was noted while reading (e.g. no rating column, so the
    rating floor was not applied)."""
    notes = (cleaning_line(f"Held-out file {name}", result), *(f"{name}: {w}" for w in result.report.warnings))
    return tuple(note if note.endswith(".") else f"{note}." for note in notes)  # sentences: the page joins them


def read_like(dataset: IngestResult, source: Any) -> IngestResult:
    """`source` read with `dataset`'s customer and product columns and its rating floor, which a
    file with no rating column (customer-product pairs, likes already) is read without, and says so."""
    roles = dataset.mapping.as_dict()
    return ingest(source, user=roles["user"], item=roles["item"], drop_non_products=True,
                  min_rating=dataset.report.min_rating, floor_optional=True,
                  date_order=dataset.report.date_order)
