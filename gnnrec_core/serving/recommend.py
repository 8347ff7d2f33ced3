"""Recommendations and similar items as tables of raw IDs and names, each with its reason.

What a reason says follows how the model scores (`Recommender.explained_by`):
- item-item models score history @ S, so purchased item j brings strength_j * S[j, i] of item i's
  score exactly; the reason lists the largest shares (negative parts count as zero);
- embedding models (the GNNs) rank a known customer by a trained user vector; the reason explains
  the mean of the history's item vectors instead, so the table says how far the two agree: of the
  k products recommended, how many the explained score would also put in its top k
  (`table.attrs["reasons_agree"]`);
- popularity ignores the history: the reason says how many customers bought the product.
A product the customer bought, one the merchandising rules exclude, or one the model could not
score (nan, inf) is never listed: where fewer than k remain the table is shorter and
`table.attrs["note"]` says why (the same for `similar_table`).
Each contributor comes with the path that links it to the recommendation: bought together (how
many baskets, lift) when the baskets say so, else the model's own link (its similarity or weight).
For models that read product names (the feature GCN), the path adds "names alike (cosine)" when
the language model finds the two names nearly the same. These are numbers from the model and the
data, never templated text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..baskets.associations import BasketStats
from ..errors import InputError
from ..models import SPECS, Recommender
from ..pipeline.benchmark import Dataset
from .merchandising import Policy, available, rank, shortfall_note


def contributions(model: Recommender, history: np.ndarray, items: np.ndarray,
                  strengths: np.ndarray | None = None) -> np.ndarray:
    """(len(items), len(history)) share of each recommended item's score from each history item,
    each history item counted with its strength (ones when None).

    Negative contributions count as zero; rows sum to 1 where any contribution is positive."""
    if len(history) == 0:
        return np.zeros((len(items), 0))
    similarity = np.asarray(model.item_item(history))[:, items].T  # (items, history)
    if strengths is not None:
        similarity = similarity * np.asarray(strengths, np.float64)[None, :]
    positive = np.clip(similarity, 0, None)
    totals = positive.sum(1, keepdims=True)
    shares: np.ndarray = np.divide(positive, totals, out=np.zeros_like(positive, dtype=np.float64), where=totals > 0)
    return shares


def recommend_table(model: Recommender, dataset: Dataset, user: int, k: int = 10, reasons: int = 3,
                    policy: Policy | None = None, stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a known user (index), seen items excluded, merchandising applied, with reasons.
    Fewer than k rows where fewer products remain; `attrs["note"]` then says why."""
    model._check_users(np.array([user]))
    seen = model.train_[[user]]
    return _ranked_table(model, dataset, model.score(np.array([user])), k, seen, reasons, stats, policy,
                         "the customer bought")


def recommend_for_basket(model: Recommender, dataset: Dataset, basket: list[int], k: int = 10,
                         reasons: int = 3, policy: Policy | None = None,
                         stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a hand-built basket of item indices (a new customer); as recommend_table."""
    history = sp.csr_matrix((np.ones(len(basket), np.float32), (np.zeros(len(basket), int), basket)),
                            shape=(1, model.n_items))
    return _ranked_table(model, dataset, model.score_history(history), k, history, reasons, stats, policy,
                         "in the basket")


def _ranked_table(model: Recommender, dataset: Dataset, scores: np.ndarray, k: int, seen: sp.csr_matrix,
                  reasons: int, stats: BasketStats | None, policy: Policy | None, whose: str) -> pd.DataFrame:
    items, adjusted = rank(scores, k, seen, policy)
    items, adjusted = available(items[0], adjusted[0])
    frame = _table(model, dataset, items, adjusted, seen, reasons, stats, policy)
    note = shortfall_note(len(items), k, model.n_items, seen.indices, policy,
                          ~np.isfinite(np.asarray(scores, np.float32)[0]), whose)
    if note is not None:
        frame.attrs["note"] = note
    return frame


def similar_table(model: Recommender, dataset: Dataset, item: int, k: int = 10) -> pd.DataFrame:
    """The k products most like `item` by the model's similarity (as model.similar_items ranks
    them), never the item itself nor one the model could not score (nan, inf); fewer rows where
    fewer remain, with `attrs["note"]` saying why."""
    if not 0 <= item < model.n_items:
        raise InputError(f"expected an item index in [0, {model.n_items}), found {item}")
    itself = sp.csr_matrix(([1.0], ([0], [item])), shape=(1, model.n_items))
    items, scores = rank(np.asarray(model.item_item(np.array([item]))), k, itself, None)
    items, scores = available(items[0], scores[0])
    train = model.train_
    buyers = train[:, items].T @ train[:, item]  # users who bought both
    frame = pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "similarity": np.round(scores, 4),
        "shared_buyers": np.asarray(buyers.todense()).ravel().astype(int),
    })
    others = model.n_items - 1
    if len(items) < k:  # every finite score is in the list then: the rest were unscorable
        unscored = others - len(items)
        frame.attrs["note"] = (f"only {len(items):,} other products to show; {k:,} were asked for: the catalogue "
                               f"holds {others:,} besides this one"
                               + (f", and the model could not score {unscored:,} of them" if unscored else ""))
    return frame


def _table(model: Recommender, dataset: Dataset, items: np.ndarray, scores: np.ndarray, seen: sp.csr_matrix,
           reasons: int, stats: BasketStats | None, policy: Policy | None) -> pd.DataFrame:
    """The ranked items with reasons; `seen` is the 1 x items history row (its values: strengths)."""
    frame = pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "score": np.round(scores, 4),
    })
    if model.explained_by == "popularity" or seen.nnz == 0:
        buyers = np.diff(model.train_.tocsc().indptr)[items]
        frame["because"] = [f"bought by {int(n):,} customers" for n in buyers]
        frame["path"] = "popular overall: the history plays no part" if seen.nnz else "popular overall"
        return frame
    history, strengths = seen.indices, seen.data
    shares = contributions(model, history, items, strengths)
    names = dataset.item_names(history)
    similarity = np.asarray(model.item_item(history))[:, items].T
    because, paths = [], []
    for row, item in enumerate(items):
        top = [j for j in np.argsort(-shares[row])[:reasons] if shares[row, j] > 0]
        because.append("; ".join(f"{names[j]} ({shares[row, j]:.0%})" for j in top)
                       or "no purchased product links to it")
        paths.append(" | ".join(_path(names[j], history[j], item, similarity[row, j], model.link_label, stats)
                                for j in top[:1]))
    if SPECS[model.name].needs_features if model.name in SPECS else False:
        paths = _with_name_likeness(paths, [names[np.argmax(shares[row])] for row in range(len(items))],
                                    frame["name"].tolist())
    frame["because"], frame["path"] = because, paths
    if model.explained_by == "history mean":
        frame.attrs["reasons_agree"] = _agreement(model, seen, items, policy)
    return frame


NAME_LIKENESS = 0.6  # language-model cosine above which two names say nearly the same thing


def _with_name_likeness(paths: list[str], sources: list[str], targets: list[str]) -> list[str]:
    """For models that read product names (the feature GCN), say where the top contributor's name
    and the recommendation's name are alike: the text features then drive the link."""
    from ..matrix.text_encoder import encode_texts, llm_available

    if not llm_available() or not paths:
        return paths
    vectors = encode_texts(sources + targets)
    likeness = np.sum(vectors[: len(sources)] * vectors[len(sources):], axis=1)
    return [f"{path} | names alike ({value:.2f})" if value >= NAME_LIKENESS else path
            for path, value in zip(paths, likeness)]


def _agreement(model: Recommender, seen: sp.csr_matrix, items: np.ndarray, policy: Policy | None) -> tuple[int, int]:
    """(shared, k): how many of the recommended items the explained score (the strength-weighted
    mean of the history's item similarities) also ranks in its top k, under the same rules."""
    explained = seen.data @ np.asarray(model.item_item(seen.indices)) / max(float(seen.data.sum()), 1e-12)
    top, scores = rank(explained[None, :], len(items), seen, policy)
    top, _ = available(top[0], scores[0])
    return len(set(top.tolist()) & set(np.asarray(items).tolist())), len(items)


def _path(name: str, source: int, target: int, similarity: float, label: str, stats: BasketStats | None) -> str:
    if stats is not None:
        pair = stats.pair(int(source), int(target))
        if pair["co_purchases"] >= 1:
            together = int(pair["co_purchases"])  # "often" only where the baskets say so
            return (f"bought {name} -> {'often ' if together >= 10 else ''}bought with it: {together} "
                    f"basket{'' if together == 1 else 's'}, lift {pair['lift']:.1f}")
    return f"bought {name} -> linked in the model: {label} {similarity:.3g}"


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
