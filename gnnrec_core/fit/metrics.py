"""Top-k ranking metrics with full ranking over all items and seen items masked.

Definitions (binary relevance, k = cut-off, R_u = user u's held-out items):
  precision@k = hits / k             recall@k = hits / |R_u|
  nDCG@k      = DCG / IDCG, DCG = sum over hit ranks r (1-based) of 1 / log2(r + 1),
                IDCG the same for min(|R_u|, k) hits at the top
  MAP@k       = sum over hit ranks r of precision@r, divided by min(|R_u|, k)
  hit rate@k  = share of users with at least one hit
  coverage@k  = distinct items in anyone's top k / all items
Each per-user figure is averaged over users with at least one held-out item.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import torch

METRICS = ("ndcg", "precision", "recall", "map", "hit_rate", "coverage")
ScoreFn = Callable[[np.ndarray], np.ndarray]


def top_k(scores: np.ndarray | torch.Tensor, k: int, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """Indices of the k best items per row, best first; entries of `exclude` (rows aligned with
    `scores`) never appear. scores: (n, items) array, or a torch tensor when a model made one."""
    if "torch" in sys.modules:  # torch's topk is multi-threaded: use it when a GNN has loaded torch anyway
        return _top_k_torch(scores, k, exclude)
    scores = np.array(scores, dtype=np.float32)  # a copy: exclusions are written into it
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    k = min(k, scores.shape[1])
    if k == 0:
        return np.zeros((scores.shape[0], 0), np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return _ties_to_lower_index(scores, part)


def _ties_to_lower_index(scores: np.ndarray, top: np.ndarray) -> np.ndarray:
    """One ranking rule whichever path found the top k: equal scores rank by lower item index.
    argpartition and torch.topk each break ties their own way, so popularity's many equal counts
    used to score differently depending on whether torch happened to be loaded."""
    top = top.astype(np.int64)
    k = top.shape[1]
    if k == 0 or top.shape[0] == 0:
        return top
    threshold = np.take_along_axis(scores, top, axis=1).min(axis=1)
    for row in np.flatnonzero((scores >= threshold[:, None]).sum(axis=1) > k):  # a tie at the cut
        above = np.flatnonzero(scores[row] > threshold[row])
        equal = np.flatnonzero(scores[row] == threshold[row])[: k - len(above)]
        top[row] = np.concatenate([above, equal])
    values = np.take_along_axis(scores, top, axis=1)
    return np.take_along_axis(top, np.lexsort((top, -values), axis=1), axis=1)


def _top_k_torch(scores: np.ndarray | torch.Tensor, k: int, exclude: sp.csr_matrix | None) -> np.ndarray:
    import torch

    scores = torch.as_tensor(scores, dtype=torch.float32).clone()
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[torch.from_numpy(coo.row.astype(np.int64)), torch.from_numpy(coo.col.astype(np.int64))] = -torch.inf
    k = min(k, scores.shape[1])
    top = torch.topk(scores, k, dim=1).indices.numpy()
    return _ties_to_lower_index(scores.numpy(), top)


def ranking_metrics(top: np.ndarray, relevant: sp.csr_matrix, k: int) -> dict[str, np.ndarray]:
    """Per-user metrics from ranked lists `top` (n x k) and a relevance CSR (n x items)."""
    n = top.shape[0]
    rows = np.repeat(np.arange(n), top.shape[1])
    hits = np.asarray(relevant[rows, top.ravel()]).reshape(top.shape) > 0
    n_rel = np.diff(relevant.indptr)
    discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = np.cumsum(np.r_[0.0, discounts])[np.minimum(n_rel, k)]
    cum_hits = np.cumsum(hits, axis=1)
    precision_at_rank = cum_hits / np.arange(1, top.shape[1] + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "ndcg": (hits * discounts).sum(1) / ideal,
            "precision": hits.sum(1) / k,
            "recall": hits.sum(1) / n_rel,
            "map": (precision_at_rank * hits).sum(1) / np.minimum(n_rel, k),
            "hit_rate": hits.any(1).astype(np.float64),
        }


def evaluate(score_users: ScoreFn, train: sp.csr_matrix, test: sp.csr_matrix, k: int = 10,
             batch_size: int = 2048, exclude_extra: sp.csr_matrix | None = None) -> dict[str, float]:
    """Mean metrics@k over users with held-out items. score_users(user_indices) -> (n, items)."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if len(users) == 0:
        return {m: float("nan") for m in METRICS} | {"users": 0}
    seen = train if exclude_extra is None else (train + exclude_extra).tocsr()
    sums = {m: 0.0 for m in METRICS if m != "coverage"}
    recommended = np.zeros(train.shape[1], bool)
    for start in range(0, len(users), batch_size):
        batch = users[start:start + batch_size]
        top = top_k(score_users(batch), k, seen[batch])
        recommended[top.ravel()] = True
        for name, values in ranking_metrics(top, test[batch], k).items():
            sums[name] += float(values.sum())
    result = {name: total / len(users) for name, total in sums.items()}
    result["coverage"] = float(recommended.mean())
    result["users"] = int(len(users))
    return result
