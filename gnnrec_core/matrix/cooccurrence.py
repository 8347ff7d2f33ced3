"""The item-item co-occurrence graph of baskets (counts, Jaccard, lift, cosine) and the basket x
item matrix it is counted from. scipy only: association analysis never loads torch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError

SIMILARITIES = ("count", "jaccard", "lift", "cosine")


def basket_matrix(basket_ids: np.ndarray, item_ids: np.ndarray, n_items: int | None = None) -> sp.csr_matrix:
    """Binary basket x item CSR from parallel arrays of basket keys and item indices."""
    rows, _ = pd.factorize(basket_ids)  # hashing, not sorting: row order is first appearance
    n_items = int(item_ids.max()) + 1 if n_items is None else n_items
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, item_ids)),
                           shape=(int(rows.max()) + 1 if len(rows) else 0, n_items))
    matrix.data[:] = 1.0  # duplicates were summed; an item counts once per basket
    return matrix


def cooccurrence(baskets: sp.spmatrix, min_count: int = 1) -> sp.csr_matrix:
    """Item x item count of baskets holding both items; the diagonal holds each item's count.

    With min_count > 1 only pairs of items each in at least min_count baskets are counted (a pair
    is never more frequent than its rarer item, so rules at that support lose nothing); the
    diagonal stays complete."""
    binary = sp.csr_matrix(baskets, dtype=np.float32, copy=True)
    binary.data[:] = 1.0
    if min_count <= 1:
        return (binary.T @ binary).tocsr()
    counts = np.asarray(binary.sum(0)).ravel()
    frequent = np.flatnonzero(counts >= min_count)
    part = binary[:, frequent]
    pairs = (part.T @ part).tocoo()
    rare = np.setdiff1d(np.flatnonzero(counts), frequent)
    rows = np.concatenate([frequent[pairs.row], rare])
    cols = np.concatenate([frequent[pairs.col], rare])
    values = np.concatenate([pairs.data, counts[rare]]).astype(np.float32)
    return sp.csr_matrix((values, (rows, cols)), shape=(binary.shape[1], binary.shape[1]))


def item_similarity(cooc: sp.csr_matrix, n_baskets: int, kind: str = "lift") -> sp.csr_matrix:
    """Co-occurrence counts -> similarity, diagonal removed.

    jaccard = c_ij / (c_i + c_j - c_ij); lift = c_ij * N / (c_i c_j); cosine = c_ij / sqrt(c_i c_j)."""
    if kind not in SIMILARITIES:
        raise InputError(f"similarity: expected one of {', '.join(SIMILARITIES)}, found '{kind}'")
    counts = np.asarray(cooc.diagonal(), dtype=np.float64)
    coo = sp.coo_matrix(cooc)
    off = coo.row != coo.col
    rows, cols, c = coo.row[off], coo.col[off], coo.data[off].astype(np.float64)
    if kind == "jaccard":
        values = c / np.maximum(counts[rows] + counts[cols] - c, 1e-12)
    elif kind == "lift":
        values = c * n_baskets / np.maximum(counts[rows] * counts[cols], 1e-12)
    elif kind == "cosine":
        values = c / np.maximum(np.sqrt(counts[rows] * counts[cols]), 1e-12)
    else:
        values = c
    return sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=cooc.shape)


def keep_top_k(similarity: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k largest entries: bounded memory for wide catalogues."""
    similarity = sp.csr_matrix(similarity)
    indptr, indices, data = similarity.indptr, similarity.indices, similarity.data
    keep = np.zeros(len(data), bool)
    for row in range(similarity.shape[0]):  # rows are short; the work is in argpartition
        start, end = indptr[row], indptr[row + 1]
        if end - start <= k:
            keep[start:end] = True
        else:
            top = np.argpartition(-data[start:end], k - 1)[:k]
            keep[start + top] = True
    row_ids = np.repeat(np.arange(similarity.shape[0]), np.diff(indptr))
    return sp.csr_matrix((data[keep], (row_ids[keep], indices[keep])), shape=similarity.shape)
