"""Recommendations and similar items as tables of raw IDs and names, each with its reason.

The reason for recommending item i to a user with history H is the share of i's score that each
purchased item j brings: item-item models score history @ S, so j brings S[j, i] exactly; embedding
models score with the mean of the history's vectors, so j brings cos(v_j, v_i) / |H|. The
`because` column names the top contributors with their shares; these are numbers from the model,
not templated text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .models import Recommender
from .pipeline import Dataset


def contributions(model: Recommender, history: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(len(items), len(history)) share of each recommended item's score from each history item.

    Negative contributions count as zero; rows sum to 1 where any contribution is positive."""
    if len(history) == 0:
        return np.zeros((len(items), 0))
    similarity = np.asarray(model.item_item(history))[:, items].T  # (items, history)
    positive = np.clip(similarity, 0, None)
    totals = positive.sum(1, keepdims=True)
    return np.divide(positive, totals, out=np.zeros_like(positive, dtype=np.float64), where=totals > 0)


def recommend_table(model: Recommender, dataset: Dataset, user: int, k: int = 10, reasons: int = 3) -> pd.DataFrame:
    """Top-k for a known user (index), seen items excluded, with names and reasons."""
    items, scores = model.recommend(np.array([user]), k)
    history = model.train_[user].indices
    return _table(model, dataset, items[0], scores[0], history, reasons)


def recommend_for_basket(model: Recommender, dataset: Dataset, basket: list[int], k: int = 10,
                         reasons: int = 3) -> pd.DataFrame:
    """Top-k for a hand-built basket of item indices (a new customer)."""
    history = sp.csr_matrix((np.ones(len(basket)), (np.zeros(len(basket), int), basket)),
                            shape=(1, model.n_items))
    items, scores = model.recommend_history(history, k)
    return _table(model, dataset, items[0], scores[0], np.asarray(basket), reasons)


def similar_table(model: Recommender, dataset: Dataset, item: int, k: int = 10) -> pd.DataFrame:
    items, scores = model.similar_items(np.array([item]), k)
    train = model.train_
    buyers = train[:, items[0]].T @ train[:, item]  # users who bought both
    return pd.DataFrame({
        "rank": np.arange(1, len(items[0]) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items[0]],
        "name": dataset.item_names(items[0]),
        "similarity": np.round(scores[0], 4),
        "shared_buyers": np.asarray(buyers.todense()).ravel().astype(int),
    })


def _table(model, dataset, items, scores, history, reasons) -> pd.DataFrame:
    shares = contributions(model, history, items)
    names = dataset.item_names(history) if len(history) else []
    because = []
    for row in shares:
        top = np.argsort(-row)[:reasons]
        because.append("; ".join(f"{names[j]} ({row[j]:.0%})" for j in top if row[j] > 0) or "popular overall")
    return pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "score": np.round(scores, 4),
        "because": because,
    })
