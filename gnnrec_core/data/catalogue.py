"""The item catalogue: each product's name, category and price as the events imply them, a
catalogue file's joined over them, category codes named by a category-names file, and the names
pages show. IDs are normalised here, once, for every table that carries them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .headerless import catalogue_roles, guessed_note
from .mapping import ColumnMapping, guess_mapping, listed, normalise_name, shown
from .readers import read_table

if TYPE_CHECKING:
    from .ingest import IngestReport

CATALOGUE_ROLES = ("item", "item_name", "category", "price")  # what a catalogue file can give


def with_catalogue_file(catalogue: pd.DataFrame, items: Any, item_columns: dict[str, str] | None,
                        report: "IngestReport", category_names: Any = None) -> pd.DataFrame:
    """The catalogue with an optional catalogue file's names, categories and prices joined in, and
    its category codes named by an optional category-names file (departments.csv: department_id ->
    department)."""
    if items is not None:
        table = read_table(items, _name_of(items))
        report.warnings += [f"catalogue: {note}" for note in table.attrs.get("notes", [])]
        catalogue, report.catalogue_mapping = _join_catalogue(catalogue, table, item_columns or {}, report.warnings)
    if category_names is not None:
        catalogue = _name_categories(catalogue, read_table(category_names, _name_of(category_names)), report)
    return _trimmed(catalogue)


def _trimmed(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Names and categories without the spaces exports pad them with ("WHITE METAL LANTERN " shows
    as "WHITE METAL LANTERN"); one left blank, or written as a missing value ('NaN', 'null': a
    product named "nan", a category "NaN"), is missing, and a product without a name is named by its ID."""
    for column in ("name", "category"):
        text = catalogue[column]
        present = text.notna()
        if present.any():
            stripped = text[present].astype(str).str.strip()
            catalogue.loc[present, column] = stripped.where(~stripped.isin(MISSING_ID_SPELLINGS), None)
    catalogue["name"] = catalogue["name"].fillna(pd.Series(catalogue.index, index=catalogue.index))
    return catalogue


def _name_categories(catalogue: pd.DataFrame, names: pd.DataFrame, report: "IngestReport") -> pd.DataFrame:
    """Category codes -> names. The key is the names file's column called as the catalogue's category
    column (department_id in both), else its first column; the name is its first other column. A
    code the file does not name keeps its code; how many were named goes in the report."""
    source = (report.catalogue_mapping or {}).get("category") or report.mapping.get("category")
    if source is None:  # the file would do nothing, and "unknown settings are an error"
        raise InputError("expected a category column (in the events or the catalogue) for the category-names file "
                         "to name, found none; map one (--category-col, or the Data page's category) or leave the "
                         "file out")
    if names.shape[1] < 2:
        raise InputError(f"expected a category-names file with a code column and a name column, found "
                         f"{listed(list(names.columns))}")
    keyed = [c for c in names.columns if source and normalise_name(c) == normalise_name(source)]
    key = keyed[0] if keyed else names.columns[0]
    label = next(c for c in names.columns if c != key)
    table = pd.Series(names[label].astype(object).to_numpy(), index=normalise_ids(names[key]).to_numpy())
    table = table[~table.index.duplicated()].dropna()
    codes = normalise_ids(catalogue["category"].astype(object))
    named = codes.map(table)
    merged = catalogue.copy()
    merged["category"] = named.where(named.notna(), catalogue["category"])
    report.category_names = {"key": str(key), "name": str(label), "named_items": int(named.notna().sum()),
                             "unnamed_items": int((named.isna() & codes.notna()).sum())}
    return merged

def _name_of(source: Any) -> str | None:
    if isinstance(source, tuple):  # (bytes, file name), as uploads arrive
        file_name: str | None = source[1]
        return file_name
    return Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", None)


# How spreadsheets, databases and pandas write a missing value (pandas' own list, STR_NA_VALUES): an ID
# cell holding one is missing, not a customer or product of that name (an export's 1,079 'NaN' customer
# cells became one customer who bought everything).
MISSING_ID_SPELLINGS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


FLOAT_ZERO = r"^(-?[0-9]+)\.0$"  # an integer ID as a float spells it ('17850.0'); ASCII digits, as DuckDB's


def normalise_ids(series: pd.Series, floats: bool = True) -> pd.Series:
    """IDs as trimmed text; '17850.0' -> '17850' (Excel and pandas turn integer IDs into floats) where
    the column does not hold '17850' too (then they are two IDs: merged, a product was lost); a
    missing value's spelling ('NaN', 'null', 'N/A', ...: MISSING_ID_SPELLINGS) is missing. `floats`
    False leaves '.0' (DuckDB's ingest applies that rule in SQL, over every ID of the column).

    Each distinct value is normalised once: IDs repeat, so this is per product, not per row."""
    codes, uniques = pd.factorize(series)
    text = pd.Series(uniques).astype("string").str.strip()
    text = text.where(~text.isin(MISSING_ID_SPELLINGS))
    if floats:
        integer = text.str.replace(FLOAT_ZERO, r"\1", regex=True)
        beside = ((integer != text) & integer.isin(text.dropna())).fillna(False).astype(bool)
        text = text.where(beside, integer)
    table = text.astype(object).where(lambda t: t.notna(), None).to_numpy()
    values = np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else None, None)
    return pd.Series(values, index=series.index, dtype=object)

def _catalogue(frame: pd.DataFrame, m: ColumnMapping, events: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({"item": events["item"]})
    table["name"] = frame[m.item_name].astype(object) if m.item_name else None
    table["category"] = frame[m.category].astype(object) if m.category else None
    table["price"] = events["price"]
    items = pd.Index(table["item"].unique(), name="item")
    return catalogue_frame(items, _most_common(table, "name"), _most_common(table, "category"),
                           table.groupby("item", sort=False)["price"].median())


def catalogue_frame(items: pd.Index, names: pd.Series, categories: pd.Series, prices: pd.Series) -> pd.DataFrame:
    """The catalogue from its parts per item (each indexed by item id; missing items are missing): a
    product without a name is named by its id."""
    catalogue = pd.DataFrame({
        "name": names.reindex(items).astype(object),
        "category": categories.reindex(items).astype(object),
        "price": prices.reindex(items),
    }, index=items)
    text = catalogue[["name", "category"]]
    catalogue[["name", "category"]] = text.where(text.notna(), None)
    catalogue["name"] = catalogue["name"].fillna(pd.Series(catalogue.index, index=catalogue.index))
    return catalogue


def _most_common(table: pd.DataFrame, column: str) -> pd.Series:
    """Per item, the value of `column` seen most often (ties: the smallest, as Series.mode picks).
    One value_counts for all items: a Python call per item took most of ingest at 1M lines."""
    pairs = table[["item", column]].dropna()
    if pairs.empty:
        return pd.Series(dtype=object)
    counts = pairs.value_counts(sort=False).rename("n").reset_index()
    counts = counts.sort_values(["item", "n", column], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("item").set_index("item")[column].astype(object)


def has_product_names(catalogue: pd.DataFrame) -> bool:
    """Whether the products have names to read (search by meaning, the text encoders): a name apart
    from its code, or codes that are names themselves, as a basket list's are: letters alone
    ("yogurt") or words ("citrus fruit") for most products, where SKU00123 and ABC-001 are codes."""
    names = catalogue["name"].astype(str)
    if not len(names) or (names != catalogue.index.astype(str)).any():
        return bool(len(names))
    return bool(names.str.fullmatch(r"[^\W\d_]{3,}( [^\W\d_]+)*|.*[^\W\d_]{3,} [^\W\d_]{3,}.*").mean() > 0.5)


def describes_products(catalogue: pd.DataFrame) -> bool:
    """Whether the catalogue tells the feature-aware GCN anything beyond the graph: names to read, a
    category or a price of some product."""
    known = [catalogue[column].notna().any() for column in ("category", "price") if column in catalogue]
    return has_product_names(catalogue) or any(known)


# Said where a feature-reading model runs on data that describes no product (a check-in log of codes)
FEATURELESS_NOTE = ("Feature-aware GCN: the data gives no product names, categories or prices, so it learns from the "
                    "graph alone here, as LightGCN does (a catalogue of them gives it more to read)")


def display_names(catalogue: pd.DataFrame) -> pd.Series:
    """Code -> the name to show: the catalogue's name, with the code added where several codes
    share it (colour variants), so that a pair of two variants never reads "X -> X"."""
    names = catalogue["name"].astype(object).where(catalogue["name"].notna(), pd.Series(catalogue.index,
                                                                                         index=catalogue.index))
    names = names.astype(str).str.strip()
    shared = names.duplicated(keep=False).to_numpy()
    codes = pd.Series(catalogue.index.astype(str), index=catalogue.index)
    return names.where(~shared, names + " (" + codes + ")")


def catalogue_columns(items: Any, chosen: dict[str, str] | None = None) -> dict[str, str | None]:
    """Which column of a catalogue file plays each catalogue role (CATALOGUE_ROLES), as ingest
    will join it: for a page to show what the catalogue brings before the events are cleaned."""
    table = read_table(items, _name_of(items))
    item_map = _catalogue_mapping(table, chosen or {})
    return {role: getattr(item_map, role) for role in CATALOGUE_ROLES}


MULTI_SEPARATOR = "|"  # MovieLens's genres and most exports of several tags: "Comedy|Romance"


def category_parts(label: object) -> tuple[str, ...]:
    """A category label's categories: one naming several with '|' is in each ("Comedy|Romance" is a
    Comedy and a Romance); a missing or blank label is in none."""
    if label is None or (isinstance(label, float) and label != label):
        return ()
    return tuple(part.strip() for part in str(label).split(MULTI_SEPARATOR) if part.strip())


def _catalogue_mapping(table: pd.DataFrame, chosen: dict[str, str]) -> ColumnMapping:
    """The catalogue's columns by name, or by value where it has no header (headerless.catalogue_roles)."""
    found = guess_mapping(table, chosen, headerless_log=False)
    by_value = catalogue_roles(table, {role: column for role, column in chosen.items() if column is not None})
    return replace(found, **{role: column for role, column in by_value.items() if getattr(found, role) is None})


def _examples(ids: pd.Index) -> str:
    return ", ".join(f"'{shown(str(i), 30)}'" for i in ids[:3])


def differing_keys(values: pd.DataFrame) -> pd.Index:
    """The keys (`values`' index) on several rows that differ in any column, in order of first
    appearance: where a join takes the first row of each, what it passed over."""
    repeated = values[values.index.duplicated(keep=False) & values.index.notna()]
    if repeated.empty:
        return repeated.index
    differ = repeated.groupby(level=0, sort=False).nunique(dropna=False).gt(1).any(axis=1)
    return differ.index[differ.to_numpy()]


def _prices(raw: pd.Series, column: str, notes: list[str] | None) -> np.ndarray:
    """A catalogue's prices as numbers ("$12.99" as 12.99, numbers.read_numbers), and a note counting
    the written ones that are none ("$10.99 - $15.99"): every price of a review dump's meta file was
    dropped as unreadable while the mapping said the column was used."""
    from .numbers import read_numbers, unreadable

    raw = raw.reset_index(drop=True)
    numbers, _ = read_numbers(raw)
    lost = unreadable(raw, numbers)
    if lost.any() and notes is not None:
        examples = ", ".join(f"'{shown(v, 30)}'" for v in pd.unique(raw[lost].astype(str))[:2])
        notes.append(f"catalogue: {int(lost.sum()):,} of {int(raw.notna().sum()):,} prices in column "
                     f"'{shown(column, 40)}' are no number (such as {examples}): those products' prices are unknown")
    found: np.ndarray = numbers.to_numpy()
    return found


def _join_catalogue(catalogue: pd.DataFrame, items: pd.DataFrame, chosen: dict[str, str],
                    notes: list[str] | None = None) -> tuple[pd.DataFrame, dict[str, str | None]]:
    unknown = sorted(set(chosen) - set(CATALOGUE_ROLES))
    if unknown:
        raise InputError(f"expected catalogue roles among {', '.join(CATALOGUE_ROLES)}, found {', '.join(unknown)}")
    missing = [column for column in chosen.values() if column not in items.columns]
    if missing:
        raise InputError(f"expected catalogue column(s) {listed(missing)}, found: {listed(list(items.columns))}")
    item_map = _catalogue_mapping(items, chosen)
    read = guessed_note(list(items.columns), {role: getattr(item_map, role) for role in CATALOGUE_ROLES}, chosen)
    if read and notes is not None:
        notes.append(f"catalogue: {read}")
    if item_map.item is None:
        raise InputError(f"expected an item ID column in the catalogue, found: {listed(list(items.columns))}")
    extra = pd.DataFrame(index=normalise_ids(items[item_map.item]).values)
    for role, target in (("item_name", "name"), ("category", "category"), ("price", "price")):
        column = getattr(item_map, role)
        if column:
            values = items[column].values
            extra[target] = _prices(items[column], column, notes) if target == "price" else values
    differ = differing_keys(extra)
    if len(differ) and notes is not None:  # the first row was taken without a word
        notes.append(f"catalogue: {len(differ):,} product ID{'s are' if len(differ) > 1 else ' is'} on several "
                     f"rows that differ (such as '{shown(differ[0], 30)}'): the first row of each was used")
    extra = extra[~extra.index.duplicated()]
    matched = int(catalogue.index.isin(extra.index).sum())
    if len(catalogue) and not matched:  # a catalogue of another shop, or its id column mistaken: refused
        raise InputError(f"expected the catalogue's IDs (column '{shown(item_map.item)}') to name the log's products, "
                         f"found none of its {len(extra):,} among the log's {len(catalogue):,} (catalogue IDs like "
                         f"{_examples(extra.index)}; the log's like {_examples(catalogue.index)})")
    if matched < len(catalogue) and notes is not None:  # said: a name missing read as the catalogue's doing
        missing = catalogue.index[~catalogue.index.isin(extra.index)]
        one = len(missing) == 1
        kept = ("it keeps the log's own name and category, or its code" if one else
                "they keep the log's own names and categories, or their codes")
        notes.append(f"catalogue: {len(missing):,} of the log's {len(catalogue):,} products {'is' if one else 'are'} "
                     f"not in it ({'' if one else 'such as '}{_examples(missing)}): {kept}")
    merged = catalogue.copy()
    for column in extra.columns:  # catalogue values win over what the events imply
        from_file = extra[column].reindex(merged.index)
        merged[column] = from_file.where(from_file.notna(), merged[column])
    return merged, {role: getattr(item_map, role) for role in CATALOGUE_ROLES}
