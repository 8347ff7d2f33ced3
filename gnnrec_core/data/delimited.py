"""Delimited text: decoding (UTF-8, cp1252 line by line, latin-1; UTF-16 by its BOM or its NUL
bytes), the delimiter sniffed from the first lines only (bounded, never quadratic), lines ending
only at \n, \r\n or \r, a file of ragged rows with no header read as a basket list, and a
Markdown table (| a | b | over a |---|---| row) read as the table it shows (each with a note)."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from ..errors import InputError
from .double_colon import UNIT_SEPARATOR, as_unit_separated, separated_by_double_colon
from .frames import _check_columns, _one_line
from .mapping import SYNONYMS, normalise_name, shown
from .user_lists import is_user_lists, read_user_lists
from .value_returns import fields_in, values_returns

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")

SNIFF_CHARS, SNIFF_LINES = 4096, 30  # csv.Sniffer's regexes are quadratic in a line's length: 4 KB is 0.1 s at worst

BASKET_COLUMNS = ("basket", "item")

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # str.splitlines() also splits at U+2028, U+0085, \v, \f...


HEAD_CHARS = 1 << 18  # the first 256 KB of text tell the delimiter and the table's shape

SAMPLE_LINES = 200

CSV_FIELD_LIMIT = csv.field_size_limit()

KNOWN_COLUMNS = frozenset(name for names in SYNONYMS.values() for name in names)


# A Markdown table's separator row: |---|:--:|, pipes at the ends optional. Read as data, it became a
# customer '---' buying a product '---', and the pipes at each line's ends two empty columns.
MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")  # GitHub's tables write a '|' inside a cell as '\|'


def _is_markdown_table(lines: list[str]) -> bool:
    """A header with a pipe over a separator row (outer pipes or not, as GitHub writes either)."""
    return len(lines) >= 2 and "|" in lines[0] and "|" in lines[1] and bool(MARKDOWN_RULE.match(lines[1]))


def check_markdown_table(text: str, name: str) -> None:
    """A .md file is read as the Markdown table it holds first, or refused: prose read as data was a
    basket list of its sentences (a README gave 256 'baskets')."""
    head, _ = _head_lines(text)
    lines = [line for line in head[:SAMPLE_LINES] if line.strip()]
    if not _is_markdown_table(lines):
        first = shown(lines[0], 60) if lines else "nothing"
        raise InputError(f"expected a Markdown table in '{name}' (a header row of | columns | over a |---| row, "
                         f"at the start), found '{first}'; a .md file is read only as a table")


def _markdown_as_delimited(text: str) -> str:
    """The table's rows as '|'-delimited CSV: the separator row under the header out (a data row
    of dashes stays), no pipe at either end, cells stripped, a cell's escaped pipe (backslash,
    pipe) a plain '|', quoted by the csv writer as is a cell's '"', so neither splits nor shifts a row."""
    rows = LINE_BREAK.split(text)
    first = next(i for i, line in enumerate(rows) if line.strip())  # the header: blank lines may lead
    rule = next(i for i in range(first + 1, len(rows)) if rows[i].strip())
    out = io.StringIO()
    writer = csv.writer(out, delimiter="|", lineterminator="\n")
    for line in rows[first:rule] + rows[rule + 1:]:
        line = line.strip()
        if not line:
            out.write("\n")
            continue
        if line.startswith("|"):
            line = line[1:]
        if line.endswith("|") and not line.endswith("\\|"):
            line = line[:-1]
        writer.writerow([cell.strip().replace("\\|", "|") for cell in UNESCAPED_PIPE.split(line)])
    return out.getvalue()


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
        notes.append(f"{fallback:,} of {len(lines) - (lines[-1] == ''):,} lines were not UTF-8 and were decoded as "
                     "cp1252")  # the text after a last newline is no line: "of 3,707" was said of 3,706
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


def _sniff_delimiter(lines: list[str]) -> str:
    if lines and all(UNIT_SEPARATOR in line for line in lines):  # a '::' file as double_colon wrote it
        return UNIT_SEPARATOR
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
    if is_user_lists(sample_lines):
        return read_user_lists(text, name, notes)
    if _is_markdown_table(sample_lines):
        notes.append("read as a Markdown table: its |---| separator row and the pipes at each line's ends left out")
        return _read_delimited(_markdown_as_delimited(text), name, notes)
    delimiter = _sniff_delimiter(sample_lines)
    rows = _sample_rows(sample_lines, delimiter)
    if separated_by_double_colon(sample_lines, delimiter, [len(row) for row in rows]):
        notes.append("fields separated by '::' (as MovieLens' .dat files are)")
        return _read_delimited(as_unit_separated(text), name, notes)
    if not rows:
        raise InputError(f"expected a first line that ends in '{name}', found a quote that never closes or a "
                         f"field over {CSV_FIELD_LIMIT // 1024} KB; check the file's quoting")
    titles = _title_lines(rows)
    if titles:
        title = " ".join(rows[0])
        notes.append(f"header found on line {titles + 1}; the {titles} line{'' if titles == 1 else 's'} above it "
                     f"(a title: '{title[:60]}') skipped")
        return _read_delimited(_after_lines(text, titles), name, notes)
    widths = [len(row) for row in rows]
    _check_columns(widths[0], name)  # before read_csv, whose renaming of repeated names is quadratic
    if delimiter != UNIT_SEPARATOR and _is_basket_list(rows):  # '::' files are tables, never basket lists
        frame = _read_baskets(text, delimiter, name)
        shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
        notes.append(f"read as a basket list, one basket per line ({frame[BASKET_COLUMNS[0]].nunique():,} "
                     f"baskets, each named by its line number, items separated by {shown}): rows hold different "
                     f"numbers of fields and the first does not name columns; if it is a table, quote the values "
                     f"that hold {shown}")
        return frame
    headerless = _is_data_row(rows)
    first = "first row" if headerless else "header"
    wider = [i for i, w in enumerate(widths) if w > widths[0]]
    if wider:
        raise InputError(_wider_rows(name, first, widths[0], widths[wider[0]], f"row {wider[0] + 1}", delimiter,
                                     f" ({len(wider)} of the first {len(rows)} rows)"))
    if cut is not None and len(head) < SAMPLE_LINES:  # a long line cut short is at least as wide as its start
        cut_width = fields_in(cut, delimiter)  # -1 past csv's field limit (a 5 MB name): read_csv has none
        if cut_width > widths[0]:
            raise InputError(_wider_rows(name, first, widths[0], cut_width, f"row {len(rows) + 1}", delimiter))
    names = [f"column_{i + 1}" for i in range(widths[0])] if headerless else None
    text, in_values = values_returns(text, delimiter, widths[0])
    if in_values:
        notes.append(f"{in_values:,} line{'' if in_values == 1 else 's'} held a carriage return (\\r) inside an "
                     "unquoted value: kept as part of the value, not read as a line end (the row split there "
                     "would not have the header's fields)")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            header=None if headerless else 0, lineterminator="\n" if in_values else None,
                            names=names, na_values=[""], skipinitialspace=True, on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise InputError(f"expected a header and data rows in '{name}', found an empty table") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError) as exc:
        raise InputError(_parser_message(exc, name, first, widths[0], delimiter)) from None
    if not isinstance(frame.index, pd.RangeIndex):  # read_csv made the first row's extra fields an index
        raise InputError(_wider_rows(name, first, widths[0], widths[0] + frame.index.nlevels,
                                     "row 1" if headerless else "row 2", delimiter))
    return _without_a_cut_last_row(frame, text, delimiter, widths[0], notes)


def _without_a_cut_last_row(frame: pd.DataFrame, text: str, delimiter: str, width: int,
                            notes: list[str]) -> pd.DataFrame:
    """A file cut off mid-row (a download or copy stopped short) ends without a newline in a row of
    fewer fields than the header: read_csv fills the rest as missing and the stub ("536404,21063,
    PARTY INVITES JAZZ HEAR") became a product line. It is left out, and the note says so."""
    if not len(frame) or text.endswith(("\n", "\r")):
        return frame
    tail = text[text.rfind("\n") + 1:]
    if not tail.strip() or '"' in tail:  # blank after the last newline, or the end of a quoted value: not a stub
        return frame
    last = next(csv.reader([tail], delimiter=delimiter), [])
    if not 0 < len(last) < width:
        return frame
    notes.append(f"the file ends mid-row: its last line, cut short ({len(last)} of {width} fields), was left out")
    return frame.iloc[:-1]


def _wider_rows(name: str, first: str, width: int, found: int, where: str, delimiter: str, count: str = "") -> str:
    shown = "tab" if delimiter == "\t" else "'::'" if delimiter == UNIT_SEPARATOR else f"'{delimiter}'"
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


MOST_TITLE_LINES = 10


def _title_lines(rows: list[list[str]]) -> int:
    """How many title lines an export put above its header ("Online Retail export", "Generated
    2011-01-11"): rows narrower than a later row that reads as column names, every row under which
    is as wide as it and none of whose names recurs as a value there (a basket list's items do). 0
    where there are none. Such a file was read as a basket list, its dates and invoices as products."""
    for at in range(1, min(MOST_TITLE_LINES, len(rows) - 3) + 1):
        header, body = rows[at], rows[at + 1:]
        if len(header) < 2 or any(len(row) >= len(header) for row in rows[:at]) or not _looks_like_header(header):
            continue
        values = {field.strip() for row in body for field in row}
        if all(len(row) == len(header) for row in body) and not values & {field.strip() for field in header}:
            return at
    return 0


def _after_lines(text: str, count: int) -> str:
    """`text` after its first `count` non-blank lines (the sample's rows skip blank lines)."""
    seen, start = 0, 0
    for match in LINE_BREAK.finditer(text):
        if text[start:match.start()].strip():
            seen += 1
        start = match.end()
        if seen == count:
            return text[start:]
    return ""


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
    recur in the rows below (a headerless export such as MovieLens' u.data), or it leads with a
    number as the rows below do: a catalogue's first line ("1::Toy Story (1995)::Animation|Comedy")
    has an ID and a title found nowhere else, and was taken for the header."""
    if _looks_like_header(rows[0]) or len(rows) < 2:
        return False
    first = {f.strip() for f in rows[0] if f.strip()}
    body = {f.strip() for row in rows[1:] for f in row}
    leads = [row[0].strip() for row in rows[1:] if row]
    numbered = bool(rows[0]) and _is_number(rows[0][0].strip()) and sum(map(_is_number, leads)) >= 0.9 * len(leads)
    return bool(first & body) or numbered


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
    # Each basket named by its line number, as an editor counts them: "--user 3" was the fourth line
    labels = np.arange(1, len(rows) + 1).astype(str).astype(object)  # one string per basket, not per item
    return pd.DataFrame({BASKET_COLUMNS[0]: pd.array(labels[numbers[keep]], dtype="str"),
                         BASKET_COLUMNS[1]: pd.array(items[keep], dtype="str")})
