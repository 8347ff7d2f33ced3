"""LightGCN: a GCN without feature transforms or non-linearities (He et al., SIGIR 2020).

    E^(k+1) = D^-1/2 A D^-1/2 E^(k),   E = mean_k E^(k),   score(u, i) = <e_u, e_i>

Propagation is one sparse CSR x dense product per layer over the whole graph (torch.sparse), so a
training step costs `layers` sparse products plus the loss's dense products. Training and its
loss live in `train.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from ..errors import ConfigError
from ..fit.train import resolve_device
from ..matrix.graph import normalized_adjacency, propagate
from ..progress import Progress
from .base import check_train, positive
from .embedding import EmbeddingConfig, EmbeddingScores

INITS = ("random", "spectral")


@dataclass(frozen=True)
class LightGCNConfig(EmbeddingConfig):
    dim: int = 128
    layers: int = 2
    init_std: float = 0.1
    # "spectral": the top singular vectors of the degree-normalised interactions (the graph filter's
    # low-pass basis), so training starts where the closed-form filter is; "random": Gaussian.
    # Chosen on validation, seven datasets x five seeds: spectral ahead of random on three, level on
    # four, behind on none (docs/benchmarks.md, "LightGCN's start").
    init: str = "spectral"

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self.dim, "dim")
        if self.init not in INITS:
            raise ConfigError(f"init: expected one of {', '.join(INITS)}, found '{self.init}'")
        if self.layers < 0:
            positive(self.layers, "layers")


class LightGCNModule(torch.nn.Module):
    def __init__(self, adjacency: torch.Tensor, n_users: int, n_items: int, dim: int, layers: int,
                 init_std: float, seed: int, initial: np.ndarray | None = None) -> None:
        super().__init__()
        self.adjacency, self.n_users, self.layers = adjacency, n_users, layers
        if initial is None:
            generator = torch.Generator().manual_seed(seed)
            weight = torch.randn(n_users + n_items, dim, generator=generator) * init_std
        else:  # scaled so its entries spread as a random start's would: the learning rate means the same
            weight = torch.from_numpy(initial * (init_std / max(float(initial.std()), 1e-12))).float()
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
        initial = self._spectral(train, c.dim) if c.init == "spectral" else None
        return LightGCNModule(self._graph(train), train.shape[0], train.shape[1], c.dim, c.layers, c.init_std, c.seed,
                              initial)

    def _spectral(self, train: sp.csr_matrix, dim: int) -> np.ndarray:
        """[U_k S^1/2; V_k S^1/2] of R~ = D_u^-1/2 R D_i^-1/2, (users + items) x dim. These are
        eigenvectors of the normalised adjacency LightGCN propagates over (A [U; V] = [U; V] S), so
        propagation keeps the start in its subspace and its first scores are a low-pass graph
        filter's. Randomised SVD (Halko et al. 2011); computed once per train part at the largest
        dim asked for, a smaller dim takes the leading columns."""
        cached = getattr(self, "_spectral_cache", None)
        if cached is None or cached[0] is not train or cached[1].shape[1] < dim:
            from sklearn.utils.extmath import randomized_svd

            users = 1.0 / np.sqrt(np.maximum(np.asarray(train.sum(1)).ravel(), 1e-12))
            items = 1.0 / np.sqrt(np.maximum(np.asarray(train.sum(0)).ravel(), 1e-12))
            normalised = sp.diags(users) @ train @ sp.diags(items)
            rank = min(dim, min(train.shape) - 1)
            u, s, vt = randomized_svd(normalised, rank, n_iter=4, random_state=self.config.seed)
            root = np.sqrt(s)[None, :]
            vectors = np.vstack([u * root, vt.T * root]).astype(np.float32)
            if rank < dim:  # a catalogue smaller than dim: the rest starts at zero
                vectors = np.hstack([vectors, np.zeros((len(vectors), dim - rank), np.float32)])
            self._spectral_cache = (train, vectors)
        found: np.ndarray = self._spectral_cache[1][:, :dim]
        return found

    def _graph(self, train: sp.csr_matrix) -> torch.Tensor:
        cached = getattr(self, "_graph_cache", None)
        if cached is None or cached[0] is not train:  # every search candidate shares the train part's graph
            self._graph_cache = (train, normalized_adjacency(train, self_loops=False, device=self.device_))
        return self._graph_cache[1]
