"""Reading for the DuckDB ingest: a file, or a folder of Parquet files, into a DuckDB table of text
columns c0..cN in the file's row order, holding what `read_table` would return for it.

Which reader, file by file (the first that applies):
- a folder, or a .parquet/.pq file whose content is Parquet: read_parquet, after `read_table`'s own
  footer checks (rows, columns, declared size). Text columns come as they are and integer columns
  cast to text; other types (floats, dates, booleans) become text by `read_table`'s own rule
  (frames._as_text) applied to their distinct values.
- delimited text (.csv/.tsv/.txt/..., plain, .gz or .zst): read_csv, every value as text, with the
  delimiter, header and column names that `read_table` finds in the first MB (a leading space
  dropped and an empty value missing, as pandas' skipinitialspace, by `Loaded.value`), but only when
  the first MB is UTF-8 and no basket list, pandas and DuckDB read the same rows from it, a
  compressed file inflates within the caps (counted by streaming it once), the path holds no glob
  character, and DuckDB then reads the whole file without an error (a ragged row, an unclosed quote,
  a byte that is not UTF-8, a line over 8 MB).
- anything else, and any file that fails a condition above: `read_table` (pandas, with every repair
  it makes: other encodings, basket lists, workbooks, JSON, zip) copied into DuckDB.
Known differences from pandas on what DuckDB reads: a quoted value that starts with a space loses
it (pandas keeps it), and a row with one extra empty field at its end is read (pandas refuses it).

The database is in memory and spills to a temporary folder (GNNREC_INGEST_TEMP, else the system's)
past its memory limit (GNNREC_INGEST_MEMORY_MB, else a quarter of RAM up to 3 GB); the folder is
deleted when the ingest ends.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..errors import InputError
from .delimited import (
    _head_lines,
    _is_basket_list,
    _is_data_row,
    _looks_binary,
    _read_delimited,
    _sample_rows,
    _sniff_delimiter,
    _wide_encoding,
)
from .frames import MB, NESTED, _as_text, _check_rows, _check_size, _inflate_cap, _suffix_repeats, _unique_names
from .limits import env_mb
from .mapping import shown
from .readers import (
    GZIP_MAGIC,
    PARQUET_MAGIC,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    ZIP_MAGIC,
    ZSTD_MAGIC,
    _check_parquet_footer,
    parquet_folder,
    read_table,
)

TEMP_ENV, MEMORY_ENV = "GNNREC_INGEST_TEMP", "GNNREC_INGEST_MEMORY_MB"
GLOB = "*?[]{}"
HEAD_BYTES = 1 << 20  # what pandas and DuckDB must read alike before DuckDB reads the rest
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT"}


class Session:
    """One DuckDB database in memory, spilling to its own temporary folder, deleted on close. `limit`:
    read only the first rows of each file (a preview)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        memory = memory_limit_mb()
        base = os.environ.get(TEMP_ENV) or None
        try:
            self.folder = Path(tempfile.mkdtemp(prefix="gnnrec-ingest-", dir=base))
        except OSError as exc:
            raise InputError(f"{TEMP_ENV}: expected a writable folder for the ingest's working files, found "
                             f"'{base}': {exc.strerror}") from None
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{memory}MB", "temp_directory": str(self.folder / "spill"),
            "preserve_insertion_order": True}
        try:
            self.con = duckdb.connect(":memory:", config=config)
        except duckdb.Error:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.con.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def memory_limit_mb() -> int:
    """DuckDB's memory limit in MB: GNNREC_INGEST_MEMORY_MB, else a quarter of RAM, 256 MB to 3 GB."""
    value = env_mb(MEMORY_ENV, least=64)
    if value is not None:
        return value
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // MB
    return int(max(256, min(3072, total // 4)))


@dataclass
class Loaded:
    """A table read into the session: columns c0..c{len(names)-1}; `pos` orders its rows as the file
    does; `value` gives a column's value as pandas reads it."""

    table: str
    names: list[str]
    rows: int
    notes: list[str] = field(default_factory=list)
    reader: str = "duckdb"  # or "pandas": which reader filled it
    trim: bool = False  # read_csv's raw text: a leading space and an empty value still to be undone
    pos: str = "rowid"
    nested: dict[str, str] = field(default_factory=dict)  # columns of lists or records (frames.NESTED)

    def value(self, expression: str) -> str:
        """SQL for the value as pandas reads it (skipinitialspace; empty is missing). Applied to distinct
        values, never row by row: two raw texts may then share a meaning, never the other way round."""
        return f"nullif(ltrim({expression}, ' '), '')" if self.trim else expression


def load(session: Session, source: Any, name: str | None, table: str) -> Loaded:
    """Read `source` (path, folder, bytes, (bytes, name) or file object) into `table`."""
    if isinstance(source, tuple):
        source, name = source[0], name or str(source[1])
    if not isinstance(source, (str, Path, bytes)):
        source = source.read()
    if isinstance(source, bytes):
        _check_size(len(source), shown(name or "upload.csv", 200))
        path = session.folder / ("upload" + "".join(Path(name or "upload.csv").suffixes[-2:]))
        path.write_bytes(source)
        loaded = _load_path(session, path, shown(name or "upload.csv", 200), table)
    else:
        path = Path(source)
        if path.is_dir():
            files, display = parquet_folder(path)
            glob = any(c in str(f) for f in files for c in GLOB)
            loaded = None if glob else _attempt(session, table, _load_parquet, files, display)
        else:
            loaded = _load_path(session, path, shown(name or path.name, 200), table) if path.is_file() else None
    if loaded is not None:
        return loaded
    frame = read_table(source, name)
    return load_frame(session, frame.head(session.limit) if session.limit else frame, table)


def load_frame(session: Session, frame: pd.DataFrame, table: str) -> Loaded:
    """A table pandas read, copied into DuckDB as text columns c0..cN."""
    renamed = frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1)
    session.con.register("incoming", renamed)
    try:
        text = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(frame.shape[1]))
        run(session.con, f"CREATE TABLE {table} AS SELECT {text} FROM incoming")
    finally:
        session.con.unregister("incoming")
    return Loaded(table, [str(c) for c in frame.columns], len(frame), list(frame.attrs.get("notes", [])), "pandas",
                  nested=dict(frame.attrs.get(NESTED, {})))


def _load_path(session: Session, path: Path, name: str, table: str) -> Loaded | None:
    """DuckDB's reader where it reads `path` as `read_table` would; None where it cannot."""
    size = path.stat().st_size
    _check_size(size, name, "file_mb")  # read by DuckDB from disk; a fallback to pandas checks upload_mb
    if any(c in str(path) for c in GLOB):
        return None  # DuckDB would read the name as a pattern
    with open(path, "rb") as handle:
        magic = handle.read(4)
        handle.seek(max(size - 4, 0))
        tail = handle.read(4)
    lower = name.lower()
    if magic == PARQUET_MAGIC:
        if tail == PARQUET_MAGIC and Path(lower).suffix in PARQUET_SUFFIXES:
            return _attempt(session, table, _load_parquet, [path], name)
        return None  # Parquet under another name: read_table reads it, with a note
    compression = "gzip" if magic[:2] == GZIP_MAGIC else "zstd" if magic == ZSTD_MAGIC else "none"
    inner = name
    for suffix, kind in ((".gz", "gzip"), (".zst", "zstd")):
        if lower.endswith(suffix):
            if compression != kind:
                return None
            inner = name[:-len(suffix)]
    if Path(inner.lower()).suffix not in TEXT_SUFFIXES:
        return None
    return _attempt(session, table, _load_csv, path, compression, inner)


def _attempt(session: Session, table: str, read: Any, *args: Any) -> Loaded | None:
    """`read(session, *args, table)`, or None where DuckDB (or the decompressor, or pyarrow) fails:
    `read_table` then reads the file and says what is wrong with it, in its own words."""
    try:
        loaded: Loaded | None = read(session, *args, table)
        return loaded
    except InputError:
        raise  # a limit, said as read_table says it
    except (duckdb.Error, OSError, EOFError, ValueError, zlib.error):
        for name in (table, f"{table}_typed"):
            run(session.con, f"DROP TABLE IF EXISTS {name}")
        return None


def _head(path: Path, compression: str) -> bytes:
    if compression == "gzip":
        with gzip.open(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    if compression == "zstd":
        import pyarrow as pa

        with pa.input_stream(str(path), compression="zstd") as stream:
            return bytes(stream.read(HEAD_BYTES))
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def _inflates_within_cap(path: Path, compression: str, size: int) -> bool:
    """Stream the file once, counting what it inflates to, as `read_table` does before reading it."""
    cap, total = _inflate_cap(size), 0
    if compression == "gzip":
        handle: Any = gzip.open(path, "rb")
    else:
        import pyarrow as pa

        handle = pa.input_stream(str(path), compression="zstd")
    with handle:
        while chunk := handle.read(16 * MB):
            total += len(chunk)
            if total > cap:
                return False
    return True


def _csv_source(path: Path, delimiter: str, headerless: bool, width: int, compression: str) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return (f"read_csv({_literal(str(path))}, delim={_literal(delimiter)}, quote='\"', escape='\"', "
            f"header={str(not headerless).lower()}, columns={{{columns}}}, auto_detect=false, null_padding=false, "
            f"strict_mode=true, compression='{compression}', encoding='utf-8', max_line_size={8 * MB})")


def _load_csv(session: Session, path: Path, compression: str, name: str, table: str) -> Loaded | None:
    head = _head(path, compression)
    if not head or head[:4] in (ZIP_MAGIC, PARQUET_MAGIC) or _wide_encoding(head) or _looks_binary(head[:8192]):
        return None
    whole = len(head) < HEAD_BYTES
    if not whole:
        head = head[:head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # another encoding: read_table decodes it line by line
    lines, _ = _head_lines(text)
    sample = [line for line in lines[:200] if line.strip()]
    if not sample:
        return None
    delimiter = _sniff_delimiter(sample)
    rows = _sample_rows(sample, delimiter)
    if not rows or _is_basket_list(rows):
        return None
    notes: list[str] = []
    try:
        expected = _read_delimited(text, name, notes)
    except InputError:
        return None  # read_table will say what is wrong, over the whole file
    if notes or len(expected) == 0 or (compression != "none" and not _inflates_within_cap(path, compression,
                                                                                           path.stat().st_size)):
        return None
    width = expected.shape[1]
    source = _csv_source(path, delimiter, _is_data_row(rows), width, compression)
    loaded = Loaded(table, [], 0, notes, trim=True)
    values = ", ".join(f"{loaded.value(f'c{i}')} AS c{i}" for i in range(width))
    first = session.con.sql(f"SELECT {values} FROM {source} LIMIT {len(expected)}").to_arrow_table().to_pandas()
    if not first.set_axis(expected.columns, axis=1).astype("str").equals(expected.astype("str")):
        return None
    run(session.con, f"CREATE TABLE {table} AS SELECT * FROM {source}" + (f" LIMIT {session.limit}"
                                                                             if session.limit else ""))
    count = _count(session, table)
    if (whole and not session.limit and count != len(expected)) or count == 0:
        run(session.con, f"DROP TABLE {table}")
        return None
    if not session.limit:
        _check_rows(count, name, cap_field="duckdb_rows")
    loaded.names, loaded.rows = _unique_names([str(c).strip() for c in expected.columns], notes), count
    return loaded


def _load_parquet(session: Session, files: list[Path], name: str, table: str) -> Loaded | None:
    """Parquet through DuckDB; the footer checked first, as `read_table` checks it."""
    import pyarrow.parquet as pq

    if len(files) == 1:
        _check_parquet_footer(pq.ParquetFile(files[0]).metadata, files[0].stat().st_size, name)
    schema = pq.read_schema(files[0])
    index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    all_names = [str(n) for n in schema.names]
    keep = [i for i, n in enumerate(all_names) if n not in index]
    source = f"read_parquet([{', '.join(_literal(str(f)) for f in files)}])"
    described = session.con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
    if len(described) != len(all_names):
        return None
    limit = f" LIMIT {session.limit}" if session.limit else ""
    kinds = [str(described[position][1]) for position in keep]
    if all(kind == "VARCHAR" or kind in INTEGER_TYPES for kind in kinds):
        typed, pos = source, "rowid"
    else:  # other types become text through small tables joined row by row; `pos` keeps the file's order
        typed, pos = f"{table}_typed", "pos"
        run(session.con, f"CREATE TABLE {typed} AS SELECT * FROM {source}{limit}")
    columns, joins = [], []
    for out, (position, kind) in enumerate(zip(keep, kinds)):
        column = "t." + _quoted(described[position][0])
        if kind == "VARCHAR":
            columns.append(f"{column} AS c{out}")
        elif kind in INTEGER_TYPES:
            columns.append(f"CAST({column} AS VARCHAR) AS c{out}")
        else:
            _text_table(session, typed, column.removeprefix("t."), schema.field(position).type, f"text_{out}")
            columns.append(f"text_{out}.text AS c{out}")
            joins.append(f"LEFT JOIN text_{out} ON text_{out}.v IS NOT DISTINCT FROM {column}")
    if joins:
        run(session.con, f"CREATE TABLE {table} AS SELECT t.rowid AS pos, {', '.join(columns)} FROM {typed} t "
                         f"{' '.join(joins)}")
        run(session.con, f"DROP TABLE {typed}")
    else:
        run(session.con, f"CREATE TABLE {table} AS SELECT {', '.join(columns)} FROM {source} t{limit}")
    count = _count(session, table)
    if count == 0:
        run(session.con, f"DROP TABLE {table}")
        return None  # read_table says so
    notes: list[str] = []
    names = _unique_names([str(c).strip() for c in _suffix_repeats(all_names)], notes)
    # As pandas reads them (frames.nested_kind): a struct or union is a record (a dict); a list of anything
    # (VARCHAR[], STRUCT(...)[], INTEGER[3]) and a MAP (key-value pairs) are lists
    nested = {names[position]: "lists" if kind.endswith("]") or kind.startswith("MAP") else "records"
              for position, kind in zip(keep, kinds)
              if kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))}
    return Loaded(table, [names[i] for i in keep], count, notes, pos=pos, nested=nested)


def _text_table(session: Session, source: str, column: str, arrow_type: Any, table: str) -> None:
    """A column of another type as text, by `read_table`'s rule (frames._as_text) over its distinct
    values: a table of (value, text)."""
    import pyarrow as pa

    values = session.con.sql(f"SELECT DISTINCT {column} AS v FROM {source}").to_arrow_table().column(0)
    try:
        values = values.cast(arrow_type)  # the file's own type (time zone, unit), as pandas sees it
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = _as_text(pa.table({"v": values}).to_pandas())["v"].astype(object)
    pairs = pa.table({"v": values, "text": pa.array(text.where(text.notna(), None).tolist(), pa.string())})
    session.con.register("pairs", pairs)
    try:
        run(session.con, f"CREATE TABLE {table} AS SELECT * FROM pairs")
    finally:
        session.con.unregister("pairs")


def run(con: duckdb.DuckDBPyConnection, query: str) -> list[Any]:
    """Run one statement to its end (DuckDB refuses other work on a connection with rows left unread)."""
    return con.execute(query).fetchall()


def _count(session: Session, table: str) -> int:
    return int(run(session.con, f"SELECT count(*) FROM {table}")[0][0])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
