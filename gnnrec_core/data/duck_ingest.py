"""Ingest on DuckDB: the cleaning of data/ingest.py as SQL over a table DuckDB has read
(duck_read.py), for logs of tens of millions of lines; the same events, catalogue and report as the
pandas engine (tests/test_duckdb_ingest.py checks both on every bad input and the shared data).

What runs where:
- SQL over every row: each row joined to what its values mean, the drop reasons in the pandas
  engine's order (a row counts under the first reason that applies), exact duplicates (the first
  kept), every count of the report, the lookup join, the segments' distinct counts and the
  catalogue's most common name and category per item.
- SQL over distinct values: ID normalisation of plain ASCII IDs (trim is a no-op there, '17850.0'
  becomes '17850', empty is missing) and cancelled invoice keys (C and digits).
- pandas over distinct values, joined back: times (`parse_times`; timestamps repeat per order, and
  each value's row count is passed so that its notes count rows), numbers (`pd.to_numeric` and
  `_not_finite`: the forms pandas accepts and the dtype it picks are not SQL's casts), non-product
  codes and names (Python regular expressions fold Unicode case), IDs that are not plain ASCII
  (Unicode whitespace); and the median price per item, on the fetched arrays.
- No Python string per row: user, item, basket, event and segments come back as integer codes into
  their distinct values, and each object column is those values indexed by the codes (a pointer per
  row, the strings shared), as the pandas engine's normalise_ids builds it.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from ..errors import InputError
from ..progress import Progress
from .catalogue import (
    _name_of,
    with_catalogue_file,
)
from .duck_clean import SqlCleaning
from .duck_codes import id_codes
from .duck_read import MEMORY_ENV, TEMP_ENV, Loaded, Session, load, run
from .frames import _one_line
from .headerless import guessed_note
from .ingest import ENGINE_ENV, IngestReport, IngestResult, step
from .lookup_join import conflicting_keys_note, lookup_plan
from .mapping import detect_mapping
from .rating_floor import check_min_rating


def ingest_duckdb(source: Any, name: str | None, *, items: Any, lookup: Any, drop_non_products: bool,
                  item_columns: dict[str, str] | None, lookup_key: str | None, segments: tuple[str, ...] | None,
                  progress: Progress | None, overrides: dict[str, str | None], category_names: Any = None,
                  min_rating: float | None = None, floor_optional: bool = False,
                  date_order: str = "auto") -> IngestResult:
    """`ingest` on DuckDB (same arguments, same result)."""
    try:
        with Session() as session:
            step(progress, "reading")
            data = load(session, source, name, "raw")
            notes = list(data.notes)
            joined = None
            if lookup is not None:
                other = load(session, lookup, _name_of(lookup), "lookup")
                notes += [f"lookup: {note}" for note in other.notes]
                data, joined = _join_lookup(session, data, other, lookup_key, notes)
            step(progress, "cleaning", data.rows, data.reader)
            columns = ", ".join(f"{data.value(f'c{i}')} AS c{i}" for i in range(len(data.names)))
            sample = session.con.sql(f"SELECT {columns} FROM {data.table} ORDER BY {data.pos} LIMIT 200"
                                     ).to_arrow_table().to_pandas()
            sample = sample.set_axis(data.names, axis=1).astype("str")
            mapping = detect_mapping(sample, **overrides).validate(data.names, data.nested)
            notes += [note for note in [guessed_note(data.names, mapping.as_dict(), overrides)] if note]
            report = IngestReport(rows_read=data.rows, mapping=mapping.as_dict(), warnings=notes, lookup_mapping=joined,
                                  min_rating=check_min_rating(min_rating, mapping, floor_optional, notes),
                                  date_order=date_order)
            cleaning = SqlCleaning(session, data, mapping, report)
            events, catalogue = cleaning.clean(drop_non_products, segments, progress)
    except duckdb.Error as exc:
        raise InputError(f"expected DuckDB to finish the ingest, found: {_one_line(exc)}; give it more memory or "
                         f"disk ({MEMORY_ENV}, {TEMP_ENV}) or set {ENGINE_ENV}=pandas") from None
    catalogue = with_catalogue_file(catalogue, items, item_columns, report, category_names)
    report.rows_kept = len(events)
    step(progress, "done", len(events))
    return IngestResult(events, catalogue, mapping, report, cleaning.returns)


def preview_duckdb(source: Any, name: str | None, lookup: Any, lookup_key: str | None, rows: int) -> pd.DataFrame:
    """The first `rows` rows as `load_frame` gives them (text, lookup columns joined, notes in attrs),
    read by DuckDB without reading the rest of the file."""
    try:
        with Session(limit=rows) as session:
            data = load(session, source, name, "raw")
            notes, joined = list(data.notes), None
            if lookup is not None:
                session.limit = None  # the whole lookup: its first rows would match few events
                other = load(session, lookup, _name_of(lookup), "lookup")
                notes += [f"lookup: {note}" for note in other.notes]
                data, joined = _join_lookup(session, data, other, lookup_key, notes)
            columns = ", ".join(f"{data.value(f'c{i}')} AS c{i}" for i in range(len(data.names)))
            frame = session.con.sql(f"SELECT {columns} FROM {data.table} ORDER BY {data.pos}").to_arrow_table()
    except duckdb.Error as exc:
        raise InputError(f"expected DuckDB to read the file, found: {_one_line(exc)}") from None
    result = frame.to_pandas().set_axis(data.names, axis=1).astype("str")
    result.attrs = {"notes": notes, **({"lookup": joined} if joined else {})}
    return result


def _join_lookup(session: Session, data: Loaded, other: Loaded, key: str | None,
                 notes: list[str]) -> tuple[Loaded, dict[str, Any]]:
    """lookup_join._join_lookup in SQL: the lookup's first row per normalised key, joined to each event;
    keys whose rows bring different values are counted in `notes` (lookup_join.conflicting_keys_note)."""
    con = session.con
    left, right, new = lookup_plan(data.names, other.names, key)
    id_codes(con, other.table, f"c{other.names.index(right)}", "lookup_keys")
    id_codes(con, data.table, f"c{data.names.index(left)}", "event_keys")
    brought = ", ".join(f"{other.value(f'l.c{other.names.index(c)}')} AS n{i}" for i, c in enumerate(new))
    run(con, f"CREATE TABLE lookup_first AS SELECT k.norm AS key, {brought} FROM {other.table} l LEFT JOIN "
                f"lookup_keys k ON k.v = l.c{other.names.index(right)} "
                f"QUALIFY row_number() OVER (PARTITION BY k.norm ORDER BY l.{other.pos}) = 1")
    values = ", ".join(f"{other.value(f'l.c{other.names.index(c)}')}" for c in new)
    differ = run(con, f"SELECT k.norm FROM {other.table} l JOIN lookup_keys k ON k.v = l.c{other.names.index(right)} "
                      f"WHERE k.norm IS NOT NULL GROUP BY k.norm HAVING count(DISTINCT row({values})) > 1 "
                      f"ORDER BY min(l.{other.pos})")
    if differ:
        notes.append(conflicting_keys_note(len(differ), differ[0][0]))
    width = len(data.names)
    added = ", ".join(f"f.n{i} AS c{width + i}" for i in range(len(new)))
    kept = ", ".join(f"r.c{i}" for i in range(width))
    run(con, f"CREATE TABLE joined AS SELECT r.{data.pos} AS pos, {kept}, {added}, e.norm IS NULL AS no_key, "
             f"f.key IS NOT NULL AS matched FROM {data.table} r LEFT JOIN event_keys e "
             f"ON e.v = r.c{data.names.index(left)} LEFT JOIN lookup_first f ON f.key = e.norm")
    row = run(con, "SELECT count(*) FILTER (matched), count(*) FILTER (no_key), "
                      "(SELECT count(*) FROM lookup_first WHERE key IS NULL) FROM joined")[0]
    assert row is not None
    matched = int(row[0]) + (int(row[1]) if row[2] else 0)  # pandas' isin: a missing key matches a missing key
    run(con, "ALTER TABLE joined DROP COLUMN no_key")
    run(con, "ALTER TABLE joined DROP COLUMN matched")
    info = {"events_key": left, "lookup_key": right, "columns": list(new), "matched_rows": matched}
    nested = {**data.nested, **{c: other.nested[c] for c in new if c in other.nested}}  # lists stay refused
    return Loaded("joined", [*data.names, *new], data.rows, data.notes, data.reader, data.trim, "pos", nested), info
