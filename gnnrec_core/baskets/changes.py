"""What changed between two periods or two segments of one dataset, with tests that hold.

Each basket (distinct order after cleaning; a customer's history where there are no orders) goes
to side a or side b: by the time of its first line for periods ([start, split) and [split, end)),
by the value of a column for segments. Then, for every product and every pair of products:

    share_s = baskets of side s holding it / baskets of side s

A change is tested on buyers, not baskets (baskets/buyers.py: one customer's seventeen repeat
orders are one customer, a basket of no known customer a buyer of its own), with Fisher's exact
test on the 2x2 table (buyers holding it or not, side a or b): conditional on how many hold it in
all, the number on side b is hypergeometric; the
two-sided p-value doubles the smaller tail (exact, conservative against the minimum-likelihood
variant, and vectorised: 100k tables take a third of a second). Only products and pairs in at
least `min_baskets` baskets of both sides together are tested. Products and pairs are two
families, each with Benjamini-Hochberg q-values. A change is called rising, falling, new or gone
only when its q-value is at most the threshold and its share of baskets and of buyers move the
same way; everything else is "no clear change". Shares and effect sizes are of baskets.

A pair's share rises when either product sells more; lift_a and lift_b, and the test of
association_change.py, say whether the association itself changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.ingest import SEGMENT_PREFIX, baskets_of
from ..data.limits import env_name, limits
from ..data.mapping import column_hint
from ..errors import ConfigError, InputError
from ..matrix.cooccurrence import basket_matrix
from .association_change import with_association_change
from .buyers import basket_buyers, buyer_counts, buyer_total, pair_buyer_counts
from .history_shares import HISTORY_SHARE_WORDS, history_totals
from .json_rows import json_records
from .significance import benjamini_hochberg, fisher_two_sided
from .split_dates import in_window, parse_date

STATUSES = ("rising", "falling", "new", "gone", "no clear change")
NAMED_STATUSES = STATUSES[:-1]


@dataclass(frozen=True)
class ChangeConfig:
    min_baskets: int = 10  # tested only when in at least this many baskets, both sides together
    q_threshold: float = 0.05  # false discovery rate below which a change is named
    max_pairs: int = field(default_factory=lambda: limits().tested_pairs)  # GNNREC_MAX_TESTED_PAIRS

    def __post_init__(self) -> None:
        if self.min_baskets < 1:
            raise ConfigError(f"min_baskets: expected an integer >= 1, found {self.min_baskets}")
        if not 0 < self.q_threshold < 1:
            raise ConfigError(f"q_threshold: expected a fraction in (0, 1), found {self.q_threshold}")


@dataclass
class SplitBaskets:
    """The baskets of each side as binary basket x item matrices over one item vocabulary."""
    items: np.ndarray  # raw item IDs
    a: sp.csr_matrix
    b: sp.csr_matrix
    periods: list[dict[str, Any]] = field(default_factory=list)
    basket_time: pd.Series | None = None  # first line's time per basket key (periods only)
    basket_side: pd.Series | None = None  # "a" or "b" per basket key on a side (segments only)
    segment: str | None = None  # segments only: the events' column, whose values key baskets of no order
    # segments only: baskets on neither side, by why ("no_value", "other_values"), and baskets whose
    # lines hold more than one value ("mixed_values", each on the side of its first line's)
    left_out: dict[str, int] = field(default_factory=dict)
    histories: int = 0  # periods only: customers of no order whose lines in a period are their basket there
    only_histories: bool = False  # periods only: no line has an order (history_shares.py)
    no_orders: bool = False  # no line has an order: each side's baskets are its customers' histories
    # Per side, each basket row's buyer (buyers.basket_buyers): what the tests count. None: each basket its own.
    buyers: dict[str, np.ndarray] = field(default_factory=dict)

    def count(self, side: str) -> np.ndarray:
        return np.asarray(getattr(self, side).sum(0)).ravel().astype(np.int64)

    def buyers_of(self, side: str) -> np.ndarray:
        return self.buyers[side] if side in self.buyers else np.arange(getattr(self, side).shape[0])


@dataclass
class ChangeReport:
    periods: list[dict[str, Any]]
    items: pd.DataFrame
    pairs: pd.DataFrame
    config: ChangeConfig
    left_out: dict[str, int] = field(default_factory=dict)  # SplitBaskets.left_out (segments)
    pair_floor: int = 0  # pairs tested from this many baskets where config.min_baskets gave over max_pairs
    histories: bool = False  # SplitBaskets.no_orders: the sides' baskets are customers' histories
    pair_shares: bool = False  # SplitBaskets.only_histories: shares of customer-product pairs (history_shares.py)

    def pair_floor_words(self) -> str | None:
        """Where the pairs' floor was raised, in a sentence (the products' stays min_baskets)."""
        return (f"Pairs are tested from {self.pair_floor:,} baskets together, not {self.config.min_baskets:,}: at "
                f"most the {self.config.max_pairs:,} most common pairs ({env_name('tested_pairs')} sets how many)."
                if self.pair_floor > self.config.min_baskets else None)

    def named(self, kind: str, status: str) -> pd.DataFrame:
        table = self.items if kind == "items" else self.pairs
        return table[table["status"] == status]

    def nothing_named(self, setting: str = "a lower minimum of baskets") -> str | None:
        """Why the comparison names no change, where it names none (else None): nothing tested, or
        too few baskets to tell a change from chance. Said by the CLI and the Compare page alike,
        each naming its own `setting` for the minimum of baskets."""
        if self.items.empty:  # nothing was tested: few baskets are not why
            return (f"No product is in {self.config.min_baskets:,} baskets of a and b together, so nothing was "
                    f"tested: test rarer products ({setting}).")
        if any(not self.named(kind, status).empty for kind in ("items", "pairs") for status in NAMED_STATUSES):
            return None
        fewest = min(period["buyers" if self.repeat_buyers else "baskets"] for period in self.periods)
        held = (f"{fewest:,} buyers, each counted once however often they ordered; with few buyers"  # a wholesaler
                if self.repeat_buyers else f"{fewest:,} customers' histories, as the log has no orders; with few "
                "customers" if self.histories else f"{fewest:,} baskets; with few baskets")
        return (f"No product or pair changed by that test (the smaller side holds {held} only large changes can be "
                "told from chance: longer periods or larger segments may show some).")

    @property
    def repeat_buyers(self) -> bool:
        """Some buyer placed more than one basket on a side: the test's counts are not the baskets'."""
        return any(period.get("buyers", period["baskets"]) < period["baskets"] for period in self.periods)

    @property
    def segments(self) -> bool:
        return bool(self.periods) and "group" in self.periods[0]

    def word(self, status: str) -> str:
        """A status as said for this comparison: 'only in a' between segments, 'gone' between periods."""
        return STATUS_WORDS["column" if self.segments else "time"].get(status, status)

    def as_json(self, most_pairs: int | None = None) -> dict[str, Any]:
        """Every product tested, and the `most_pairs` pairs of least q-value (None or 0: all; the count
        tested is `pairs_tested`): a year of Online Retail baskets tests 847,585 pairs, 325 MB as JSON."""
        pairs = self.pairs.head(most_pairs) if most_pairs else self.pairs
        return {"periods": self.periods, "min_baskets": self.config.min_baskets, "left_out": self.left_out,
                "q_threshold": self.config.q_threshold, "items": json_records(self.items),
                "pairs_tested": len(self.pairs), "pairs": json_records(pairs)}


# ---- splitting ---------------------------------------------------------------------------------

def split_by_time(events: pd.DataFrame, split: Any, start: Any = None, end: Any = None) -> SplitBaskets:
    """Period a is [start, split), period b is [split, end); open ends take the data's first and
    last time. A basket belongs to the period of its first line. Lines of no order (a ratings or
    views log, where a customer's history stands for a basket) are split by their own time: a
    customer's lines within a period are their basket there (`histories` counts them), so a
    history that spans the split is not dated by its first line."""
    if "time" not in events or events["time"].isna().all():
        raise InputError("expected a time column to split by date, found none; map one, "
                         "or compare two segments of a column instead")
    keys, times = baskets_of(events), events["time"]
    cut = parse_date(split, "split date")
    lo = parse_date(start, "start date") if start is not None else times[keys.notna()].min()
    hi = parse_date(end, "end date") if end is not None else times[keys.notna()].max() + pd.Timedelta(seconds=1)
    if not lo < cut < hi:
        raise InputError(f"expected start < split < end, found {lo:%Y-%m-%d %H:%M} / {cut:%Y-%m-%d %H:%M} / "
                         f"{hi:%Y-%m-%d %H:%M}")
    history = (events["basket"].isna() & keys.notna()).to_numpy()
    if history.any():  # the customer's lines in each period, each period's own basket
        period = pd.Series(np.where(times < cut, "@a", "@b"), index=keys.index).where((times >= lo) & (times < hi))
        keys = keys.where(~history, (keys.astype(object) + period).where(period.notna(), None))
    timed = keys.notna() & times.notna()
    first = times[timed].groupby(keys[timed].to_numpy()).min()
    side = pd.Series(np.where(first < cut, "a", "b"), index=first.index).where((first >= lo) & (first < hi))
    periods = [{"label": "a", "start": str(lo), "end": str(cut)}, {"label": "b", "start": str(cut), "end": str(hi)}]
    found = _split(events, keys, side, periods)
    found.basket_time = first
    found.histories = int(events.loc[history & keys.notna().to_numpy(), "user"].nunique())  # in the window
    found.only_histories = bool(history[keys.notna().to_numpy()].all()) and found.histories > 0
    _check_sides(found, f"the data runs from {first.min():%Y-%m-%d} to {first.max():%Y-%m-%d}")
    return found


def segment_columns(events: pd.DataFrame) -> list[str]:
    """Columns a dataset can be split by: the kept segment columns, and the event type."""
    found = [c[len(SEGMENT_PREFIX):] for c in events.columns if c.startswith(SEGMENT_PREFIX)]
    return found + (["event"] if "event" in events and events["event"].nunique() > 1 else [])


def segment_name(column: str) -> str:
    """The events' column of a segment the user names ("store" -> "segment:store"; "event" as it is)."""
    return column if column == "event" else SEGMENT_PREFIX + column


def segment_baskets(events: pd.DataFrame, name: str) -> pd.Series:
    """`baskets_of`, but a customer's lines of no order (their whole history, one basket) are one basket
    per value of the events' column `name`: one customer buying in two stores is a basket in each. As
    one basket, their first line's store took all of it, and a store could lose every line."""
    keys = baskets_of(events)
    history = events["basket"].isna() & keys.notna() & events[name].notna()
    if not history.any():
        return keys
    return keys.where(~history, keys.astype(object) + "|" + segment_text(events[name]).astype(object))


def split_by_column(events: pd.DataFrame, column: str, groups: tuple[str, str], start: Any = None,
                    end: Any = None) -> SplitBaskets:
    """Side a: baskets whose value in `column` (that of their first line) is groups[0]; side b:
    groups[1]; baskets of other groups are left out. A customer's lines of no order are a basket per
    value (`segment_baskets`). `start`/`end`: only the lines of [start, end) (split_dates.in_window)."""
    window: dict[str, str] = {}
    if start is not None or end is not None:
        events, window = in_window(events, start, end)
    name = segment_name(column)
    if name not in events:
        available = segment_columns(events)
        raise InputError(f"segment column: expected a column to compare groups of, found no column '{column}' "
                         f"(columns with groups: {', '.join(available) or 'none'}){column_hint(column, available)}")
    if len(groups) != 2 or groups[0] == groups[1]:
        raise InputError(f"segments: expected two different values, found {', '.join(groups) or 'none'}")
    keys = segment_baskets(events, name)
    values = segment_text(events[name])
    known = keys.notna() & events[name].notna()
    frame = pd.DataFrame({"key": keys[known].to_numpy(), "value": values[known].to_numpy()})
    by_basket = frame.groupby("key", sort=False)["value"]
    value = by_basket.first()  # one order, one country or channel
    present = set(value.unique())
    missing = [g for g in groups if g not in present]
    if missing:
        examples = _quoted(present)
        within = f" from {window['start']} up to {window['end']}" if window else ""
        lines = set(frame["value"].unique())  # a line-level column (add_to_cart_order): first lines hold '1' alone
        why = (f"; '{missing[0]}' is on lines, but a basket takes its first line's value, and no basket's first line "
               f"holds it: '{column}' differs within baskets, split by a column the same on every line of a basket"
               if missing[0] in lines else "")
        raise InputError(f"segments: expected values of '{column}'{within}, found no '{missing[0]}' (values: "
                         f"{examples}){why}")
    side = pd.Series({groups[0]: "a", groups[1]: "b"}).reindex(value.to_numpy()).set_axis(value.index)
    periods = [{"label": label, "group": group, "column": column, **window} for label, group in zip("ab", groups)]
    found = _split(events, keys, side.where(side.notna()), periods)
    _check_sides(found, f"'{column}' has values {_quoted(present)}")
    found.basket_side, found.segment = side.dropna(), name
    mixed = by_basket.nunique() > 1
    found.left_out = {"no_value": int(keys.dropna().nunique()) - len(value),
                      "other_values": int((~value.isin(groups)).sum()),
                      "mixed_values": int((mixed & value.isin(groups)).sum())}  # of the baskets on a side
    return found


def _quoted(values: set[str]) -> str:
    """The first values in quotes: "France, Korea, Republic of" read as three countries."""
    return ", ".join(f"'{value}'" for value in sorted(values)[:8])


def segment_text(values: pd.Series) -> pd.Series:
    """A segment column's values as text, as they are offered and typed: a float column of whole
    numbers (customer IDs read beside blanks) as 17850, not 17850.0; a missing value as None."""
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if len(present) and bool((present == present.round()).all()):
            values = values.astype("Int64")
    return pd.Series([None if pd.isna(value) else str(value) for value in values], index=values.index, dtype=object)


def split_words(found: SplitBaskets, column: str | None = None) -> list[str]:
    """What a split counted as a basket, left aside or settled by a basket's first line, in
    sentences; `column`: a segment split's."""
    said = []
    if found.histories:
        said.append(f"{found.histories:,} customers' lines carry no order: each one's lines within a period count as "
                    "one basket." + (f" {HISTORY_SHARE_WORDS}" if found.only_histories else ""))
    no_value, other, mixed = (found.left_out.get(key, 0) for key in ("no_value", "other_values", "mixed_values"))
    if no_value and other:
        said.append(f"Left out: {no_value:,} baskets with no {column} value and {other:,} of other values.")
    elif no_value or other:
        said.append(f"Left out: {no_value:,} baskets with no {column} value." if no_value else
                    f"Left out: {other:,} baskets of other {column} values.")
    if mixed:
        said.append(f"{mixed:,} basket{'s hold' if mixed > 1 else ' holds'} lines of more than one {column} value; "
                    f"{'each' if mixed > 1 else 'it'} is on the side of its first line's value.")
    return said


# The engine's statuses say what happened between two periods; between two segments nothing rises
# or is gone, so each is said as a difference between a and b.
STATUS_WORDS = {"time": {"rising": "rising", "new": "new", "falling": "falling", "gone": "gone"},
                "column": {"rising": "more in b", "new": "only in b", "falling": "less in b", "gone": "only in a"}}


def _split(events: pd.DataFrame, keys: pd.Series, side: pd.Series, periods: list[dict[str, Any]]) -> SplitBaskets:
    event_side = keys.map(side)
    codes, items = pd.factorize(events["item"].astype(str), sort=True)
    matrices, buyers = {}, {}
    for label in ("a", "b"):
        keep = (event_side == label).to_numpy()
        basket_keys = keys[keep].astype(str).to_numpy()
        matrices[label] = basket_matrix(basket_keys, codes[keep].astype(np.int64), len(items))
        buyers[label] = basket_buyers(basket_keys, events.loc[keep, "user"])
    for period, label in zip(periods, ("a", "b")):
        period["baskets"] = int(matrices[label].shape[0])
        period["buyers"] = buyer_total(buyers[label])
    return SplitBaskets(np.asarray(items, dtype=object), matrices["a"], matrices["b"], periods, buyers=buyers,
                        no_orders=bool(events["basket"].isna().all()))


def _check_sides(found: SplitBaskets, context: str) -> None:
    for period in (period for period in found.periods if period["baskets"] == 0):
        where = period.get("group") or f"[{period['start']}, {period['end']})"
        raise InputError(f"period {period['label']} {where}: expected baskets, found none ({context})")


def _status(share_a: np.ndarray, share_b: np.ndarray, count_a: np.ndarray, count_b: np.ndarray,
            q: np.ndarray, threshold: float, buyer_change: np.ndarray) -> np.ndarray:
    passed = q <= threshold  # and the baskets' share moved the way the buyers' did
    up, down = passed & (share_b > share_a) & (buyer_change > 0), passed & (share_b < share_a) & (buyer_change < 0)
    return np.select([up & (count_a == 0), up, down & (count_b == 0), down],
                     ["new", "rising", "gone", "falling"], default="no clear change")


def compare_sides(split: SplitBaskets, names: pd.Series | None = None,
                  config: ChangeConfig = ChangeConfig()) -> ChangeReport:
    """Every product's and pair's share of baskets on each side, tested; named changes first."""
    names = names if names is not None else pd.Series(dtype=object)
    n_a, n_b = split.a.shape[0], split.b.shape[0]
    count_a, count_b = split.count("a"), split.count("b")
    tested = np.flatnonzero(count_a + count_b >= config.min_baskets)
    (buyers_a, m_a), (buyers_b, m_b) = (buyer_counts(getattr(split, s), split.buyers_of(s)) for s in "ab")
    if split.only_histories:  # shares of the customer-product pairs (history_shares.py), for the test and as shown
        n_a = m_a = history_totals(split.a)[0]
        n_b = m_b = history_totals(split.b)[0]
    items = _table(count_a[tested], count_b[tested], n_a, n_b, config, (buyers_a[tested], buyers_b[tested], m_a, m_b))
    items.insert(0, "item", split.items[tested])
    items.insert(1, "name", items["item"].map(names))
    pairs, floor = _pair_table(split, tested, count_a, count_b, names, config)
    pairs = with_association_change(pairs, split, (count_a, count_b), config.q_threshold)
    return ChangeReport(split.periods, _ranked(items), _ranked(pairs), config, dict(split.left_out), floor,
                        histories=split.no_orders, pair_shares=split.only_histories)


def _table(x_a: np.ndarray, x_b: np.ndarray, n_a: int, n_b: int, config: ChangeConfig,
           by_buyer: tuple[np.ndarray, np.ndarray, int, int]) -> pd.DataFrame:
    """Baskets' shares and effect sizes; the test on buyers (`by_buyer`: each side's buyers holding
    the thing, and each side's buyers)."""
    share_a, share_b = x_a / max(n_a, 1), x_b / max(n_b, 1)
    u_a, u_b, m_a, m_b = by_buyer
    p = fisher_two_sided(u_b, u_a + u_b, m_a, m_b)
    q = benjamini_hochberg(p)
    # Effect size: log2 of the share ratio, half a basket added to each count so new and gone are finite.
    log2_ratio = np.log2(((x_b + 0.5) / max(n_b, 1)) / ((x_a + 0.5) / max(n_a, 1)))
    buyer_change = u_b / max(m_b, 1) - u_a / max(m_a, 1)
    return pd.DataFrame({"baskets_a": x_a, "baskets_b": x_b, "buyers_a": u_a, "buyers_b": u_b, "share_a": share_a,
                         "share_b": share_b, "share_change": share_b - share_a, "log2_ratio": log2_ratio,
                         "p_value": p, "q_value": q,
                         "status": _status(share_a, share_b, x_a, x_b, q, config.q_threshold, buyer_change)})


def _pair_table(split: SplitBaskets, tested: np.ndarray, count_a: np.ndarray, count_b: np.ndarray,
                names: pd.Series, config: ChangeConfig) -> tuple[pd.DataFrame, int]:
    """Pairs of tested products (a pair is never in more baskets than its rarer product) holding
    min_baskets together, and that floor: raised until at most max_pairs reach it (a ratings log's
    3.9M pairs at 10 refused the default, where the Associations page raises its own). Side a's and
    b's counts ride in one sparse sum: a + b * 2^21 is exact in float64 below 2M baskets a side."""
    part_a, part_b = split.a[:, tested], split.b[:, tested]
    scale = float(2 ** 21)
    if max(part_a.shape[0], part_b.shape[0]) >= scale:
        raise ConfigError("expected under 2,097,152 baskets per side, found more; compare shorter periods")
    encoded = sp.triu(part_a.T @ part_a, k=1).astype(np.float64) + scale * sp.triu(part_b.T @ part_b, k=1)
    coo = sp.coo_matrix(encoded)
    x_b = np.floor(coo.data / scale)
    x_a = coo.data - x_b * scale
    floor = config.min_baskets
    if int((x_a + x_b >= floor).sum()) > config.max_pairs:  # before each pair's row of names and figures is made
        floor = int(np.sort(x_a + x_b)[::-1][config.max_pairs]) + 1  # the (max_pairs + 1)-th pair falls below
    keep = x_a + x_b >= floor
    rows, cols = tested[coo.row[keep]], tested[coo.col[keep]]
    x_a, x_b = x_a[keep].astype(np.int64), x_b[keep].astype(np.int64)
    m_a, m_b = buyer_total(split.buyers_of("a")), buyer_total(split.buyers_of("b"))
    u_a, u_b = (pair_buyer_counts(part, split.buyers_of(s), coo.row[keep], coo.col[keep], x)
                for part, s, x in ((part_a, "a", x_a), (part_b, "b", x_b)))
    n_a, n_b = split.a.shape[0], split.b.shape[0]
    shares = (n_a, n_b)
    if split.only_histories:  # shares of the product pairs within histories (history_shares.py)
        shares = m_a, m_b = history_totals(split.a)[1], history_totals(split.b)[1]
    table = _table(x_a, x_b, *shares, config, (u_a, u_b, m_a, m_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        lift_a = x_a * n_a / (count_a[rows] * count_a[cols]).astype(np.float64)
        lift_b = x_b * n_b / (count_b[rows] * count_b[cols]).astype(np.float64)
    a_ids, b_ids = split.items[rows], split.items[cols]
    front = pd.DataFrame({"a": a_ids, "a_name": pd.Series(a_ids).map(names).to_numpy(),
                          "b": b_ids, "b_name": pd.Series(b_ids).map(names).to_numpy()})
    table.insert(6, "lift_a", np.where(np.isfinite(lift_a), lift_a, np.nan))
    table.insert(7, "lift_b", np.where(np.isfinite(lift_b), lift_b, np.nan))
    return pd.concat([front, table], axis=1), floor


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort((-table["log2_ratio"].abs().to_numpy(), table["q_value"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


__all__ = ["ChangeConfig", "ChangeReport", "SplitBaskets", "split_by_time", "split_by_column", "compare_sides",
           "segment_columns", "segment_text", "split_words", "fisher_two_sided",
           "benjamini_hochberg", "STATUSES", "SEGMENT_PREFIX", "STATUS_WORDS"]
