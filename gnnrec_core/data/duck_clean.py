"""The SQL cleaning of the DuckDB engine (duck_ingest.py): a table DuckDB has read, cleaned as
data/ingest.py cleans a frame, fetched as codes into the distinct values (no Python string per row).
See duck_ingest.py's docstring for what runs in SQL and what in pandas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import Progress
from .catalogue import catalogue_frame
from .charges import CHARGES_KEPT, DROP_REASON, LETTER_CHARGES, NON_PRODUCT_NAMES, lettered_catalogue, non_products
from .duck_codes import id_codes, put_frame, text_codes
from .duck_read import Loaded, Session, memory_limit_mb, run
from .ingest import (
    BASKETS_GONE,
    CUSTOMERS_GONE,
    EVENT_COLUMNS,
    SEGMENT_PREFIX,
    IngestReport,
    check_cleaned,
    no_dates_error,
    parse_times,
    returned_pairs,
    segment_columns,
    step,
)
from .mapping import ColumnMapping
from .numbers import (
    NO_RATING_NOTE,
    _not_finite,
    check_numbers,
    decimal_comma_note,
    read_numbers,
    unread_note,
    unreadable,
)
from .rating_floor import low_rating_reason

REASONS = ("missing item id", "quantity is inf, nan or beyond ±1e15", "price is inf, nan or beyond ±1e15",
           "rating is inf, nan or beyond ±1e15", "cancelled invoice", "zero or negative quantity (returns)",
           DROP_REASON)
NAT = np.iinfo(np.int64).min  # datetime64's NaT as an integer
FETCH_MEMORY_MB = 1024  # DuckDB's share while the kept rows stream out into numpy


class SqlCleaning:
    """ingest._clean, _segment columns and _catalogue over the table `data`."""

    def __init__(self, session: Session, data: Loaded, mapping: ColumnMapping, report: IngestReport) -> None:
        self.con, self.data, self.m, self.report = session.con, data, mapping, report
        self.joins: list[str] = []
        self.dictionaries: dict[str, np.ndarray] = {}
        self.dtypes: dict[str, Any] = {}  # each number column's dtype, as pd.to_numeric gives it
        self.distinct: dict[str, int] = {}
        self.checked: set[str] = set()

    def column(self, role: str) -> str | None:
        name = getattr(self.m, role)
        return f"r.c{self.data.names.index(name)}" if name else None

    def clean(self, drop_non_products: bool, segments: tuple[str, ...] | None,
              progress: Progress | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        m, con = self.m, self.con
        codes = {role: self.ids(role) for role in ("user", "item", "basket")}
        time = self.times()
        numbers = {role: self.numbers(role) for role in ("quantity", "price", "rating")}
        texts = {role: self.texts(role, role) for role in ("event", "item_name", "category")}
        chosen: list[str] = []
        refused = None
        try:
            chosen = segment_columns(self.data.names, m, segments, self.nunique, self.data.nested)
        except InputError as exc:  # said after the cleaning's own errors, as the pandas engine says it
            refused = exc
        values = {"u": codes["user"], "it": codes["item"], "b": codes["basket"], "t": time, "e": texts["event"],
                  "q": numbers["quantity"], "p": numbers["price"], "g": numbers["rating"],
                  "nm": texts["item_name"], "ct": texts["category"]}
        for i, column in enumerate(chosen):
            name = f"s{i}"
            self.dictionaries[name] = self.texts_of(f"r.c{self.data.names.index(column)}", name).to_numpy(object)
            values[name] = f"j_{name}.code"
        charge = self.charges()
        floor = self.report.min_rating  # checked by ingest: a finite number, and a rating column mapped
        reasons = [f"{codes['item']} IS NULL"] + [
            f"coalesce({number}_map.bad, false)" if getattr(m, number) else "false" for number in numbers] + [
            "coalesce(j_basket.cancelled, false)" if m.basket else "false",
            f"{numbers['quantity']} <= 0" if m.quantity else "false",
            f"{numbers['rating']} < {float(floor)!r}" if floor is not None else "false",
            charge if drop_non_products else "false"]
        self.reason_names = [*REASONS[:-1], low_rating_reason(floor) if floor is not None else "", REASONS[-1]]
        cases = " ".join(f"WHEN {condition} THEN {i + 1}" for i, condition in enumerate(reasons))
        compared = ", ".join([k for k in ("u", "it", "b", "t", "e", "q", "p", "g") if not values[k].startswith("NULL")]
                             + [f"s{i}" for i in range(len(chosen))])  # a line in two stores: two lines
        run(con, f"CREATE TABLE ev AS SELECT r.{self.data.pos} AS pos, "
                 f"{', '.join(f'{v} AS {k}' for k, v in values.items())}, CASE {cases} ELSE 0 END AS reason, "
                 f"{'false' if drop_non_products else charge} AS charge_kept, {self.unread_flags()} "
                 f"FROM {self.data.table} r {' '.join(self.joins)}")
        # Exact duplicates (every event column alike; the first kept): rows are grouped by one hash of their
        # columns first, and only rows whose hash repeats are grouped by the columns themselves.
        run(con, f"CREATE TABLE twins AS SELECT h FROM (SELECT hash({compared}) AS h FROM ev WHERE reason = 0) "
                 "GROUP BY h HAVING count(*) > 1")
        run(con, f"CREATE TABLE kept AS SELECT * FROM ev WHERE reason = 0 AND (hash({compared}) NOT IN "
                 f"(SELECT h FROM twins) OR pos IN (SELECT min(pos) FROM ev WHERE reason = 0 AND hash({compared}) IN "
                 f"(SELECT h FROM twins) GROUP BY {compared}))")
        self.count_drops()
        if not drop_non_products:  # the lines kept, exact duplicates out, as pandas counts them
            self.report.notes[CHARGES_KEPT] = self.scalar("SELECT count(*) FROM kept WHERE charge_kept")
        kept = self.scalar("SELECT count(*) FROM kept")
        if m.time:
            self.report.notes["rows with unparseable time (kept, time unknown)"] = self.scalar(
                "SELECT count(*) FROM kept WHERE t IS NULL")
        if m.user:
            self.report.notes["rows without user (kept for baskets only)"] = self.scalar(
                "SELECT count(*) FROM kept WHERE u IS NULL")
            self.report.notes[CUSTOMERS_GONE] = self.scalar("SELECT count(DISTINCT u) FROM ev") - self.scalar(
                "SELECT count(DISTINCT u) FROM kept")
        if m.basket:
            self.report.notes[BASKETS_GONE] = self.scalar("SELECT count(DISTINCT b) FROM ev") - self.scalar(
                "SELECT count(DISTINCT b) FROM kept")
        for role in numbers:  # in pandas' order: each column's unreadable cells, then ratings not written
            unread = self.scalar(f"SELECT count(*) FROM kept WHERE unread_{role}") if getattr(m, role) else 0
            if unread:
                self.report.notes[unread_note(role)] = unread
        blank = self.scalar("SELECT count(*) FROM kept WHERE g IS NULL AND NOT unread_rating") if m.rating else 0
        if blank:
            self.report.notes[NO_RATING_NOTE] = blank
        check_cleaned(kept, m, self.report)
        if refused is not None:
            raise refused
        self.returns = self.returned() if m.user else returned_pairs(pd.DataFrame({"user": [], "item": []}))
        step(progress, "fetching", kept)
        names, categories = self.most_common("item_name", "nm"), self.most_common("category", "ct")
        for table in ("ev", self.data.table, "raw", "lookup"):  # what is left to read is in `kept`: free the rest
            run(con, f"DROP TABLE IF EXISTS {table}")
        run(con, f"SET memory_limit = '{min(memory_limit_mb(), FETCH_MEMORY_MB)}MB'")  # room for the arrays
        arrays = self.fetch(kept, [k for k in values if k not in ("nm", "ct")])
        run(con, "DROP TABLE kept")
        items = arrays["it"]
        events = self.events(arrays, chosen)
        return events, self.catalogue(items, events, names, categories)

    def nunique(self, column: str) -> int:
        """Distinct values of `column` over every row read; the unmapped columns counted in one scan."""
        if not self.distinct:
            mapped = {c for c in self.m.as_dict().values() if c}
            names = [c for c in self.data.names if c not in mapped]
            counts = run(self.con, "SELECT " + ", ".join(f"count(DISTINCT c{self.data.names.index(c)})"
                                                         for c in names) + f" FROM {self.data.table}")[0]
            self.distinct = {c: int(n) for c, n in zip(names, counts or ())}
        if self.data.trim and column not in self.checked:  # ' a' and 'a' are one value: count the values read
            raw = f"c{self.data.names.index(column)}"
            self.distinct[column] = self.scalar(f"SELECT count(DISTINCT {self.data.value('v')}) FROM "
                                                f"(SELECT DISTINCT {raw} AS v FROM {self.data.table})")
            self.checked.add(column)
        return self.distinct[column]

    def scalar(self, query: str) -> int:
        return int(run(self.con, query)[0][0])

    def ids(self, role: str) -> str:
        column = self.column(role)
        if column is None:
            return "NULL::INTEGER"
        self.dictionaries[role] = id_codes(self.con, self.data.table, column.removeprefix("r."), f"ids_{role}")
        if role == "basket":  # cancelled invoice keys: SQL on ASCII keys, Python's regex on the rest
            keys = self.dictionaries[role]
            ascii_keys = np.array([k.isascii() for k in keys], bool)
            flags = np.zeros(len(keys), bool)
            other = np.flatnonzero(~ascii_keys)
            if len(other):
                flags[other] = pd.Series(keys[other], dtype=object).astype(str).str.match(r"^[Cc]\d+$").to_numpy(bool)
            put_frame(self.con, "basket_python", pd.DataFrame({"code": np.arange(len(keys), dtype=np.int32),
                                                          "python": flags, "plain": ascii_keys}))
            run(self.con, "CREATE TABLE basket_flags AS SELECT i.v, i.code, CASE WHEN p.plain THEN "
                             "regexp_full_match(i.norm, '[Cc][0-9]+') ELSE p.python END AS cancelled "
                             "FROM ids_basket i JOIN basket_python p USING (code)")
            self.joins.append(f"LEFT JOIN basket_flags j_basket ON j_basket.v = {column}")
            return "j_basket.code"
        self.joins.append(f"LEFT JOIN ids_{role} j_{role} ON j_{role}.v = {column}")
        return f"j_{role}.code"

    def times(self) -> str:
        column = self.column("time")
        if column is None:
            return "NULL::BIGINT"
        raw = column.removeprefix("r.")
        run(self.con, f"CREATE TABLE time_values AS SELECT v, n, row_number() OVER (ORDER BY first) AS i FROM "
                      f"(SELECT {raw} AS v, count(*) AS n, min({self.data.pos}) AS first FROM {self.data.table} "
                      f"WHERE {raw} IS NOT NULL GROUP BY {raw})")
        ordered = self.con.sql(f"SELECT v, {self.data.value('v')} FROM time_values ORDER BY i").to_arrow_table()
        text = pd.Series(ordered.column(1).to_pandas(), dtype="str")
        counts = self.con.sql("SELECT n FROM time_values ORDER BY i").fetchnumpy()["n"]
        parsed = parse_times(text, self.report.warnings, np.asarray(counts), self.report.date_order)
        if text.notna().any() and parsed.isna().all():
            raise no_dates_error(str(self.m.time), pd.unique(text.dropna())[:3])
        nanos = parsed.to_numpy().view(np.int64)
        put_frame(self.con, "time_map", pd.DataFrame({"v": ordered.column(0).to_pandas().astype(object), "ns": pd.array(
            np.where(nanos == NAT, None, nanos), dtype="Int64")}))
        self.joins.append(f"LEFT JOIN time_map ON time_map.v = {column}")
        return "time_map.ns"

    def numbers(self, role: str) -> str:
        column = self.column(role)
        if column is None:
            return "NULL::DOUBLE"
        raw = column.removeprefix("r.")  # NULL is a value here: it makes pandas' dtype float
        pairs = self.con.sql(f"SELECT v, {self.data.value('v')} FROM (SELECT DISTINCT {raw} AS v FROM "
                             f"{self.data.table})").to_arrow_table()
        text = pd.Series(pairs.column(1).to_pandas(), dtype="str")
        numbers, comma = read_numbers(text)
        if comma:
            self.report.warnings.append(decimal_comma_note(role, str(getattr(self.m, role))))
        check_numbers(role, str(getattr(self.m, role)), text, numbers)  # over the distinct values, as pandas over rows
        self.dtypes[role] = numbers.dtype
        keys = pairs.column(0).to_pandas().astype(object)
        table = pd.DataFrame({"v": keys, "num": numbers, "bad": _not_finite(text, numbers),
                              "unread": unreadable(text, numbers)})
        put_frame(self.con, f"{role}_map", table[keys.notna().to_numpy()])
        self.joins.append(f"LEFT JOIN {role}_map ON {role}_map.v = {column}")
        return f"{role}_map.num"

    def unread_flags(self) -> str:
        """SQL columns unread_quantity, unread_price, unread_rating: a cell that is no number (`numbers`)."""
        return ", ".join(f"coalesce({role}_map.unread, false) AS unread_{role}" if getattr(self.m, role) else
                         f"false AS unread_{role}" for role in ("quantity", "price", "rating"))

    def texts(self, role: str, name: str) -> str:
        column = self.column(role)
        if column is None:
            return "NULL::INTEGER"
        self.dictionaries[name] = self.texts_of(column, name).to_numpy(object)
        return f"j_{name}.code"

    def texts_of(self, column: str, name: str) -> pd.Series:
        values = text_codes(self.con, self.data, column.removeprefix("r."), f"{name}_codes")
        self.joins.append(f"LEFT JOIN {name}_codes j_{name} ON j_{name}.v = {column}")
        return values

    def charges(self) -> str:
        """The SQL condition of a charge's line: its code or its name, by Python's regexes on distinct values."""
        codes = pd.Series(self.dictionaries["item"], dtype=object)  # every row's code, as pandas decides it
        charged = non_products(codes, lettered=True)  # a charge's own code; one-letter codes below
        put_frame(self.con, "item_charges", pd.DataFrame({"code": np.arange(len(charged), dtype=np.int32),
                                                     "charge": charged}))
        condition = "j_item.code IN (SELECT code FROM item_charges WHERE charge)"
        unnamed = "true"
        if self.m.item_name:
            names = pd.Series(self.dictionaries["item_name"], dtype="str")
            put_frame(self.con, "name_charges", pd.DataFrame({
                "code": np.arange(len(names), dtype=np.int32),
                "charge": np.asarray(names.str.contains(NON_PRODUCT_NAMES), bool),
                "blank": np.asarray(names.str.strip() == "", bool)}))
            condition += " OR j_item_name.code IN (SELECT code FROM name_charges WHERE charge)"
            unnamed = "(j_item_name.code IS NULL OR j_item_name.code IN (SELECT code FROM name_charges WHERE blank))"
        if not lettered_catalogue(codes):  # a stray M, D, S or B without a name is a charge
            letters = np.asarray(pd.Index(codes).astype(str).str.match(LETTER_CHARGES), bool)
            put_frame(self.con, "item_letters", pd.DataFrame({"code": np.arange(len(letters), dtype=np.int32),
                                                         "letter": letters}))
            condition += f" OR (j_item.code IN (SELECT code FROM item_letters WHERE letter) AND {unnamed})"
        return f"({condition})"

    def returned(self) -> pd.DataFrame:
        """The (user, item) pairs of the lines dropped as returns or rated below the floor (ingest.returned_pairs)."""
        floor = self.report.min_rating
        not_offered = {"cancelled invoice", "zero or negative quantity (returns)",
                       *([low_rating_reason(floor)] if floor is not None else [])}
        reasons = [str(i + 1) for i, name in enumerate(self.reason_names) if name in not_offered]
        pairs = self.con.sql(f"SELECT u, it, min(pos) AS first FROM ev WHERE reason IN ({', '.join(reasons)}) AND "
                             "u IS NOT NULL AND it IS NOT NULL GROUP BY u, it ORDER BY first").fetchnumpy()
        frame = pd.DataFrame({"user": self.objects("user", np.asarray(pairs["u"], np.int64)),
                              "item": self.objects("item", np.asarray(pairs["it"], np.int64))})
        return returned_pairs(frame)

    def count_drops(self) -> None:
        counts = dict(run(self.con, "SELECT reason, count(*) FROM ev GROUP BY reason"))
        for i, reason in enumerate(self.reason_names):  # in the order of `clean`'s CASE, as pandas drops them
            if counts.get(i + 1):
                self.report.dropped[reason] = int(counts[i + 1])
        duplicates = int(counts.get(0, 0)) - self.scalar("SELECT count(*) FROM kept")
        if duplicates:
            self.report.dropped["exact duplicate"] = duplicates

    def fetch(self, rows: int, names: list[str]) -> dict[str, np.ndarray]:
        """The kept rows' columns as numpy arrays in the file's order, fetched in batches (codes -1 and
        NaT for missing). No SQL sort: DuckDB keeps insertion order through these joins, and where it
        did not, the rows are put back in order here by their position."""
        kinds = {"pos": np.int64, "t": np.int64, "q": self.dtypes.get("quantity", np.float64),
                 "p": self.dtypes.get("price", np.float64), "g": self.dtypes.get("rating", np.float64)}
        names = ["pos", *names]
        arrays = {name: np.empty(rows, kinds.get(name, np.int32)) for name in names}
        select = ", ".join(f"coalesce({n}, {NAT})" if n == "t" else n if n in ("pos", "q", "p", "g")
                           else f"coalesce({n}, -1)" for n in names)
        at = 0
        for batch in self.con.sql(f"SELECT {select} FROM kept").to_arrow_reader(1 << 20):
            size = batch.num_rows
            for i, name in enumerate(names):
                arrays[name][at:at + size] = batch.column(i).to_numpy(zero_copy_only=False)
            at += size
        if rows > 1 and bool((arrays["pos"][1:] < arrays["pos"][:-1]).any()):
            order = np.argsort(arrays.pop("pos"), kind="stable")
            for name in list(arrays):  # one array at a time: memory for one more column, not all
                arrays[name] = arrays[name][order]
        return arrays

    def objects(self, name: str, codes: np.ndarray) -> np.ndarray:
        if name not in self.dictionaries:
            return np.full(len(codes), None, dtype=object)
        values = np.append(self.dictionaries[name], np.array([None], dtype=object))
        return np.asarray(values[codes], dtype=object)  # code -1 takes the appended None

    def object_column(self, name: str, codes: np.ndarray) -> pd.Series:
        """Object dtype, as the pandas engine's ID columns (a DataFrame would infer pandas' str dtype)."""
        return pd.Series(self.objects(name, codes), dtype=object, copy=False)

    def events(self, arrays: dict[str, np.ndarray], chosen: list[str]) -> pd.DataFrame:
        """The events table; each array is let go once its column is made (the codes are not kept)."""
        columns: dict[str, Any] = {}
        for column, key in (("user", "u"), ("item", "it"), ("basket", "b")):
            columns[column] = self.object_column(column, arrays.pop(key))
        columns["time"] = arrays.pop("t").view("datetime64[ns]")
        columns["event"] = self.object_column("event", arrays.pop("e"))
        for column, key in (("quantity", "q"), ("price", "p"), ("rating", "g")):
            columns[column] = arrays.pop(key)
        events = pd.DataFrame(columns, copy=False)
        assert tuple(events.columns) == EVENT_COLUMNS
        for i, column in enumerate(chosen):  # categories: the values among kept rows, sorted, as astype("category")
            codes = arrays[f"s{i}"]
            values = self.dictionaries[f"s{i}"]
            present = np.unique(codes[codes >= 0])
            order = sorted(range(len(present)), key=lambda k: values[present[k]])
            remap = np.full(len(values) + 1, -1, np.int64)
            remap[present[order]] = np.arange(len(present))
            categories = pd.Index([values[present[k]] for k in order], dtype="str")
            events[SEGMENT_PREFIX + column] = pd.Categorical.from_codes(remap[codes], categories=categories)
        return events

    def catalogue(self, item_codes: np.ndarray, events: pd.DataFrame, names: pd.Series,
                  categories: pd.Series) -> pd.DataFrame:
        items_in_order = self.dictionaries["item"][pd.unique(item_codes)]
        items = pd.Index(items_in_order, name="item")
        by_code = pd.Series(events["price"].to_numpy()).groupby(item_codes, sort=False).median()
        prices = pd.Series(by_code.to_numpy(), index=self.dictionaries["item"][by_code.index.to_numpy()])
        return catalogue_frame(items, names, categories, prices)

    def most_common(self, role: str, column: str) -> pd.Series:
        """Per item, the value seen most often among kept rows (ties: the smallest), as _most_common."""
        if not getattr(self.m, role):
            return pd.Series(dtype=object)
        rows = self.con.sql(f"SELECT it, {column} FROM (SELECT it, {column}, count(*) AS n FROM kept WHERE {column} IS "
                            f"NOT NULL GROUP BY it, {column}) c JOIN {role}_codes_dict t ON t.code = c.{column} "
                            f"QUALIFY row_number() OVER (PARTITION BY it ORDER BY n DESC, t.text) = 1").fetchnumpy()
        values = self.dictionaries[role][np.asarray(rows[column], np.int64)]
        return pd.Series(values, index=self.dictionaries["item"][np.asarray(rows["it"], np.int64)], dtype=object)
