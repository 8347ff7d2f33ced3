"""Merchandising controls applied to any model's scores, the same way in the CLI, the pages and
the exports:

- exclude products (by code) or whole categories, and non-product codes (postage, fees);
- boost or bury a category: its scores move by `factor` standard deviations of that customer's
  scores (+1 lifts it noticeably, -2 buries it), so the rule means the same for every model;
- cap how many recommendations may come from one category (diversity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import ConfigError
from .ingest import NON_PRODUCT_CODES, NON_PRODUCT_NAMES
from .metrics import top_k


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


def rank(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None, policy: Policy | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k per row under the policy: (indices, adjusted scores)."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    if policy is not None and not policy.trivial:
        if policy.offset.any():
            scores += policy.offset[None, :] * scores.std(axis=1, keepdims=True)
        scores[:, ~policy.allowed] = -np.inf
    if policy is None or policy.max_per_category is None:
        top = top_k(scores, k, exclude)
    else:
        pool = top_k(scores, min(scores.shape[1], k * 10 + policy.max_per_category * 10), exclude)
        top = np.vstack([_capped(row, k, policy) for row in pool])
    return top, np.take_along_axis(scores, top, axis=1)


def _capped(candidates: np.ndarray, k: int, policy: Policy) -> np.ndarray:
    """Greedy: walk the ranked candidates, skipping a category once it has its quota."""
    taken, counts = [], {}
    for item in candidates:
        category = policy.category[item]
        if category and counts.get(category, 0) >= policy.max_per_category:
            continue
        counts[category] = counts.get(category, 0) + 1
        taken.append(item)
        if len(taken) == k:
            break
    taken += [i for i in candidates if i not in taken][: k - len(taken)]  # never fewer than k
    return np.array(taken[:k])
