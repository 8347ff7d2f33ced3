"""Scoring shared by the embedding models (LightGCN, feature GCN): exactly the scores their
training loss used. With the softmax loss: cos(user, item) / temperature + item bias; with BPR:
the dot product. A new basket's user vector is the mean of its items' vectors (the source
documents' history-mean rule). Similar items use cosine alone: the bias is popularity, not
similarity.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from .base import Recommender


class EmbeddingScores(Recommender):
    @torch.no_grad()
    def _store(self, module: torch.nn.Module) -> None:
        users, items = module()
        if self.config.loss == "softmax":
            users, items = F.normalize(users, dim=1), F.normalize(items, dim=1)
        bias = getattr(module, "item_bias", None)
        self.user_vectors_ = users.float().cpu().numpy()
        self.item_vectors_ = items.float().cpu().numpy()
        self.item_bias_ = (bias.float().cpu().numpy() if bias is not None
                           else np.zeros(len(self.item_vectors_), np.float32))

    def _from_user_vectors(self, users: np.ndarray) -> np.ndarray:
        if self.config.loss == "bpr":
            return users @ self.item_vectors_.T
        unit = users / np.maximum(np.linalg.norm(users, axis=1, keepdims=True), 1e-12)
        return unit @ self.item_vectors_.T / self.config.temperature + self.item_bias_

    def score(self, users):
        self._check_fitted()
        return self._from_user_vectors(self.user_vectors_[np.asarray(users)])

    def score_history(self, history):
        history = sp.csr_matrix(history, dtype=np.float32)
        sums = np.maximum(np.asarray(history.sum(1)), 1e-12)
        return self._from_user_vectors(np.asarray(history @ self.item_vectors_) / sums)

    def item_vectors(self):
        return self.item_vectors_

    def get_state(self):
        return {"user_vectors": self.user_vectors_, "item_vectors": self.item_vectors_, "item_bias": self.item_bias_}

    def set_state(self, state):
        self.user_vectors_, self.item_vectors_ = state["user_vectors"], state["item_vectors"]
        self.item_bias_ = state.get("item_bias", np.zeros(len(self.item_vectors_), np.float32))
