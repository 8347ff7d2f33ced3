"""Who stands behind a count of baskets: the buyers a change between two sides is tested on.

A loyal customer's baskets are not independent draws: one customer who orders the same two
products seventeen times in a month puts seventeen baskets behind that pair. Counted as seventeen
independent baskets, one wholesaler's standing order reads as a significant difference between two
countries (on customers shuffled into two segments at random, a third of the pairs tested were
named; docs/benchmarks.md, "What changed: one customer's repeat orders"). So the tests count
buyers: the distinct customers with at least one basket on a side holding the product (or the pair,
within one basket), out of the side's distinct customers. A basket of no known customer is a buyer
of its own, so a basket list (no customer column) is tested exactly as its baskets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

PAIR_CHUNK = 4_000_000  # (basket, pair) entries enumerated at a time: 32 MB a column


def basket_buyers(basket_keys: np.ndarray, users: pd.Series) -> np.ndarray:
    """One buyer code per basket, in `basket_matrix`'s row order (first appearance of its key):
    the basket's customer (its first line's that names one), else a code of the basket's own."""
    rows, _ = pd.factorize(basket_keys)
    if not len(rows):
        return np.zeros(0, np.int64)
    customer = pd.Series(users.to_numpy()).groupby(rows).first().reindex(range(int(rows.max()) + 1))
    known = customer.notna().to_numpy()
    codes = np.empty(len(customer), np.int64)
    codes[known] = pd.factorize(customer[known].astype(str))[0]
    codes[~known] = int(codes[known].max(initial=-1)) + 1 + np.arange(int((~known).sum()))
    return codes


def buyer_total(buyers: np.ndarray) -> int:
    """A side's buyers: codes run 0 to n - 1 (basket_buyers, or each basket its own)."""
    return int(buyers.max()) + 1 if len(buyers) else 0


def buyer_counts(baskets: sp.csr_matrix, buyers: np.ndarray) -> tuple[np.ndarray, int]:
    """Per item (column), the distinct buyers with a basket holding it; and the side's buyers."""
    if not baskets.shape[0]:
        return np.zeros(baskets.shape[1], np.int64), 0
    n_buyers = buyer_total(buyers)
    if n_buyers == len(buyers):  # a buyer per basket (a basket list): the baskets' own counts
        return np.asarray(baskets.sum(0)).ravel().astype(np.int64), n_buyers
    owner = sp.csr_matrix((np.ones(len(buyers), np.float32), (buyers, np.arange(len(buyers)))),
                          shape=(n_buyers, len(buyers)))
    held = (owner @ baskets).tocsr()
    held.data[:] = 1.0
    return np.asarray(held.sum(0)).ravel().astype(np.int64), n_buyers


def pair_buyer_counts(baskets: sp.csr_matrix, buyers: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                      basket_counts: np.ndarray) -> np.ndarray:
    """For each pair (rows[k], cols[k], column indices of `baskets`, rows < cols), the distinct
    buyers with one basket holding both; `basket_counts` its baskets. Buyers of a single basket are
    counted by one sparse product (their baskets' co-counts); only repeat buyers' baskets are
    enumerated pair by pair, and only pairs asked for are kept; a basket list is its baskets' counts."""
    if buyer_total(buyers) == len(buyers):
        return np.asarray(basket_counts, np.int64)
    n_items = baskets.shape[1]
    wanted = rows.astype(np.int64) * n_items + cols.astype(np.int64)
    if not len(wanted) or not baskets.shape[0]:
        return np.zeros(len(wanted), np.int64)
    repeat = np.bincount(buyers)[buyers] > 1  # baskets of buyers with more than one
    single = baskets[~repeat]
    counts = np.asarray((single.T @ single).tocsr()[rows, cols]).ravel().astype(np.int64)
    if repeat.any():
        n_buyers = buyer_total(buyers)  # the codes' base: every buyer's, not the repeat buyers' alone
        codes = _repeat_pair_codes(baskets[repeat], buyers[repeat], np.sort(wanted), n_items, n_buyers)
        if len(codes):
            pair = codes // n_buyers  # sorted, as the codes are
            starts = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
            pair, found = pair[starts], np.diff(np.append(starts, len(codes)))
            at = np.searchsorted(pair, wanted)
            hit = (at < len(pair)) & (pair[np.minimum(at, len(pair) - 1)] == wanted)
            counts[hit] += found[at[hit]]
    return counts


def _repeat_pair_codes(baskets: sp.csr_matrix, buyers: np.ndarray, wanted: np.ndarray, n_items: int,
                       n_buyers: int) -> np.ndarray:
    """Distinct (pair, buyer) codes, pair * n_buyers + buyer, of the wanted pairs (sorted) held within one
    basket: baskets of one size enumerated together (their items as a matrix, its upper triangle's
    column pairs), in chunks."""
    sizes = np.diff(baskets.indptr)
    found = []
    for size in np.unique(sizes[sizes >= 2]):
        members = np.flatnonzero(sizes == size)
        first, second = np.triu_indices(int(size), 1)
        step = max(1, PAIR_CHUNK // len(first))
        for start in range(0, len(members), step):
            chunk = members[start:start + step]
            items = baskets.indices[baskets.indptr[chunk][:, None] + np.arange(int(size))]
            items = np.sort(items, axis=1)
            low, high = items[:, first], items[:, second]
            pair = low.astype(np.int64) * n_items + high
            at = np.minimum(np.searchsorted(wanted, pair), len(wanted) - 1)  # np.isin re-sorts `wanted` each call
            keep = wanted[at] == pair
            codes = pair[keep] * n_buyers + np.repeat(buyers[chunk], len(first)).reshape(pair.shape)[keep]
            found.append(codes)
    return _distinct(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _distinct(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting: its hash table took 18 s on a year of repeat orders, the sort 1 s."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values
