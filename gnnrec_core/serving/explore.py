"""Exploring a trained model: a product's neighbourhood (by embedding similarity and by
co-purchase) as a graph and as a table, and the comparison of two runs or two datasets.

Two kinds of neighbour are kept apart on purpose: "similar" comes from the model's item-item
similarity and catches substitutes as well as complements; "bought together" comes from basket
counts alone and is what cross-selling acts on.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from ..baskets.associations import BasketStats
from ..data.ingest import IngestResult
from ..models import Recommender

SIMILAR, TOGETHER = "similar", "bought together"


def item_buyers(model: Recommender) -> np.ndarray:
    """Customers per item in the model's training matrix, in item index order."""
    return np.diff(model.train_.tocsc().indptr)


def customers_by_activity(model: Recommender) -> tuple[np.ndarray, np.ndarray]:
    """(customer indices, most products first; products per customer) from the training matrix."""
    activity = np.diff(model.train_.indptr)
    return np.argsort(-activity, kind="stable"), activity


def products_by_baskets(stats: BasketStats) -> np.ndarray:
    """Item indices, in the most baskets first (ties: lower index first)."""
    return np.argsort(-np.asarray(stats.item_counts), kind="stable")


def interactions_per_item(events: pd.DataFrame) -> pd.Series:
    """Event lines per product code, for the long-tail chart."""
    return events.groupby("item").size()


def item_facts(model: Recommender, items: np.ndarray, ingest: IngestResult) -> pd.DataFrame:
    """One row per item of a run, in its index order: code, name, category, price, buyers (in the
    run's matrix) and sales (units where the log has quantities, else lines)."""
    codes = [str(i) for i in items]
    table = ingest.catalogue.reindex(codes)
    events = ingest.events
    sales = (events.assign(q=events["quantity"].fillna(1)).groupby("item")["q"].sum()
             if events["quantity"].notna().any() else events.groupby("item").size())
    return pd.DataFrame({"item": codes, "name": table["name"].fillna(pd.Series(codes, index=codes)).values,
                         "category": table["category"].values, "price": table["price"].values,
                         "buyers": item_buyers(model), "sales": sales.reindex(codes).fillna(0).values})


def neighbourhood_graph(model: Recommender, stats: BasketStats, item: int, k: int = 8, depth: int = 1,
                        min_count: int = 2, max_nodes: int = 150) -> nx.MultiGraph:
    """Ego graph around `item`: each node's k most similar products and k strongest co-purchase
    partners (by lift, at least `min_count` shared baskets), expanded `depth` times. It stops
    growing at `max_nodes` (a larger drawing is unreadable); graph.graph["skipped"] counts the
    products left out, for the page to say so."""
    graph = nx.MultiGraph(skipped=0)
    graph.add_node(item, depth=0)
    frontier = [item]
    for level in range(1, depth + 1):
        next_frontier = []
        for node in frontier:
            similar, scores = model.similar_items(np.array([node]), k)
            edges = [(int(j), SIMILAR, float(s)) for j, s in zip(similar[0], scores[0])]
            partners = stats.partners(node, min_count).head(k)
            edges += [(int(j), TOGETHER, float(lift)) for j, lift in zip(partners["partner"], partners["lift"])]
            for other, kind, weight in edges:
                if other not in graph:
                    if graph.number_of_nodes() >= max_nodes:
                        graph.graph["skipped"] += 1
                        continue
                    graph.add_node(other, depth=level)
                    next_frontier.append(other)
                if not any(d["kind"] == kind for d in graph.get_edge_data(node, other, default={}).values()):
                    graph.add_edge(node, other, kind=kind, weight=weight)
        frontier = next_frontier
    return graph


def neighbour_table(model: Recommender, stats: BasketStats, item: int, k: int = 10, min_count: int = 1) -> pd.DataFrame:
    """The union of the k most similar products and the k strongest co-purchase partners, with
    similarity, co-purchase count, support, confidence (item -> neighbour), lift and shared buyers."""
    similar, _ = model.similar_items(np.array([item]), k)
    partners = stats.partners(item, min_count).head(k)
    together = set(partners["partner"].tolist())
    candidates = list(dict.fromkeys([*similar[0].tolist(), *partners["partner"].tolist()]))
    similarity = np.asarray(model.item_item(np.array([item])))[0, candidates]
    train = model.train_
    shared = np.asarray((train[:, candidates].T @ train[:, item]).todense()).ravel()
    rows = [stats.pair(item, j) for j in candidates]
    table = pd.DataFrame({
        "item_index": candidates,
        "relation": [("both" if j in together and j in set(similar[0]) else TOGETHER if j in together else SIMILAR)
                     for j in candidates],
        "similarity": similarity.round(4),
        "co_purchases": [int(r["co_purchases"]) for r in rows],
        "support": [r["support"] for r in rows],
        "confidence": [r["confidence"] for r in rows],
        "lift": [r["lift"] for r in rows],
        "shared_buyers": shared.astype(int),
    })
    return table.sort_values(["similarity"], ascending=False, ignore_index=True)


def top_neighbours(model: Recommender, items: np.ndarray, k: int = 10) -> dict[str, set[str]]:
    """Raw item ID -> set of its k nearest raw item IDs, for every item of the model."""
    found, _ = model.similar_items(np.arange(model.n_items), k)
    return {str(items[i]): {str(items[j]) for j in row} for i, row in enumerate(found)}


def compare_neighbours(model_a: Recommender, items_a: np.ndarray, model_b: Recommender, items_b: np.ndarray,
                       k: int = 10) -> pd.DataFrame:
    """Per product present in both runs: overlap (Jaccard) of its top-k neighbours, and the
    neighbours it gained (in B only) and lost (in A only), among products both runs know."""
    a, b = top_neighbours(model_a, items_a, k), top_neighbours(model_b, items_b, k)
    common = set(a) & set(b)
    rows = []
    for item in sorted(common):
        left, right = a[item] & common, b[item] & common
        union = left | right
        rows.append({"item": item, "overlap": len(left & right) / len(union) if union else 1.0,
                     "gained": sorted(right - left), "lost": sorted(left - right)})
    return pd.DataFrame(rows, columns=["item", "overlap", "gained", "lost"])


def top_pairs(stats: BasketStats, items: np.ndarray, n: int = 200, min_count: int = 3) -> pd.DataFrame:
    """The n product pairs with the highest lift among pairs seen together >= min_count times."""
    coo = stats.cooc.tocoo()
    keep = (coo.row < coo.col) & (coo.data >= min_count)
    rows, cols, count = coo.row[keep], coo.col[keep], coo.data[keep]
    counts = stats.item_counts
    lift = count * stats.n_baskets / np.maximum(counts[rows] * counts[cols], 1)
    order = np.argsort(-lift)[:n]
    return pd.DataFrame({"a": items[rows[order]].astype(str), "b": items[cols[order]].astype(str),
                         "co_purchases": count[order].astype(int), "lift": lift[order]})


def pair_overlap(pairs_a: pd.DataFrame, pairs_b: pd.DataFrame) -> dict[str, float | int]:
    """How many of the top association pairs two datasets share (order-free pair keys)."""
    def key(f: pd.DataFrame) -> set[tuple[str, ...]]:
        return {tuple(sorted(p)) for p in zip(f["a"], f["b"])}
    a, b = key(pairs_a), key(pairs_b)
    return {"pairs_a": len(a), "pairs_b": len(b), "shared": len(a & b),
            "jaccard": len(a & b) / len(a | b) if a | b else float("nan")}
