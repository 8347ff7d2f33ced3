"""A closed-form graph filter over the user-item graph: the infinite-depth limit of a linear GCN
(GF-CF, Shen et al., CIKM 2021), used as a component of the default GNN's score.

    R~ = D_u^-1/2 R D_i^-1/2,   P~ = R~^T R~                       (linear filter, item x item)
    scores(r) = r P~ + alpha * r D_i^-1/2 V_k V_k^T D_i^1/2         (+ ideal low-pass filter)

V_k are the top right singular vectors of R~. P~ is kept sparse and pruned to each item's
`neighbours` strongest entries, so memory grows with items x neighbours, not items^2; the low-pass
part is items x k. No training: a fit is one sparse product and one truncated SVD.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..matrix.cooccurrence import keep_top_k
from .base import check_finite


class GraphFilter:
    def __init__(self, rank: int = 64, alpha: float = 0.3, neighbours: int = 200, seed: int = 0) -> None:
        self.rank, self.alpha, self.neighbours, self.seed = rank, alpha, neighbours, seed

    def fit(self, train: sp.csr_matrix) -> "GraphFilter":
        # An inf weight would make the normalised matrix nan and ARPACK fail with "Starting vector is zero".
        train = check_finite(sp.csr_matrix(train, dtype=np.float32), "graph filter")
        user_degree = np.asarray(train.sum(1)).ravel()
        item_degree = np.asarray(train.sum(0)).ravel()
        user_scale = 1.0 / np.sqrt(np.maximum(user_degree, 1e-12))
        item_scale = 1.0 / np.sqrt(np.maximum(item_degree, 1e-12))
        normalised = sp.diags(user_scale.astype(np.float32)) @ train @ sp.diags(item_scale.astype(np.float32))
        normalised = normalised.tocsr()
        self.linear_ = keep_top_k((normalised.T @ normalised).tocsr(), self.neighbours).astype(np.float32)
        rank = min(self.rank, min(train.shape) - 1)
        if rank >= 1 and self.alpha > 0:
            from scipy.sparse.linalg import svds

            start = np.random.default_rng(self.seed).standard_normal(min(normalised.shape))
            _, _, vt = svds(normalised, k=rank, v0=start)
            self.left_ = (vt * item_scale[None, :]).T.astype(np.float32)  # D_i^-1/2 V_k, items x k
            self.right_ = (vt / np.maximum(item_scale, 1e-12)[None, :]).astype(np.float32)  # V_k^T D_i^1/2
        else:
            self.left_ = self.right_ = None
        return self

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        history = sp.csr_matrix(history, dtype=np.float32)
        scores: np.ndarray = (history @ self.linear_).toarray()
        if self.left_ is not None:  # alpha scales the (n, rank) factor: no second (n, items) temporary
            scores += (self.alpha * np.asarray(history @ self.left_)) @ self.right_
        return scores

    def get_state(self, prefix: str) -> dict[str, np.ndarray]:
        s = self.linear_.tocsr()
        state = {f"{prefix}indptr": s.indptr, f"{prefix}indices": s.indices, f"{prefix}data": s.data,
                 f"{prefix}settings": np.array([self.rank, self.alpha, self.neighbours, self.seed], np.float64)}
        if self.left_ is not None:
            state |= {f"{prefix}left": self.left_, f"{prefix}right": self.right_}
        return state

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], prefix: str, n_items: int) -> "GraphFilter":
        rank, alpha, neighbours, seed = state[f"{prefix}settings"]
        graph_filter = cls(int(rank), float(alpha), int(neighbours), int(seed))
        graph_filter.linear_ = sp.csr_matrix((state[f"{prefix}data"], state[f"{prefix}indices"],
                                              state[f"{prefix}indptr"]), shape=(n_items, n_items))
        graph_filter.left_ = state.get(f"{prefix}left")
        graph_filter.right_ = state.get(f"{prefix}right")
        return graph_filter
