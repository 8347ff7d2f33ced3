"""What every reader shares: the size, row and column limits checked before any cost, one-line
messages, and columns returned as text with unique names (IDs keep their spelling)."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd

from ..errors import InputError
from .limits import env_name, limits
from .mapping import shown

MB = 1 << 20


ZIP_BOMB_FLOOR = 64 * MB  # any archive may inflate this far, whatever its ratio


def _check_size(size: int, name: str, cap_field: str = "upload_mb") -> None:
    """cap_field: "upload_mb" for what is read whole into memory, "file_mb" for what DuckDB reads from disk."""
    cap = getattr(limits(), cap_field)
    if size > cap * MB:
        raise InputError(f"expected a file of at most {cap:,} MB (raise {env_name(cap_field)} to allow more), "
                         f"found {size / MB:,.1f} MB in '{name}'")


def _check_rows(rows: int, name: str, what: str = "", cap_field: str = "rows") -> None:
    """cap_field: "rows" for the pandas reader, "duckdb_rows" for DuckDB's."""
    max_rows = getattr(limits(), cap_field)
    if rows > max_rows:
        raise InputError(f"expected at most {max_rows:,} rows (raise {env_name(cap_field)} to allow more), "
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


def _one_line(exc: BaseException, limit: int = 160) -> str:
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


EXACT_FLOAT = 2 ** 53  # every integer below this is a float exactly


NESTED = "nested"  # frame.attrs key: {column: "lists" or "records"} for columns whose values are not one value


def nested_kind(series: pd.Series) -> str | None:
    """"lists" or "records" where a column holds a list or a record per row (a Parquet list or struct
    column, a JSON array or object field), read from its first values; None for plain values."""
    if series.dtype != object:
        return None
    for value in series.dropna().head(100):
        if isinstance(value, dict):
            return "records"
        if isinstance(value, (list, tuple, np.ndarray)):
            return "lists"
    return None


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns -> text, keeping integral floats integral (17850.0 -> '17850', 1e20 ->
    '100000000000000000000'); inf and nan stay words for `ingest` to count. Columns of lists or
    records are named in attrs[NESTED]: their text is no ID, and a mapping that uses one is refused."""
    out = pd.DataFrame(index=frame.index)
    nested: dict[str, str] = {}
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        kind = nested_kind(series)
        if kind is not None:
            nested[str(column)] = kind
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
    if nested:
        out.attrs[NESTED] = nested
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


ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
ZIP_METHOD_NAMES = {9: "Deflate64", 93: "Zstandard", 95: "XZ", 98: "PPMd", 6: "Implode"}
AES_METHOD = 99  # WinZip's AES: the real method sits in an extra field, behind the password


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
