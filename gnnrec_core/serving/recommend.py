"""Recommendations and similar items as tables of raw IDs and names, each with its reason.

The reason for recommending item i to a user with history H is the share of i's score that each
purchased item j brings: item-item models score history @ S, so j brings S[j, i] exactly; embedding
models score a new basket with the mean of its items' vectors, so j brings cos(v_j, v_i) / |H|
(for a known customer of LightGCN this decomposes the history-mean score, which the trained user
vector approximates; the item's popularity bias is not a purchased product and is left out).
Each contributor comes with the path that links it to the recommendation: bought together (how
many baskets, lift) when the baskets say so, else graph neighbours (similarity). These are numbers
from the model and the data, never templated text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..baskets.associations import BasketStats
from ..models import Recommender
from ..training.pipeline import Dataset
from .merchandising import Policy, rank


def contributions(model: Recommender, history: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(len(items), len(history)) share of each recommended item's score from each history item.

    Negative contributions count as zero; rows sum to 1 where any contribution is positive."""
    if len(history) == 0:
        return np.zeros((len(items), 0))
    similarity = np.asarray(model.item_item(history))[:, items].T  # (items, history)
    positive = np.clip(similarity, 0, None)
    totals = positive.sum(1, keepdims=True)
    return np.divide(positive, totals, out=np.zeros_like(positive, dtype=np.float64), where=totals > 0)


def recommend_table(model: Recommender, dataset: Dataset, user: int, k: int = 10, reasons: int = 3,
                    policy: Policy | None = None, stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a known user (index), seen items excluded, merchandising applied, with reasons."""
    model._check_users(np.array([user]))
    seen = model.train_[[user]]
    items, scores = rank(model.score(np.array([user])), k, seen, policy)
    return _table(model, dataset, items[0], scores[0], seen.indices, reasons, stats)


def recommend_for_basket(model: Recommender, dataset: Dataset, basket: list[int], k: int = 10,
                         reasons: int = 3, policy: Policy | None = None,
                         stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a hand-built basket of item indices (a new customer)."""
    history = sp.csr_matrix((np.ones(len(basket)), (np.zeros(len(basket), int), basket)),
                            shape=(1, model.n_items))
    items, scores = rank(model.score_history(history), k, history, policy)
    return _table(model, dataset, items[0], scores[0], np.asarray(basket), reasons, stats)


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


def _table(model, dataset, items, scores, history, reasons, stats=None) -> pd.DataFrame:
    shares = contributions(model, history, items)
    names = dataset.item_names(history) if len(history) else []
    similarity = np.asarray(model.item_item(history))[:, items].T if len(history) else np.zeros((len(items), 0))
    because, paths = [], []
    for row, item in enumerate(items):
        top = [j for j in np.argsort(-shares[row])[:reasons] if shares[row, j] > 0]
        because.append("; ".join(f"{names[j]} ({shares[row, j]:.0%})" for j in top) or "popular overall")
        paths.append(" | ".join(_path(names[j], history[j], item, similarity[row, j], stats) for j in top[:1]))
    return pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "score": np.round(scores, 4),
        "because": because,
        "path": paths,
    })


def _path(name: str, source: int, target: int, similarity: float, stats: BasketStats | None) -> str:
    if stats is not None:
        pair = stats.pair(int(source), int(target))
        if pair["co_purchases"] >= 1:
            return (f"bought {name} -> often bought with it: {int(pair['co_purchases'])} baskets, "
                    f"lift {pair['lift']:.1f}")
    return f"bought {name} -> neighbours in the graph: similarity {similarity:.2f}"


def customer_history(dataset: Dataset, raw_user: str) -> pd.DataFrame:
    """What one customer bought: per product, total quantity, first and last date, orders; latest first."""
    events = dataset.ingest.events
    rows = events[events["user"].astype(str) == str(raw_user)]
    history = (rows.assign(quantity=rows["quantity"].fillna(1))
               .groupby("item", as_index=False)
               .agg(quantity=("quantity", "sum"), first=("time", "min"), last=("time", "max"),
                    orders=("basket", "nunique")))
    names = dataset.ingest.catalogue["name"]
    history.insert(1, "name", [str(names.get(item, item)) for item in history["item"]])
    return history.sort_values("last", ascending=False, ignore_index=True)
