"""Fields separated by '::', as MovieLens writes its .dat files (ratings.dat, movies.dat, users.dat
of the 1M and 10M sets: "1::1193::5::978300760"). csv reads only one-character delimiters, so such
a file was one column (refused: "is it delimited by something other than , ; tab or |?") or, where a
title held a comma, a basket list of title halves. It is read with each '::' as one separator."""

from __future__ import annotations

import re

DOUBLE_COLON = "::"
UNIT_SEPARATOR = "\x1f"  # ASCII's own field separator: no export writes it inside a value


def separated_by_double_colon(lines: list[str], delimiter: str, widths: list[int]) -> bool:
    """Every sample line holds '::', nearly all as often as each other, and no comma, semicolon or
    tab already made a table of them (`widths`: the sniffed `delimiter`'s fields per row, all equal
    and over one where it did: a CSV whose values hold 'std::vector' stays a CSV). A '|' does not
    count: movies.dat lists genres by it ("1::Toy Story (1995)::Animation|Comedy")."""
    if not lines or any(UNIT_SEPARATOR in line for line in lines):
        return False
    counts = [line.count(DOUBLE_COLON) for line in lines]
    usual = max(set(counts), key=counts.count)  # a row of other width is then refused in '::' words
    table_already = delimiter in ",;\t" and len(set(widths)) == 1 and widths[0] > 1
    return min(counts) >= 1 and counts.count(usual) >= 0.9 * len(counts) and not table_already


LAST_TWO_COLONS = re.compile(r"::(?!:)")  # of a run of three ("It?:::Drama"), the value keeps the first


def as_unit_separated(text: str) -> str:
    """The text with each '::' as the one character the reader splits at: the last two colons of a
    longer run, so that a title ending in ':' keeps it ("What Is It?:" then "Drama", not ":Drama")."""
    return LAST_TWO_COLONS.sub(UNIT_SEPARATOR, text)
