"""Recommendations and similar items as tables of raw IDs and names, each with the reason for its score.

A reason explains the score it stands beside, exactly: `score_parts` splits each listed product's
score into one part per purchase and the parts that do not come from the history, and the parts
add up to the score shown (tested for every model kind). The list is ranked by the model's score,
always; the reasons never reorder it.
- Item-item models (Item-kNN, co-occurrence, EASE, the graph filters) score history @ S, so
  purchase j brings strength_j * S[j, i] of product i's score.
- The GNNs score a known customer by the customer's trained vector, which is not split per
  purchase here: that part is named "learned customer profile" (trained on their purchases and
  on customers like them). A hand-built basket is the mean of its products' vectors, so there each
  product brings its share. A blended GNN standardises each part per customer (z-scores, as the
  model does) and adds its filter (GF-CF or RP3beta) over the history (split per purchase) and the popularity
  prior; the item bias of the softmax GNN is a part of its own. Neither prior comes from the history.
- Popularity ignores the history: the whole score is the number of buyers.
- A merchandising boost is a part of its own.
`table.attrs["parts"]` holds each row's parts as (label, value) pairs (purchases first, the rest
of the history summed as "N other purchases"), `attrs["explained"]` says in words where the
scores come from, and the because column writes the same parts out.
A product the customer bought, one the merchandising rules exclude, or one the model could not
score (nan, inf) is never listed: where fewer than k remain the table is shorter and
`table.attrs["note"]` says why (the same for `similar_table`).
Each listed product carries its buyers in the training data and `thin` (fewer than evidence.THIN):
where half the list or more is thin, `table.attrs["evidence"]` says so in words (a trained GNN
alone can fill a heavy customer's list with products bought once; the merchandising rule
`min_buyers` leaves them out).
Each top contributor comes with the path that links it to the recommendation: bought together (how
many baskets, lift) when the baskets say so, else the model's own link (its similarity or weight).
For models that read product names (the feature GCN), the path adds "names alike (cosine)" when
the language model finds the two names nearly the same. These are numbers from the model and the
data, never templated text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..baskets.associations import BasketStats
from ..baskets.evidence import THIN
from ..data.log_words import PURCHASES, LogWords
from ..errors import InputError
from ..models import LABELS, SPECS, Recommender
from ..models.registry import PART_LABELS, filter_part
from ..pipeline.benchmark import Dataset
from .explore import buyers_of_both, item_buyers, similar_products
from .merchandising import Policy, available, rank, shortfall_note
from .purchase_links import largest_parts, linked_purchases, path_words, with_name_likeness


def headings(words: LogWords = PURCHASES, of_basket: bool = False) -> dict[str, str]:
    """The list's columns as a reader sees them (the page and the report), in the log's words
    (`of_basket`: a hand-built basket's list, whose links are to its products)."""
    return {"buyers": f"{words.buyers} in the data", "because": "what the score is made of",
            "path": "how it links to the basket's products" if of_basket else
            f"how it links to the customer's {words.purchases}"}


LEARNED = "learned customer profile"  # a GNN's trained user vector (the word a merchandiser reads): not split
ITEM_BIAS = "learned product appeal"  # the softmax GNN's item bias
POPULARITY = "overall popularity"  # the blend's popularity prior
BUYERS = "buyers"  # the popularity model's whole score
BOOST = "merchandising boost"
BASKET_HISTORY = "the basket's products"  # the same of a hand-built basket: no customer bought them
UNSPLIT = "the model's score (not split)"  # a model whose score the parts could not rebuild
TOLERANCE = 1e-3  # relative: parts that rebuild the score closer than this are exact (float32 models)


@dataclass
class ScoreParts:
    """Each listed product's score as parts: one column per purchase (`history`, len(items) x
    len(purchases)) and the parts that do not come from the history (`other`, label -> len(items))."""

    history: np.ndarray
    other: dict[str, np.ndarray] = field(default_factory=dict)

    def total(self) -> np.ndarray:
        total: np.ndarray = self.history.sum(1) + sum(self.other.values(), np.zeros(len(self.history)))
        return total


def score_parts(model: Recommender, seen: sp.csr_matrix, items: np.ndarray, user: int | None = None,
                scores: np.ndarray | None = None) -> ScoreParts:
    """The parts of the model's score for `items` given the 1 x items history row `seen` (its
    values: strengths); `user` is the known customer the model scores (None: a new basket). The
    parts add up to model.score([user]) (or score_history(seen)) for those items; a model whose
    score they do not rebuild gets one part, UNSPLIT, so that a reason never claims what it cannot.
    `scores`: the model's (1, items) scores when already computed."""
    items = np.asarray(items, np.int64)
    if scores is None:
        scores = model.score(np.array([user])) if user is not None else model.score_history(seen)
    scores = np.asarray(scores, np.float64)[0, items]
    history, strengths = seen.indices, np.asarray(seen.data, np.float64)
    try:
        if model.explained_by == "popularity":
            parts = ScoreParts(np.zeros((len(items), len(history))), {BUYERS: scores.copy()})
        elif model.explained_by == "history mean":
            parts = _embedding_parts(model, history, strengths, items, user)
        else:
            weights = np.asarray(model.item_item(history), np.float64)[:, items].T
            parts = ScoreParts(weights * strengths[None, :])
    except (AttributeError, NotImplementedError):
        parts = ScoreParts(np.zeros((len(items), len(history))), {UNSPLIT: scores.copy()})
    if not np.allclose(parts.total(), scores, rtol=TOLERANCE, atol=TOLERANCE * max(1.0, float(np.abs(scores).max(
            initial=0.0)))):
        parts = ScoreParts(np.zeros((len(items), len(history))), {UNSPLIT: scores.copy()})
    return parts


def _centred(values: np.ndarray, spread: float) -> np.ndarray:
    """A part of a standardised score: (x - mean over the catalogue) / the whole score's spread."""
    centred: np.ndarray = (values - values.mean(axis=-1, keepdims=True)) / spread
    return centred


def _spread(total: np.ndarray) -> float:
    return max(float(np.std(total)), 1e-6)  # as fit.tuning.standardise divides


def _embedding_parts(model: Recommender, history: np.ndarray, strengths: np.ndarray, items: np.ndarray,
                     user: int | None) -> ScoreParts:
    """The GNNs' score (models/embedding.py) in parts: cos(u, v)/T + bias (softmax) or u . v (BPR),
    u the trained customer vector or a basket's strength-weighted mean vector, then each part
    standardised per customer and blended with its filter (GF-CF or RP3beta) and the popularity prior."""
    vectors = np.asarray(model.item_vectors_, np.float64)  # type: ignore[attr-defined]
    softmax = model.config.loss != "bpr"
    scale = 1.0 / float(model.config.temperature) if softmax else 1.0
    per_purchase: np.ndarray = np.zeros((len(history), vectors.shape[0]))
    learned = None
    if user is not None:
        vector = np.asarray(model.user_vectors_[user], np.float64)  # type: ignore[attr-defined]
        norm = max(float(np.linalg.norm(vector)), 1e-12) if softmax else 1.0
        learned = vector @ vectors.T * scale / norm
    else:
        weights = strengths / max(float(strengths.sum()), 1e-12)
        mean = weights @ vectors[history]
        norm = max(float(np.linalg.norm(mean)), 1e-12) if softmax else 1.0
        per_purchase = (weights * scale / norm)[:, None] * (vectors[history] @ vectors.T)
    bias = np.asarray(model.item_bias_, np.float64) if softmax else np.zeros(vectors.shape[0])  # type: ignore
    gnn = (learned if learned is not None else per_purchase.sum(0)) + bias
    blend = dict(getattr(model, "blend_weights", {}))
    if not any(blend.values()):
        other = {LEARNED: learned[items]} if learned is not None else {}
        if bias.any():
            other[ITEM_BIAS] = bias[items]
        return ScoreParts(per_purchase[:, items].T, other)
    spread = _spread(gnn)
    purchases = _centred(per_purchase, spread)[:, items].T
    other = {LEARNED: _centred(learned, spread)[items]} if learned is not None else {}
    if bias.any():
        other[ITEM_BIAS] = _centred(bias, spread)[items]
    graph_filter, weight = getattr(model, "filter_", None), filter_part(blend)[1]
    if weight and graph_filter is not None:
        rows = np.asarray(graph_filter.rows(history), np.float64) * strengths[:, None]
        purchases = purchases + weight * _centred(rows, _spread(rows.sum(0)))[:, items].T
    prior = getattr(model, "popularity_", None)
    if blend.get("popularity") and prior is not None:
        prior = np.asarray(prior, np.float64)
        other[POPULARITY] = blend["popularity"] * _centred(prior, _spread(prior))[items]
    return ScoreParts(purchases, other)


def recommend_table(model: Recommender, dataset: Dataset, user: int, k: int = 10, reasons: int = 3,
                    policy: Policy | None = None, stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a known user (index), bought and returned products excluded, merchandising
    applied, ranked by the model's score, each with the parts of its score (module docstring).
    Fewer than k rows where fewer products remain; `attrs["note"]` then says why."""
    model._check_users(np.array([user]))
    seen = model.train_[[user]]
    excluded = dataset.not_to_offer(np.array([user]), seen)
    bought = dataset.words.bought
    whose = f"the customer {bought}" if excluded.nnz == seen.nnz else f"the customer {bought} or returned"
    return _ranked_table(model, dataset, model.score(np.array([user])), k, seen, reasons, stats, policy, whose,
                         user, excluded)


def recommend_for_basket(model: Recommender, dataset: Dataset, basket: list[int], k: int = 10,
                         reasons: int = 3, policy: Policy | None = None,
                         stats: BasketStats | None = None) -> pd.DataFrame:
    """Top-k for a hand-built basket of item indices (a new customer); as recommend_table."""
    history = sp.csr_matrix((np.ones(len(basket), np.float32), (np.zeros(len(basket), int), basket)),
                            shape=(1, model.n_items))
    return _ranked_table(model, dataset, model.score_history(history), k, history, reasons, stats, policy,
                         "in the basket", None)


def _ranked_table(model: Recommender, dataset: Dataset, scores: np.ndarray, k: int, seen: sp.csr_matrix,
                  reasons: int, stats: BasketStats | None, policy: Policy | None, whose: str,
                  user: int | None, excluded: sp.csr_matrix | None = None) -> pd.DataFrame:
    excluded = seen if excluded is None else excluded  # what the list leaves out; `seen` is what scored it
    items, adjusted = rank(scores, k, excluded, policy)
    items, adjusted = available(items[0], adjusted[0])
    parts = score_parts(model, seen, items, user, scores)
    boost = np.asarray(adjusted, np.float64) - np.asarray(scores, np.float64)[0, items]
    if policy is not None and np.abs(boost).max(initial=0.0) > 0:
        parts.other[BOOST] = boost
    frame = _table(model, dataset, items, adjusted, seen, parts, reasons, stats, known=user is not None)
    note = shortfall_note(len(items), k, model.n_items, excluded.indices, policy,
                          ~np.isfinite(np.asarray(scores, np.float32)[0]), whose)
    if note is not None:
        frame.attrs["note"] = note
    evidence = thin_note(frame["buyers"].to_numpy(), dataset.words)
    if evidence is not None:
        frame.attrs["evidence"] = evidence
    return frame


def thin_note(buyers: np.ndarray, words: LogWords = PURCHASES) -> str | None:
    """In words, when half a list or more rests on fewer than THIN buyers per product (None
    otherwise). The fact alone: each front end names its own way to set a floor."""
    buyers = np.asarray(buyers)
    few = buyers < THIN
    if not len(few) or few.sum() * 2 < len(few):
        return None
    low, high = int(buyers[few].min()), int(buyers[few].max())
    span = f"{low}" if low == high else f"{low} to {high}"
    return (f"{int(few.sum()):,} of these {len(few):,} products were {words.bought} by fewer than {THIN} customers "
            f"in the data ({span} each): the model ranks them on little evidence, and products with the same few "
            f"{words.buyers} score alike.")


def similar_table(model: Recommender, dataset: Dataset, item: int, k: int = 10, min_buyers: int = 1
                  ) -> pd.DataFrame:
    """The k products most like `item` by the model's similarity among those with at least
    `min_buyers` buyers, never the item itself nor one the model could not score (nan, inf), each
    with its buyers, the buyers of both and `thin` (fewer than evidence.THIN buyers: the model
    knows it from too few customers); fewer rows where fewer remain, `attrs["note"]` saying why."""
    if not 0 <= item < model.n_items:
        raise InputError(f"expected an item index in [0, {model.n_items}), found {item}")
    buyers = item_buyers(model)
    few = buyers < min_buyers
    items, scores = similar_products(model, item, k, min_buyers)
    frame = pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "similarity": np.round(np.asarray(scores, np.float64), 4),  # float32 19.3229 printed 19.322901
        "buyers": buyers[items].astype(int),
        "shared_buyers": buyers_of_both(model, items, item),
        "thin": buyers[items] < THIN,
    })
    left_out = int(few.sum() - few[item])
    others = model.n_items - 1
    if len(items) < k:  # every finite score is in the list then: the rest were unscorable or left out
        unscored = others - len(items) - left_out
        frame.attrs["note"] = (f"only {len(items):,} other products to show; {k:,} were asked for: the catalogue "
                               f"holds {others:,} besides this one"
                               + (f", {left_out:,} of them with fewer than {min_buyers} buyers" if left_out else "")
                               + (f", and the model could not score {unscored:,} of them" if unscored > 0 else ""))
    return frame


def _number(value: float) -> str:
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.3g}"


def row_parts(parts: ScoreParts, row: int, names: list[str], reasons: int,
              words: LogWords = PURCHASES) -> list[tuple[str, float]]:
    """One row's parts as (label, value): its `reasons` largest purchases, the rest of the history
    summed, then the parts not from the history; they add up to the row's score."""
    values = parts.history[row]
    order = np.argsort(-values, kind="stable")
    top = [int(j) for j in order[:reasons] if values[j] > 0] or [int(j) for j in order[:1] if values[j] != 0]
    out = [(names[j], float(values[j])) for j in top]
    rest = np.delete(values, top)
    if len(rest) == 1 and rest[0] != 0:  # one purchase left: named, never "1 other purchase"
        out.append((names[int(np.delete(np.arange(len(values)), top)[0])], float(rest[0])))
    elif len(rest) and np.any(rest != 0):
        out.append((f"{len(rest):,} other {words.purchases}", float(rest.sum())))
    return out + [(label, float(column[row])) for label, column in parts.other.items() if column[row] != 0]


def _because(row: list[tuple[str, float]], words: LogWords) -> str:
    if len(row) == 1 and row[0][0] == BUYERS:
        buyers = round(row[0][1])
        return f"{words.bought} by {buyers:,} customer{'' if buyers == 1 else 's'}"
    return " · ".join(f"{label} {_number(value)}" for label, value in row) or no_link(words)


def no_link(words: LogWords) -> str:
    return "no purchased product links to it" if words == PURCHASES else f"no {words.purchase} links to it"


def whole_percents(values: list[float]) -> list[int]:
    """Each value's share of their sum in whole percents adding to 100, by largest remainders (rounded
    each alone, "57% ..., 6% ... and 38% ..." added to 101)."""
    total = sum(values)
    exact = [100.0 * value / total for value in values]
    whole = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - whole[i], reverse=True)
    for i in by_remainder[:100 - sum(whole)]:
        whole[i] += 1
    return whole


def explained(parts: ScoreParts, model: Recommender, names_a_purchase: bool = True, of_basket: bool = False,
              words: LogWords = PURCHASES) -> str:
    """Where the listed scores come from, in words: the share of each kind of part (by absolute size).
    `names_a_purchase` False: no row's path names a purchase (each is "popular overall", say), so the
    words on how a path picks its purchase are left out. `of_basket`: a hand-built basket, no
    customer's: its products, not a customer's purchases. `words`: what the log records (log_words)."""
    # a hand-built basket's products are no customer's purchases
    act, acts = ("product of the basket", "basket's products") if of_basket else (words.purchase, words.purchases)
    if BUYERS in parts.other:
        boosted = (", moved by the merchandising boost (in standard deviations of the scores)"
                   if BOOST in parts.other else "")
        return (f"The score is the number of customers who {words.bought} the product{boosted}: the history plays "
                "no part.")
    if UNSPLIT in parts.other:
        return "This model's score could not be split into parts: the score is shown whole."
    if not parts.other:
        return (f"Each score is exactly the sum of what each {act} brings (strength x {model.link_label}): the "
                "largest are named, the rest of the history summed.")
    history = BASKET_HISTORY if of_basket else f"the customer's {acts}"
    sizes = {history: float(np.abs(parts.history).sum())}
    sizes |= {f"the {label}": float(np.abs(column).sum()) for label, column in parts.other.items()}
    total = sum(sizes.values())
    if total == 0:
        bought = "in the basket" if of_basket else f"the customer {words.bought}"
        return f"Every listed score is 0: nothing {bought} links to these products."
    kept = {what: size for what, size in sizes.items() if size > 0}
    shares = [f"{share}% from {what}" for what, share in zip(kept, whole_percents(list(kept.values())))]
    share_words = ", ".join(shares[:-1]) + (" and " if len(shares) > 1 else "") + shares[-1]
    link = "" if model.explained_by == "history mean" else f" (strength x {model.link_label})"  # e.g. a boost
    learned = (f" The {LEARNED} is trained on the customer's {acts} and on customers like them; it is not "
               f"split per {act}.") if LEARNED in parts.other else ""
    part, weight = filter_part(getattr(model, "blend_weights", {}))  # the blend's filter links purchases
    nearest = ((f" The path names the {act} whose {PART_LABELS[part]} part is largest where one is positive, else"
                if weight else " The path names") + f" the {act} nearest the product in the model: a link to "
               "read, not a share of the score.") if LEARNED in parts.other and names_a_purchase else ""
    present = [what for what, size in sizes.items() if size > 0]
    if present == [f"the {LEARNED}"]:  # one part: its share says nothing
        return (f"{LABELS.get(model.name, model.name)} scores each product against one profile it learned for the "
                f"customer from their {acts} and from customers like them, not {act} by {act}: the "
                f"{LEARNED} beside each product is that whole score.{nearest}")
    kinds = (f": what each {act} brings{link}, the rest of the history summed, and the parts that do not come "
             "from the history" if sizes[history] > 0 else f", none of which comes from a single {act}")
    return (f"Each score is the sum of the parts listed beside it{kinds}. Of these scores, {share_words} "
            f"(by absolute size).{learned}{nearest}")


def _table(model: Recommender, dataset: Dataset, items: np.ndarray, scores: np.ndarray, seen: sp.csr_matrix,
           parts: ScoreParts, reasons: int, stats: BasketStats | None, known: bool) -> pd.DataFrame:
    """The ranked items with the parts of their scores; `seen` is the 1 x items history row."""
    frame = pd.DataFrame({
        "rank": np.arange(1, len(items) + 1),
        "item": [str(dataset.interactions.items[i]) for i in items],
        "name": dataset.item_names(items),
        "score": np.round(np.asarray(scores, np.float64), 4),  # float32 19.3229 printed 19.322901
    })
    buyers = item_buyers(model)[items].astype(int)
    frame["buyers"], frame["thin"] = buyers, buyers < THIN
    history = seen.indices
    names = [name.strip() for name in dataset.item_names(history)]
    words = dataset.words
    rows = [row_parts(parts, row, names, reasons, words) for row in range(len(items))]
    frame["because"] = [_because(row, words) for row in rows]
    if known:  # a known customer: the export's rule (purchase_links), so the page and recommendations.csv agree
        links = linked_purchases(model, seen, np.asarray(items, np.int64)[None, :])
    else:  # a hand-built basket: the purchase of the largest part, exactly (a BPR GNN's parts are dot products)
        links = largest_parts(model, parts.history, history, np.asarray(items, np.int64))
    place = {int(item): j for j, item in enumerate(history)}
    sources = [names[place[int(j)]] if j >= 0 else "" for j in links.purchase[0]]
    paths, names_a_purchase = [], False
    for row, item in enumerate(items):
        source, weight, measure = sources[row], float(links.weight[0, row]), str(links.measure[0, row])
        if not source or UNSPLIT in parts.other or (
                LEARNED in parts.other and measure == model.link_label and _largest_other(parts, row) != LEARNED):
            paths.append(_other_path(parts, row, words))
            continue
        names_a_purchase = True
        if LEARNED not in parts.other or measure != model.link_label:  # a part the purchase brings: how it links
            paths.append(path_words(source, int(links.purchase[0, row]), int(item), weight, measure, stats, words))
        else:  # the learned profile's part is largest: the purchase nearest it, as a link only
            paths.append(f"nearest {words.purchase} in the model: {source} ({measure} {weight:.2f})")
    if SPECS[model.name].needs_features if model.name in SPECS else False:
        paths = with_name_likeness(paths, sources, frame["name"].tolist())
    frame["path"] = paths
    frame.attrs["parts"] = rows
    if len(items):  # an empty list has no scores to explain (its note says why it is empty)
        frame.attrs["explained"] = explained(parts, model, names_a_purchase, of_basket=not known, words=words)
    return frame


def _largest_other(parts: ScoreParts, row: int) -> str | None:
    return max(parts.other, key=lambda name: parts.other[name][row]) if parts.other else None


def _other_path(parts: ScoreParts, row: int, words: LogWords) -> str:
    label = _largest_other(parts, row)
    if label is None:
        return no_link(words)
    return {BUYERS: "popular overall: the history plays no part", POPULARITY: "popular overall",
            LEARNED: "close to the customer's learned profile", ITEM_BIAS: "the product's learned appeal",
            BOOST: "lifted by the merchandising rules"}.get(label, label)

