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
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from ..errors import InputError
from .limits import env_name, limits

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".inter", ".item", ".data"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
BASKET_COLUMNS = ("basket", "item")
MB = 1 << 20
ZIP_BOMB_FLOOR = 64 * MB  # any archive may inflate this far, whatever its ratio


def read_table(source: str | Path | bytes | BinaryIO | tuple[bytes, str], name: str | None = None) -> pd.DataFrame:
    """Read one table. `source` is a path, raw bytes or a file object; `name` gives the file name
    (needed for bytes, whose format is told by the name's suffix).

    Repairs made on the way (another encoding, a chosen sheet, a header found lower down, renamed
    duplicate columns) are listed in frame.attrs["notes"], for the caller to show."""
    if isinstance(source, tuple):  # (bytes, file name)
        source, name = source[0], name or str(source[1])
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"expected a data file, found nothing at '{path}'")
        name = name or path.name
        _check_size(path.stat().st_size, name)
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    name = name or "upload.csv"
    _check_size(len(data), name)
    if not data:
        raise InputError(f"expected a table in '{name}', found an empty file")
    notes: list[str] = []
    data, name = _decompress(data, name)
    frame = _read_by_suffix(data, name, notes)
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"expected at least one data row in '{name}', found {len(frame)} rows "
                         f"and {frame.shape[1]} columns")
    max_rows = limits().rows
    if len(frame) > max_rows:
        raise InputError(f"expected at most {max_rows:,} rows (raise {env_name('rows')} to allow more), "
                         f"found {len(frame):,} in '{name}'")
    frame.columns = _unique_names([str(c).strip() for c in frame.columns], notes)
    frame.attrs["notes"] = notes
    return frame


def _check_size(size: int, name: str) -> None:
    cap = limits().upload_mb
    if size > cap * MB:
        raise InputError(f"expected a file of at most {cap:,} MB (raise {env_name('upload_mb')} to allow more), "
                         f"found {size / MB:,.1f} MB in '{name}'")


def _read_bounded(handle: Any, compressed: int, name: str) -> bytes:
    """Inflate `handle` (any binary file object: gzip, bz2, xz, a zip member) in chunks, refusing
    once past the size cap or, above 64 MB, past the ratio cap: a real export compresses 5-20x, a
    zip bomb 1000x, and memory is never spent finding out."""
    caps = limits()
    cap = min(caps.inflated_mb * MB, max(ZIP_BOMB_FLOOR, caps.inflate_ratio * compressed))
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
    if lower.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = _read_bounded(gz, len(data), name)
        except (OSError, EOFError) as exc:
            raise InputError(f"expected a gzip file in '{name}', found a damaged one ({exc})") from None
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
    try:
        with archive.open(member) as handle:  # the header's sizes can lie: the bounded read decides
            inner = _read_bounded(handle, member.compress_size, name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"expected a zip archive in '{name}', found a damaged one ({exc})") from None
    return inner, Path(member.filename).name


def _read_by_suffix(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    suffix = Path(name.lower()).suffix
    try:
        if suffix in PARQUET_SUFFIXES:
            return _as_text(pd.read_parquet(io.BytesIO(data)))
        if suffix in EXCEL_SUFFIXES:
            return _read_excel(data, name, notes)
    except InputError:
        raise
    except Exception as exc:  # pyarrow and openpyxl raise many types for a broken file
        raise InputError(f"expected a readable {suffix} file in '{name}', found: {str(exc)[:160]}") from None
    if suffix not in KNOWN_SUFFIXES and suffix:
        raise InputError(f"expected one of {', '.join(sorted(KNOWN_SUFFIXES))} (optionally .gz/.zip), "
                         f"found '{suffix}' in '{name}'")
    text = decode_text(data, name, notes)
    if suffix in JSON_SUFFIXES:
        return _read_json(text, name)
    return _read_delimited(text, name)


def decode_text(data: bytes, name: str, notes: list[str] | None = None) -> str:
    """Bytes -> str: UTF-8 (BOM dropped); failing that, line by line, UTF-8 where a line is UTF-8
    and cp1252 (then latin-1) where not, because files pasted together from two systems mix them."""
    if _looks_binary(data[:8192]):
        raise InputError(f"expected a text table in '{name}', found binary content "
                         "(is it a spreadsheet or archive with the wrong extension?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines, fallback = [], 0
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8-sig"))
        except UnicodeDecodeError:
            fallback += 1
            lines.append(_decode_legacy(line))
    if notes is not None:
        notes.append(f"{fallback:,} of {len(lines):,} lines were not UTF-8 and were decoded as cp1252")
    return "\n".join(lines)


CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


def _looks_binary(sample: bytes) -> bool:
    """A NUL byte, or control bytes (not tab, newline, form feed, CR) in more than 5% of the
    sample: text in any of our encodings has almost none, random or compressed bytes about 12%."""
    if b"\x00" in sample:
        return True
    return len(sample) > 0 and len(sample) - len(sample.translate(None, CONTROL_BYTES)) > 0.05 * len(sample)


def _decode_legacy(line: bytes) -> str:
    for encoding in ENCODINGS[1:]:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")


def _read_excel(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    """The first sheet holding a table; the header is the first row that is mostly filled in (a
    merged title row above it is skipped)."""
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object)
    filled = {sheet: raw.dropna(how="all").dropna(axis=1, how="all") for sheet, raw in sheets.items()}
    usable = [sheet for sheet, raw in filled.items() if len(raw) >= 2 and raw.shape[1] >= 1]
    if not usable:
        raise InputError(f"expected a sheet with a header and data rows in '{name}', found "
                         f"{len(sheets)} sheet(s) without: {', '.join(map(repr, sheets))[:160]}")
    sheet = usable[0]
    if len(sheets) > 1:
        notes.append(f"read sheet '{sheet}' of {len(sheets)} ({', '.join(map(str, sheets))}); "
                     "save the sheet you want alone to read another")
    raw = filled[sheet]
    share = raw.notna().mean(axis=1).to_numpy()
    header_at = next((i for i, s in enumerate(share[:20]) if s >= 0.8), 0)
    if header_at:
        notes.append(f"header found on row {raw.index[header_at] + 1} of sheet '{sheet}'; "
                     "the rows above it (titles, merged cells) were skipped")
    header = [str(v).strip() if pd.notna(v) else f"column_{i + 1}" for i, v in enumerate(raw.iloc[header_at])]
    body = raw.iloc[header_at + 1:].reset_index(drop=True)
    body.columns = header
    return _as_text(body)


def _read_json(text: str, name: str) -> pd.DataFrame:
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(stripped)
        else:
            records = []
            for number, line in enumerate(stripped.splitlines(), start=1):
                if line.strip():
                    records.append(_json_line(line, number, name))
    except json.JSONDecodeError as exc:
        raise InputError(f"expected a JSON array in '{name}', found invalid JSON at line {exc.lineno}") from None
    if not records or not all(isinstance(r, dict) for r in records):
        raise InputError(f"expected JSON objects with named fields in '{name}', found other values")
    return _as_text(pd.DataFrame.from_records(records))


def _json_line(line: str, number: int, name: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        raise InputError(f"expected JSON lines (one object per line) in '{name}', found invalid JSON "
                         f"at line {number}") from None


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


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
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            header=None if headerless else 0,
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
    rows = list(csv.reader(lines, delimiter=delimiter))
    items = np.array([item.strip() for row in rows for item in row], dtype=object)
    numbers = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    keep = items != ""
    labels = np.arange(len(rows)).astype(str).astype(object)  # one string per basket, not per line
    return pd.DataFrame({BASKET_COLUMNS[0]: pd.array(labels[numbers[keep]], dtype="str"),
                         BASKET_COLUMNS[1]: pd.array(items[keep], dtype="str")})


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


def _unique_names(names: list[str], notes: list[str] | None = None) -> list[str]:
    """Duplicate column names get a numeric suffix so that selecting one stays unambiguous."""
    names = [_strip_pandas_suffix(n, names) for n in names]
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
    if notes is not None:
        for n, extra in seen.items():
            if extra:
                copies = ", ".join(f"{n}.{i}" for i in range(1, extra + 1))
                notes.append(f"column '{n}' appears {extra + 1} times; the copies were renamed {copies}: "
                             "check the mapping uses the one you mean")
    return result


def _strip_pandas_suffix(name: str, names: list[str]) -> str:
    """read_csv renames a repeated 'id' to 'id.1'; undo it so the repeat is found and reported."""
    base, dot, number = name.rpartition(".")
    return base if dot and number.isdigit() and base in names else name
