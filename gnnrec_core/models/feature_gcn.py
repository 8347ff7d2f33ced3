"""Feature-aware GCN, as in the product brief's source documents (Kipf & Welling, ICLR 2017):

    H^(l+1) = sigma( D~^-1/2 A~ D~^-1/2 H^(l) W^(l) ),   A~ = A + I

over the user-item graph plus "catalogue" item-item edges that join each product to its nearest
products by features. Item inputs are x_i W_0 (catalogue features, see features.py) plus a learned
ID vector; users have learned ID vectors (no user attributes are uploaded). The output is the mean
of every layer's H, as in LightGCN, so the input features reach the scores directly.

Each layer is W (a Linear) then the normalised propagation, as PyG's GCNConv computes it; the
propagation is graph.propagate, whose backward pass reuses the symmetric adjacency (GCNConv's
sparse path transposes it on every step, about 3x slower here). Normalisation is PyG's gcn_norm.

A product with no history is still placed: its features give H^(0), and its catalogue edges
bring in its neighbours' messages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import coalesce

from ..errors import InputError
from ..fit.train import resolve_device
from ..matrix.graph import bipartite_edge_index, propagate, to_csr
from ..progress import Progress
from .base import check_train, positive
from .embedding import EmbeddingConfig, EmbeddingScores


@dataclass(frozen=True)
class FeatureGCNConfig(EmbeddingConfig):
    dim: int = 128
    layers: int = 2
    catalogue_neighbours: int = 5  # item-item edges per product from feature similarity; 0: none
    # Share of products whose ID vector is zeroed in each training step, so that features and
    # catalogue neighbours learn to place a product on their own (as they must for a new one).
    id_dropout: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self.dim, "dim")
        positive(self.layers, "layers")


class FeatureGCNModule(torch.nn.Module):
    def __init__(self, adjacency: torch.Tensor, n_users: int, features: torch.Tensor, dim: int,
                 layers: int, seed: int, id_dropout: float = 0.0) -> None:
        super().__init__()
        self.id_dropout = id_dropout
        generator = torch.Generator().manual_seed(seed)
        self.adjacency, self.n_users, self.features = adjacency, n_users, features
        device = features.device
        self.user_embedding = torch.nn.Parameter((torch.randn(n_users, dim, generator=generator) * 0.1).to(device))
        self.item_embedding = torch.nn.Parameter((torch.randn(len(features), dim,
                                                              generator=generator) * 0.1).to(device))
        self.project = torch.nn.Linear(features.shape[1], dim).to(device)
        self.convs = torch.nn.ModuleList(torch.nn.Linear(dim, dim).to(device) for _ in range(layers))

    def item_inputs(self, features: torch.Tensor) -> torch.Tensor:
        ids: torch.Tensor = self.item_embedding
        if self.training and self.id_dropout > 0:
            keep = (torch.rand(len(ids), 1, device=ids.device) >= self.id_dropout).to(ids.dtype)
            ids = ids * keep
        inputs: torch.Tensor = self.project(features) + ids
        return inputs

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([self.user_embedding, self.item_inputs(self.features)])
        outputs = [x]
        for index, conv in enumerate(self.convs):
            x = propagate(self.adjacency, conv(x))
            if index < len(self.convs) - 1:
                x = F.leaky_relu(x, 0.2)
            outputs.append(x)
        out = torch.stack(outputs).mean(0)
        return out[: self.n_users], out[self.n_users:]


class FeatureGCN(EmbeddingScores):
    name = "gcn"
    config_class = FeatureGCNConfig

    def __init__(self, config: FeatureGCNConfig | None = None, item_features: np.ndarray | None = None,
                 **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.item_features = item_features

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> FeatureGCN:
        train = check_train(train, self.name)
        features = self.item_features
        if features is None:
            features = np.zeros((train.shape[1], 1), np.float32)  # no catalogue: IDs only
        if len(features) != train.shape[1]:
            raise InputError(f"gcn: expected features for {train.shape[1]:,} items, found {len(features):,}")
        self.train_, self.device_ = train, resolve_device(self.config.device)
        self.features_ = np.asarray(features, np.float32)
        self._fit_edges: tuple[np.ndarray, int, torch.Tensor] | None = None  # this fit's, made on first use
        torch.manual_seed(self.config.seed)
        self._fit_embeddings(train, valid, progress)
        return self

    def _build(self, settings: dict[str, Any], train: sp.csr_matrix) -> FeatureGCNModule:
        c = replace(self.config, **settings)
        return FeatureGCNModule(self._graph(train), train.shape[0], torch.from_numpy(self.features_).to(self.device_),
                                c.dim, c.layers, c.seed, c.id_dropout)

    def _graph(self, train: sp.csr_matrix) -> torch.Tensor:
        return self._adjacency(train, self.features_)

    def _adjacency(self, train: sp.csr_matrix, features: np.ndarray) -> torch.Tensor:
        n_users, n_items = train.shape
        edges = [bipartite_edge_index(train)]
        if self.config.catalogue_neighbours and features.shape[1] > 1:
            edges.append(self._feature_edges(features) + n_users)
        edge_index = coalesce(torch.cat(edges, dim=1), num_nodes=n_users + n_items)  # one edge per pair
        edge_index, weight = gcn_norm(edge_index, None, num_nodes=n_users + n_items, add_self_loops=True)
        return to_csr(edge_index, weight, n_users + n_items, self.device_)

    def _feature_edges(self, features: np.ndarray) -> torch.Tensor:
        """The products' feature kNN edges. Within one fit the train part's graph and train's share
        them (13 s at 50k products); each fit makes its own (the caller may have changed the array in
        place), and other features (new products placed by embed_new_items) are never kept."""
        k = self.config.catalogue_neighbours
        kept = getattr(self, "_fit_edges", None)
        if kept is not None and kept[0] is features and kept[1] == k:
            reused: torch.Tensor = kept[2]
            return reused
        edges = catalogue_edges(features, k)
        if features is self.features_:
            self._fit_edges = (features, k, edges)
        return edges

    @torch.no_grad()
    def embed_new_items(self, features: np.ndarray) -> np.ndarray:
        """Vectors for products with no history, from their features alone: they join the trained
        graph as new nodes with catalogue edges to their nearest products by features, their ID
        vectors zero, and the trained layers run once. Returns (new items, d), comparable by
        cosine with item_vectors()."""
        self._check_fitted()
        features = np.asarray(features, np.float32)
        if features.ndim != 2 or features.shape[1] != self.features_.shape[1]:
            raise InputError(f"gcn: expected new-item features with {self.features_.shape[1]} columns, "
                             f"found shape {features.shape}")
        trained = self._trained_module()
        n_new = len(features)
        train = sp.hstack([self.train_, sp.csr_matrix((self.n_users, n_new), dtype=np.float32)]).tocsr()
        all_features = np.vstack([self.features_, features])
        module = FeatureGCNModule(self._adjacency(train, all_features), self.n_users,
                                  torch.from_numpy(all_features).to(self.device_), self.config.dim,
                                  self.config.layers, self.config.seed)
        state = trained.state_dict()
        state["item_embedding"] = torch.cat([state["item_embedding"],
                                             torch.zeros(n_new, self.config.dim, device=self.device_)])
        if "item_bias" in state:
            del state["item_bias"]
        module.load_state_dict(state, strict=False)
        _, items = module()
        return F.normalize(items[-n_new:], dim=1).cpu().numpy()

    def _trained_module(self) -> "FeatureGCNModule":
        module = getattr(self, "module_", None)
        if module is None:  # loaded from disk: rebuild from the saved parameters
            self.device_ = resolve_device(self.config.device)
            module = FeatureGCNModule(self._adjacency(self.train_, self.features_), self.n_users,
                                      torch.from_numpy(self.features_).to(self.device_), self.config.dim,
                                      self.config.layers, self.config.seed)
            module.load_state_dict({k.removeprefix("module."): torch.from_numpy(v) for k, v in
                                    self.module_state_.items()}, strict=False)
            self.module_ = module
        return module

    def get_state(self) -> dict[str, np.ndarray]:
        params = {f"module.{k}": v.detach().cpu().numpy() for k, v in self._trained_module().state_dict().items()}
        state: dict[str, np.ndarray] = super().get_state() | {"features": self.features_} | params
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        super().set_state(state)
        self.features_ = state["features"]
        self._fit_edges = None
        self.module_state_ = {k: v for k, v in state.items() if k.startswith("module.")}
        self.module_ = None


def catalogue_edges(features: np.ndarray, k: int, batch: int = 4096) -> torch.Tensor:
    """(2, 2 * items * k) both-direction edges from each item to its k nearest by feature cosine."""
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    k = min(k, len(unit) - 1)
    if k < 1:
        return torch.empty(2, 0, dtype=torch.long)
    sources, targets = [], []
    for start in range(0, len(unit), batch):
        block = torch.from_numpy(unit[start:start + batch] @ unit.T)
        block[torch.arange(len(block)), torch.arange(start, start + len(block))] = -torch.inf
        top = torch.topk(block, k, dim=1).indices
        sources.append(torch.arange(start, start + len(block)).repeat_interleave(k))
        targets.append(top.reshape(-1))
    src, dst = torch.cat(sources), torch.cat(targets)
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
