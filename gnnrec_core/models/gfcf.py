"""GF-CF as a model of its own: graph convolution solved in closed form (Shen et al., "How Powerful
is Graph Convolution for Recommendation?", CIKM 2021). No training.

    scores(r) = r P~ + alpha * r D_i^-1/2 V_k V_k^T D_i^1/2      (graph_filter.GraphFilter)

It is the infinite-depth limit of a linear GCN (LightGCN without its learned embeddings), so it is
the reference a trained GNN has to beat: every table shows it beside the GNN. The low-pass rank k
and its weight alpha are chosen on a validation slice carved from train, the way EASE chooses its
lambda; the chosen filter is then fitted on the whole train split.

The score is linear in the history: score(r) = r @ (P~ + alpha * D_i^-1/2 V_k V_k^T D_i^1/2), so a
reason's per-purchase shares sum exactly to the score (`item_item`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..fit.metrics import evaluate
from ..matrix.interactions import carve_validation
from ..progress import Progress
from ..records import Tuning
from .base import Recommender, check_train
from .graph_filter import GraphFilter

ALPHA_GRID = (0.0, 0.3, 1.0)
RANK_GRID = (64, 256)
LARGE_NNZ = 2_000_000  # above this many interactions only the smaller rank is tried (the SVD dominates)


@dataclass(frozen=True)
class GFCFConfig:
    rank: int | None = None  # the ideal low-pass filter's rank; None: chosen on validation
    alpha: float | None = None  # its weight beside the linear filter; None: chosen on validation
    neighbours: int = 200  # item-item entries kept per item (memory grows with items x neighbours)
    valid_fraction: float = 0.1
    seed: int = 0


class GFCF(Recommender):
    name = "gfcf"
    config_class = GFCFConfig
    link_label = "graph filter weight"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> GFCF:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        ranks = (cfg.rank,) if cfg.rank is not None else (
            RANK_GRID[:1] if self.train_.nnz > LARGE_NNZ else RANK_GRID)
        alphas = (cfg.alpha,) if cfg.alpha is not None else ALPHA_GRID
        self.valid_ndcg_: float | None = None
        rank, alpha = ranks[0], alphas[0]
        if len(ranks) * len(alphas) > 1:
            rank, alpha, self.valid_ndcg_ = self._choose(ranks, alphas, valid)
        self.rank_, self.alpha_ = int(rank), float(alpha)
        self.filter_ = GraphFilter(self.rank_, self.alpha_, cfg.neighbours, cfg.seed).fit(self.train_)
        return self

    def _choose(self, ranks: tuple[int, ...], alphas: tuple[float, ...], valid: sp.csr_matrix | None
                ) -> tuple[int, float, float]:
        """The (rank, alpha) with the best nDCG@10 on validation, each filter fitted on the rest."""
        if valid is None:
            part, valid = carve_validation(self.train_, self.config.valid_fraction, seed=self.config.seed)
        else:
            part = self.train_
        best = (ranks[0], alphas[0], -1.0)
        for rank in ranks:
            candidate = GraphFilter(rank, 1.0, self.config.neighbours, self.config.seed).fit(part)
            for alpha in alphas:
                candidate.alpha = alpha
                score = evaluate(lambda users: candidate.score_history(part[users]), part, valid)["ndcg"]
                if score > best[2]:
                    best = (rank, alpha, score)
        return best

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        self._check_fitted()
        return self.filter_.score_history(history)

    def item_item(self, items: np.ndarray) -> np.ndarray:
        """Rows of the filter's item-item matrix: score_history(h) = h @ these rows, exactly."""
        items = np.asarray(items)
        rows: np.ndarray = self.filter_.linear_[items].toarray()
        if self.filter_.left_ is not None and self.filter_.right_ is not None:
            rows += (self.filter_.alpha * self.filter_.left_[items]) @ self.filter_.right_
        return rows

    def tuning(self) -> Tuning | None:
        if getattr(self, "filter_", None) is None:
            return None
        return Tuning(chosen={"rank": self.rank_, "alpha": self.alpha_}, valid_ndcg=self.valid_ndcg_)

    def get_state(self) -> dict[str, np.ndarray]:
        return self.filter_.get_state("gf_")

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.filter_ = GraphFilter.from_state(state, "gf_", self.train_.shape[1])
        self.rank_, self.alpha_, self.valid_ndcg_ = self.filter_.rank, self.filter_.alpha, None
