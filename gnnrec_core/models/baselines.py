"""Classical baselines that run beside every GNN on the same split.

- Popularity: most-interacted items first.
- Item-kNN: cosine similarity of item columns, top-`neighbours` per item (Sarwar et al., WWW 2001).
- Co-occurrence: SAR-style item-item co-occurrence with lift / Jaccard weighting.
EASE, the strongest of them on most data, has a module of its own (ease.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..matrix.cooccurrence import cooccurrence, item_similarity, keep_top_k
from ..progress import Progress
from .base import Recommender, check_train, positive, sparse_pairs


@dataclass(frozen=True)
class PopularityConfig:
    pass


class Popularity(Recommender):
    name = "pop"
    config_class = PopularityConfig
    explained_by = "popularity"
    link_label = "buyers"
    link_scale = ("the number of customers who bought the other product (popularity links every product to the "
                  "best sellers alike)")

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> Popularity:
        self.train_ = check_train(train, self.name)
        # Summed strength: with binary weighting, the number of buyers.
        self.counts_ = np.asarray(self.train_.sum(0)).ravel().astype(np.float32)
        return self

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts_, (history.shape[0], len(self.counts_))).copy()

    def item_item(self, items: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts_, (len(items), len(self.counts_))).copy()

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.asarray(self.counts_, np.float64)[np.asarray(targets, np.int64)]

    def get_state(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts_}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.counts_ = state["counts"]


class _ItemItemModel(Recommender):
    """Scores = history @ S for a sparse item x item matrix S (`similarity_`)."""

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        # The product stays sparse until this one dense (n, items) float32 array: the caller sizes n.
        return np.asarray((sp.csr_matrix(history, dtype=np.float32) @ self.similarity_).toarray())

    def item_item(self, items: np.ndarray) -> np.ndarray:
        return np.asarray(self.similarity_[np.asarray(items)].todense())

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return sparse_pairs(self.similarity_, sources, targets)

    def get_state(self) -> dict[str, np.ndarray]:
        s = self.similarity_.tocsr()
        return {"indptr": s.indptr, "indices": s.indices, "data": s.data}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.similarity_ = sp.csr_matrix((state["data"], state["indices"], state["indptr"]),
                                         shape=(self.n_items, self.n_items))


@dataclass(frozen=True)
class ItemKNNConfig:
    neighbours: int = 100

    def __post_init__(self) -> None:
        positive(self.neighbours, "neighbours")


class ItemKNN(_ItemItemModel):
    name = "itemknn"
    config_class = ItemKNNConfig
    link_label = "cosine similarity"
    link_scale = "the cosine of the two products' buyers: 1 when the same customers bought both alike"
    link_top = 1.0

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> ItemKNN:
        self.train_ = check_train(train, self.name)
        gram = (self.train_.T @ self.train_).tocsr()  # weighted: cosine of the items' strength columns
        self.similarity_ = keep_top_k(item_similarity(gram, train.shape[0], "cosine"), self.config.neighbours)
        return self


COOC_SCALES = {"jaccard": "the share of the customers of either product who bought both (0 to 1)",
               "lift": "how many times more often the same customers bought both than chance would (1: chance)",
               "count": "the number of customers who bought both"}


@dataclass(frozen=True)
class CooccurrenceConfig:
    similarity: str = "jaccard"
    neighbours: int = 200
    min_count: int = 1  # ignore pairs seen together fewer times (noise, and huge lift on rare items)

    def __post_init__(self) -> None:
        if self.similarity not in ("count", "jaccard", "lift"):
            raise ConfigError(f"similarity: expected count, jaccard or lift, found '{self.similarity}'")
        positive(self.neighbours, "neighbours")


class Cooccurrence(_ItemItemModel):
    name = "cooc"
    config_class = CooccurrenceConfig

    @property
    def link_label(self) -> str:  # type: ignore[override]
        return f"{self.config.similarity} similarity"

    @property
    def link_scale(self) -> str:  # type: ignore[override]
        return COOC_SCALES[self.config.similarity]

    @property
    def link_top(self) -> float | None:  # type: ignore[override]
        return 1.0 if self.config.similarity == "jaccard" else None

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> Cooccurrence:
        self.train_ = check_train(train, self.name)
        cooc = cooccurrence(self.train_)
        if self.config.min_count > 1:
            cooc.data[cooc.data < self.config.min_count] = 0
            cooc.eliminate_zeros()
        similarity = item_similarity(cooc, train.shape[0], self.config.similarity)
        self.similarity_ = keep_top_k(similarity, self.config.neighbours)
        return self
