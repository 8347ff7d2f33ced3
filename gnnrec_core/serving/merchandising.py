"""Merchandising controls applied to any model's scores, the same way in the CLI, the pages and
the exports:

- exclude products (by code) or whole categories, and non-product codes (postage, fees);
- boost or bury a category: its scores move by `factor` standard deviations of that customer's
  scores (+1 lifts it noticeably, -2 buries it), so the rule means the same for every model;
- cap how many recommendations may come from one category (diversity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.ingest import NON_PRODUCT_CODES, NON_PRODUCT_NAMES
from ..errors import ConfigError
from ..fit.metrics import top_k


@dataclass(frozen=True)
class Merchandising:
    exclude_items: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    exclude_non_products: bool = False
    boost: tuple[tuple[str, float], ...] = ()  # (category, factor in standard deviations)
    max_per_category: int | None = None

    def __post_init__(self) -> None:
        if self.max_per_category is not None and self.max_per_category < 1:
            raise ConfigError(f"max_per_category: expected an integer >= 1, found {self.max_per_category}")

    @property
    def active(self) -> bool:
        return bool(self.exclude_items or self.exclude_categories or self.exclude_non_products or self.boost
                    or self.max_per_category)


def parse_boosts(values: list[str] | None) -> tuple[tuple[str, float], ...]:
    """['Lighting=1.5', 'Gifts=-2'] -> (('Lighting', 1.5), ('Gifts', -2.0))."""
    out = []
    for value in values or []:
        category, _, factor = value.rpartition("=")
        try:
            out.append((category.strip(), float(factor)))
        except ValueError:
            raise ConfigError(f"boost: expected CATEGORY=FACTOR such as 'Lighting=1.5', found '{value}'") from None
        if not category.strip():
            raise ConfigError(f"boost: expected CATEGORY=FACTOR such as 'Lighting=1.5', found '{value}'")
    return tuple(out)


@dataclass
class Policy:
    """A Merchandising resolved against one item vocabulary."""

    allowed: np.ndarray  # bool per item
    offset: np.ndarray  # boost in standard deviations per item
    category: np.ndarray  # category label per item ('' when unknown)
    max_per_category: int | None
    category_codes: np.ndarray = field(init=False, repr=False)  # integer per item, -1 when unknown

    def __post_init__(self) -> None:
        labels = pd.Series(self.category).where(pd.Series(self.category) != "")
        self.category_codes = pd.factorize(labels)[0].astype(np.int64)

    @property
    def trivial(self) -> bool:
        return bool(self.allowed.all() and not self.offset.any() and self.max_per_category is None)


def resolve(rules: Merchandising, items: np.ndarray, catalogue: pd.DataFrame) -> Policy:
    codes = pd.Index([str(i) for i in items])
    table = catalogue.reindex(codes)
    category = table["category"].fillna("").astype(str).to_numpy() if "category" in table else np.full(len(codes), "")
    names = table["name"].fillna("").astype(str) if "name" in table else pd.Series("", index=codes)
    allowed = ~codes.isin(rules.exclude_items) & ~pd.Index(category).isin(rules.exclude_categories)
    if rules.exclude_non_products:
        allowed &= ~(codes.str.match(NON_PRODUCT_CODES) | names.str.contains(NON_PRODUCT_NAMES).to_numpy())
    offset = np.zeros(len(codes), np.float32)
    for name, factor in rules.boost:
        offset[category == name] += factor
    return Policy(np.asarray(allowed, bool), offset, category, rules.max_per_category)


def rank(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None,
         policy: Policy | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k per row under the policy: (indices, adjusted scores)."""
    scores = np.asarray(scores, dtype=np.float32)
    if policy is not None and not policy.trivial:
        scores = scores.copy()  # adjusted below; the caller's array stays as it was
        if policy.offset.any():
            scores += policy.offset[None, :] * scores.std(axis=1, keepdims=True)
        scores[:, ~policy.allowed] = -np.inf
    if policy is None or policy.max_per_category is None:
        top = top_k(scores, k, exclude)
    else:
        pool = top_k(scores, min(scores.shape[1], k * 10 + policy.max_per_category * 10), exclude)
        top = _capped(pool, min(k, pool.shape[1]), policy)
    return top, np.take_along_axis(scores, top, axis=1)


def _capped(pool: np.ndarray, k: int, policy: Policy) -> np.ndarray:
    """Per row of ranked candidates, the first k that keep each category within its quota, as the
    greedy walk down the list would pick them; rows short of k are topped up with the best skipped
    candidates (never fewer than k). Vectorised: a candidate is kept when fewer than
    max_per_category earlier candidates of its row share its category."""
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
    chosen = np.argsort(np.where(keep, position, width + position), axis=1, kind="stable")[:, :k]
    return np.take_along_axis(pool, chosen, axis=1)
