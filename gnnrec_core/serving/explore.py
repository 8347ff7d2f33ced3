"""Exploring a trained model: a product's neighbourhood (by embedding similarity and by
co-purchase) as a graph and as a table, and the comparison of two runs or two datasets.

Two kinds of neighbour are kept apart on purpose: "similar" comes from the model's item-item
similarity and catches substitutes as well as complements; "bought together" comes from basket
counts alone and is what cross-selling acts on. Each comes with its evidence: a similar product
with the number of its buyers (products with fewer than `min_buyers` are left out, those under
evidence.THIN marked thin: an embedding learned from two buyers is noise), a partner with its
count of shared baskets and the shrunk lower bound of its lift, which ranks it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from ..baskets.associations import BasketStats
from ..baskets.evidence import THIN, chance_columns, evidence_columns, min_evidence
from ..data.ingest import IngestResult
from ..models import LABELS, Recommender
from .merchandising import available, rank

if TYPE_CHECKING:
    from ..pipeline.benchmark import Dataset

SIMILAR, TOGETHER = "similar", "bought together"


def item_buyers(model: Recommender) -> np.ndarray:
    """Customers per item in the model's training matrix, in item index order."""
    return np.diff(model.train_.tocsc().indptr)


def buyers_of_both(model: Recommender, items: np.ndarray | list[int], item: int) -> np.ndarray:
    """Customers who bought both `item` and each of `items`: counted, not weighted (with quantity,
    count or rating weighting, a product of weights read 715 'buyers of both' against 89 buyers)."""
    bought = model.train_.tocsc()[:, [item, *list(items)]].astype(np.int64)
    bought.data[:] = 1  # every stored pair is a buyer, as item_buyers counts them (a 0 rating is one too)
    shared = bought[:, 1:].T @ bought[:, [0]]
    return np.asarray(shared.todense()).ravel().astype(int)


def min_buyers(model: Recommender) -> int:
    """The default minimum buyers of a similar product, scaled with the customers (min_evidence)."""
    return min_evidence(model.n_users)


def similarity_basis(model: Recommender) -> str | None:
    """Where a blended GNN's "similar" comes from, in words: its own product vectors, not the blend
    its recommendations use (None for any other model, whose similarity is the model's whole)."""
    from ..models.embedding import EmbeddingScores
    from ..setting_words import blend_words

    if not isinstance(model, EmbeddingScores):
        return None
    weights = model.blend_weights  # kept by a saved run, where tuning() is None
    if not any(weight > 0 for weight in weights.values()):
        return None
    label = LABELS.get(model.name, model.name)
    return (f"similar products are ranked by {label}'s own product vectors (the trained model alone); its "
            f"recommendations blend it with {blend_words(weights)}")


def similar_ranked(model: Recommender, anchors: np.ndarray, k: int = 10, min_buyers: int = 1,
                   buyers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per anchor item, the k products most similar by the model among those with at least
    `min_buyers` buyers (`buyers`: item_buyers(model), where the caller has it), never the anchor
    itself: (indices, similarities) as `merchandising.rank` gives them, -inf marking a slot with
    nothing left to fill it (`available` drops those)."""
    anchors = np.atleast_1d(np.asarray(anchors, np.int64))
    scores = np.array(model.item_item(anchors), dtype=np.float32)
    scores[:, (item_buyers(model) if buyers is None else buyers) < min_buyers] = -np.inf
    scores[np.arange(len(anchors)), anchors] = -np.inf
    return rank(scores, k, None, None)


def similar_products(model: Recommender, item: int, k: int = 10, min_buyers: int = 1
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The k products most similar to `item` by the model among those with at least `min_buyers`
    buyers (never the item itself, nor one the model could not score): (indices, similarities)."""
    top, values = similar_ranked(model, np.array([item]), k, min_buyers)
    found, similarity = available(top[0], values[0])
    return found, similarity


def customers_by_activity(model: Recommender) -> tuple[np.ndarray, np.ndarray]:
    """(customer indices, most products first; products per customer) from the training matrix."""
    activity = np.diff(model.train_.indptr)
    return np.argsort(-activity, kind="stable"), activity


def example_customers(model: Recommender, n: int) -> np.ndarray:
    """n customers from 5% to 50% down the activity order: active ones, never the very most active,
    whose hundreds of products make a list no other customer's resembles (the sample's first buys
    503; the report's examples and the Recommendations page's first customer)."""
    order, _ = customers_by_activity(model)
    if not len(order) or n < 1:
        return np.zeros(0, np.int64)
    picked = order[[int(q * (len(order) - 1)) for q in np.linspace(0.05, 0.5, n)]]
    return picked[np.sort(np.unique(picked, return_index=True)[1])]  # few customers: each once, in order


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
                        min_count: int = 2, max_nodes: int = 150, min_buyers: int = 1) -> nx.MultiGraph:
    """Ego graph around `item`: each node's k most similar products (with at least `min_buyers`
    buyers; weight: similarity) and k best-evidenced co-purchase partners (at least `min_count`
    shared baskets; weight: lift's shrunk lower bound), expanded `depth` times. It stops growing at
    `max_nodes` (a larger drawing is unreadable); graph.graph["skipped"] counts the products left
    out, for the page to say so."""
    graph = nx.MultiGraph(skipped=0)
    graph.add_node(item, depth=0)
    frontier = [item]
    for level in range(1, depth + 1):
        next_frontier = []
        for node in frontier:
            similar, scores = similar_products(model, node, k, min_buyers)
            edges = [(int(j), SIMILAR, float(s)) for j, s in zip(similar, scores)]
            partners = bought_together(stats, node, min_count, k)
            edges += [(int(j), TOGETHER, float(low)) for j, low in zip(partners["partner"], partners["lift_low"])]
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


def bought_together(stats: BasketStats, item: int, min_count: int, k: int) -> pd.DataFrame:
    """The k best-evidenced partners of `item` bought with it more often than by chance (lift above
    1): a partner at lift 0.97 was drawn as a "bought together" edge and listed as one."""
    partners = stats.partners(item, min_count)
    return partners[partners["lift"] > 1].head(k)


NEIGHBOUR_COLUMNS = ["item_index", "relation", "similarity", "buyers", "shared_buyers", "baskets_together",
                     "confidence", "confidence_low", "lift", "lift_low", "thin"]


def neighbour_table(model: Recommender, stats: BasketStats, item: int, k: int = 10, min_count: int = 1,
                    min_buyers: int = 1) -> pd.DataFrame:
    """The union of the k most similar products (with at least `min_buyers` buyers) and the k
    best-evidenced co-purchase partners (at least `min_count` shared baskets), each with its
    evidence: similarity, the neighbour's buyers, buyers of both, baskets together, confidence
    (item -> neighbour) and its lower bound, lift and its shrunk lower bound, and `thin` where the
    relation rests on fewer than evidence.THIN buyers (similar) or customers of the shared baskets
    (bought together: BasketStats.pair). Similar products first (by similarity), then partners (by lift_low)."""
    similar, _ = similar_products(model, item, k, min_buyers)
    partners = bought_together(stats, item, min_count, k)
    together, alike = set(partners["partner"].tolist()), set(similar.tolist())
    candidates = list(dict.fromkeys([*similar.tolist(), *partners["partner"].tolist()]))
    similarity = np.asarray(model.item_item(np.array([item])))[0, candidates]
    shared = buyers_of_both(model, candidates, item)
    buyers = item_buyers(model)[candidates]
    # Each bought-together figure as the partner list has it (its bound over every candidate partner);
    # a similar product never bought with it has no partner row: its own pair (count 0, lift 0)
    every = stats.partners(item).set_index("partner")
    rows = [every.loc[j].to_dict() if j in every.index else stats.pair(item, j) for j in candidates]
    relation = ["both" if j in together and j in alike else TOGETHER if j in together else SIMILAR
                for j in candidates]
    count = np.array([int(r["count"]) for r in rows], np.int64)
    customers = np.array([int(r["customers"]) for r in rows], np.int64)  # a customer's repeat orders once
    table = pd.DataFrame({
        "item_index": candidates, "relation": relation, "similarity": similarity.round(4),
        "buyers": buyers.astype(int), "shared_buyers": shared.astype(int), "baskets_together": count,
        "confidence": [r["confidence"] for r in rows], "confidence_low": [r["confidence_low"] for r in rows],
        "lift": [r["lift"] for r in rows], "lift_low": [r["lift_low"] for r in rows],
        "thin": [(b < THIN if r == SIMILAR else c < THIN if r == TOGETHER else b < THIN or c < THIN)
                 for r, b, c in zip(relation, buyers, customers)],
    }, columns=NEIGHBOUR_COLUMNS)
    first = table["relation"] != TOGETHER
    return pd.concat([table[first].sort_values("similarity", ascending=False),
                      table[~first].sort_values("lift_low", ascending=False)], ignore_index=True)


def top_neighbours(model: Recommender, items: np.ndarray, k: int = 10, min_buyers: int = 1,
                   chunk: int = 1024) -> dict[str, set[str]]:
    """Raw item ID -> set of its k nearest raw item IDs, for every item with at least `min_buyers`
    buyers, among those items. A chunk of anchors at a time: the whole item-item matrix of 50,000
    products is 10 GB."""
    buyers = item_buyers(model)  # once, not per chunk
    enough = np.flatnonzero(buyers >= min_buyers)
    found: dict[str, set[str]] = {}
    for start in range(0, len(enough), chunk):
        anchors = enough[start:start + chunk]
        ranked, scores = similar_ranked(model, anchors, k, min_buyers, buyers)
        for anchor, row, row_scores in zip(anchors, ranked, scores):
            found[str(items[anchor])] = {str(items[j]) for j, score in zip(row, row_scores) if np.isfinite(score)}
    return found


def compare_neighbours(model_a: Recommender, items_a: np.ndarray, model_b: Recommender, items_b: np.ndarray,
                       k: int = 10) -> pd.DataFrame:
    """Per product present in both runs: overlap (Jaccard) of its top-k neighbours, and the
    neighbours it gained (in B only) and lost (in A only), among products both runs know. Each run
    reads only products above its own floor of buyers (min_buyers, the Neighbourhood page's): a
    product of one or two buyers has neighbours by chance, and topped the list as "changed" for
    it; `attrs["min_buyers"]` holds the two floors."""
    floors = (min_buyers(model_a), min_buyers(model_b))
    a, b = top_neighbours(model_a, items_a, k, floors[0]), top_neighbours(model_b, items_b, k, floors[1])
    common = set(a) & set(b)
    rows = []
    for item in sorted(common):
        left, right = a[item] & common, b[item] & common
        union = left | right
        rows.append({"item": item, "overlap": len(left & right) / len(union) if union else 1.0,
                     "gained": sorted(right - left), "lost": sorted(left - right)})
    table = pd.DataFrame(rows, columns=["item", "overlap", "gained", "lost"])
    table.attrs["min_buyers"] = floors
    return table


def overlap_words(overlap: float) -> str:
    """A mean overlap to three places, cut down, not rounded: 0.9966 read "1.00" above rows at 0.82.
    1 only where every list is the same."""
    return f"{math.floor(overlap * 1000) / 1000:.3f}"


def top_pairs(stats: BasketStats, items: np.ndarray, n: int = 200, min_count: int = 3,
              names: pd.Series | None = None) -> pd.DataFrame:
    """The n product pairs with the highest shrunk lift (evidence.lift_low) among pairs seen
    together in at least min_count baskets: a, b (raw IDs), count, lift, lift_low, thin, chance
    (evidence.chance_columns over every pair of products in min_count baskets). With
    `names` (raw ID -> name), pairs of two codes with one name (variants of one product, such as
    colours) are left out: `attrs["variants"]` counts them."""
    coo = stats.cooc.tocoo()
    keep = (coo.row < coo.col) & (coo.data >= min_count)
    rows, cols, count = coo.row[keep], coo.col[keep], coo.data[keep]
    variants = 0
    if names is not None:
        named = pd.Series([str(i) for i in items]).map(names).fillna(pd.Series([str(i) for i in items]))
        label = named.astype(str).str.strip().str.casefold().to_numpy()
        same = label[rows] == label[cols]
        variants = int(same.sum())
        rows, cols, count = rows[~same], cols[~same], count[~same]
    counts = stats.item_counts
    customers = stats.pair_customers(rows, cols, count)
    evidence = evidence_columns(count, counts[rows], counts[cols], stats.n_baskets, customers=customers)
    reaching = int((counts >= min_count).sum())  # every pair of these could have been listed
    evidence.update(chance_columns(count, counts[rows], counts[cols], stats.n_baskets,
                                   rows.astype(np.int64) * len(counts) + cols, reaching * (reaching - 1) // 2,
                                   customers))
    order = np.lexsort((-evidence["count"], -evidence["lift_low"]))[:n]
    frame = pd.DataFrame({"a": items[rows[order]].astype(str), "b": items[cols[order]].astype(str),
                          **{c: evidence[c][order] for c in ("count", "customers", "lift", "lift_low", "thin",
                                                             "chance")}})
    frame.attrs["variants"] = variants
    return frame


def pair_overlap(pairs_a: pd.DataFrame, pairs_b: pd.DataFrame) -> dict[str, float | int]:
    """How many of the top association pairs two datasets share (order-free pair keys)."""
    def key(f: pd.DataFrame) -> set[tuple[str, ...]]:
        return {tuple(sorted(p)) for p in zip(f["a"], f["b"])}
    a, b = key(pairs_a), key(pairs_b)
    return {"pairs_a": len(a), "pairs_b": len(b), "shared": len(a & b),
            "jaccard": len(a & b) / len(a | b) if a | b else float("nan")}


def customer_history(dataset: Dataset, raw_user: str) -> pd.DataFrame:
    """What one customer bought (or rated, or visited): per product, total quantity, first and last
    date, orders; latest first.
    A log without orders has no orders column (a ratings log read "orders 0" on every film) and a
    rated log a rating column (the customer's mean for the product)."""
    events = dataset.ingest.events
    rows = events[events["user"].astype(str) == str(raw_user)]
    figures = {"quantity": ("quantity", "sum"), "first": ("time", "min"), "last": ("time", "max")}
    if events["basket"].notna().any():
        figures["orders"] = ("basket", "nunique")
    if "rating" in events and events["rating"].notna().any():
        figures["rating"] = ("rating", "mean")
    history = rows.assign(quantity=rows["quantity"].fillna(1)).groupby("item", as_index=False).agg(**figures)
    names = dataset.ingest.catalogue["name"]
    history.insert(1, "name", [str(names.get(item, item)) for item in history["item"]])
    return history.sort_values("last", ascending=False, ignore_index=True)
