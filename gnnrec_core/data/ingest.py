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
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..progress import Cancelled, Progress, wants_stop
from .mapping import ColumnMapping, detect_mapping, listed, normalise_name, shown
from .readers import read_table

EVENT_COLUMNS = ("user", "item", "basket", "time", "event", "quantity", "price", "rating")
# Codes that are charges, not products (Online Retail and similar exports).
NON_PRODUCT_CODES = re.compile(
    r"^(POST|DOT|M|D|S|B|C2|CRUK|PADS|AMAZONFEE|BANK CHARGES|ADJUST\w*|TEST\w*|GIFT_\w+|DCGS\w*)$",
    re.IGNORECASE)
NON_PRODUCT_NAMES = re.compile(r"postage|carriage|manual|discount|bank charges|amazon fee|adjust",
                               re.IGNORECASE)


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def drop(self, reason: str, mask: pd.Series, frame: pd.DataFrame) -> pd.DataFrame:
        count = int(mask.sum())
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count
        return frame.loc[~mask]


@dataclass
class IngestResult:
    events: pd.DataFrame
    catalogue: pd.DataFrame  # index: item id; columns name, category, price
    mapping: ColumnMapping
    report: IngestReport

    @property
    def has_users(self) -> bool:
        return bool(self.events["user"].notna().any())


CATALOGUE_ROLES = ("item", "item_name", "category", "price")  # what a catalogue file can give


ENGINES = ("auto", "pandas", "duckdb")


def ingest(source: Any, name: str | None = None, *, items: Any = None, lookup: Any = None,
           drop_non_products: bool = False, item_columns: dict[str, str] | None = None,
           lookup_key: str | None = None, segments: tuple[str, ...] | None = None, engine: str = "auto",
           progress: Progress | None = None, category_names: Any = None, **overrides: str | None) -> IngestResult:
    """Read `source` (path, bytes, file object, or a folder of Parquet files) and return clean events.

    items: optional catalogue file joined on the item column; item_columns overrides its detected
    columns by role (item, item_name, category, price). lookup: optional table that brings in a
    missing column through a key it shares with the events (order_id -> user_id); lookup_key names
    that key when more than one column is shared. category_names: optional table naming the
    catalogue's category codes (departments.csv: department_id -> department). segments: unmapped columns kept (as
    "segment:<column>") for comparing groups such as countries or channels; by default every
    unmapped column with 2 to 50 distinct values. overrides: role=column, e.g. user="CustomerID".
    The report says which columns of each file were used.

    engine: "pandas" reads every row into pandas (every format, every repair of `read_table`);
    "duckdb" cleans in SQL over DuckDB's own readers (data/duck_ingest.py), for logs of tens of
    millions of lines; "auto" (the default) takes DuckDB for a CSV, TSV or Parquet file (or a folder
    of Parquet files) of at least AUTO_DUCKDB_MB and pandas otherwise (`engine_for`). Both give the
    same events, catalogue and report. progress: events {"stage": "ingest", "step", "rows"}; False
    back stops with Cancelled."""
    if engine not in ENGINES:
        raise InputError(f"expected an ingest engine among {', '.join(ENGINES)}, found '{shown(engine)}'")
    if engine_for(source, name, engine) == "duckdb":
        from .duck_ingest import ingest_duckdb

        return ingest_duckdb(source, name, items=items, lookup=lookup, drop_non_products=drop_non_products,
                             item_columns=item_columns, lookup_key=lookup_key, segments=segments, progress=progress,
                             overrides=overrides, category_names=category_names)
    step(progress, "reading")
    frame = load_frame(source, name, lookup, lookup_key)
    step(progress, "cleaning", len(frame), "pandas")
    mapping = detect_mapping(frame, **overrides).validate(list(frame.columns))
    report = IngestReport(rows_read=len(frame), mapping=mapping.as_dict(), warnings=list(frame.attrs.get("notes", [])),
                          lookup_mapping=frame.attrs.get("lookup"))
    events = _clean(frame, mapping, report, drop_non_products)
    for column in segment_columns(list(frame.columns), mapping, segments, lambda c: int(frame[c].nunique())):
        events[SEGMENT_PREFIX + column] = frame.loc[events.index, column].astype("category")
    catalogue = _catalogue(frame.loc[events.index], mapping, events)
    catalogue = with_catalogue_file(catalogue, items, item_columns, report, category_names)
    report.rows_kept = len(events)
    step(progress, "done", len(events))
    return IngestResult(events.reset_index(drop=True), catalogue, mapping, report)


def with_catalogue_file(catalogue: pd.DataFrame, items: Any, item_columns: dict[str, str] | None,
                        report: IngestReport, category_names: Any = None) -> pd.DataFrame:
    """The catalogue with an optional catalogue file's names, categories and prices joined in, and
    its category codes named by an optional category-names file (departments.csv: department_id ->
    department)."""
    if items is not None:
        table = read_table(items, _name_of(items))
        report.warnings += [f"catalogue: {note}" for note in table.attrs.get("notes", [])]
        catalogue, report.catalogue_mapping = _join_catalogue(catalogue, table, item_columns or {})
    if category_names is not None:
        catalogue = _name_categories(catalogue, read_table(category_names, _name_of(category_names)), report)
    return catalogue


def _name_categories(catalogue: pd.DataFrame, names: pd.DataFrame, report: IngestReport) -> pd.DataFrame:
    """Category codes -> names. The key is the names file's column called as the catalogue's category
    column (department_id in both), else its first column; the name is its first other column. A
    code the file does not name keeps its code; how many were named goes in the report."""
    source = (report.catalogue_mapping or {}).get("category") or report.mapping.get("category")
    if names.shape[1] < 2:
        raise InputError(f"expected a category-names file with a code column and a name column, found "
                         f"{listed(list(names.columns))}")
    keyed = [c for c in names.columns if source and normalise_name(c) == normalise_name(source)]
    key = keyed[0] if keyed else names.columns[0]
    label = next(c for c in names.columns if c != key)
    table = pd.Series(names[label].astype(object).to_numpy(), index=normalise_ids(names[key]).to_numpy())
    table = table[~table.index.duplicated()].dropna()
    codes = normalise_ids(catalogue["category"].astype(object))
    named = codes.map(table)
    merged = catalogue.copy()
    merged["category"] = named.where(named.notna(), catalogue["category"])
    report.category_names = {"key": str(key), "name": str(label), "named_items": int(named.notna().sum()),
                             "unnamed_items": int((named.isna() & codes.notna()).sum())}
    return merged


SEGMENT_PREFIX = "segment:"
MAX_SEGMENT_VALUES = 50


def segment_columns(columns: list[str], mapping: ColumnMapping, chosen: tuple[str, ...] | None,
                    nunique: Callable[[str], int]) -> list[str]:
    """The columns kept as segments: those chosen, else every unmapped one whose count of distinct
    values (`nunique(column)`, over every row read) is 2 to MAX_SEGMENT_VALUES."""
    mapped = {column for column in mapping.as_dict().values() if column}
    if chosen is not None:
        missing = [c for c in chosen if c not in columns]
        if missing:
            raise InputError(f"expected a column '{shown(missing[0])}' to compare groups of, "
                             f"found: {listed(columns)}")
        return list(chosen)  # asked for by name: kept even when it is also mapped (an event type)
    return [c for c in columns if c not in mapped and 2 <= nunique(c) <= MAX_SEGMENT_VALUES]


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


def _name_of(source: Any) -> str | None:
    if isinstance(source, tuple):  # (bytes, file name), as uploads arrive
        file_name: str | None = source[1]
        return file_name
    return Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", None)


def _clean(frame: pd.DataFrame, m: ColumnMapping, report: IngestReport, drop_non_products: bool) -> pd.DataFrame:
    def col(role: str) -> pd.Series:
        return frame[getattr(m, role)] if getattr(m, role) else pd.Series(None, index=frame.index, dtype=object)

    def ids(role: str) -> pd.Series:  # an unmapped role is all missing: no parsing of a column of None
        return normalise_ids(col(role)) if getattr(m, role) else col(role)

    def numbers(role: str) -> pd.Series:
        return (pd.to_numeric(col(role), errors="coerce") if getattr(m, role)
                else pd.Series(np.nan, index=frame.index, dtype=float))
    events = pd.DataFrame({
        "user": ids("user"), "item": ids("item"), "basket": ids("basket"),
        "time": parse_times(col("time"), report.warnings),
        "event": col("event").astype(object).where(col("event").notna(), None),
        "quantity": numbers("quantity"), "price": numbers("price"), "rating": numbers("rating"),
    }, index=frame.index)
    if m.time and events["time"].isna().all() and col("time").notna().any():
        raise no_dates_error(m.time, col("time").dropna().astype(str).unique()[:3])
    events = report.drop("missing item id", events["item"].isna(), events)
    for role in ("quantity", "price", "rating"):  # inf and nan crash the graph models; 1e308 overflows float32
        if getattr(m, role):
            events = report.drop(f"{role} is inf, nan or beyond ±1e15",
                                 _not_finite(col(role).loc[events.index], events[role]), events)
    codes, keys = pd.factorize(events["basket"])  # invoices repeat: match each key once
    cancelled_key = pd.Series(keys, dtype=object).astype(str).str.match(r"^[Cc]\d+$").to_numpy(bool)
    cancelled = pd.Series((codes >= 0) & cancelled_key[np.maximum(codes, 0)] if len(keys) else False,
                          index=events.index)
    events = report.drop("cancelled invoice", cancelled, events)
    if m.quantity:
        events = report.drop("zero or negative quantity (returns)", events["quantity"].fillna(1) <= 0, events)
    if drop_non_products:
        names = frame.loc[events.index, m.item_name].fillna("") if m.item_name else pd.Series("", index=events.index)
        non_product = events["item"].str.match(NON_PRODUCT_CODES) | names.str.contains(NON_PRODUCT_NAMES)
        events = report.drop("non-product code (postage, fees)", non_product, events)
    events = report.drop("exact duplicate", events.duplicated(keep="first"), events)
    if m.time:
        report.notes["rows with unparseable time (kept, time unknown)"] = int(events["time"].isna().sum())
    if m.user:
        report.notes["rows without user (kept for baskets only)"] = int(events["user"].isna().sum())
    check_cleaned(len(events), m, report)
    return events


def no_dates_error(column: str, examples: Any) -> InputError:
    shown_examples = ", ".join(f"'{shown(v, 40)}'" for v in examples)
    return InputError(f"expected dates in column '{column}' (such as 2024-03-01 14:05, 01/03/2024 or Unix "
                      f"seconds), found values like {shown_examples}; map another column as time, or none")


def check_cleaned(rows: int, m: ColumnMapping, report: IngestReport) -> None:
    """Rows must be left, and something must group items (a user or a basket)."""
    if not rows:
        reasons = ", ".join(f"{n:,} {r}" for r, n in report.dropped.items())
        raise InputError(f"expected rows left after cleaning, found none ({reasons or 'no rows'})")
    if not m.user and not m.basket:
        raise InputError("expected a user column or a basket/order column to group items by, found "
                         "neither; map one of them")


MAX_NUMBER = 1e15  # a quantity, price or rating beyond this is an error, and its sum would overflow float32
NAN_WORDS = ("nan", "+nan", "-nan")


def _not_finite(raw: pd.Series, numbers: pd.Series) -> pd.Series:
    """Rows whose number was written but is inf, nan (the word) or too large to weigh; an empty or
    unreadable cell ('n/a') is missing, not this."""
    nan_word = raw.notna() & raw.astype(str).str.strip().str.lower().isin(NAN_WORDS)
    with np.errstate(invalid="ignore", over="ignore"):
        too_big = ~(numbers.abs() <= MAX_NUMBER) & numbers.notna()
    return nan_word | too_big


def normalise_ids(series: pd.Series) -> pd.Series:
    """IDs as trimmed text; '17850.0' -> '17850' (Excel and pandas turn integer IDs into floats).

    Each distinct value is normalised once: IDs repeat, so this is per product, not per row."""
    codes, uniques = pd.factorize(series)
    text = pd.Series(uniques).astype("string").str.strip()
    text = text.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    table = text.where(text != "").astype(object).where(lambda t: t.notna(), None).to_numpy()
    values = np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else None, None)
    return pd.Series(values, index=series.index, dtype=object)


EPOCH_SECONDS = (1e8, 1e11)  # 1973-03-03 to 5138: Unix seconds
EPOCH_MILLIS = (1e11, 1e14)  # 1973-03-03 onwards in milliseconds; a value's size tells its unit
EARLIEST, LATEST = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")  # what datetime64[ns] holds
PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# What Python's \s matches, spelled out: pandas hands a pattern with \s to Python's re (RE2's \s is
# narrower), one value at a time; with the class written out it runs in pyarrow, 20x faster.
SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
ZONED = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?[" + SPACES + r"]*(?:[Zz]|[+-]\d\d(?::?\d\d)?|UTC|GMT|utc|gmt)$"  # after a time


def parse_times(series: pd.Series, notes: list[str] | None = None, weights: np.ndarray | None = None) -> pd.Series:
    """Text or numbers -> datetime64[ns] (NaT where unparseable), each value on its own.

    A plain number is Unix seconds or milliseconds by its size (so a column mixing them reads both);
    d/m/y is chosen over m/d/y when some first field exceeds 12; a time zone (Z, +02:00) is
    converted to UTC and dropped, and values without one are taken as UTC. Dates outside
    1677-2262, which datetime64[ns] cannot hold, are unparseable. What was done is added to `notes`.
    weights: how many rows each value stands for, when `series` holds each distinct value once (the
    DuckDB ingest parses only distinct times), so that the counts in `notes` are counts of rows."""
    result = np.full(len(series), np.datetime64("NaT"), dtype="datetime64[ns]")
    present = series.notna().to_numpy()
    if not present.any():
        return pd.Series(result, index=series.index)
    at = np.flatnonzero(present)  # positions, not labels: an index may repeat
    rows = np.ones(len(at), np.int64) if weights is None else np.asarray(weights, np.int64)[present]
    text = series.reset_index(drop=True)[present].astype(str).str.strip().reset_index(drop=True)
    numeric = pd.to_numeric(text.where(text.str.fullmatch(PLAIN_NUMBER)), errors="coerce")
    seconds = numeric.between(*EPOCH_SECONDS, inclusive="left").to_numpy()
    millis = numeric.between(*EPOCH_MILLIS, inclusive="left").to_numpy()
    for mask, scale in ((seconds, 1.0), (millis, 1e-3)):
        if mask.any():
            values = numeric[mask] * scale
            inside = values.between(EARLIEST.timestamp(), LATEST.timestamp())
            if not inside.all() and notes is not None:
                late = int(rows[mask][~inside.to_numpy()].sum())
                notes.append(f"{late:,} Unix times fall after 2262 (such as "
                             f"'{shown(text[mask][~inside.to_numpy()].iloc[0], 20)}'), beyond what can be stored: "
                             "counted as unparseable")
            values = values.where(inside)
            result[at[mask]] = pd.to_datetime(values, unit="s", errors="coerce").astype("datetime64[ns]").to_numpy()
    if seconds.any() and millis.any() and notes is not None:
        notes.append(f"time values mix Unix seconds ({int(rows[seconds].sum()):,}) and milliseconds "
                     f"({int(rows[millis].sum()):,}); "
                     "each was read by its size")
    words = ~(seconds | millis)
    if words.any():
        result[at[words]] = _parse_dates(text[words], notes, rows[words]).to_numpy()
    return pd.Series(result, index=series.index)


def _parse_dates(text: pd.Series, notes: list[str] | None, rows: np.ndarray) -> pd.Series:
    slashed = text.str.match(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")  # vectorised: str.extract is a Python loop
    first_fields = text[slashed].str.replace(r"^(\d{1,2})[/.].*$", r"\1", regex=True)
    dayfirst = bool((pd.to_numeric(first_fields) > 12).any())
    zoned = text.str.contains(ZONED)
    codes, uniques = pd.factorize(text)  # timestamps repeat (an order's lines): each is parsed once
    parsed = pd.Series(_to_utc(pd.Series(uniques), dayfirst).dt.tz_localize(None).to_numpy()[codes],
                       index=text.index)
    inside = parsed.between(EARLIEST, LATEST)
    outside = parsed.notna() & ~inside
    if outside.any() and notes is not None:
        example = shown(text[outside].iloc[0], 40)
        count = int(rows[outside.to_numpy()].sum())
        notes.append(f"{count:,} dates fall outside 1677-2262 (such as '{example}'), beyond what can be "
                     "stored: counted as unparseable")
    parsed = parsed.where(inside)
    if zoned.any() and notes is not None:
        example = text[zoned].iloc[0]
        plain = int(rows[(~zoned & parsed.notna()).to_numpy()].sum())
        zoned_rows = int(rows[zoned.to_numpy()].sum())
        notes.append(f"{zoned_rows:,} time values carried a time zone (such as '{shown(example, 40)}'): "
                     "converted to UTC and the zone dropped"
                     + (f"; {plain:,} without one were taken as UTC" if plain else ""))
    return parsed.astype("datetime64[ns]")


def _to_utc(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Distinct date texts -> UTC datetimes: those in the first value's format at C speed, the rest
    one by one (format="mixed" costs dateutil's 100 us a value)."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    rest = pd.Series(True, index=text.index)
    layout = _layout_of(str(text.iloc[0]), dayfirst) if len(text) else None
    if layout:
        try:
            parsed = pd.to_datetime(text, errors="coerce", format=layout, utc=True).astype("datetime64[us, UTC]")
            rest = parsed.isna()
        except (ValueError, OverflowError, TypeError):
            pass
    if rest.any():
        try:
            parsed[rest] = pd.to_datetime(text[rest], errors="coerce", format="mixed", dayfirst=dayfirst, utc=True)
        except (ValueError, OverflowError, TypeError):  # a value pandas cannot coerce: parse one by one
            parsed[rest] = [_one_date(v, dayfirst) for v in text[rest]]
    return parsed


ISO_LAYOUTS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
               "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d")
DAY_FIRST = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
MONTH_FIRST = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%m/%d/%y %H:%M", "%m/%d/%y")


def _layout_of(value: str, dayfirst: bool) -> str | None:
    """The common layout `value` is written in, tried with strptime (pandas' guess_datetime_format
    prints a warning when its guess disagrees with dayfirst); None when it is none of them."""
    for layout in ISO_LAYOUTS + (DAY_FIRST if dayfirst else MONTH_FIRST):
        try:
            datetime.strptime(value, layout)
            return layout
        except ValueError:
            continue
    return None


def _one_date(value: str, dayfirst: bool) -> pd.Timestamp:
    try:
        return pd.to_datetime(value, errors="coerce", dayfirst=dayfirst, utc=True)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT


def _catalogue(frame: pd.DataFrame, m: ColumnMapping, events: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({"item": events["item"]})
    table["name"] = frame[m.item_name].astype(object) if m.item_name else None
    table["category"] = frame[m.category].astype(object) if m.category else None
    table["price"] = events["price"]
    items = pd.Index(table["item"].unique(), name="item")
    return catalogue_frame(items, _most_common(table, "name"), _most_common(table, "category"),
                           table.groupby("item", sort=False)["price"].median())


def catalogue_frame(items: pd.Index, names: pd.Series, categories: pd.Series, prices: pd.Series) -> pd.DataFrame:
    """The catalogue from its parts per item (each indexed by item id; missing items are missing): a
    product without a name is named by its id."""
    catalogue = pd.DataFrame({
        "name": names.reindex(items).astype(object),
        "category": categories.reindex(items).astype(object),
        "price": prices.reindex(items),
    }, index=items)
    text = catalogue[["name", "category"]]
    catalogue[["name", "category"]] = text.where(text.notna(), None)
    catalogue["name"] = catalogue["name"].fillna(pd.Series(catalogue.index, index=catalogue.index))
    return catalogue


def _most_common(table: pd.DataFrame, column: str) -> pd.Series:
    """Per item, the value of `column` seen most often (ties: the smallest, as Series.mode picks).
    One value_counts for all items: a Python call per item took most of ingest at 1M lines."""
    pairs = table[["item", column]].dropna()
    if pairs.empty:
        return pd.Series(dtype=object)
    counts = pairs.value_counts(sort=False).rename("n").reset_index()
    counts = counts.sort_values(["item", "n", column], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("item").set_index("item")[column].astype(object)


def display_names(catalogue: pd.DataFrame) -> pd.Series:
    """Code -> the name to show: the catalogue's name, with the code added where several codes
    share it (colour variants), so that a pair of two variants never reads "X -> X"."""
    names = catalogue["name"].astype(object).where(catalogue["name"].notna(), pd.Series(catalogue.index,
                                                                                         index=catalogue.index))
    names = names.astype(str).str.strip()
    shared = names.duplicated(keep=False).to_numpy()
    codes = pd.Series(catalogue.index.astype(str), index=catalogue.index)
    return names.where(~shared, names + " (" + codes + ")")


def catalogue_columns(items: Any, chosen: dict[str, str] | None = None) -> dict[str, str | None]:
    """Which column of a catalogue file plays each catalogue role (CATALOGUE_ROLES), as ingest
    will join it: for a page to show what the catalogue brings before the events are cleaned."""
    table = read_table(items, _name_of(items))
    item_map = detect_mapping(table, **(chosen or {}))
    return {role: getattr(item_map, role) for role in CATALOGUE_ROLES}


def _join_catalogue(catalogue: pd.DataFrame, items: pd.DataFrame, chosen: dict[str, str]
                    ) -> tuple[pd.DataFrame, dict[str, str | None]]:
    unknown = sorted(set(chosen) - set(CATALOGUE_ROLES))
    if unknown:
        raise InputError(f"expected catalogue roles among {', '.join(CATALOGUE_ROLES)}, found {', '.join(unknown)}")
    missing = [column for column in chosen.values() if column not in items.columns]
    if missing:
        raise InputError(f"expected catalogue column(s) {listed(missing)}, found: {listed(list(items.columns))}")
    item_map = detect_mapping(items, **chosen)
    if item_map.item is None:
        raise InputError(f"expected an item ID column in the catalogue, found: {listed(list(items.columns))}")
    extra = pd.DataFrame(index=normalise_ids(items[item_map.item]).values)
    for role, target in (("item_name", "name"), ("category", "category"), ("price", "price")):
        column = getattr(item_map, role)
        if column:
            values = items[column].values
            extra[target] = pd.to_numeric(values, errors="coerce") if target == "price" else values
    extra = extra[~extra.index.duplicated()]
    merged = catalogue.copy()
    for column in extra.columns:  # catalogue values win over what the events imply
        from_file = extra[column].reindex(merged.index)
        merged[column] = from_file.where(from_file.notna(), merged[column])
    return merged, {role: getattr(item_map, role) for role in CATALOGUE_ROLES}


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


def _join_lookup(frame: pd.DataFrame, lookup: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    left_key, right_key, new_columns = lookup_plan(list(frame.columns), list(lookup.columns), key)
    table = lookup[[right_key, *new_columns]].copy()
    table[right_key] = normalise_ids(table[right_key])
    table = table.drop_duplicates(subset=right_key).set_index(right_key)
    joined = frame.copy()
    key_values = normalise_ids(frame[left_key])
    for column in new_columns:
        joined[column] = key_values.map(table[column]).values
    joined.attrs = {**frame.attrs, "lookup": {"events_key": left_key, "lookup_key": right_key,
                                              "columns": list(new_columns),
                                              "matched_rows": int(key_values.isin(table.index).sum())}}
    return joined


def summary(result: IngestResult) -> dict[str, Any]:
    """Headline figures of a cleaned dataset, for the CLI and the dashboard's cards."""
    events = result.events
    with_user = events[events["user"].notna()]
    pairs = with_user[["user", "item"]].drop_duplicates()
    users, items = with_user["user"].nunique(), events["item"].nunique()
    times = events["time"].dropna()
    return {
        "rows": len(events), "users": int(users), "items": int(items),
        "baskets": basket_count(events),
        "user_item_pairs": len(pairs),
        "density": float(len(pairs) / max(users * with_user["item"].nunique(), 1)),
        "first_time": str(times.min()) if len(times) else None,
        "last_time": str(times.max()) if len(times) else None,
        "repeat_users": int((pairs.groupby("user").size() >= 2).sum()) if len(pairs) else 0,
    }


def baskets_of(events: pd.DataFrame) -> pd.Series:
    """The one definition of a basket, for every page, command and report: the basket key per
    event line, the order/invoice when there is one, else the user (a user's whole history as one
    basket). A line of a non-product code (postage, fees: NON_PRODUCT_CODES) is in no basket (None),
    whether or not ingest dropped such lines, so a basket of postage alone is no basket. A
    product's count is the number of baskets holding it (`basket_count`)."""
    codes, uniques = pd.factorize(events["item"])  # each code matched once: logs repeat them
    charge = np.append(np.asarray(pd.Index(uniques.astype(str)).str.match(NON_PRODUCT_CODES), bool), False)
    product = ~charge[codes]  # code -1 (no item) picks the appended False
    if events["basket"].notna().all():  # the usual order log: no per-row text to build
        key = events["basket"]
    else:
        key = events["basket"].where(events["basket"].notna(), "user:" + events["user"].astype(str))
        key = key.where(events["basket"].notna() | events["user"].notna(), None)
    return key if product.all() else key.where(product, None)


def basket_count(events: pd.DataFrame) -> int:
    """How many baskets the events hold (baskets_of's definition)."""
    return int(baskets_of(events).nunique(dropna=True))


__all__ = ["IngestReport", "IngestResult", "ingest", "engine_for", "preview_frame", "summary", "baskets_of",
           "basket_count", "catalogue_columns", "display_names", "parse_times", "normalise_ids", "EVENT_COLUMNS"]
