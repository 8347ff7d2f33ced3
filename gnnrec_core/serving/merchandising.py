"""Merchandising controls applied to any model's scores, the same way in the CLI, the pages and
the exports:

- exclude products (by code) or whole categories, and non-product codes (postage, fees);
- boost or bury a category: its scores move by `factor` standard deviations of that customer's
  scores (+1 lifts it noticeably, -2 buries it), so the rule means the same for every model;
- cap how many recommendations may come from one category (diversity);
- leave out products fewer than `min_buyers` customers bought: a product known from a buyer or two
  is ranked on little evidence (the Similar lists' floor, `explore.min_buyers`).

What is excluded (bought, ruled out, or scored nan/inf by the model) never appears: `rank` ranks it
last with a -inf score and `available` drops it, so a list may hold fewer than k products, and
`shortfall_note` says why. A product the model scored 0 is still a candidate, ranked by its score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.catalogue import MULTI_SEPARATOR, category_parts
from ..data.charges import non_products
from ..errors import ConfigError
from ..fit.metrics import top_k


@dataclass(frozen=True)
class Merchandising:
    exclude_items: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    exclude_non_products: bool = False
    boost: tuple[tuple[str, float], ...] = ()  # (category, factor in standard deviations)
    max_per_category: int | None = None
    min_buyers: int = 1

    def __post_init__(self) -> None:
        if self.max_per_category is not None and self.max_per_category < 1:
            raise ConfigError(f"max_per_category: expected an integer >= 1, found {self.max_per_category}")
        if self.min_buyers < 1:
            raise ConfigError(f"min_buyers: expected an integer >= 1, found {self.min_buyers}")

    @property
    def active(self) -> bool:
        return bool(self.exclude_items or self.exclude_categories or self.exclude_non_products or self.boost
                    or self.max_per_category or self.min_buyers > 1)


def parse_boosts(values: list[str] | None) -> tuple[tuple[str, float], ...]:
    """['Lighting=1.5', 'Gifts=-2'] -> (('Lighting', 1.5), ('Gifts', -2.0))."""
    out = []
    for value in values or []:
        category, _, factor = value.rpartition("=")
        try:
            out.append((category.strip(), float(factor)))
        except ValueError:
            raise ConfigError(f"boost: expected CATEGORY=FACTOR such as 'Lighting=1.5', found '{value}'") from None
        if not category.strip() or not math.isfinite(out[-1][1]):
            raise ConfigError(f"boost: expected CATEGORY=FACTOR with a finite factor such as 'Lighting=1.5', "
                              f"found '{value}'")
        if abs(out[-1][1]) > MOST_BOOST:  # 1e308 overflowed float32 and emptied the list, exit 0
            raise ConfigError(f"boost: expected a factor between -{MOST_BOOST:g} and {MOST_BOOST:g} standard "
                              f"deviations ({MOST_BOOST:g} already puts the category first), found '{value}'")
    return tuple(out)


MOST_BOOST = 1000.0  # standard deviations of the scores: the dashboard's slider goes from -3 to 3


@dataclass
class Policy:
    """A Merchandising resolved against one item vocabulary."""

    allowed: np.ndarray  # bool per item
    offset: np.ndarray  # boost in standard deviations per item
    category: np.ndarray  # category label per item ('' when unknown)
    max_per_category: int | None
    # rules that match nothing in this run's data (a typo'd category, a cap with no categories): the
    # Merchandising field -> a sentence saying so
    unmatched: dict[str, str] = field(default_factory=dict)
    category_codes: np.ndarray = field(init=False, repr=False)  # integer per item, -1 when unknown

    def __post_init__(self) -> None:
        labels = pd.Series(self.category).where(pd.Series(self.category) != "")
        self.category_codes = pd.factorize(labels)[0].astype(np.int64)

    @property
    def trivial(self) -> bool:
        return bool(self.allowed.all() and not self.offset.any() and self.max_per_category is None)


def resolve(rules: Merchandising, items: np.ndarray, catalogue: pd.DataFrame,
            buyers: np.ndarray | None = None) -> Policy:
    """The rules against the run's items; `buyers` (customers per item, in item order) is needed
    where the rules set min_buyers above 1."""
    codes = pd.Index([str(i) for i in items])
    table = catalogue.reindex(codes)
    category = table["category"].fillna("").astype(str).to_numpy() if "category" in table else np.full(len(codes), "")
    names = table["name"].fillna("").astype(str) if "name" in table else pd.Series("", index=codes)
    labels = category_labels(category) if any(MULTI_SEPARATOR in label for label in category) else None
    allowed = ~codes.isin(rules.exclude_items) & ~in_categories(category, rules.exclude_categories, labels)
    fees = np.zeros(len(codes), bool)
    if rules.exclude_non_products:
        fees = non_products(codes, names.to_numpy())
        allowed &= ~fees
    if rules.min_buyers > 1:
        if buyers is None or len(buyers) != len(codes):
            raise ValueError("resolve: min_buyers needs the buyers of every item")
        allowed &= np.asarray(buyers) >= rules.min_buyers
    offset = np.zeros(len(codes), np.float32)
    for name, factor in rules.boost:
        offset[in_categories(category, (name,), labels)] += factor
    return Policy(np.asarray(allowed, bool), offset, category, rules.max_per_category,
                  unmatched_rules(rules, codes, category, bool(fees.any())))


def in_categories(category: np.ndarray, names: tuple[str, ...],
                  labels: list[tuple[str, ...]] | None = None) -> np.ndarray:
    """Per product, whether any of its categories is among `names` ("Comedy|Romance" is in Comedy).
    `labels`: category_labels(category), split once by the caller where any label names several;
    None: one category each (the fast path)."""
    if not names:
        return np.zeros(len(category), bool)
    if labels is None:
        return np.isin(category, list(names))
    wanted = set(names)
    return np.array([bool(wanted.intersection(own)) for own in labels], bool)


def category_labels(category: np.ndarray) -> list[tuple[str, ...]]:
    """Each product's categories: a label naming several with '|' is in each of them ('' none).
    (A cap per category, max_per_category, counts a product under its whole label.)"""
    return [category_parts(label) for label in category]


def first_categories(category: pd.Series) -> pd.Series:
    """Each product's first category ('Comedy|Romance' -> 'Comedy'; missing stays missing): what a
    map colours and names a region by, where whole multi-category labels ran to hundreds."""
    first = [own[0] if own else None for own in category_labels(category.fillna("").to_numpy())]
    return pd.Series(first, index=category.index, dtype=object)


def unmatched_rules(rules: Merchandising, codes: pd.Index, category: np.ndarray, fees_found: bool = True
                    ) -> dict[str, str]:
    """For each rule (a Merchandising field) that matches no product of the run, a sentence saying
    so: it would do nothing, silently. A name matching only in another case names the one that would."""
    known = sorted({name for own in category_labels(category) for name in own})
    listed = (f" (its categories: {', '.join(known[:5])}{', ...' if len(known) > 5 else ''})" if known
              else " (it has no product categories)")
    notes = {}
    if rules.max_per_category is not None and not known:
        notes["max_per_category"] = (f"at most {rules.max_per_category} per category caps nothing: no product "
                                     "of this run has a category")
    if rules.exclude_non_products and not fees_found:
        notes["exclude_non_products"] = ("leaving out postage and fees removes nothing: no product of this run is "
                                         "postage or a fee (reading the data drops them unless told to keep them)")
    for field_name, rule, names in (("exclude_categories", "never recommend", rules.exclude_categories),
                                    ("boost", "boost", tuple(name for name, _ in rules.boost))):
        missing = list(dict.fromkeys(name for name in names if name not in known))
        if missing:
            what = "the category" if len(missing) == 1 else "the categories"
            verb = "matches" if len(missing) == 1 else "match"
            notes[field_name] = f"{what} {_named(missing, known)} ({rule}) {verb} no product of this run{listed}"
    absent = list(dict.fromkeys(code for code in rules.exclude_items if code not in codes))
    if absent:
        what = "the product" if len(absent) == 1 else "the products"
        notes["exclude_items"] = (f"{what} {_named(absent[:5], [str(c) for c in codes])}"
                                  f"{', ...' if len(absent) > 5 else ''} (never recommend) "
                                  f"{'is' if len(absent) == 1 else 'are'} not in this run")
    return notes


def _named(values: list[str], known: list[str]) -> str:
    """'A', 'B': each quoted, with the known name it matches in another case (a typo's likeliest fix)."""
    folded = {k.casefold(): k for k in known}
    return ", ".join(repr(v) + (f" (did you mean {folded[v.casefold()]!r}?)" if v.casefold() in folded else "")
                     for v in values)


def rank(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None,
         policy: Policy | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k per row under the policy: (indices, adjusted scores). Excluded items (by `exclude` or
    the policy) and items the model could not score (nan, inf) rank last with score -inf; where a
    row has fewer than k others they fill its end, for `available` to drop."""
    scores = np.array(scores, dtype=np.float32)  # a copy: adjusted and masked below, the caller's stays
    unscored = ~np.isfinite(scores)
    if policy is not None and policy.offset.any():
        scores += policy.offset[None, :] * _spread(scores, ~unscored)
    scores[unscored] = -np.inf
    if policy is not None:
        scores[:, ~policy.allowed] = -np.inf
    if exclude is not None and exclude.nnz:
        marked = sp.coo_matrix(exclude)  # what top_k excludes, marked here too: an excluded item scores -inf
        scores[marked.row, marked.col] = -np.inf
    if policy is None or policy.max_per_category is None:
        top = top_k(scores, k, exclude, overwrite=True)  # this function's own copy; exclusions already -inf
    else:
        pool = top_k(scores, min(scores.shape[1], k * 10 + policy.max_per_category * 10), exclude)
        valid = np.isfinite(np.take_along_axis(scores, pool, axis=1))
        top = _capped(pool, min(k, pool.shape[1]), policy, valid)
    return top, np.take_along_axis(scores, top, axis=1)


def available(items: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One ranked row from `rank` without its excluded and unscorable items (score -inf or nan)."""
    keep = np.isfinite(scores)
    return np.asarray(items)[keep], np.asarray(scores)[keep]


def shortfall_note(shown: int, k: int, n_items: int, bought: np.ndarray, policy: Policy | None,
                   unscored: np.ndarray | None = None, whose: str = "the customer bought") -> str | None:
    """Why a list holds fewer than the k products asked for (None when it holds k): how many of the
    catalogue's products were excluded as bought, by the merchandising rules, or left unscored."""
    if shown >= min(k, n_items):
        return None
    out = np.zeros(n_items, bool)
    out[np.asarray(bought, np.int64)] = True
    parts = [f"the {int(out.sum()):,} {whose}"] if out.any() else []
    if policy is not None:
        ruled = ~policy.allowed & ~out
        if ruled.any():
            parts.append(f"{int(ruled.sum()):,} more ruled out by the merchandising rules")
        out |= ~policy.allowed
    if unscored is not None and (np.asarray(unscored, bool) & ~out).any():
        parts.append(f"{int((np.asarray(unscored, bool) & ~out).sum()):,} the model could not score")
    reason = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 2 else parts) or "nothing"
    return (f"only {shown:,} of the {n_items:,} products remain after excluding {reason}; "
            f"{k:,} were asked for")


def _spread(scores: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Per row, the standard deviation of the finite scores (0 where there are none): a boost
    means the same however many scores the model left as nan or inf."""
    if finite.all():
        return np.asarray(scores.std(axis=1, keepdims=True))
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    values = np.where(finite, scores, 0.0)
    mean = values.sum(axis=1, keepdims=True) / count
    variance = (np.where(finite, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count
    return np.asarray(np.sqrt(variance), np.float32)


def _capped(pool: np.ndarray, k: int, policy: Policy, valid: np.ndarray | None = None) -> np.ndarray:
    """Per row of ranked candidates, the first k that keep each category within its quota, as the
    greedy walk down the list would pick them; rows short of k are topped up with the best skipped
    candidates (never fewer than k), and only then with the invalid ones (`valid` False: excluded,
    for `available` to drop). Vectorised: a candidate is kept when fewer than max_per_category
    earlier candidates of its row share its category."""
    n, width = pool.shape
    codes = policy.category_codes[pool]  # -1: no category, never capped
    groups = (codes + 1 + np.arange(n)[:, None] * (policy.category_codes.max() + 2)).ravel()
    order = np.argsort(groups, kind="stable")  # stable: rank order kept inside each (row, category)
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    first_of_group = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    occurrence = np.empty(len(groups), np.int64)
    occurrence[order] = np.arange(len(groups)) - first_of_group
    cap = policy.max_per_category or width  # only called with a cap
    keep = (occurrence.reshape(n, width) < cap) | (codes < 0)
    position = np.arange(width)[None, :]
    order_key = np.where(keep, position, width + position)
    if valid is not None:
        order_key = np.where(valid, order_key, 2 * width + position)
    chosen = np.argsort(order_key, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(pool, chosen, axis=1)
