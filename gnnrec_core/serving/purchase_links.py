"""Which of a customer's purchases each listed product links to: one rule for the Recommendations
page's path and the export's linked_purchase column.

- Item-item models and the graph filters score history @ S: the purchase that brings the most of
  the score (strength x S[purchase, product]), where one brings a positive part.
- The GNNs score a known customer by a learned profile, not split per purchase: the purchase
  nearest the product by the model's product vectors (cosine), a link to read, not a share.
- Popularity ignores the history: no link.
Work is each customer's purchases x the listed products, never their rows over the catalogue
(`Recommender.pair_weights`), so the export links every customer's list in batches.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..models import Recommender


def linked_purchases(model: Recommender, history: sp.csr_matrix, items: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """For each listed (customer row, product) of `items` (users x k), the purchase it links to
    (module docstring) and the model's weight for the pair: (-1, nan) where none does. Work is
    each customer's purchases x k pairs, never their rows over the catalogue."""
    n, k = items.shape
    linked, link = np.full(n * k, -1, np.int64), np.full(n * k, np.nan)
    history = sp.csr_matrix(history)
    if model.explained_by == "popularity" or not history.nnz or not k:
        return linked.reshape(n, k), link.reshape(n, k)
    per_slot = np.repeat(np.diff(history.indptr), k)  # each (row, product) pairs with each purchase of its row
    slot = np.repeat(np.arange(n * k), per_slot)
    within = np.arange(len(slot)) - np.repeat(np.cumsum(per_slot) - per_slot, per_slot)
    entry = np.repeat(history.indptr[:-1], k)[slot] + within  # the purchase's place in `history`
    purchase = history.indices[entry]
    weight = model.pair_weights(purchase, items.ravel()[slot])
    pulls = weight if model.explained_by == "history mean" else weight * history.data[entry]
    order = np.lexsort((-pulls, slot))  # per (row, product), the strongest pull first
    top = order[np.r_[True, slot[order][1:] != slot[order][:-1]]]
    keep = top[np.isfinite(pulls[top]) & (pulls[top] > 0)]  # a product its purchases push away links to none
    linked[slot[keep]], link[slot[keep]] = purchase[keep], weight[keep]
    return linked.reshape(n, k), link.reshape(n, k)
