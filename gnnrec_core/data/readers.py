"""Read a table from whatever a merchandiser exported: delimited text, Parquet, Excel or JSON lines,
plain or inside .gz / .zst / .zip, or a folder of Parquet files (read as one table, in file-name order).

Text is decoded as UTF-8 (a BOM is dropped) and falls back to cp1252 and then latin-1, because the
UCI Online Retail CSV that most people have is latin-1; UTF-16 (Excel's "Unicode Text") is read by
its BOM or its pattern of NUL bytes. Lines end only at \n, \r\n or \r: U+2028 or U+0085 inside a
product name is part of the name. The delimiter is sniffed from the first few KB. A file whose rows
have varying field counts and no header naming columns (one basket per line, as in the arules
Groceries data) is read as long (basket, item) rows, and a note says so.

A file is told by its content before its name: a workbook or Parquet file named .csv is read as
what it is (with a note). Limits apply before the cost: a workbook's declared sizes and row
counts, and a Parquet file's row count, are checked before either is parsed.

Every column comes back as text so that IDs keep their spelling; `ingest` parses what is numeric.
Delimited text (decoding, sniffing, basket lists) lives in delimited.py, workbooks in workbooks.py;
the limits, column helpers and zip checks every reader shares in frames.py.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from ..errors import InputError
from .delimited import _looks_binary, _read_delimited, check_markdown_table, decode_text
from .frames import (
    MB,
    NESTED,
    _as_text,
    _check_columns,
    _check_rows,
    _check_size,
    _check_zip_member,
    _inflate_cap,
    _one_line,
    _suffix_repeats,
    _unique_names,
)
from .json_table import _read_json
from .limits import env_name
from .mapping import shown
from .workbooks import read_excel

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".inter", ".item", ".data", ".md"}  # .md: a Markdown table
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES
ZIP_MAGIC, PARQUET_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


def read_table(source: str | Path | bytes | BinaryIO | tuple[bytes, str], name: str | None = None) -> pd.DataFrame:
    """Read one table. `source` is a path, raw bytes or a file object; `name` gives the file name
    (needed for bytes, whose format is told by the name's suffix when the content does not tell).

    Repairs made on the way (another encoding, a chosen sheet, a header found lower down, renamed
    duplicate columns) are listed in frame.attrs["notes"], for the caller to show."""
    if isinstance(source, tuple):  # (bytes, file name)
        source, name = source[0], name or str(source[1])
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return _read_parquet_folder(path)
        if not path.is_file():
            raise InputError(f"expected a data file, found nothing at '{path}'")
        name = shown(name or path.name, 200)
        _check_size(path.stat().st_size, name)
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    name = shown(name or "upload.csv", 200)  # it goes into one-line messages
    _check_size(len(data), name)
    if not data:
        raise InputError(f"expected a table in '{name}', found an empty file")
    notes: list[str] = []
    compressed = name
    data, name = _decompress(data, name)
    if not data:  # a compressed file that holds nothing
        raise InputError(f"expected a table in '{compressed}', found an empty file inside the compression")
    frame = _read_by_content(data, name, notes)
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"expected at least one data row in '{name}', found {len(frame)} rows "
                         f"and {frame.shape[1]} columns")
    _check_rows(len(frame), name)
    _check_columns(frame.shape[1], name)
    _renamed(frame, _unique_names([str(c).strip() for c in frame.columns], notes))
    frame.attrs["notes"] = notes
    return frame


def _renamed(frame: pd.DataFrame, names: list[str]) -> None:
    """frame's columns renamed in place, its nested columns (attrs[NESTED]) named as they now are."""
    nested = frame.attrs.get(NESTED, {})
    frame.attrs[NESTED] = {new: nested[str(old)] for old, new in zip(frame.columns, names) if str(old) in nested}
    frame.columns = names


def _read_bounded(handle: Any, compressed: int, name: str) -> bytes:
    """Inflate `handle` (any binary file object: gzip, bz2, xz, a zip member) in chunks, refusing
    once past the size cap or, above 64 MB, past the ratio cap, so memory is never spent finding out."""
    cap = _inflate_cap(compressed)
    chunks, total = [], 0
    while chunk := handle.read(4 * MB):
        total += len(chunk)
        if total > cap:
            raise InputError(f"expected an archive that inflates to at most {cap / MB:,.0f} MB, found '{name}' "
                             f"({compressed / MB:,.2f} MB) inflating past that, as a zip bomb does; unpack it "
                             f"yourself or raise {env_name('inflated_mb')} / {env_name('inflate_ratio')}")
        chunks.append(chunk)
    return b"".join(chunks)


def _decompress(data: bytes, name: str) -> tuple[bytes, str]:
    lower = name.lower()
    if lower.endswith(".zst") or data[:4] == ZSTD_MAGIC:
        import pyarrow as pa

        try:
            with pa.input_stream(pa.py_buffer(data), compression="zstd") as stream:
                data = _read_bounded(stream, len(data), name)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid / ArrowIOError
            raise InputError(f"expected a zstd file in '{name}', found a damaged one ({_one_line(exc)})") from None
        return data, name[:-4] if lower.endswith(".zst") else name
    if lower.endswith(".gz") or data[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = _read_bounded(gz, len(data), name)
        except (OSError, EOFError) as exc:
            raise InputError(f"expected a gzip file in '{name}', found a damaged one ({exc})") from None
        return data, name[:-3] if lower.endswith(".gz") else name
    if lower.endswith(".zip") or data[:4] == ZIP_MAGIC and not lower.endswith(tuple(EXCEL_SUFFIXES)):
        if not lower.endswith(".zip") and _is_workbook(data):  # a workbook under another name: read as one
            return data, name
        return _unzip(data, name)
    return data, name


def _is_workbook(data: bytes) -> bool:
    try:
        return "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def _unzip(data: bytes, name: str) -> tuple[bytes, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise InputError(f"expected a zip archive in '{name}', found a damaged one") from None
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
    tables = [m for m in members if Path(m.filename).suffix.lower() in KNOWN_SUFFIXES]
    if len(tables) != 1:
        listed = ", ".join(shown(m.filename) for m in members[:5]) or "nothing"
        raise InputError(f"expected exactly one data file inside '{name}', found {len(tables)} "
                         f"({listed}); zip one table per upload")
    member = tables[0]
    _check_zip_member(member, name)
    try:
        with archive.open(member) as handle:  # the header's sizes can lie: the bounded read decides
            inner = _read_bounded(handle, member.compress_size, name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"expected a zip archive in '{name}', found a damaged one ({exc})") from None
    except (RuntimeError, NotImplementedError) as exc:  # what zipfile raises for what it cannot open
        raise InputError(f"expected a plain zip archive in '{name}', found one zipfile cannot open ({exc}); "
                         "unzip it yourself and upload the file inside") from None
    return inner, Path(member.filename).name


def _read_by_content(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    """The format is told by the content where it can be (zip, Parquet and OLE magic bytes), else by
    the name's suffix; a file whose name says otherwise is read as what it is, with a note."""
    suffix = Path(name.lower()).suffix
    kind = _format_of(data, suffix, name, notes)
    try:
        if kind == "parquet":
            return _read_parquet(data, name)
        if kind == "excel":
            return read_excel(data, name, notes)
    except InputError:
        raise
    except Exception as exc:  # pyarrow and openpyxl raise many types for a broken file
        raise InputError(f"expected a readable {suffix} file in '{name}', found: {_one_line(exc)}") from None
    text = decode_text(data, name, notes)
    if kind == "json":
        return _read_json(text, name, notes)
    if suffix == ".md":
        check_markdown_table(text, name)
    return _read_delimited(text, name, notes)


def _format_of(data: bytes, suffix: str, name: str, notes: list[str]) -> str:
    if data[:4] == ZIP_MAGIC and suffix not in EXCEL_SUFFIXES and _is_workbook(data):
        notes.append(f"'{name}' is an Excel workbook, not {suffix or 'plain'} text: it was read as a workbook")
        return "excel"
    if data[:4] == PARQUET_MAGIC and data[-4:] == PARQUET_MAGIC and suffix not in PARQUET_SUFFIXES:
        notes.append(f"'{name}' is a Parquet file, not {suffix or 'plain'} text: it was read as Parquet")
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        if data[:8] == OLE_MAGIC:
            raise InputError(f"expected an .xlsx workbook in '{name}', found a password-protected workbook or an "
                             "Excel 97-2003 (.xls) file; save it as .xlsx without a password, or as CSV")
        if data[:4] != ZIP_MAGIC and not _looks_binary(data[:8192]):
            notes.append(f"'{name}' holds text, not an Excel workbook: it was read as delimited text")
            return "text"
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix not in KNOWN_SUFFIXES and suffix:
        raise InputError(f"expected one of {', '.join(sorted(KNOWN_SUFFIXES))} (optionally .gz/.zst/.zip), "
                         f"found '{suffix}' in '{name}'")
    return "json" if suffix in JSON_SUFFIXES else "text"


def _check_parquet_footer(meta: Any, size: int, name: str) -> None:
    """A Parquet file's row count, columns and declared size (pyarrow FileMetaData), before any row is read."""
    _check_rows(meta.num_rows, name)
    _check_columns(meta.num_columns, name)
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cap = _inflate_cap(size)
    if declared > cap:
        raise InputError(f"expected a Parquet file whose columns inflate to at most {cap / MB:,.0f} MB, found "
                         f"'{name}' ({size / MB:,.2f} MB) declaring {declared / MB:,.0f} MB, as a zip bomb "
                         f"does; raise {env_name('inflated_mb')} / {env_name('inflate_ratio')} to allow it")


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    """Row count and uncompressed size come from the footer, and are checked before any row is read."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(io.BytesIO(data))
    _check_parquet_footer(file.metadata, len(data), name)
    table = file.read(use_pandas_metadata=True)
    names = [str(n) for n in table.column_names]
    if len(set(names)) < len(names):  # repeated names: suffixed as read_csv does, then reported like a CSV's
        table = table.rename_columns(_suffix_repeats(names))
    return _as_text(table.to_pandas())


def parquet_folder(path: Path) -> tuple[list[Path], str]:
    """The Parquet files of a folder (and its subfolders), in path order, with the folder's name for
    messages; every file's footer is checked as one upload's would be, and their total rows and size as
    one table's. Every file must hold the same columns (partition columns in folder names are not read)."""
    import pyarrow.parquet as pq

    name = shown(path.name or str(path), 200)
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"expected Parquet files (.parquet, .pq) in the folder '{name}' (a folder is read as one "
                         f"Parquet dataset), found {_folder_holds(path)}")
    _check_size(sum(p.stat().st_size for p in files), name)
    columns, rows = None, 0
    for file in files:
        try:
            meta = pq.ParquetFile(file).metadata
            names = [str(n) for n in pq.read_schema(file).names]
        except Exception as exc:  # pyarrow raises many types for a broken file
            raise InputError(f"expected a readable Parquet file in '{shown(file.name)}' of '{name}', found: "
                             f"{_one_line(exc)}") from None
        _check_parquet_footer(meta, file.stat().st_size, shown(file.name))
        if columns is None:
            columns = names
        elif names != columns:
            raise InputError(f"expected every Parquet file in '{name}' to hold the columns of '{shown(files[0].name)}' "
                             f"({', '.join(map(shown, columns[:10]))}), found {', '.join(map(shown, names[:10]))} in "
                             f"'{shown(file.relative_to(path))}'")
        rows += meta.num_rows
    _check_rows(rows, name)
    return files, name


def _folder_holds(path: Path, most: int = 10_000) -> str:
    """What a folder without Parquet files holds, for the refusal: its files by suffix, counted over
    the first `most` entries (enough to say what it is), and how a file of its own is read."""
    suffixes: dict[str, int] = {}
    more = ""
    for seen, entry in enumerate(path.rglob("*")):
        if seen >= most:
            more = "at least "
            break
        if entry.is_file():
            suffix = entry.suffix.lower() or "(no suffix)"
            suffixes[suffix] = suffixes.get(suffix, 0) + 1
    if not suffixes:
        return "no files"
    top = sorted(suffixes.items(), key=lambda pair: (-pair[1], pair[0]))[:4]
    held = more + ", ".join(f"{count:,} {shown(suffix, 20)}" for suffix, count in top)
    return f"{held} file{'s' if sum(suffixes.values()) > 1 else ''}: give a CSV, Excel or Parquet file by its own path"


def _read_parquet_folder(path: Path) -> pd.DataFrame:
    files, name = parquet_folder(path)
    frames = [_read_parquet(file.read_bytes(), shown(file.name)) for file in files]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"expected at least one data row in '{name}', found {len(frame)} rows "
                         f"and {frame.shape[1]} columns")
    notes: list[str] = []
    frame.attrs[NESTED] = frames[0].attrs.get(NESTED, {})  # every file holds the same columns
    _renamed(frame, _unique_names([str(c).strip() for c in frame.columns], notes))
    frame.attrs["notes"] = notes
    return frame
