"""Distinct values coded once, in SQL, for the DuckDB engine's cleaning (duck_clean.py): each ID
column's raw values mapped to the IDs normalise_ids gives (its '.0' rule over the whole column), each
text column's to the values pandas reads, so the kept rows are fetched as codes, not as strings."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .catalogue import FLOAT_ZERO, MISSING_ID_SPELLINGS, normalise_ids
from .duck_read import Loaded, run

MISSING_SQL = ", ".join("'" + v.replace("'", "''") + "'" for v in MISSING_ID_SPELLINGS)
PLAIN_ID = r"[!-~](?:[ -~]*[!-~])?"  # printable ASCII, no space at either end: Python's strip() changes nothing

def column_values(con: duckdb.DuckDBPyConnection, query: str) -> pd.Series:
    """The first column of `query` as a pandas Series of text ('str' dtype, as read_table's columns)."""
    column = con.sql(query).to_arrow_table().column(0)
    return pd.Series(column.to_pandas(), dtype="str")


def put_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("incoming", frame)
    try:
        run(con, f"CREATE TABLE {table} AS SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def id_codes(con: duckdb.DuckDBPyConnection, table: str, column: str, out: str) -> np.ndarray:
    """Table `out` (v, code, norm): each distinct raw ID, the code of its normalised form and that
    form; returns the normalised IDs by code (object array). (normalise_ids strips every space, so
    the raw text needs no `Loaded.value` first.)"""
    plain = f"(regexp_full_match(v, '{PLAIN_ID}') AND v NOT IN ({MISSING_SQL}))"  # 'NaN': normalise_ids
    run(con, f"CREATE TABLE {out}_raw AS SELECT v, CASE WHEN {plain} THEN v END AS norm, {plain} "
                f"AS plain FROM (SELECT DISTINCT {column} AS v FROM {table} WHERE {column} IS NOT NULL)")
    other = column_values(con, f"SELECT v FROM {out}_raw WHERE NOT plain")
    if len(other):  # Unicode whitespace, control characters, empty text: normalise_ids itself, but for '.0'
        put_frame(con, f"{out}_fix", pd.DataFrame({"v": other.astype(object),
                                               "norm": normalise_ids(other, floats=False).to_numpy()}))
        run(con, f"UPDATE {out}_raw SET norm = f.norm FROM {out}_fix f WHERE {out}_raw.v = f.v")
    # normalise_ids' '.0' rule over the whole column: '17850.0' is '17850' unless '17850' is an ID beside it
    integer = f"regexp_replace(norm, '{FLOAT_ZERO}', '\\1')"
    run(con, f"UPDATE {out}_raw SET norm = {integer} WHERE regexp_full_match(norm, '{FLOAT_ZERO}') "
             f"AND {integer} NOT IN (SELECT norm FROM {out}_raw WHERE norm IS NOT NULL)")
    run(con, f"CREATE TABLE {out}_dict AS SELECT norm, CAST(row_number() OVER () - 1 AS INTEGER) AS code "
                f"FROM (SELECT DISTINCT norm FROM {out}_raw WHERE norm IS NOT NULL)")
    run(con, f"CREATE TABLE {out} AS SELECT r.v, d.code, d.norm FROM {out}_raw r JOIN {out}_dict d USING (norm)")
    return np.asarray(column_values(con, f"SELECT norm FROM {out}_dict ORDER BY code"), dtype=object)


def text_codes(con: duckdb.DuckDBPyConnection, data: Loaded, column: str, out: str) -> pd.Series:
    """Table `out` (v, code, text): each distinct raw value of a text column and the code of its value
    as pandas reads it; returns those values by code."""
    run(con, f"CREATE TABLE {out}_raw AS SELECT v, {data.value('v')} AS text FROM (SELECT DISTINCT {column} AS v "
             f"FROM {data.table})")
    run(con, f"CREATE TABLE {out}_dict AS SELECT text, CAST(row_number() OVER () - 1 AS INTEGER) AS code "
             f"FROM (SELECT DISTINCT text FROM {out}_raw WHERE text IS NOT NULL)")
    run(con, f"CREATE TABLE {out} AS SELECT r.v, d.code, d.text FROM {out}_raw r JOIN {out}_dict d USING (text)")
    return column_values(con, f"SELECT text FROM {out}_dict ORDER BY code")
