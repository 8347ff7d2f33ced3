"""Finding products by what they are, and naming groups of products in words.

- `find_products`: a search box's answer. Names (or codes) that contain the query come first; then,
  when the language model is installed, the products whose names are closest to the query in
  meaning ("garden party" finds bunting and picnic sets that never say "garden party").
- `cluster_labels`: a few words per cluster of the product map, from its products' names: the
  words most frequent in the cluster relative to all clusters (class-based TF-IDF), so a cluster
  of tea lights and lanterns is labelled by those words, not by "set" or "of".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

STOP_WORDS = frozenset("""a an and the of for with in on to by from set sets pack box assorted size small
large big mini new colour color design designs style piece pcs x pk asst""".split())


def find_products(query: str, names: pd.Series, codes: pd.Series | None = None, k: int = 25,
                  categories: pd.Series | None = None) -> pd.DataFrame:
    """Rows: position (in `names`), name, match ('name contains' / 'in a category' / 'close in
    meaning'), score. Substring and code matches first (score 1), then products of a category whose
    name holds the query (`categories`, each label of 'a|b' read apart: "seafood" found none of a
    thousand products in Seafood), then up to k closest in meaning not already found (k 0: none, and
    no names encoded);
    none for a query that is a product's code or has no letter ('22041' ringed ten unrelated names)."""
    from ..matrix.text_encoder import encode_query, encode_texts, language_model_available

    text = query.strip().lower()
    if not text:
        return pd.DataFrame(columns=["position", "name", "match", "score"])
    lowered = names.fillna("").astype(str).str.lower()
    contains = lowered.str.contains(text, regex=False).to_numpy().copy()
    coded = (codes.astype(str).str.lower() == text).to_numpy() if codes is not None else np.zeros(len(names), bool)
    contains |= coded
    found = np.flatnonzero(contains)
    rows = [pd.DataFrame({"position": found, "name": names.iloc[found].to_numpy(), "match": "name contains",
                          "score": 1.0})]
    if categories is not None:
        from .merchandising import category_labels

        held = np.array([any(text in label.lower() for label in own)
                         for own in category_labels(categories.fillna("").to_numpy())], bool) & ~contains
        filed = np.flatnonzero(held)
        rows.append(pd.DataFrame({"position": filed, "name": names.iloc[filed].to_numpy(), "match": "in a category",
                                  "score": 1.0}))
        found = np.concatenate([found, filed])
    if k > 0 and language_model_available() and len(names) and not coded.any() and re.search(r"[^\W\d_]", text):
        similarity = encode_texts(names.fillna("").astype(str).tolist()) @ encode_query(query)
        similarity[found] = -np.inf
        closest = np.argsort(-similarity)[:k]
        closest = closest[np.isfinite(similarity[closest])]
        rows.append(pd.DataFrame({"position": closest, "name": names.iloc[closest].to_numpy(),
                                  "match": "close in meaning", "score": similarity[closest].astype(float)}))
    return pd.concat(rows, ignore_index=True)


def _words(name: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'&-]+", str(name).lower()) if w not in STOP_WORDS and len(w) > 2]


def cluster_labels(names: pd.Series, clusters: np.ndarray, n_words: int = 3, min_share: float = 0.0) -> dict[int, str]:
    """Cluster id -> its n most distinctive words joined by ' · ' (class-based TF-IDF: a word's
    share of the cluster's words times log(1 + average words per cluster / the word's count
    over all clusters)). A word labels only the cluster where it scores highest, so no two labels
    share a word ("organic · milk · yogurt" twice told the reader nothing); a cluster left with no
    word of its own gets none. `min_share`: a word names a cluster only where at least that share
    of its products' names, and two or more, hold it (one product's rare word read as the region's
    name). A word in nine names of ten names no cluster ("product" in "Product 7 of category 3")."""
    clusters = np.asarray(clusters)
    frame = pd.DataFrame({"cluster": clusters, "word": [sorted(set(_words(n))) for n in names.fillna("")]})
    frame = frame.explode("word").dropna(subset=["word"])
    if frame.empty:
        return {}
    counts = frame.groupby(["cluster", "word"]).size()
    sizes = pd.Series(clusters).value_counts()
    supported = (counts / sizes.reindex(counts.index.get_level_values(0)).to_numpy() >= min_share) & (
        (counts >= 2) if min_share > 0 else True)  # a share asked for: never one name's word alone
    everywhere = frame.groupby("word").size() >= 0.9 * len(clusters)  # "product" in "Product 7 of category 3"
    counts = counts[supported & ~everywhere.reindex(counts.index.get_level_values(1)).to_numpy()]
    if counts.empty:
        return {}
    per_cluster = counts.groupby(level=0).sum()
    overall = counts.groupby(level=1).sum()
    average = per_cluster.mean()
    tf = counts / per_cluster.reindex(counts.index.get_level_values(0)).to_numpy()
    score = (tf * np.log1p(average / overall.reindex(counts.index.get_level_values(1)).to_numpy())).rename("score")
    table = score.reset_index().sort_values(["score", "cluster"], ascending=[False, True], kind="stable")
    owned = table.drop_duplicates("word")  # each word to the cluster it describes best
    labels = {}
    for cluster, group in owned.groupby("cluster", sort=True):
        labels[int(cluster)] = " · ".join(group["word"].head(n_words))
    return labels


def region_labels(names: pd.Series, regions: np.ndarray, buyers: np.ndarray,
                  categories: pd.Series | None = None) -> dict[int, str]:
    """Region id -> what to call it on the map: the category that holds half of its products or more
    (each category one region, where its share is highest), else the words at least a fifth of its
    names hold (cluster_labels), else its most-bought product's name. Rare words alone named regions
    "abrasive · cocoa · decalcifier" on the groceries baskets, and no region at all where every name
    was "Product N of category M" or a bare stock code."""
    regions, buyers = np.asarray(regions), np.asarray(buyers)
    names = names.fillna("").astype(str).reset_index(drop=True)
    labels: dict[int, str] = {}
    if categories is not None:
        known = categories.reset_index(drop=True).astype(object).where(categories.reset_index(drop=True).notna())
        leading = []  # (share, region, category) of each region's largest category
        for region in np.unique(regions):
            shares = known[regions == region].value_counts(normalize=True, dropna=False)
            if len(shares) and pd.notna(shares.index[0]) and shares.iloc[0] >= 0.5:
                leading.append((float(shares.iloc[0]), int(region), str(shares.index[0])))
        for _, region, category in sorted(leading, reverse=True):  # a category names one region, its surest
            if category not in labels.values():
                labels[region] = category
    words = cluster_labels(names, regions, min_share=0.2)
    for region in np.unique(regions):
        if int(region) in labels:
            continue
        inside = np.flatnonzero(regions == region)
        top = names[inside[np.argmax(buyers[inside])]]
        labels[int(region)] = words.get(int(region)) or (top if len(top) <= 32 else top[:31] + "…")
    return labels


__all__ = ["find_products", "cluster_labels", "region_labels"]
