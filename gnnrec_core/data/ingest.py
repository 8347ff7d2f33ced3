"""Ingest: read an interaction log, map its columns, clean it, and count every dropped row.

Output is a canonical events table (columns EVENT_COLUMNS; raw IDs kept as text), an item
catalogue (name, category, price per item) and an IngestReport. Rows without a user are kept:
they still count for basket analysis, and the interaction graph simply skips them.

Two engines give the same result: pandas (here, every row read by `read_table`) and DuckDB
(duck_ingest.py: the same cleaning in SQL, for logs of tens of millions of lines); `engine_for`
chooses between them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..progress import Cancelled, Progress, wants_stop
from .catalogue import _catalogue, _name_of, normalise_ids, with_catalogue_file
from .charges import CHARGES_KEPT, DROP_REASON, lettered_catalogue, non_products
from .frames import NESTED
from .headerless import guessed_note
from .lookup_join import _join_lookup
from .mapping import ColumnMapping, column_hint, detect_mapping, listed, shown
from .numbers import (
    NO_RATING_NOTE,
    _not_finite,
    check_numbers,
    decimal_comma_note,
    read_numbers,
    remap,
    unread_note,
    unreadable,
)
from .rating_floor import check_min_rating, low_rating_reason
from .readers import read_table
from .times import check_date_order, parse_times

EVENT_COLUMNS = ("user", "item", "basket", "time", "event", "quantity", "price", "rating")
@dataclass
class IngestReport:
    rows_read: int
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, str | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # repairs made while reading, in words
    # What the optional files gave: the catalogue's columns by role (item, name, category, price),
    # and the lookup's key pair and the columns it brought. None when no such file was given.
    catalogue_mapping: dict[str, str | None] | None = None
    lookup_mapping: dict[str, Any] | None = None
    # A category-names file's join: its key and name columns, how many products it named and did not.
    category_names: dict[str, Any] | None = None
    min_rating: float | None = None  # ratings below it were dropped as not liked (`ingest(min_rating=...)`)
    date_order: str = "auto"  # how 01/02/2024 was read: told by the data, or "day-first"/"month-first" as given

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def drop(self, reason: str, mask: pd.Series, frame: pd.DataFrame) -> pd.DataFrame:
        count = int(mask.sum())
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count
        return frame.loc[~mask]


def returned_pairs(lines: pd.DataFrame) -> pd.DataFrame:
    """The distinct (user, item) pairs of a log's returned lines (cancelled invoices, quantities of
    zero or less) and of its ratings below a rating floor, that name a customer: what
    recommendations leave out for that customer, as they leave out what was bought (a customer was
    offered the cake stand they had sent back)."""
    kept = lines.loc[lines["user"].notna() & lines["item"].notna(), ["user", "item"]]
    return kept.astype(str).astype(object).drop_duplicates().reset_index(drop=True)


NO_RETURNS = pd.DataFrame({"user": pd.Series(dtype=object), "item": pd.Series(dtype=object)})


@dataclass
class IngestResult:
    events: pd.DataFrame
    catalogue: pd.DataFrame  # index: item id; columns name, category, price
    mapping: ColumnMapping
    report: IngestReport
    returns: pd.DataFrame = field(default_factory=NO_RETURNS.copy)  # returned_pairs: user, item

    @property
    def has_users(self) -> bool:
        return bool(self.events["user"].notna().any())


ENGINES = ("auto", "pandas", "duckdb")
# Customers and baskets all of whose lines cleaning dropped (only returns, say, or postage alone: 604
# of a basket list's 25,900) left the data with no count of their own. Noted by both engines.
CUSTOMERS_GONE = "customers whose every line was dropped by the reasons above"
BASKETS_GONE = "baskets whose every line was dropped by the reasons above"


def ingest(source: Any, name: str | None = None, *, items: Any = None, lookup: Any = None,
           drop_non_products: bool = False, item_columns: dict[str, str] | None = None,
           lookup_key: str | None = None, segments: tuple[str, ...] | None = None, engine: str = "auto",
           progress: Progress | None = None, category_names: Any = None, min_rating: float | None = None,
           floor_optional: bool = False, date_order: str = "auto", **overrides: str | None) -> IngestResult:
    """Read `source` (path, bytes, file object, or a folder of Parquet files) and return clean events.

    items: optional catalogue file joined on the item column; item_columns overrides its detected
    columns by role (item, item_name, category, price). lookup: optional table that brings in a
    missing column through a key it shares with the events (order_id -> user_id); lookup_key names
    that key when more than one column is shared. category_names: optional table naming the
    catalogue's category codes (departments.csv: department_id -> department). segments: unmapped columns kept (as
    "segment:<column>") for comparing groups such as countries or channels; by default every
    unmapped column with 2 to 50 distinct values. overrides: role=column, e.g. user="CustomerID".
    drop_non_products: drop postage, fee and adjustment lines (`non_products`); the CLI and the
    Data page do by default, this call only when asked. min_rating: drop rated lines below it (a
    1-star rating is not a like); refused where no rating column is mapped, unless `floor_optional`
    (a held-out file: its pairs are likes already), where a note says it dropped nothing.
    date_order: "auto" (told by the data, `times.parse_times`), "day-first" or "month-first".
    The report says which columns of each file were used.

    engine: "pandas" reads every row into pandas (every format, every repair of `read_table`);
    "duckdb" cleans in SQL over DuckDB's own readers (data/duck_ingest.py), for logs of tens of
    millions of lines; "auto" (the default) takes DuckDB for a CSV, TSV or Parquet file (or a folder
    of Parquet files) of at least AUTO_DUCKDB_MB and pandas otherwise (`engine_for`). Both give the
    same events, catalogue and report. progress: events {"stage": "ingest", "step", "rows"}; False
    back stops with Cancelled."""
    if engine not in ENGINES:
        raise InputError(f"expected an ingest engine among {', '.join(ENGINES)}, found '{shown(engine)}'")
    check_date_order(date_order)
    if engine_for(source, name, engine) == "duckdb":
        from .duck_ingest import ingest_duckdb

        return ingest_duckdb(source, name, items=items, lookup=lookup, drop_non_products=drop_non_products,
                             item_columns=item_columns, lookup_key=lookup_key, segments=segments, progress=progress,
                             overrides=overrides, category_names=category_names, min_rating=min_rating,
                             floor_optional=floor_optional, date_order=date_order)
    step(progress, "reading")
    frame = load_frame(source, name, lookup, lookup_key)
    step(progress, "cleaning", len(frame), "pandas")
    nested = frame.attrs.get(NESTED, {})
    mapping = detect_mapping(frame, **overrides).validate(list(frame.columns), nested)
    notes = list(frame.attrs.get("notes", [])) + [note for note in [
        guessed_note(list(frame.columns), mapping.as_dict(), overrides)] if note]
    report = IngestReport(rows_read=len(frame), mapping=mapping.as_dict(), warnings=notes,
                          lookup_mapping=frame.attrs.get("lookup"),
                          min_rating=check_min_rating(min_rating, mapping, floor_optional, notes),
                          date_order=date_order)
    try:
        kept_segments = segment_columns(list(frame.columns), mapping, segments, lambda c: int(frame[c].nunique()),
                                        nested)
        refused = None
    except InputError as exc:  # said after the cleaning's own errors, as DuckDB's engine says it
        kept_segments, refused = [], exc
    events, returns = _clean(frame, mapping, report, drop_non_products, kept_segments)
    if refused is not None:
        raise refused
    for column in kept_segments:
        events[SEGMENT_PREFIX + column] = frame.loc[events.index, column].astype("category")
    catalogue = _catalogue(frame.loc[events.index], mapping, events)
    catalogue = with_catalogue_file(catalogue, items, item_columns, report, category_names)
    report.rows_kept = len(events)
    step(progress, "done", len(events))
    return IngestResult(events.reset_index(drop=True), catalogue, mapping, report, returns)


SEGMENT_PREFIX = "segment:"
MAX_SEGMENT_VALUES = 50


def segment_columns(columns: list[str], mapping: ColumnMapping, chosen: tuple[str, ...] | None,
                    nunique: Callable[[str], int], nested: Mapping[str, str] | None = None) -> list[str]:
    """The columns kept as segments: those chosen, else every unmapped one whose count of distinct
    values (`nunique(column)`, over every row read) is 2 to MAX_SEGMENT_VALUES. A column of lists or
    records (`nested`, frames.NESTED) is no segment: refused where chosen, passed over by default."""
    mapped = {column for column in mapping.as_dict().values() if column}
    nested = nested or {}
    if chosen is not None:
        missing = [c for c in chosen if c not in columns]
        if missing:
            raise InputError(f"expected a column '{shown(missing[0])}' to compare groups of, "
                             f"found: {listed(columns)}{column_hint(missing[0], columns)}")
        held = [c for c in chosen if c in nested]
        if held:
            raise InputError(f"expected a column of one value per row to compare groups of, found '{shown(held[0])}' "
                             f"holding {nested[held[0]]}")
        return list(chosen)  # asked for by name: kept even when it is also mapped (an event type)
    return [c for c in columns if c not in mapped and c not in nested and 2 <= nunique(c) <= MAX_SEGMENT_VALUES]


AUTO_DUCKDB_MB = 16  # "auto" reads CSV/TSV/Parquet of this size or more with DuckDB
ENGINE_ENV = "GNNREC_INGEST_ENGINE"  # an operator's choice for "auto": pandas, duckdb (or auto)
DUCKDB_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def engine_for(source: Any, name: str | None = None, engine: str = "auto") -> str:
    """Which engine ingests `source`: the one asked for; for "auto" the one GNNREC_INGEST_ENGINE names,
    else "duckdb" for a folder, or a path or bytes named .csv/.tsv/.txt/.parquet/.pq (optionally .gz
    or .zst) of at least AUTO_DUCKDB_MB, and "pandas" for the rest. Inside the DuckDB engine a file
    DuckDB cannot read as pandas would (another encoding, a basket list, ragged rows, ...) is still
    read by `read_table`."""
    if engine == "auto":
        engine = os.environ.get(ENGINE_ENV, "").strip() or "auto"
        if engine not in ENGINES:
            raise ConfigError(f"{ENGINE_ENV}: expected one of {', '.join(ENGINES)}, found '{shown(engine)}'")
    if engine != "auto":
        return engine
    if isinstance(source, tuple):
        source, name = source[0], name or str(source[1])
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return "duckdb"
        try:
            size = path.stat().st_size
        except OSError:
            return "pandas"  # read_table says what is missing
        name = name or path.name
    elif isinstance(source, bytes):
        size = len(source)
    else:
        return "pandas"
    lower = (name or "").lower().removesuffix(".gz").removesuffix(".zst")
    return "duckdb" if lower.endswith(DUCKDB_SUFFIXES) and size >= AUTO_DUCKDB_MB * 2 ** 20 else "pandas"


def step(progress: Progress | None, name: str, rows: int | None = None, reader: str | None = None) -> None:
    """Report an ingest step (with the rows so far, and which reader read the file); stop with
    Cancelled when the callback asks."""
    event: dict[str, Any] = {"stage": "ingest", "step": name}
    if rows is not None:
        event["rows"] = rows
    if reader is not None:
        event["reader"] = reader
    if wants_stop(progress, event):
        raise Cancelled("ingest cancelled; nothing was saved")


def load_frame(source: Any, name: str | None = None, lookup: Any = None, lookup_key: str | None = None
               ) -> pd.DataFrame:
    """The raw table as read (text columns), with a lookup table's columns joined in (what was
    joined, on which key, is in frame.attrs["lookup"])."""
    frame = read_table(source, name)
    if lookup is not None:
        table = read_table(lookup, _name_of(lookup))
        frame.attrs["notes"] = [*frame.attrs.get("notes", []), *(f"lookup: {n}" for n in table.attrs.get("notes", []))]
        frame = _join_lookup(frame, table, lookup_key)
    return frame


def preview_frame(source: Any, name: str | None = None, lookup: Any = None, lookup_key: str | None = None,
                  rows: int = 1000) -> pd.DataFrame:
    """What a page previews and maps: `load_frame` where ingest's "auto" engine is pandas; where it is
    DuckDB (a large file, a folder of Parquet files), only the first `rows` rows, with the lookup's
    columns joined, so that a large log is not read whole for a preview. Its first 200 rows are the
    whole table's, so the mapping detected on it is the one ingest detects."""
    if engine_for(source, name) == "pandas":
        return load_frame(source, name, lookup, lookup_key)
    from .duck_ingest import preview_duckdb

    return preview_duckdb(source, name, lookup, lookup_key, rows)


def _clean(frame: pd.DataFrame, m: ColumnMapping, report: IngestReport, drop_non_products: bool,
           segments: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events of `frame` and the returned pairs, each drop counted in `report`. An exact duplicate is
    alike in every event column and every kept segment column (`segments`): the same line in two stores
    is two purchases to compare the stores by."""
    def col(role: str) -> pd.Series:
        return frame[getattr(m, role)] if getattr(m, role) else pd.Series(None, index=frame.index, dtype=object)

    def ids(role: str) -> pd.Series:  # an unmapped role is all missing: no parsing of a column of None
        return normalise_ids(col(role)) if getattr(m, role) else col(role)

    def numbers(role: str) -> pd.Series:
        if not getattr(m, role):
            return pd.Series(np.nan, index=frame.index, dtype=float)
        found, comma = read_numbers(col(role))
        if comma:
            report.warnings.append(decimal_comma_note(role, getattr(m, role)))
        return found
    events = pd.DataFrame({
        "user": ids("user"), "item": ids("item"), "basket": ids("basket"),
        "time": parse_times(col("time"), report.warnings, date_order=report.date_order),
        "event": col("event").astype(object).where(col("event").notna(), None),
        "quantity": numbers("quantity"), "price": numbers("price"), "rating": numbers("rating"),
    }, index=frame.index)
    lettered = lettered_catalogue(events["item"])  # one-letter codes: over every row's code before any drop
    customers = events["user"].nunique() if m.user else 0
    baskets = events["basket"].nunique() if m.basket else 0
    if m.time and events["time"].isna().all() and col("time").notna().any():
        raise no_dates_error(m.time, col("time").dropna().astype(str).unique()[:3])
    for role in ("quantity", "price", "rating"):
        if getattr(m, role):
            check_numbers(role, getattr(m, role), col(role), events[role])
    events = report.drop("missing item id", events["item"].isna(), events)
    for role in ("quantity", "price", "rating"):  # inf and nan crash the graph models; 1e308 overflows float32
        if getattr(m, role):
            events = report.drop(f"{role} is inf, nan or beyond ±1e15",
                                 _not_finite(col(role).loc[events.index], events[role]), events)
    codes, keys = pd.factorize(events["basket"])  # invoices repeat: match each key once
    cancelled_key = pd.Series(keys, dtype=object).astype(str).str.match(r"^[Cc]\d+$").to_numpy(bool)
    cancelled = pd.Series((codes >= 0) & cancelled_key[np.maximum(codes, 0)] if len(keys) else False,
                          index=events.index)
    returned = cancelled | (events["quantity"].fillna(1) <= 0 if m.quantity else False)
    # a product rated below the floor was seen and not liked: never offered back (a 2-star film was
    # recommended to the customer who rated it, first in 90% of lists with a floor of 4)
    disliked = events["rating"] < report.min_rating if report.min_rating is not None else False
    returns = returned_pairs(events.loc[returned | disliked])
    events = report.drop("cancelled invoice", cancelled, events)
    if m.quantity:
        events = report.drop("zero or negative quantity (returns)", events["quantity"].fillna(1) <= 0, events)
    if report.min_rating is not None:
        events = report.drop(low_rating_reason(report.min_rating), events["rating"] < report.min_rating, events)
    names = frame.loc[events.index, m.item_name] if m.item_name else None
    charge = pd.Series(non_products(events["item"], names, lettered), index=events.index)
    if drop_non_products:
        events = report.drop(DROP_REASON, charge, events)
    compared = pd.concat([events, frame.loc[events.index, segments].set_axis(  # names apart from the events'
        [f"{SEGMENT_PREFIX}{i}" for i in range(len(segments))], axis=1)], axis=1)
    events = report.drop("exact duplicate", compared.duplicated(keep="first"), events)
    if not drop_non_products:  # kept as asked: still counted, so a user sees what stayed in
        report.notes[CHARGES_KEPT] = int(charge.loc[events.index].sum())
    if m.time:
        report.notes["rows with unparseable time (kept, time unknown)"] = int(events["time"].isna().sum())
    if m.user:
        report.notes["rows without user (kept for baskets only)"] = int(events["user"].isna().sum())
        report.notes[CUSTOMERS_GONE] = int(customers - events["user"].nunique())
    if m.basket:
        report.notes[BASKETS_GONE] = int(baskets - events["basket"].nunique())
    unread = {role: unreadable(col(role).loc[events.index], events[role]) for role in ("quantity", "price", "rating")
              if getattr(m, role)}
    for role, cells in unread.items():
        if cells.any():
            report.notes[unread_note(role)] = int(cells.sum())
    if m.rating and (events["rating"].isna() & ~unread["rating"]).any():  # no rating written: a floor keeps them
        report.notes[NO_RATING_NOTE] = int((events["rating"].isna() & ~unread["rating"]).sum())
    check_cleaned(len(events), m, report)
    return events, returns


def no_dates_error(column: str, examples: Any) -> InputError:
    shown_examples = ", ".join(f"'{shown(v, 40)}'" for v in examples)
    return InputError(f"expected dates in column '{column}' (such as 2024-03-01 14:05, 01/03/2024 or Unix "
                      f"seconds), found values like {shown_examples}; {remap('time')}")


def check_cleaned(rows: int, m: ColumnMapping, report: IngestReport) -> None:
    """Rows must be left, and something must group items (a user or a basket)."""
    if not rows:
        reasons = ", ".join(f"{n:,} {r}" for r, n in report.dropped.items())
        raise InputError(f"expected rows left after cleaning, found none ({reasons or 'no rows'})")
    if not m.user and not m.basket:  # ColumnMapping.validate says it first, with the columns; kept for any path
        raise InputError("expected a column of customers or of baskets/orders to group products by, found "
                         "neither; map one (the Data page's user or basket role, or --user-col NAME / "
                         "--basket-col NAME)")


def baskets_of(events: pd.DataFrame) -> pd.Series:
    """The one definition of a basket, for every page, command and report: the basket key per
    event line, the order/invoice when there is one, else the user (a user's whole history as one
    basket). A line of a charge's own code (POST, DOT, ...: `non_products`) is in no basket (None),
    whether or not ingest dropped such lines, so a basket of postage alone is no basket. A
    product's count is the number of baskets holding it (`basket_count`)."""
    codes, uniques = pd.factorize(events["item"])  # each code matched once: logs repeat them
    charge = np.append(non_products(uniques, lettered=True), False)  # a charge's own code; no name here
    product = ~charge[codes]  # code -1 (no item) picks the appended False
    key = _basket_key(events)
    return key if product.all() else key.where(product, None)


def _basket_key(events: pd.DataFrame) -> pd.Series:
    """Each line's order/invoice, else its user's whole history ("user:ID"), else None."""
    if events["basket"].notna().all():  # the usual order log: no per-row text to build
        return events["basket"]
    key = events["basket"].where(events["basket"].notna(), "user:" + events["user"].astype(str))
    return key.where(events["basket"].notna() | events["user"].notna(), None)


def _all_baskets(events: pd.DataFrame) -> int:
    """Baskets by baskets_of's key, those of non-product codes alone included."""
    return int(_basket_key(events).nunique(dropna=True))


def basket_count(events: pd.DataFrame) -> int:
    """How many baskets the events hold (baskets_of's definition)."""
    return int(baskets_of(events).nunique(dropna=True))


__all__ = ["IngestReport", "IngestResult", "ingest", "engine_for", "preview_frame", "baskets_of",
           "basket_count", "parse_times", "EVENT_COLUMNS"]
