"""Basket statistics: which products are bought together, and how much more than by chance.

For products A and B over N baskets (orders/invoices; a customer's history where there are none):
  support(A,B) = n(A,B) / N      confidence(A->B) = n(A,B) / n(A)
  lift(A,B) = confidence(A->B) / support(B) = n(A,B) N / (n(A) n(B))
Every pair count comes from one sparse product X^T X of the basket x item matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.ingest import baskets_of
from ..matrix.cooccurrence import basket_matrix, cooccurrence


@dataclass
class BasketStats:
    baskets: sp.csr_matrix  # baskets x items, binary
    cooc: sp.csr_matrix  # items x items counts; diagonal = baskets holding the item

    @property
    def n_baskets(self) -> int:
        return int(self.baskets.shape[0])

    @property
    def item_counts(self) -> np.ndarray:
        return np.asarray(self.cooc.diagonal()).astype(np.int64)

    def partners(self, item: int, min_count: int = 1) -> pd.DataFrame:
        """Every product bought with `item`: count, support, confidence(item -> partner), lift."""
        row = self.cooc.getrow(item)
        mask = (row.indices != item) & (row.data >= min_count)
        partner, count = row.indices[mask], row.data[mask].astype(np.int64)
        counts = self.item_counts
        n = max(self.n_baskets, 1)
        return pd.DataFrame({
            "partner": partner, "co_purchases": count, "support": count / n,
            "confidence": count / max(counts[item], 1),
            "lift": count * n / np.maximum(counts[item] * counts[partner], 1),
        }).sort_values(["lift", "co_purchases"], ascending=False, ignore_index=True)

    def pair(self, a: int, b: int) -> dict[str, float]:
        count = float(self.cooc[a, b])
        counts, n = self.item_counts, max(self.n_baskets, 1)
        return {"co_purchases": count, "support": count / n, "confidence": count / max(counts[a], 1),
                "lift": count * n / max(counts[a] * counts[b], 1)}


def basket_stats(events: pd.DataFrame, item_lookup: dict[str, int]) -> BasketStats:
    """Basket statistics over the items of a vocabulary (raw ID -> index); other items are ignored."""
    keys = baskets_of(events)
    index = events["item"].astype(str).map(item_lookup)
    keep = keys.notna() & index.notna()
    matrix = basket_matrix(keys[keep].astype(str).to_numpy(), index[keep].to_numpy(np.int64), len(item_lookup))
    return BasketStats(matrix, cooccurrence(matrix).astype(np.float32).tocsr())


def catalogue_stats(events: pd.DataFrame, min_support: float = 0.0) -> tuple[BasketStats, np.ndarray]:
    """Basket statistics over every product in the events (users or not); returns (stats, raw IDs).
    With min_support, pairs are counted only between items that reach it (enough for rules)."""
    codes, items = pd.factorize(events["item"].astype(str), sort=True)
    keys = baskets_of(events)
    keep = keys.notna().to_numpy() & (codes >= 0)
    matrix = basket_matrix(keys[keep].astype(str).to_numpy(), codes[keep].astype(np.int64), len(items))
    min_count = int(np.ceil(min_support * matrix.shape[0] - 1e-9))
    return (BasketStats(matrix, cooccurrence(matrix, min_count).astype(np.float32).tocsr()),
            np.asarray(items, dtype=object))
