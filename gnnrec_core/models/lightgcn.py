"""LightGCN: a GCN without feature transforms or non-linearities (He et al., SIGIR 2020).

    E^(k+1) = D^-1/2 A D^-1/2 E^(k),   E = mean_k E^(k),   score(u, i) = <e_u, e_i>

Propagation is one sparse CSR x dense product per layer over the whole graph (torch.sparse), so a
training step costs `layers` sparse products plus the loss's dense products. Training and its
loss live in `train.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import scipy.sparse as sp
import torch

from ..fit.train import resolve_device
from ..matrix.graph import normalized_adjacency, propagate
from ..progress import Progress
from .base import check_train, positive
from .embedding import EmbeddingConfig, EmbeddingScores


@dataclass(frozen=True)
class LightGCNConfig(EmbeddingConfig):
    dim: int = 128
    layers: int = 2
    init_std: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self.dim, "dim")
        if self.layers < 0:
            positive(self.layers, "layers")


class LightGCNModule(torch.nn.Module):
    def __init__(self, adjacency: torch.Tensor, n_users: int, n_items: int, dim: int, layers: int,
                 init_std: float, seed: int) -> None:
        super().__init__()
        self.adjacency, self.n_users, self.layers = adjacency, n_users, layers
        generator = torch.Generator().manual_seed(seed)
        weight = torch.randn(n_users + n_items, dim, generator=generator) * init_std
        self.embedding = torch.nn.Parameter(weight.to(adjacency.device))

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        x: torch.Tensor = self.embedding
        total = x
        for _ in range(self.layers):
            x = propagate(self.adjacency, x)
            total = total + x
        out = total / (self.layers + 1)
        return out[: self.n_users], out[self.n_users:]


class LightGCN(EmbeddingScores):
    name = "lightgcn"
    config_class = LightGCNConfig
    searches = True  # temperature, layers, dim, lr, weight decay and item bias chosen on validation

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> LightGCN:
        self.train_ = check_train(train, self.name)
        self.device_ = resolve_device(self.config.device)
        torch.manual_seed(self.config.seed)
        self._fit_embeddings(self.train_, valid, progress)
        return self

    def _build(self, settings: dict[str, Any], train: sp.csr_matrix) -> LightGCNModule:
        c = replace(self.config, **settings)
        return LightGCNModule(self._graph(train), train.shape[0], train.shape[1], c.dim, c.layers, c.init_std, c.seed)

    def _graph(self, train: sp.csr_matrix) -> torch.Tensor:
        cached = getattr(self, "_graph_cache", None)
        if cached is None or cached[0] is not train:  # every search candidate shares the train part's graph
            self._graph_cache = (train, normalized_adjacency(train, self_loops=False, device=self.device_))
        return self._graph_cache[1]
