"""Carriage returns inside unquoted values of a delimited file: which CRs end rows and which belong
to a value (`values_returns`), for `delimited._read_delimited` to read with before read_csv."""

from __future__ import annotations

import csv
import re

LONE_CR = re.compile(r"\r(?!\n)")  # a CR not before a newline: a line end, or a value's own


def values_returns(text: str, delimiter: str, width: int) -> tuple[str, int]:
    """`text` to read with lines ending at \n alone where some line holds a lone CR inside a value,
    and how many such lines. Python's csv writer with '\n' line ends leaves a value holding a CR
    unquoted; read as a line end it split the row into two short ones (a phantom product, the real
    row's customer and date lost). Only a line that read whole has the header's width and split at
    its CRs does not is read so; every other CR stays a line end (old Mac lines pasted among Unix
    ones, the header's, a file with as many lone CRs as newlines); (text, 0) where no line needs it."""
    if "\n" not in text or "\r" not in text:
        return text, 0
    if len(LONE_CR.findall(text)) >= text.count("\n"):  # lines end at CR here, with a stray newline or few
        return text, 0
    lines: dict[int, tuple[int, bool, bool]] = {}  # start -> (end, CRs end rows there, a CR is an unquoted value's)
    header_end = text.find("\n", len(text) - len(text.lstrip()))  # the first line that holds anything ends here
    for found in LONE_CR.finditer(text):
        start = text.rfind("\n", 0, found.start()) + 1
        if start in lines:
            continue
        end = text.find("\n", found.start())
        end = len(text) if end < 0 else end
        line = text[start:end].removesuffix("\r")  # a CRLF's CR is no lone one
        pieces = line.split("\r")
        # The header's CRs end it (a column name holds none); so do CRs that split the line into rows
        # of the header's width, and any where the line read whole would not have that width either
        # (old Mac rows short of a field, or a blank one, pasted among Unix lines): read as before.
        rows_end_there = (start <= header_end or all(fields_in(piece, delimiter) == width for piece in pieces)
                          or fields_in(line.replace("\r", " "), delimiter) != width)
        unquoted = any(line[:at].count('"') % 2 == 0 for at in (m.start() for m in LONE_CR.finditer(line)))
        lines[start] = (end, rows_end_there, not rows_end_there and unquoted)
    in_values = sum(in_value for _, _, in_value in lines.values())
    if not in_values:
        return text, 0
    parts, last = [], 0  # read at \n alone: the CRs that end rows become newlines, the rest stay in their values
    for start, (end, rows_end_there, _) in sorted(lines.items()):
        parts += [text[last:start], LONE_CR.sub("\n", text[start:end]) if rows_end_there else text[start:end]]
        last = end
    return "".join(parts + [text[last:]]).replace("\r\n", "\n"), in_values


def fields_in(line: str, delimiter: str) -> int:
    """How many fields `line` holds, read as CSV; -1 where csv cannot read it (a field past its limit)."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return -1
