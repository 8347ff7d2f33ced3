"""Excel workbooks: the sheet holding the table, its header found below merged title rows, and the
limits checked before openpyxl parses anything (the members' declared sizes, each sheet's declared
rows, and its grid against its filled cells)."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd

from ..errors import InputError
from .frames import MB, _as_text, _check_rows, _check_zip_member, _inflate_cap, _suffix_repeats
from .limits import env_name
from .mapping import detect_mapping, shown


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
        _check_grid(archive, member, name)


GRID_FLOOR, GRID_PER_CELL = 1_000_000, 50  # a sheet's grid may hold this many cells, or 50 per filled one


def _check_grid(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> None:
    """A sheet is read as a grid up to its furthest cell: one cell at XFD1048576 in a 5 KB file made
    a grid of 17 billion cells (openpyxl filled 24 GB before it was killed). The furthest row and
    column written are checked against the cells filled before anything is parsed; the member is at
    most its declared size, which _check_workbook has held to the inflation caps."""
    try:
        with archive.open(member) as handle:
            xml = handle.read()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # openpyxl will say it is damaged
    filled = len(re.findall(rb"<(?:\w+:)?c[\s>/]", xml))
    rows = [int(r) for r in re.findall(rb'<(?:\w+:)?(?:row|c)\s[^>]*?\br="[A-Z]{0,3}(\d{1,9})"', xml)]
    columns = [_column_number(c) for c in re.findall(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})\d', xml)]
    # Cells without a reference follow the one before: at most `filled` more, inside the allowance
    height, width = max(rows, default=0) or filled, max(columns, default=0) or 1
    if height * width > max(GRID_FLOOR, GRID_PER_CELL * filled):
        raise InputError(f"expected a sheet whose cells fill its grid, found one in '{name}' reaching row "
                         f"{height:,} and column {width:,} ({height * width:,} cells) with {filled:,} filled, as a "
                         "workbook made to exhaust memory is; save the table alone as CSV")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def read_excel(data: bytes, name: str, notes: list[str]) -> pd.DataFrame:
    """The sheet holding the table: recognised columns (an item ID) first, then the most rows; with
    every other sheet of the same columns stacked on it, in the workbook's order (an export split by
    year or half-year: Online Retail II's two sheets are its two years). The header is the first row
    that is mostly filled in (a merged title row above it is skipped)."""
    _check_workbook(data, name)
    # openpyxl, not calamine (7x faster): where a grid passed _check_grid's allowance anyway, calamine's
    # failed allocation aborts the whole process (a Rust abort is no exception to catch: one cell at
    # XFD1048576 stopped it before that check existed), where openpyxl's MemoryError is one line
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl")
    tables = {sheet: _sheet_table(raw) for sheet, raw in sheets.items()}
    usable = {sheet: table for sheet, table in tables.items() if table is not None}
    if not usable:
        raise InputError(f"expected a sheet with a header and data rows in '{name}', found "
                         f"{len(sheets)} sheet(s) without: {', '.join(map(repr, sheets))[:160]}")
    sheet = max(usable, key=lambda s: (_names_an_item(usable[s][0]), len(usable[s][0])))  # ties: the first
    # the same columns in any order: one table the export wrote in parts, in the first part's order
    read = [s for s in usable if s == sheet or sorted(usable[s][0].columns) == sorted(usable[sheet][0].columns)]
    columns = list(usable[read[0]][0].columns)
    body = pd.concat([usable[s][0][columns] for s in read], ignore_index=True) if len(read) > 1 else usable[sheet][0]
    if len(sheets) > 1:
        notes.append(_sheets_note(sheets, usable, read))
    for one in read:
        if usable[one][1]:
            notes.append(f"header found on row {usable[one][1]} of sheet '{shown(one)}'; "
                         "the rows above it (titles, merged cells) were skipped")
    return _as_text(body)


def _sheets_note(sheets: dict[str, pd.DataFrame], usable: dict[str, tuple[pd.DataFrame, int]],
                 read: list[str]) -> str:
    """Which sheets were read, and why the others were not."""
    listed = f"of {len(sheets)} ({', '.join(map(shown, sheets))})"
    left = [s for s in sheets if s not in read]
    if len(read) > 1:
        rows = " + ".join(f"{len(usable[s][0]):,}" for s in read)
        because = {s: "other columns" if s in usable else "no table" for s in left}
        other = (f"; not read: {', '.join(f'{shown(s)!r} ({because[s]})' for s in left)}; save a sheet alone to "
                 "read it") if left else ""
        return (f"read sheets {', '.join(repr(shown(s)) for s in read)} {listed} as one table, in the workbook's "
                f"order ({rows} rows): they have the same columns{other}")
    why = "it holds the table (an item column and the most rows)" if len(usable) > 1 else "the others are empty"
    return f"read sheet '{shown(read[0])}' {listed}: {why}; save the sheet you want alone to read another"


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
