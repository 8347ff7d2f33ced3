"""Cold start, measured: can a product with no sales yet find its real co-purchase partners?

Protocol: a seeded share of the products with at least `min_buyers` buyers is held out of training
entirely. The feature GCN is trained on the rest and then embeds each held-out product from its
catalogue row alone (`FeatureGCN.embed_new_items`). A held-out product's true partners are the
known products it is most often bought with: its top `partners` by shrunk lift among products
sharing at least `min_together` baskets (frequently-bought-together, from all baskets). Every known
product is ranked by cosine similarity to the new product's vector; hit rate, recall and nDCG at
k of the true partners are reported, beside text-only rankings with no purchase data at all:
TF-IDF cosine of product names ("tfidf") and the language models' cosines ("llm", WordLlama;
"minilm", the all-MiniLM-L6-v2 transformer; each when installed), and the GCN and a text ranking
combined (each similarity standardised per product, then mixed), which is what the dashboard uses
to place a new product. The result names the encoder behind each text ranking ("text_encoders").

The held-out products are split in two: the combination (which text ranking, and the GCN's
share `GCN_SHARES`) is chosen on the validation half by nDCG, and every method is scored on the
other half only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from ..baskets.associations import BasketStats, basket_stats
from ..baskets.rules import frequently_bought_together
from ..errors import InputError
from ..fit.metrics import ranking_metrics, top_k
from ..fit.tuning import standardise
from ..models import FeatureGCN
from ..pipeline.benchmark import Dataset
from ..pipeline.table_verdicts import paired_gain
from ..verdict_records import Gain

GCN_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)  # the GCN's share of the combined score, tried on validation
TEXT_METHODS = ("tfidf", "llm", "minilm")  # name similarity: TF-IDF, or a language model (when installed)
DEFAULT_GCN_SHARE = 0.5  # what the dashboard uses: the share validation chose most often (docs/benchmarks.md)
# The name similarity the dashboard mixes in: TF-IDF, which validation chose in most seeds on the three
# larger catalogues; neither language model (WordLlama, MiniLM) beat it there by its interval
# (docs/benchmarks.md, "Product text"), so neither is the default. text_encoder.DEFAULTS says the same.
DEFAULT_TEXT = "tfidf"


def cold_start_eval(dataset: Dataset, holdout: float = 0.1, min_buyers: int = 10, min_together: int = 3,
                    partners: int = 10, k: int = 10, seed: int = 0, **settings: Any) -> dict[str, Any]:
    data = dataset.interactions
    full = data.matrix()
    buyers = np.diff(full.tocsc().indptr)
    named = dataset.ingest.catalogue["name"].reindex([str(i) for i in data.items]).fillna("").astype(str)
    has_name = named.str.strip().str.len().to_numpy() > 0
    if not has_name.any():
        raise InputError("expected product names to place new products from (a description or name column, or "
                         "a catalogue with a name column), found none")
    eligible = np.flatnonzero((buyers >= min_buyers) & has_name)
    if len(eligible) < 4:
        raise InputError(f"expected at least 4 named products with {min_buyers}+ buyers to hold out, "
                         f"found {len(eligible)}")
    rng = np.random.default_rng(seed)
    held = np.sort(rng.choice(eligible, max(1, int(round(holdout * len(eligible)))), replace=False))
    known = np.setdiff1d(np.arange(data.n_items), held)
    stats = basket_stats(dataset.ingest.events, data.item_lookup())
    known_set = set(known.tolist())
    rows, cols = [], []
    for row, item in enumerate(held):
        top = frequently_bought_together(stats, int(item), k=partners * 3, min_count=min_together)
        chosen = [p for p in top["partner"] if p in known_set][:partners]
        rows += [row] * len(chosen)
        cols += chosen
    position = np.full(data.n_items, -1)
    position[known] = np.arange(len(known))
    together = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, position[cols])), shape=(len(held), len(known)))
    has_partners = np.diff(together.indptr) > 0
    held, together = held[has_partners], together[has_partners]
    if len(held) == 0:
        raise InputError(f"expected held-out products with co-purchase partners (in {min_together} baskets or more), "
                         f"found none among the {len(has_partners):,} held out; hold out more (--holdout) or use a "
                         "log of more baskets")
    features = dataset.features
    model = FeatureGCN(item_features=features[known], **settings).fit(full[:, known])
    names = _names(dataset, data.items)
    scores = new_product_scores(model, features[held], names[known], names[held], compare=TEXT_METHODS)
    in_valid = np.zeros(len(held), bool)
    in_valid[np.random.default_rng(seed + 1).permutation(len(held))[: len(held) // 2]] = True
    if in_valid.all() or not in_valid.any():
        raise InputError(f"expected at least 2 held-out products with partners to split for validation, "
                         f"found {len(held)}")
    texts = [m for m in TEXT_METHODS if m in scores]

    def mixed(text: str, share: float) -> np.ndarray:
        return share * standardise(scores["gcn"]) + (1 - share) * standardise(scores[text])

    on_valid = {f"{text} {share}": _score(mixed(text, share)[in_valid], together[in_valid], k)["ndcg"]
                for text in texts for share in GCN_SHARES}
    best = max(on_valid, key=lambda key: on_valid[key])
    text, share = best.split()[0], float(best.split()[1])
    scored = ~in_valid
    results = {method: _score(scores[method][scored], together[scored], k) for method in (*texts, "gcn")}
    results["combined"] = _score(mixed(text, share)[scored], together[scored], k)
    verdict = _combined_against_names(scores, mixed(text, share), together, scored, texts, results, k)
    from ..matrix.text_encoder import describe

    return {"held_out": int(len(held)), "held_out_products": int(len(held)), "scored_products": int(scored.sum()),
            "known_products": int(len(known)), "k": k, "seed": seed, "gcn_share": share, "combined_text": text,
            "text_encoders": {method: describe(method) for method in texts},
            "mean_true_partners": float(np.diff(together.indptr).mean()),
            "valid_ndcg_by_mix": on_valid, "results": results, "verdict": verdict}


def _combined_against_names(scores: dict[str, np.ndarray], combined: np.ndarray, together: sp.csr_matrix,
                            scored: np.ndarray, texts: list[str], results: dict[str, dict[str, float]],
                            k: int) -> Gain:
    """The mix validation chose against the best way of reading names alone on the scored products
    (the strongest reference, chosen by these figures as a table is read), with its 95% interval over
    those products: what placing by the graph adds to a new product's name."""
    best = max(texts, key=lambda method: results[method]["ndcg"])

    def per_product(similarity: np.ndarray) -> np.ndarray:
        ndcg: np.ndarray = ranking_metrics(top_k(similarity[scored], k), together[scored], k)["ndcg"]
        return ndcg

    return paired_gain(("combined", best), (results["combined"]["ndcg"], results[best]["ndcg"]), "ndcg", k,
                       (per_product(combined), per_product(scores[best])), "new products",
                       ("names and graph combined", f"names alone ({best})"))


def new_product_scores(model: FeatureGCN, features: np.ndarray, known_names: np.ndarray,
                       new_names: np.ndarray, gcn_share: float = DEFAULT_GCN_SHARE,
                       text: str = DEFAULT_TEXT, compare: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """(new products, known products) similarities: 'gcn' (embedding cosine), 'tfidf' (TF-IDF
    cosine of names), 'llm' / 'minilm' (language-model cosines of names) for `text` and for those
    in `compare` that are installed, 'text' (the one `text` picks: auto = text_encoder's
    AUTO_ORDER) and 'combined' (gcn and text standardised per new product, then mixed)."""
    from ..matrix.text_encoder import TFIDF, available, encode_texts, resolve

    gcn = model.embed_new_items(features) @ model.item_vectors().T
    known_names, new_names = np.asarray(known_names, dtype=str), np.asarray(new_names, dtype=str)
    out = {"gcn": gcn, "tfidf": _tfidf(known_names, new_names)}
    chosen = resolve(text)
    for method in dict.fromkeys([chosen, *compare]):
        if method != TFIDF and available(method):
            out[method] = encode_texts(new_names.tolist(), method) @ encode_texts(known_names.tolist(), method).T
    out["text"] = out[chosen]
    out["combined"] = gcn_share * standardise(gcn) + (1 - gcn_share) * standardise(out["text"])
    return out


def placement_table(scores: dict[str, np.ndarray], names: pd.Series, stats: BasketStats, k: int = 10
                    ) -> pd.DataFrame:
    """A new product's k nearest known products by the combined score (new_product_scores for one
    product), each with its embedding similarity and its top bundle partner (the first cross-sell)."""
    similarity, combined = scores["gcn"][0], scores["combined"][0]
    nearest = np.argsort(-combined, kind="stable")[:k]
    partners = [frequently_bought_together(stats, int(i), k=1) for i in nearest]
    return pd.DataFrame({"nearest product": names.iloc[nearest].values, "similarity": similarity[nearest].round(3),
                         "its top bundle partner": [names.iloc[int(p["partner"].iloc[0])] if len(p) else ""
                                                    for p in partners]})


def _names(dataset: Dataset, items: np.ndarray) -> np.ndarray:
    catalogue = dataset.ingest.catalogue["name"].reindex([str(i) for i in items])
    filled = catalogue.fillna(pd.Series([str(i) for i in items], index=catalogue.index))
    names: np.ndarray = filled.astype(str).to_numpy()
    return names


def _tfidf(known_names: np.ndarray, new_names: np.ndarray) -> np.ndarray:
    vectoriser = FeatureUnion([("words", TfidfVectorizer()),
                               ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)))])
    vectoriser.fit(np.concatenate([known_names, new_names]))
    similarity: np.ndarray = (vectoriser.transform(new_names) @ vectoriser.transform(known_names).T).toarray()
    return similarity


def _score(similarity: np.ndarray, relevant: sp.csr_matrix, k: int) -> dict[str, float]:
    metrics = ranking_metrics(top_k(similarity, k), relevant, k)
    return {name: float(np.mean(values)) for name, values in metrics.items() if name in ("hit_rate", "recall", "ndcg")}


__all__ = ["cold_start_eval", "new_product_scores", "placement_table"]
