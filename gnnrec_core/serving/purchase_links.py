"""Which of a customer's purchases each listed product links to: one rule for the Recommendations
page's path for a known customer and the export's linked_purchase column (a hand-built basket's
link is read off its exact parts, `largest_parts`), and the path in words (`path_words`).

- Item-item models and the graph filters score history @ S: the purchase that brings the most of
  the score (strength x S[purchase, product]), where one brings a positive part.
- A GNN blended with a filter (GF-CF or RP3beta): the purchase whose filter part is largest, where one is
  positive. That part is the page's per-purchase part (strength x the filter's weight, centred on
  the filter row's mean, as the blend standardises it), so the link named is the one that brought
  the score, quoted as the filter's weight (a blend's embedding similarity can be negative there).
- Otherwise a GNN scores a known customer by a learned profile, not split per purchase: the
  purchase nearest the product by the model's product vectors (cosine), a link to read.
- Popularity ignores the history: no link.
Work is each customer's purchases x the listed products, never their rows over the catalogue
(`Recommender.pair_weights`, `LinearFilter.pairs`), so the export links every customer's list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..baskets.associations import BasketStats
from ..baskets.evidence import THIN
from ..data.log_words import PURCHASES, LogWords
from ..models import Recommender
from ..models.registry import filter_part

# A blend's filter part (models/embedding.py) named as its own model names its weight (GF-CF's, RP3beta's).
FILTER_LINKS = {"filter": "graph filter weight", "rp3beta": "random-walk weight"}


@dataclass
class PurchaseLinks:
    """Per listed (customer row, product): the purchase's item index (-1: none), the model's number for
    the pair (nan: none) and what that number measures ("" where none)."""

    purchase: np.ndarray
    weight: np.ndarray
    measure: np.ndarray


def linked_purchases(model: Recommender, history: sp.csr_matrix, items: np.ndarray) -> PurchaseLinks:
    """The purchase each listed product of `items` (customers x k) links to, by the module's rule;
    `history` holds those customers' purchases (values: strengths)."""
    n, k = items.shape
    links = PurchaseLinks(np.full(n * k, -1, np.int64), np.full(n * k, np.nan), np.full(n * k, "", dtype=object))
    history = sp.csr_matrix(history)
    if model.explained_by != "popularity" and history.nnz and k:
        per_slot = np.repeat(np.diff(history.indptr), k)  # each (row, product) pairs with each purchase of its row
        slot = np.repeat(np.arange(n * k), per_slot)
        within = np.arange(len(slot)) - np.repeat(np.cumsum(per_slot) - per_slot, per_slot)
        entry = np.repeat(history.indptr[:-1], k)[slot] + within  # the purchase's place in `history`
        purchase, target, strength = history.indices[entry], items.ravel()[slot], history.data[entry]
        if model.explained_by == "history mean":
            graph_filter = getattr(model, "filter_", None)
            part, blended = filter_part(getattr(model, "blend_weights", {}))
            if blended and graph_filter is not None:
                weight = graph_filter.pairs(purchase, target)
                _strongest(links, slot, purchase, strength * (weight - graph_filter.row_means()[purchase]), weight,
                           FILTER_LINKS[part])
            open_ = links.purchase[slot] < 0  # products no filter part links: the nearest purchase
            weight = model.pair_weights(purchase[open_], target[open_])
            _strongest(links, slot[open_], purchase[open_], weight, weight, model.link_label)
        else:
            weight = model.pair_weights(purchase, target)
            _strongest(links, slot, purchase, weight * strength, weight, model.link_label)
    return PurchaseLinks(links.purchase.reshape(n, k), links.weight.reshape(n, k), links.measure.reshape(n, k))


def _strongest(links: PurchaseLinks, slot: np.ndarray, purchase: np.ndarray, pulls: np.ndarray,
               weight: np.ndarray, measure: str) -> None:
    """Per slot, the purchase of the largest positive pull, written into `links` (a product its
    purchases all push away links to none)."""
    if not len(slot):
        return
    order = np.lexsort((-pulls, slot))  # per slot, the strongest pull first
    top = order[np.r_[True, slot[order][1:] != slot[order][:-1]]]
    keep = top[np.isfinite(pulls[top]) & (pulls[top] > 0)]
    links.purchase[slot[keep]], links.weight[slot[keep]], links.measure[slot[keep]] = purchase[keep], weight[
        keep], measure


def largest_parts(model: Recommender, part_values: np.ndarray, history: np.ndarray, items: np.ndarray
                  ) -> PurchaseLinks:
    """Per listed product, the purchase whose part (`part_values`: products x purchases, the page's
    exact parts) is largest where one is positive, with the model's own number for the pair: a
    basket's links, read off its parts (a BPR GNN's are dot products, not the cosine)."""
    n = len(items)
    links = PurchaseLinks(np.full(n, -1, np.int64), np.full(n, np.nan), np.full(n, "", dtype=object))
    if n and len(history):
        top = np.argmax(part_values, axis=1)
        found = part_values[np.arange(n), top] > 0
        links.purchase[found] = history[top[found]]
        links.weight[found] = model.pair_weights(history[top[found]], items[found])
        links.measure[found] = model.link_label
    return PurchaseLinks(links.purchase[None, :], links.weight[None, :], links.measure[None, :])


def path_words(name: str, source: int, target: int, similarity: float, label: str, stats: BasketStats | None,
               words: LogWords = PURCHASES) -> str:
    """How a listed product links to the purchase `name`: the baskets' evidence where they hold
    enough of the pair, else the model's own number for the link; `words` says what the log records
    ("rated Fargo -> ...")."""
    bought = words.bought
    if stats is not None:
        pair = stats.pair(int(source), int(target))
        if pair["count"] >= 1:
            together = int(pair["count"])  # "often" only where the baskets say so
            if together < THIN:  # the model's link leads: a lift from 1-9 baskets ("at least 0.3") is no evidence
                return (f"{bought} {name} -> linked in the model: {label} {similarity:.3g} ({bought} with it "
                        f"{stats.together(together, only=True)})")
            if pair["lift_low"] <= 1.0:  # many baskets, but no more than the two products' popularity gives
                # "no more often than chance, lift 1.7" read as a contradiction: above 1, chance is not ruled out
                clearly = "not clearly more" if pair["lift"] > 1.0 else "no more"
                evidence = f"{bought} with it {stats.together(together)}, {clearly} often than chance"
            else:
                evidence = (f"often {bought} with it {stats.together(together)}" if stats.histories
                            else f"often {bought} with it: {together} basket{'' if together == 1 else 's'}")
            return f"{bought} {name} -> {evidence}, lift {pair['lift']:.1f} (at least {pair['lift_low']:.1f})"
    if similarity < 0:  # the purchase whose part is largest, though the model sets the two apart
        return (f"{bought} {name} -> the nearest of the {words.purchases} in the model, though not alike: "
                f"{label} {similarity:.3g}")
    return f"{bought} {name} -> linked in the model: {label} {similarity:.3g}"


NAME_LIKENESS = 0.6  # language-model cosine above which two names say nearly the same thing


def with_name_likeness(paths: list[str], sources: list[str], targets: list[str]) -> list[str]:
    """For models that read product names (the feature GCN), say where the linked purchase's name
    and the recommendation's name are alike: the text features then drive the link."""
    from ..matrix.text_encoder import encode_texts, language_model_available

    if not language_model_available() or not paths:
        return paths
    vectors = encode_texts(sources + targets)
    likeness = np.sum(vectors[: len(sources)] * vectors[len(sources):], axis=1)
    return [f"{path} | names alike ({value:.2f})" if value >= NAME_LIKENESS and source else path
            for path, value, source in zip(paths, likeness, sources)]  # "": no purchase links to it
