"""Read a table from whatever a merchandiser exported: delimited text, Parquet, Excel or JSON lines,
plain or inside .gz / .zip.

Text is decoded as UTF-8 (a BOM is dropped) and falls back to cp1252 and then latin-1, because the
UCI Online Retail CSV that most people have is latin-1. The delimiter is sniffed. A file whose rows
have varying field counts and no header (one basket per line, as in the arules Groceries data) is
read as long (basket, item) rows.

Every column comes back as text so that IDs keep their spelling; `ingest` parses what is numeric.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from .errors import InputError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".inter", ".item", ".data"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
BASKET_COLUMNS = ("basket", "item")
# A .gz or .zip that inflates past this is refused rather than allowed to eat memory.
MAX_INFLATED_BYTES = 2 * 1024**3


def read_table(source: str | Path | bytes | BinaryIO | tuple[bytes, str], name: str | None = None) -> pd.DataFrame:
    """Read one table. `source` is a path, raw bytes or a file object; `name` gives the file name
    (needed for bytes, whose format is told by the name's suffix)."""
    if isinstance(source, tuple):  # (bytes, file name)
        source, name = source[0], name or source[1]
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"expected a data file, found nothing at '{path}'")
        name = name or path.name
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    name = name or "upload.csv"
    if not data:
        raise InputError(f"expected a table in '{name}', found an empty file")
    data, name = _decompress(data, name)
    frame = _read_by_suffix(data, name)
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"expected at least one data row in '{name}', found {len(frame)} rows "
                         f"and {frame.shape[1]} columns")
    frame.columns = _unique_names([str(c).strip() for c in frame.columns])
    return frame


def _decompress(data: bytes, name: str) -> tuple[bytes, str]:
    lower = name.lower()
    if lower.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(MAX_INFLATED_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise InputError(f"expected a gzip file in '{name}', found a damaged one ({exc})") from None
        if len(data) > MAX_INFLATED_BYTES:
            raise InputError(f"expected a .gz that inflates to at most {MAX_INFLATED_BYTES >> 30} GiB, "
                             f"found more in '{name}'")
        return data, name[:-3] if lower.endswith(".gz") else name
    if lower.endswith(".zip") or data[:4] == b"PK\x03\x04" and not lower.endswith(tuple(EXCEL_SUFFIXES)):
        return _unzip(data, name)
    return data, name


def _unzip(data: bytes, name: str) -> tuple[bytes, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"expected a zip archive in '{name}', found a damaged one") from None
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
    tables = [m for m in members if Path(m.filename).suffix.lower() in KNOWN_SUFFIXES]
    if len(tables) != 1:
        listed = ", ".join(m.filename for m in members[:5]) or "nothing"
        raise InputError(f"expected exactly one data file inside '{name}', found {len(tables)} "
                         f"({listed}); zip one table per upload")
    member = tables[0]
    if member.file_size > MAX_INFLATED_BYTES:
        raise InputError(f"expected a zipped file of at most {MAX_INFLATED_BYTES >> 30} GiB, "
                         f"found '{member.filename}' claiming {member.file_size:,} bytes")
    with archive.open(member) as handle:
        inner = handle.read(MAX_INFLATED_BYTES + 1)
    if len(inner) > MAX_INFLATED_BYTES:
        raise InputError(f"expected a zipped file of at most {MAX_INFLATED_BYTES >> 30} GiB, found more")
    return inner, Path(member.filename).name


def _read_by_suffix(data: bytes, name: str) -> pd.DataFrame:
    suffix = Path(name.lower()).suffix
    try:
        if suffix in PARQUET_SUFFIXES:
            return _as_text(pd.read_parquet(io.BytesIO(data)))
        if suffix in EXCEL_SUFFIXES:
            return _as_text(pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str))
    except Exception as exc:  # pyarrow and openpyxl raise many types for a broken file
        raise InputError(f"expected a readable {suffix} file in '{name}', found: {str(exc)[:160]}") from None
    if suffix not in KNOWN_SUFFIXES and suffix:
        raise InputError(f"expected one of {', '.join(sorted(KNOWN_SUFFIXES))} (optionally .gz/.zip), "
                         f"found '{suffix}' in '{name}'")
    text = decode_text(data, name)
    if suffix in JSON_SUFFIXES:
        return _read_json(text, name)
    return _read_delimited(text, name)


def decode_text(data: bytes, name: str) -> str:
    """Bytes -> str, trying UTF-8 (BOM dropped) then cp1252 then latin-1."""
    if b"\x00" in data[:8192]:
        raise InputError(f"expected a text table in '{name}', found binary content "
                         "(is it a spreadsheet or archive with the wrong extension?)")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")


def _read_json(text: str, name: str) -> pd.DataFrame:
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(stripped)
        else:
            records = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"expected JSON lines (one object per line) in '{name}', found invalid JSON "
                         f"at line {exc.lineno}") from None
    if not records or not all(isinstance(r, dict) for r in records):
        raise InputError(f"expected JSON objects with named fields in '{name}', found other values")
    return _as_text(pd.DataFrame.from_records(records))


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_delimited(text: str, name: str) -> pd.DataFrame:
    lines = text.splitlines()
    sample_lines = [ln for ln in lines[:200] if ln.strip()]
    if not sample_lines:
        raise InputError(f"expected a table in '{name}', found only blank lines")
    delimiter = _sniff_delimiter("\n".join(sample_lines[:50]))
    widths = [len(row) for row in csv.reader(sample_lines, delimiter=delimiter)]
    if _is_basket_list(widths, sample_lines[0], delimiter):
        return _read_baskets(lines, delimiter)
    headerless = _is_data_row(sample_lines, delimiter)
    names = [f"column_{i + 1}" for i in range(widths[0])] if headerless else None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, header=None if headerless else 0,
                            names=names, na_values=[""], skipinitialspace=True, on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise InputError(f"expected a header and data rows in '{name}', found an empty table") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"expected every row of '{name}' to have the header's "
                         f"{widths[0]} fields, found {str(exc).strip().splitlines()[-1][:120]}") from None
    return frame


def _is_basket_list(widths: list[int], first_line: str, delimiter: str) -> bool:
    """One basket per line: the field count varies from row to row. A real table with a header
    has a fixed width, so a few ragged rows there are an error to report, not a format."""
    if len(set(widths)) == 1:
        return False
    off_width = sum(w != widths[0] for w in widths) / len(widths)
    return off_width > 0.2 or not _looks_like_header(first_line, delimiter)


def _is_data_row(lines: list[str], delimiter: str) -> bool:
    """The first row is data, not a header, when it does not read as column names and its values
    recur in the rows below (a headerless export such as MovieLens' u.data)."""
    if _looks_like_header(lines[0], delimiter) or len(lines) < 2:
        return False
    first = {f.strip() for f in next(csv.reader([lines[0]], delimiter=delimiter)) if f.strip()}
    body = {f.strip() for row in csv.reader(lines[1:], delimiter=delimiter) for f in row}
    return bool(first & body)


def _looks_like_header(line: str, delimiter: str) -> bool:
    """A header names columns: mostly letters, no field that is a plain number."""
    fields = [f.strip().strip('"') for f in next(csv.reader([line], delimiter=delimiter))]
    return bool(fields) and all(f and not _is_number(f) for f in fields) and any(
        f.replace("_", "").replace(":", "").replace(" ", "").isalpha() for f in fields)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_baskets(lines: list[str], delimiter: str) -> pd.DataFrame:
    baskets, items = [], []
    for number, row in enumerate(csv.reader(lines, delimiter=delimiter)):
        for item in row:
            item = item.strip()
            if item:
                baskets.append(str(number))
                items.append(item)
    return pd.DataFrame({BASKET_COLUMNS[0]: baskets, BASKET_COLUMNS[1]: items}, dtype=str)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns -> text, keeping integral floats integral (17850.0 -> '17850')."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_float_dtype(series) and (series.dropna() % 1 == 0).all():
            series = series.astype("Int64")
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = series.astype(str)
        out[column] = text.where(series.notna(), None)
    return out


def _unique_names(names: list[str]) -> list[str]:
    """Duplicate column names get a numeric suffix so that selecting one stays unambiguous."""
    seen: dict[str, int] = {}
    result = []
    for n in names:
        n = n or "column"
        if n in seen:
            seen[n] += 1
            result.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            result.append(n)
    return result
