"""Text from uploads and links, made safe for where it is shown: spreadsheets and Markdown.

Spreadsheets run a cell as a formula when it starts with `=`, `+`, `-` or `@` (also after leading
spaces, and with a tab or carriage return first: CSV injection, OWASP). `csv_bytes` is the one writer
for every CSV and TSV gnnrec hands out, the dashboard's downloads and the `export` command's files:
such cells (and column names) get a leading `'`, which spreadsheets show as text.

Streamlit renders Markdown in messages, captions, metric and widget labels and help: a product
name or a link's value could become a link, an image, emphasis, HTML, LaTeX (`$...$`) or a table.
`escape_markdown` backslash-escapes every such character, so the text is shown exactly as typed;
`markdown_cells` does it for every cell of a table `st.table` draws (its cells are Markdown too).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..file_output import replace_bytes

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms
_FORMULA = re.compile(r"^(?:[\t\r]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")

# Inline markup anywhere: links and images ([ ] ( ) !), emphasis (* _ ~), code (`), HTML and
# entities (< > &), LaTeX ($), tables (|), headings (#), Streamlit's :colour[...] and :icon: (:),
# bare-URL autolinks (: and .), escapes themselves (\), braces and + kept from the earlier helper.
_INLINE = re.compile(r"([\\`*_{}\[\]()#+.!|<>~$&:])")
# Block markup that only counts at the start of a line: list items and setext underlines (- =).
# A hyphen inside a word ("T-LIGHT") stays as typed.
_LINE_START = re.compile(r"(?m)^([ \t]*)([-=])")


# Streamlit turns bare URLs, www. names and e-mail addresses into links after Markdown is rendered
# (escaped or not: "http\://x\.com" became a live link in a headless Chromium check). An invisible word
# joiner (U+2060) inside each such pattern is what stops it; the text reads the same.
WORD_JOINER = "\u2060"
_LINKIFIED = re.compile(r"(?i)(:)(//)|(www)(\.)|([\w.+-])(@)(?=[\w-]+\.\w)")  # an address: x@host.tld, not nDCG@10


def escape_markdown(text: object) -> str:
    """`text` as typed inside Markdown: every markup character backslash-escaped, nothing dropped
    (removing one backslash before each escaped character, and each WORD_JOINER, gives the text
    back); a URL, www. name or e-mail address in it is shown, never linked."""
    unlinked = _LINKIFIED.sub(_joined, str(text))
    return _LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\1", unlinked))


def _joined(found: re.Match[str]) -> str:
    """The matched pattern with a word joiner between its two parts (': //', 'www .', 'e @')."""
    head, tail = [part for part in found.groups() if part is not None]
    return f"{head}{WORD_JOINER}{tail}"


def neutralise_cells(values: pd.Series) -> pd.Series:
    """A text column with every cell a spreadsheet would run as a formula prefixed with `'`."""
    text = values.astype(str)
    return text.where(~text.str.contains(_FORMULA), "'" + text)


def _text_columns(frame: pd.DataFrame, column_fn: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """A copy with `column_fn` applied to every text column (missing cells as ""), numbers and dates
    kept, and to the column names."""
    frame = frame.copy()
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_datetime64_any_dtype(column):
            column = column.astype(object)
            frame.isetitem(position, column_fn(column.where(column.notna(), "")))
    frame.columns = column_fn(pd.Series([str(c) for c in frame.columns], dtype=object)).tolist()
    return frame


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text column (and every column name) neutralised; numbers and dates kept."""
    return _text_columns(frame, neutralise_cells)


def markdown_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for `st.table`, which renders Markdown in every cell: each text cell and column name
    escaped (a product named '[Claim refund](https://...)' became a live link, an image name fetched
    its picture); numbers kept as numbers."""
    return _text_columns(frame, lambda column: column.map(escape_markdown))


def csv_bytes(frame: pd.DataFrame, sep: str = ",") -> bytes:
    """The one writer of CSV/TSV for people: `frame` neutralised, without its index, UTF-8.

    CSV rows end in CRLF (RFC 4180), which also makes the writer quote a cell holding a lone CR
    (with LF endings it would not, and a spreadsheet would start a new row inside the cell). TSV
    keeps LF for the Embedding Projector, which splits lines on tabs and unquotes nothing (a name's
    quotes showed doubled): its cells are not quoted, and a tab, CR or LF in one is written as a space."""
    tsv = sep == "\t"
    safe = neutralised(frame)
    if tsv:
        safe = _text_columns(safe, lambda column: column.astype(str).str.replace(r"[\t\r\n]", " ", regex=True))
    text: str = safe.to_csv(index=False, sep=sep, lineterminator="\n" if tsv else "\r\n",
                            quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL)
    return text.encode()


def write_csv(frame: pd.DataFrame, path: Path, sep: str = ",") -> Path:
    """`csv_bytes` written to `path`, whole or not at all (a full disk leaves the old file as it was)."""
    replace_bytes(path, csv_bytes(frame, sep))
    return path
