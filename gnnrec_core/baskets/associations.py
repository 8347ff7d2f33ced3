"""Basket statistics: which products are bought together, and how much more than by chance.

For products A and B over N baskets (orders/invoices; a customer's history where there are none):
  support(A,B) = n(A,B) / N      confidence(A->B) = n(A,B) / n(A)
  lift(A,B) = confidence(A->B) / support(B) = n(A,B) N / (n(A) n(B))
each with its count of baskets and shrunk lower bounds (evidence.py). Every pair count comes from
one sparse product X^T X of the basket x item matrix. A basket is what `data.ingest.baskets_of`
says, and a product's count is the number of baskets holding it, on every page, command and report:
`catalogue_stats` counts them once, and `basket_stats` restricts the columns to a run's products
while keeping every basket (so N and each product's count do not depend on the run).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.ingest import baskets_of
from ..matrix.cooccurrence import basket_matrix, cooccurrence
from .buyers import basket_buyers, buyer_counts, buyer_total, pair_buyer_counts
from .evidence import LEVEL, evidence_columns, min_evidence


@dataclass
class BasketStats:
    baskets: sp.csr_matrix  # baskets x items, binary
    cooc: sp.csr_matrix  # items x items counts; diagonal = baskets holding the item
    # No order column: each basket is one customer's whole history (a ratings or check-in log), so a
    # count of baskets is a count of customers, and is said so
    histories: bool = False
    # Per basket row, its customer's code (buyers.basket_buyers); None: each basket a customer of its own
    # (a basket list, or histories). A customer's repeat orders are one customer's evidence, not many.
    buyers: np.ndarray | None = None
    # Per item, how many products are bought with it in the whole catalogue (basket_stats keeps a run's
    # products only): a partner bound's family, the same on every page. None: this matrix's own.
    candidates: np.ndarray | None = None

    def together(self, count: int, only: bool = False) -> str:
        """Where a pair was seen, in the data's own unit: 'in 45 baskets', or 'by 45 customers' where
        each basket is a customer's history ("45 baskets" of a log that has none)."""
        plural, only_ = ("" if count == 1 else "s"), ("only " if only else "")
        return (f"by {only_}{count:,} customer{plural}" if self.histories
                else f"in {only_}{count:,} basket{plural}")

    @property
    def n_baskets(self) -> int:
        return int(self.baskets.shape[0])

    @cached_property
    def item_counts(self) -> np.ndarray:
        """Baskets holding each item. Kept once read: the Associations page's product box read it per
        option, 5,000 diagonals of a 50,000-product matrix, 10 s of every rerun at 1M lines."""
        return np.asarray(self.cooc.diagonal()).astype(np.int64)

    @property
    def min_count(self) -> int:
        """The default minimum shared baskets of a list, scaled with the data (evidence.min_evidence)."""
        return min_evidence(self.n_baskets)

    def partners(self, item: int, min_count: int = 1) -> pd.DataFrame:
        """Every product bought with `item` in at least `min_count` baskets: partner, count,
        support, confidence(item -> partner) and its lower bound, lift and its shrunk lower bound,
        thin; the best-evidenced association first (lift_low, then count). The lift bounds hold for
        every candidate partner at once (Bonferroni: each at LEVEL / candidates): a best seller's
        1,128 candidates at lift 1.03 on average put eight chance partners at "95% low" 1.04-1.23
        first, the tail of the many looked at, not an association. The candidates are every product
        bought with it, whatever `min_count` lists: a pair's bound is one figure on every page (the
        Neighbourhood's 0.96 was the Associations page's 0.89 at another minimum)."""
        row = self.cooc.getrow(item)
        others = (row.indices != item) & (row.data > 0)
        family = int(others.sum()) if self.candidates is None else int(self.candidates[item])
        mask = others & (row.data >= min_count)
        partner, count = row.indices[mask], row.data[mask].astype(np.int64)
        counts = self.item_counts
        frame = pd.DataFrame({"partner": partner, **evidence_columns(
            count, np.full(len(partner), counts[item]), counts[partner], self.n_baskets,
            level=LEVEL / max(family, 1), customers=self.partner_customers(item, partner, count))})
        return frame.sort_values(["lift_low", "count"], ascending=False, ignore_index=True)

    def pair(self, a: int, b: int) -> dict[str, float]:
        """The evidence columns of A -> B (count 0 where never bought together)."""
        counts = self.item_counts
        both = np.array([float(self.cooc[a, b])])
        columns = evidence_columns(both, counts[[a]], counts[[b]], self.n_baskets,
                                   customers=self.partner_customers(a, np.array([b]), both))
        return {name: values[0].item() for name, values in columns.items()}

    def pair_customers(self, a: np.ndarray, b: np.ndarray, both: np.ndarray) -> np.ndarray:
        """Per pair (a[k], b[k]), the distinct customers with one basket holding both; `both` its baskets."""
        if self.buyers is None or not len(a):
            return np.asarray(both, np.int64)
        return pair_buyer_counts(self.baskets, self.buyers, np.minimum(a, b), np.maximum(a, b), both)

    def partner_customers(self, item: int, partners: np.ndarray, both: np.ndarray) -> np.ndarray:
        """pair_customers of one product with each of `partners`, from the baskets holding it alone."""
        if self.buyers is None or not len(partners):
            return np.asarray(both, np.int64)
        holding = self.baskets[:, [item]].nonzero()[0]  # each partner's buyers among these baskets: both
        _, codes = np.unique(self.buyers[holding], return_inverse=True)
        return buyer_counts(self.baskets[holding][:, partners], codes.ravel())[0]


def least_baskets(min_support: float, n_baskets: int) -> int:
    """The fewest baskets a minimum support asks for: support >= min_support, so rounded up (0.008 of
    1,885 baskets is 15.08: 16). What the rules keep, and what the CLI and the page say."""
    return int(np.ceil(min_support * n_baskets - 1e-9))


def catalogue_stats(events: pd.DataFrame, min_support: float = 0.0) -> tuple[BasketStats, np.ndarray]:
    """Basket statistics over every product in a basket (users or not); returns (stats, raw IDs).
    With min_support, pairs are counted only between items that reach it (enough for rules)."""
    keys = baskets_of(events)
    keep = keys.notna().to_numpy()
    codes, items = pd.factorize(events["item"][keep].astype(str), sort=True)
    matrix = basket_matrix(keys[keep].astype(str).to_numpy(), codes.astype(np.int64), len(items))
    min_count = least_baskets(min_support, matrix.shape[0])
    histories = bool(events["basket"].isna().all())
    buyers = None if histories else basket_buyers(keys[keep].astype(str).to_numpy(), events["user"][keep])
    if buyers is not None and buyer_total(buyers) == len(buyers):  # no customer holds two baskets
        buyers = None
    return (BasketStats(matrix, cooccurrence(matrix, min_count).astype(np.float32).tocsr(), histories=histories,
                        buyers=buyers), np.asarray(items, dtype=object))


def basket_stats(events: pd.DataFrame, item_lookup: dict[str, int]) -> BasketStats:
    """Basket statistics over the items of a vocabulary (raw ID -> index), in its index order:
    every basket of the events counts (N as on the Associations page), products outside the
    vocabulary only have no column, and a product of the vocabulary in no basket counts 0."""
    stats, items = catalogue_stats(events)
    raw = np.empty(len(item_lookup), dtype=object)
    raw[list(item_lookup.values())] = list(item_lookup.keys())
    column = pd.Index(items).get_indexer(raw.astype(str))
    found = np.flatnonzero(column >= 0)
    select = sp.csr_matrix((np.ones(len(found), np.float32), (column[found], found)),
                           shape=(len(items), len(item_lookup)))
    matrix = (stats.baskets @ select).tocsr()
    full = stats.cooc.tocsr()  # products bought with each, whole catalogue: the Associations page's family
    partnered = np.diff(full.indptr) - (np.asarray(full.diagonal()) > 0)
    candidates = np.zeros(len(item_lookup), np.int64)
    candidates[found] = partnered[column[found]]
    return BasketStats(matrix, cooccurrence(matrix).astype(np.float32).tocsr(), histories=stats.histories,
                       buyers=stats.buyers, candidates=candidates)
