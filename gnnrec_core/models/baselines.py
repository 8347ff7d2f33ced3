"""Classical baselines that run beside every GNN on the same split.

- Popularity: most-interacted items first.
- Item-kNN: cosine similarity of item columns, top-`neighbours` per item (Sarwar et al., WWW 2001).
- Co-occurrence: SAR-style item-item co-occurrence with lift / Jaccard weighting.
- EASE: closed-form shallow autoencoder B = I - P diag(1/diag P), P = (X^T X + lambda I)^-1
  (Steck, WWW 2019). Dense items x items, so it refuses above `max_items`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..matrix.graph import cooccurrence, item_similarity, keep_top_k
from ..matrix.interactions import carve_validation
from ..data.limits import limits
from ..training.metrics import evaluate
from .base import Recommender, check_train, positive


@dataclass(frozen=True)
class PopularityConfig:
    pass


class Popularity(Recommender):
    name = "pop"
    config_class = PopularityConfig

    def fit(self, train, valid=None, progress=None):
        self.train_ = check_train(train, self.name)
        self.counts_ = np.asarray(self.train_.astype(bool).sum(0)).ravel().astype(np.float32)
        return self

    def score_history(self, history):
        return np.broadcast_to(self.counts_, (history.shape[0], len(self.counts_))).copy()

    def item_item(self, items):
        return np.broadcast_to(self.counts_, (len(items), len(self.counts_))).copy()

    def get_state(self):
        return {"counts": self.counts_}

    def set_state(self, state):
        self.counts_ = state["counts"]


class _ItemItemModel(Recommender):
    """Scores = history @ S for a sparse item x item matrix S (`similarity_`)."""

    def score_history(self, history):
        return np.asarray((sp.csr_matrix(history, dtype=np.float32) @ self.similarity_).todense())

    def item_item(self, items):
        return np.asarray(self.similarity_[np.asarray(items)].todense())

    def get_state(self):
        s = self.similarity_.tocsr()
        return {"indptr": s.indptr, "indices": s.indices, "data": s.data}

    def set_state(self, state):
        self.similarity_ = sp.csr_matrix((state["data"], state["indices"], state["indptr"]),
                                         shape=(self.n_items, self.n_items))


@dataclass(frozen=True)
class ItemKNNConfig:
    neighbours: int = 100

    def __post_init__(self):
        positive(self.neighbours, "neighbours")


class ItemKNN(_ItemItemModel):
    name = "itemknn"
    config_class = ItemKNNConfig

    def fit(self, train, valid=None, progress=None):
        self.train_ = check_train(train, self.name)
        cooc = cooccurrence(self.train_)
        self.similarity_ = keep_top_k(item_similarity(cooc, train.shape[0], "cosine"), self.config.neighbours)
        return self


@dataclass(frozen=True)
class CooccurrenceConfig:
    similarity: str = "jaccard"
    neighbours: int = 200
    min_count: int = 1  # ignore pairs seen together fewer times (noise, and huge lift on rare items)

    def __post_init__(self):
        if self.similarity not in ("count", "jaccard", "lift"):
            raise ConfigError(f"similarity: expected count, jaccard or lift, found '{self.similarity}'")
        positive(self.neighbours, "neighbours")


class Cooccurrence(_ItemItemModel):
    name = "cooc"
    config_class = CooccurrenceConfig

    def fit(self, train, valid=None, progress=None):
        self.train_ = check_train(train, self.name)
        cooc = cooccurrence(self.train_)
        if self.config.min_count > 1:
            cooc.data[cooc.data < self.config.min_count] = 0
            cooc.eliminate_zeros()
        similarity = item_similarity(cooc, train.shape[0], self.config.similarity)
        self.similarity_ = keep_top_k(similarity, self.config.neighbours)
        return self


@dataclass(frozen=True)
class EASEConfig:
    l2: float | None = None  # None: chosen from LAMBDA_GRID on a validation slice of train
    # A dense items x items float64 inverse: 20k items is 3.2 GB. Default from GNNREC_MAX_DENSE_ITEMS.
    max_items: int = field(default_factory=lambda: limits().dense_items)

    def __post_init__(self):
        if self.l2 is not None:
            positive(self.l2, "l2")


LAMBDA_GRID = (10.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


class EASE(Recommender):
    name = "ease"
    config_class = EASEConfig

    def fit(self, train, valid=None, progress=None):
        self.train_ = check_train(train, self.name)
        n_items = train.shape[1]
        if n_items > self.config.max_items:
            raise ConfigError(f"ease: expected at most {self.config.max_items:,} items for its dense "
                              f"items x items inverse, found {n_items:,}; use itemknn or lightgcn "
                              "(or raise GNNREC_MAX_DENSE_ITEMS on a machine with the memory)")
        self.l2_ = self.config.l2 if self.config.l2 is not None else self._choose_l2(self.train_)
        self.weights_ = _ease_weights(self.train_, self.l2_)
        return self

    @staticmethod
    def _choose_l2(train: sp.csr_matrix) -> float:
        """Pick lambda by nDCG@10 on a validation slice carved from train (never the test set)."""
        part, valid = carve_validation(train, 0.1, seed=0)
        if valid.nnz == 0:
            return 100.0
        best = max(LAMBDA_GRID, key=lambda lam: evaluate(
            lambda users, B=_ease_weights(part, lam): np.asarray(part[users] @ B), part, valid)["ndcg"])
        return float(best)

    def score_history(self, history):
        return np.asarray(sp.csr_matrix(history, dtype=np.float32) @ self.weights_)

    def item_item(self, items):
        return self.weights_[np.asarray(items)]

    def get_state(self):
        return {"weights": self.weights_, "l2": np.array([self.l2_])}

    def set_state(self, state):
        self.weights_, self.l2_ = state["weights"], float(state["l2"][0])


def _ease_weights(train: sp.csr_matrix, l2: float) -> np.ndarray:
    gram = np.asarray((train.T @ train).todense(), dtype=np.float64)
    gram[np.diag_indices_from(gram)] += l2
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)
