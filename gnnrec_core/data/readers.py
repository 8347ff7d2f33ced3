"""Read a table from whatever a merchandiser exported: delimited text, Parquet, Excel or JSON lines,
plain or inside .gz / .zip.

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
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from ..errors import InputError
from .limits import env_name, limits
from .mapping import SYNONYMS, detect_mapping, normalise_name, shown

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".inter", ".item", ".data"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
BASKET_COLUMNS = ("basket", "item")
MB = 1 << 20
ZIP_BOMB_FLOOR = 64 * MB  # any archive may inflate this far, whatever its ratio
ZIP_MAGIC, PARQUET_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
ZIP_METHOD_NAMES = {9: "Deflate64", 93: "Zstandard", 95: "XZ", 98: "PPMd", 6: "Implode"}
AES_METHOD = 99  # WinZip's AES: the real method sits in an extra field, behind the password
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # str.splitlines() also splits at U+2028, U+0085, \v, \f...
HEAD_CHARS = 1 << 18  # the first 256 KB of text tell the delimiter and the table's shape
SAMPLE_LINES = 200
SNIFF_CHARS, SNIFF_LINES = 4096, 30  # csv.Sniffer's regexes are quadratic in a line's length: 4 KB is 0.1 s at worst
CSV_FIELD_LIMIT = csv.field_size_limit()
KNOWN_COLUMNS = frozenset(name for names in SYNONYMS.values() for name in names)
SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def read_table(source: str | Path | bytes | BinaryIO | tuple[bytes, str], name: str | None = None) -> pd.DataFrame:
    """Read one table. `source` is a path, raw bytes or a file object; `name` gives the file name
    (needed for bytes, whose format is told by the name's suffix when the content does not tell).

    Repairs made on the way (another encoding, a chosen sheet, a header found lower down, renamed
    duplicate columns) are listed in frame.attrs["notes"], for the caller to show."""
    if isinstance(source, tuple):  # (bytes, file name)
        source, name = source[0], name or str(source[1])
    if isinstance(source, (str, Path)):
        path = Path(source)
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
    data, name = _decompress(data, name)
    frame = _read_by_content(data, name, notes)
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"expected at least one data row in '{name}', found {len(frame)} rows "
                         f"and {frame.shape[1]} columns")
    _check_rows(len(frame), name)
    _check_columns(frame.shape[1], name)
    frame.columns = _unique_names([str(c).strip() for c in frame.columns], notes)
    frame.attrs["notes"] = notes
    return frame


def _check_size(size: int, name: str) -> None:
    cap = limits().upload_mb
    if size > cap * MB:
        raise InputError(f"expected a file of at most {cap:,} MB (raise {env_name('upload_mb')} to allow more), "
                         f"found {size / MB:,.1f} MB in '{name}'")


def _check_rows(rows: int, name: str, what: str = "") -> None:
    max_rows = limits().rows
    if rows > max_rows:
        raise InputError(f"expected at most {max_rows:,} rows (raise {env_name('rows')} to allow more), "
                         f"found {rows:,}{what} in '{name}'")


def _check_columns(columns: int, name: str) -> None:
    cap = limits().columns
    if columns > cap:
        raise InputError(f"expected at most {cap:,} columns (raise {env_name('columns')} to allow more), "
                         f"found {columns:,} in '{name}': is it delimited as it seems?")


def _inflate_cap(compressed: int) -> int:
    """Bytes an archive of `compressed` bytes may inflate to: the size cap, and past 64 MB the
    ratio cap (a real export compresses 5-20x, a zip bomb 1000x)."""
    caps = limits()
    return int(min(caps.inflated_mb * MB, max(ZIP_BOMB_FLOOR, caps.inflate_ratio * compressed)))


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
    if lower.endswith(".gz") or data[:2] == b"\x1f\x8b":
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


def _check_zip_member(member: zipfile.ZipInfo, name: str) -> None:
    """Refuse, in words, what zipfile would raise NotImplementedError or RuntimeError for."""
    if member.flag_bits & 0x1 or member.compress_type == AES_METHOD:
        how = " (AES)" if member.compress_type == AES_METHOD else ""
        raise InputError(f"expected an unencrypted zip archive in '{name}', found '{shown(member.filename)}' "
                         f"protected by a password{how}; unzip it yourself and upload the file inside")
    if member.compress_type not in ZIP_METHODS:
        method = ZIP_METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
        raise InputError(f"expected a zip archive compressed with Deflate (the usual) in '{name}', found "
                         f"'{shown(member.filename)}' compressed with {method}; unzip it yourself and upload the "
                         "file inside")


def _read_by_content(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    """The format is told by the content where it can be (zip, Parquet and OLE magic bytes), else by
    the name's suffix; a file whose name says otherwise is read as what it is, with a note."""
    suffix = Path(name.lower()).suffix
    kind = _format_of(data, suffix, name, notes)
    try:
        if kind == "parquet":
            return _read_parquet(data, name)
        if kind == "excel":
            return _read_excel(data, name, notes)
    except InputError:
        raise
    except Exception as exc:  # pyarrow and openpyxl raise many types for a broken file
        raise InputError(f"expected a readable {suffix} file in '{name}', found: {_one_line(exc)}") from None
    text = decode_text(data, name, notes)
    if kind == "json":
        return _read_json(text, name, notes)
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
        raise InputError(f"expected one of {', '.join(sorted(KNOWN_SUFFIXES))} (optionally .gz/.zip), "
                         f"found '{suffix}' in '{name}'")
    return "json" if suffix in JSON_SUFFIXES else "text"


def _one_line(exc: BaseException, limit: int = 160) -> str:
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


def decode_text(data: bytes, name: str, notes: list[str] | None = None) -> str:
    """Bytes -> str: UTF-16/32 by their BOM or NUL pattern; else UTF-8 (BOM dropped); failing that,
    line by line, UTF-8 where a line is UTF-8 and cp1252 (then latin-1) where not, because files
    pasted together from two systems mix them."""
    wide = _wide_encoding(data)
    if wide:
        return _decode_wide(data, wide, name, notes)
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


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 by the BOM; UTF-16 without one by its NUL bytes: ASCII text in UTF-16 LE has
    a NUL at every odd offset and none at even ones (BE the other way round)."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "utf-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4096]
    sample = sample[:len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0) / (len(sample) / 2), sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.5 and even < 0.01:
        return "utf-16-le"
    if even > 0.5 and odd < 0.01:
        return "utf-16-be"
    return None


def _decode_wide(data: bytes, encoding: str, name: str, notes: list[str] | None) -> str:
    label = encoding.upper().replace("-LE", " LE").replace("-BE", " BE")
    try:
        text, replaced = data.decode(encoding), 0
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        replaced = text.count("\ufffd")
    text = text.removeprefix("\ufeff")
    sample = text[:4096]
    if sample and len(sample) - len(sample.translate(WIDE_CONTROLS)) > 0.05 * len(sample):
        raise InputError(f"expected a text table in '{name}', found binary content "
                         "(is it a spreadsheet or archive with the wrong extension?)")
    if notes is not None:
        notes.append(f"'{name}' is {label} text (as Excel's \"Unicode Text\" saves) and was decoded as such"
                     + (f"; {replaced:,} undecodable characters became \ufffd" if replaced else ""))
    return text


CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"
WIDE_CONTROLS = dict.fromkeys(CONTROL_BYTES)  # str.translate table deleting the same characters


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


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    """Row count and uncompressed size come from the footer, and are checked before any row is read."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(io.BytesIO(data))
    meta = file.metadata
    _check_rows(meta.num_rows, name)
    _check_columns(meta.num_columns, name)
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cap = _inflate_cap(len(data))
    if declared > cap:
        raise InputError(f"expected a Parquet file whose columns inflate to at most {cap / MB:,.0f} MB, found "
                         f"'{name}' ({len(data) / MB:,.2f} MB) declaring {declared / MB:,.0f} MB, as a zip bomb "
                         f"does; raise {env_name('inflated_mb')} / {env_name('inflate_ratio')} to allow it")
    table = file.read(use_pandas_metadata=True)
    names = [str(n) for n in table.column_names]
    if len(set(names)) < len(names):  # repeated names: suffixed as read_csv does, then reported like a CSV's
        table = table.rename_columns(_suffix_repeats(names))
    return _as_text(table.to_pandas())


def _check_workbook(data: bytes, name: str) -> None:
    """Before openpyxl parses anything: the members' declared sizes against the inflation caps (zipfile
    never yields more than a member declares), and each sheet's declared dimension against the row limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # not a zip: openpyxl's own error names the damage
    declared = sum(m.file_size for m in members)
    cap = _inflate_cap(len(data))
    if declared > cap:
        raise InputError(f"expected a workbook whose sheets inflate to at most {cap / MB:,.0f} MB, found '{name}' "
                         f"({len(data) / MB:,.2f} MB) declaring {declared / MB:,.0f} MB, as a zip bomb does; "
                         f"save it as CSV, or raise {env_name('inflated_mb')} / {env_name('inflate_ratio')}")
    for member in members:
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        _check_zip_member(member, name)
        try:
            with archive.open(member) as handle:
                head = handle.read(4096)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            continue  # openpyxl will say it is damaged
        found = re.search(rb'<(?:\w+:)?dimension ref="[A-Z]{1,3}\d+:[A-Z]{1,3}(\d{1,9})"', head)
        if found:
            _check_rows(max(int(found.group(1)) - 1, 0), name, " below the header of a sheet (its declared size)")


def _read_excel(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    """The sheet holding the table: recognised columns (an item ID) first, then the most rows. The
    header is the first row that is mostly filled in (a merged title row above it is skipped)."""
    _check_workbook(data, name)
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object)
    tables = {sheet: _sheet_table(raw) for sheet, raw in sheets.items()}
    usable = {sheet: table for sheet, table in tables.items() if table is not None}
    if not usable:
        raise InputError(f"expected a sheet with a header and data rows in '{name}', found "
                         f"{len(sheets)} sheet(s) without: {', '.join(map(repr, sheets))[:160]}")
    sheet = max(usable, key=lambda s: (_names_an_item(usable[s][0]), len(usable[s][0])))  # ties: the first
    body, header_row = usable[sheet]
    if len(sheets) > 1:
        why = "it holds the table (an item column and the most rows)" if len(usable) > 1 else "the others are empty"
        notes.append(f"read sheet '{shown(sheet)}' of {len(sheets)} ({', '.join(map(shown, sheets))}): {why}; "
                     "save the sheet you want alone to read another")
    if header_row:
        notes.append(f"header found on row {header_row} of sheet '{shown(sheet)}'; "
                     "the rows above it (titles, merged cells) were skipped")
    return _as_text(body)


def _sheet_table(raw: pd.DataFrame) -> tuple[pd.DataFrame, int] | None:
    """(body under its header, the header's 1-based row when titles sit above it, else 0)."""
    filled = raw.dropna(how="all").dropna(axis=1, how="all")
    if len(filled) < 2 or filled.shape[1] < 1:
        return None
    share = filled.notna().mean(axis=1).to_numpy()
    header_at = next((i for i, s in enumerate(share[:20]) if s >= 0.8), 0)
    header = [str(v).strip() if pd.notna(v) else f"column_{i + 1}" for i, v in enumerate(filled.iloc[header_at])]
    body = filled.iloc[header_at + 1:].reset_index(drop=True)
    body.columns = _suffix_repeats(header)  # repeats get .1 suffixes, reported below like a CSV's
    return body, int(filled.index[header_at]) + 1 if header_at else 0


def _names_an_item(body: pd.DataFrame) -> bool:
    return detect_mapping(body.head(0)).item is not None


def _read_json(text: str, name: str, notes: list[str]) -> pd.DataFrame:
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(stripped)
        else:
            records = []
            for number, line in enumerate(LINE_BREAK.split(stripped), start=1):
                if line.strip():
                    records.append(_json_line(line, number, name))
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError(f"expected a JSON array in '{name}', found invalid JSON at line {exc.lineno}") from None
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         "to read; flatten them") from None
    except ValueError as exc:  # an integer of over 4,300 digits
        raise InputError(f"expected a JSON array in '{name}', found a value that cannot be read ({_one_line(exc)})"
                         ) from None
    if not records or not all(isinstance(r, dict) for r in records):
        raise InputError(f"expected JSON objects with named fields in '{name}', found other values")
    if SURROGATE_ESCAPE.search(text):
        records = _without_surrogates(records, notes)
    try:
        return _as_text(pd.DataFrame.from_records(records))
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         "to read; flatten them") from None


def _json_line(line: str, number: int, name: str) -> Any:
    try:
        return json.loads(line)
    except RecursionError:
        raise InputError(f"expected JSON objects with plain fields in '{name}', found values nested too deeply "
                         f"to read at line {number}; flatten them") from None
    except ValueError:  # JSONDecodeError, or an integer of over 4,300 digits
        raise InputError(f"expected JSON lines (one object per line) in '{name}', found invalid JSON "
                         f"at line {number}") from None


def _without_surrogates(records: list[dict[Any, Any]], notes: list[str]) -> list[dict[Any, Any]]:
    """A lone surrogate (\\ud800 with no partner) is not text any encoder accepts: each becomes U+FFFD."""
    count = 0

    def fix(value: Any) -> Any:
        nonlocal count
        if isinstance(value, str) and SURROGATE.search(value):
            count += 1
            return SURROGATE.sub("\ufffd", value)
        return value

    fixed = [{fix(k): fix(v) for k, v in record.items()} for record in records]
    if count:
        notes.append(f"{count:,} values held a lone UTF-16 surrogate (such as \\ud800), which is not text; "
                     "each became \ufffd")
    return fixed


def _sniff_delimiter(lines: list[str]) -> str:
    sample = "\n".join(lines[:SNIFF_LINES])
    if len(sample) > SNIFF_CHARS:
        cut = sample.rfind("\n", 0, SNIFF_CHARS)
        sample = sample[:cut if cut > 0 else SNIFF_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sum(line.count(d) for line in lines) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _head_lines(text: str) -> tuple[list[str], str | None]:
    """The whole lines among the first 256 KB of `text`, and the line cut there (None when none is)."""
    lines = LINE_BREAK.split(text[:HEAD_CHARS])
    if len(text) > HEAD_CHARS:
        return lines[:-1], lines[-1]
    return lines, None


def _sample_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    """The sample's rows as csv reads them. A row that runs past the sample's end (an open quote), or a
    field past csv's 128 KB limit, ends the sample there: read_csv, over the whole file, decides."""
    rows: list[list[str]] = []
    reader = csv.reader(lines, delimiter=delimiter)
    ended_at = 0
    try:
        for row in reader:
            if reader.line_num - ended_at > 1 and reader.line_num == len(lines):
                break  # started in the sample, may end beyond it
            rows.append(row)
            ended_at = reader.line_num
    except csv.Error:
        pass
    return rows


def _read_delimited(text: str, name: str, notes: list[str]) -> pd.DataFrame:
    head, cut = _head_lines(text)
    sample_lines = [ln for ln in head[:SAMPLE_LINES] if ln.strip()]
    if not sample_lines and cut is not None:  # one line of over 256 KB: its start is all there is to go on
        sample_lines, cut = [cut], None
    if not sample_lines:
        raise InputError(f"expected a table in '{name}', found only blank lines")
    delimiter = _sniff_delimiter(sample_lines)
    rows = _sample_rows(sample_lines, delimiter)
    if not rows:
        raise InputError(f"expected a first line that ends in '{name}', found a quote that never closes or a "
                         f"field over {CSV_FIELD_LIMIT // 1024} KB; check the file's quoting")
    widths = [len(row) for row in rows]
    _check_columns(widths[0], name)  # before read_csv, whose renaming of repeated names is quadratic
    if _is_basket_list(rows):
        frame = _read_baskets(text, delimiter, name)
        shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
        notes.append(f"read as a basket list, one basket per line ({frame[BASKET_COLUMNS[0]].nunique():,} "
                     f"baskets, items separated by {shown}): rows hold different numbers of fields and the first "
                     f"does not name columns; if it is a table, quote the values that hold {shown}")
        return frame
    headerless = _is_data_row(rows)
    first = "first row" if headerless else "header"
    wider = [i for i, w in enumerate(widths) if w > widths[0]]
    if wider:
        raise InputError(_wider_rows(name, first, widths[0], widths[wider[0]], f"row {wider[0] + 1}", delimiter,
                                     f" ({len(wider)} of the first {len(rows)} rows)"))
    if cut is not None and len(head) < SAMPLE_LINES:  # a long line cut short is at least as wide as its start
        cut_width = len(next(csv.reader([cut], delimiter=delimiter), []))
        if cut_width > widths[0]:
            raise InputError(_wider_rows(name, first, widths[0], cut_width, f"row {len(rows) + 1}", delimiter))
    names = [f"column_{i + 1}" for i in range(widths[0])] if headerless else None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            header=None if headerless else 0,
                            names=names, na_values=[""], skipinitialspace=True, on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise InputError(f"expected a header and data rows in '{name}', found an empty table") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError) as exc:
        raise InputError(_parser_message(exc, name, first, widths[0], delimiter)) from None
    if not isinstance(frame.index, pd.RangeIndex):  # read_csv made the first row's extra fields an index
        raise InputError(_wider_rows(name, first, widths[0], widths[0] + frame.index.nlevels,
                                     "row 1" if headerless else "row 2", delimiter))
    return frame


def _wider_rows(name: str, first: str, width: int, found: int, where: str, delimiter: str, count: str = "") -> str:
    shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
    return (f"expected every row of '{name}' to have the {first}'s {width} fields, found {found} in {where}{count}: "
            f"is a {shown} inside a value unquoted? Quote such values or save with another delimiter")


def _parser_message(exc: BaseException, name: str, first: str, width: int, delimiter: str) -> str:
    message = _one_line(exc, 400)
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:
        line = int(unclosed.group(1)) + 1  # read_csv counts rows from 0
        return (f"expected every quoted value in '{name}' to end, found a quote opening on line {line} that never "
                "closes; remove the stray \" or double it (\"\")")
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        return _wider_rows(name, first, int(fields.group(1)), int(fields.group(3)), f"line {fields.group(2)}",
                           delimiter)
    return f"expected every row of '{name}' to have the {first}'s {width} fields, found {message[:120]}"


def _is_basket_list(rows: list[list[str]]) -> bool:
    """One basket per line: the field count varies from row to row and the first row does not name
    columns. A table's header names columns (order_id, product_id, ...) or has the width of most rows
    and no row is narrower; rows wider than it are values holding an unquoted delimiter, an error."""
    widths = [len(row) for row in rows]
    if len(set(widths)) == 1:
        return False
    header = _looks_like_header(rows[0])
    names_columns = sum(normalise_name(f) in KNOWN_COLUMNS for f in rows[0]) >= min(2, len(rows[0]))
    modal = max(set(widths), key=widths.count)
    if header and (names_columns or (modal == widths[0] and min(widths) == widths[0])):
        return False
    off_width = sum(w != widths[0] for w in widths) / len(widths)
    return off_width > 0.2 or not header


def _is_data_row(rows: list[list[str]]) -> bool:
    """The first row is data, not a header, when it does not read as column names and its values
    recur in the rows below (a headerless export such as MovieLens' u.data)."""
    if _looks_like_header(rows[0]) or len(rows) < 2:
        return False
    first = {f.strip() for f in rows[0] if f.strip()}
    body = {f.strip() for row in rows[1:] for f in row}
    return bool(first & body)


def _looks_like_header(row: list[str]) -> bool:
    """A header names columns: mostly letters, no field that is a plain number."""
    fields = [f.strip().strip('"') for f in row]
    return bool(fields) and all(f and not _is_number(f) for f in fields) and any(
        f.replace("_", "").replace(":", "").replace(" ", "").isalpha() for f in fields)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_baskets(text: str, delimiter: str, name: str) -> pd.DataFrame:
    try:
        rows = list(csv.reader(LINE_BREAK.split(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"expected one basket per line in '{name}', found a line csv cannot read ({exc}): "
                         f"an unclosed quote or a field over {CSV_FIELD_LIMIT // 1024} KB") from None
    items = np.array([item.strip() for row in rows for item in row], dtype=object)
    numbers = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    keep = items != ""
    labels = np.arange(len(rows)).astype(str).astype(object)  # one string per basket, not per line
    return pd.DataFrame({BASKET_COLUMNS[0]: pd.array(labels[numbers[keep]], dtype="str"),
                         BASKET_COLUMNS[1]: pd.array(items[keep], dtype="str")})


EXACT_FLOAT = 2 ** 53  # every integer below this is a float exactly


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns -> text, keeping integral floats integral (17850.0 -> '17850', 1e20 ->
    '100000000000000000000'); inf and nan stay words for `ingest` to count."""
    out = pd.DataFrame(index=frame.index)
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        text = None
        if pd.api.types.is_float_dtype(series):
            values = series.dropna().to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                integral = bool(np.isfinite(values).all() and (np.mod(values, 1) == 0).all())
            if integral and (not len(values) or np.abs(values).max() < EXACT_FLOAT):
                series = series.astype("Int64")
            elif integral:
                text = series.map(lambda v: f"{v:.0f}", na_action="ignore")
        if text is None and pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif text is None:
            text = series.astype(str)
        out[column] = text.where(series.notna(), None)
    return out


def _suffix_repeats(names: list[str]) -> list[str]:
    """Repeated names get .1, .2 suffixes as read_csv gives them (`_unique_names` then reports them)."""
    taken, seen, result = set(names), set(), []
    next_suffix: dict[str, int] = {}
    for n in names:
        if n in seen:
            k = next_suffix.get(n, 1)
            while f"{n}.{k}" in taken:
                k += 1
            next_suffix[n] = k + 1
            n = f"{n}.{k}"
            taken.add(n)
        seen.add(n)
        result.append(n)
    return result


def _unique_names(names: list[str], notes: list[str] | None = None) -> list[str]:
    """Duplicate column names get a numeric suffix so that selecting one stays unambiguous."""
    given = set(names)
    names = [_strip_pandas_suffix(n, given) for n in names]
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
                copies = ", ".join(f"{shown(n)}.{i}" for i in range(1, min(extra, 20) + 1)) + (
                    f" and {extra - 20:,} more" if extra > 20 else "")
                notes.append(f"column '{shown(n)}' appears {extra + 1} times; the copies were renamed {copies}: "
                             "check the mapping uses the one you mean")
    return result


def _strip_pandas_suffix(name: str, names: set[str]) -> str:
    """read_csv renames a repeated 'id' to 'id.1'; undo it so the repeat is found and reported."""
    base, dot, number = name.rpartition(".")
    return base if dot and number.isdigit() and base in names else name
