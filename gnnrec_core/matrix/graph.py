"""The undirected user-item graph and its symmetric normalised adjacency (torch sparse CSR).
The item-item co-occurrence graph of baskets lives in cooccurrence.py (scipy only, no torch).

Node layout of the bipartite graph: users are [0, U), items are [U, U + I). The edge list holds
both directions of every interaction: under symmetric normalisation a one-way edge list would
give users zero in-degree and silently zero their GCN messages (Kipf & Welling, ICLR 2017;
He et al., LightGCN, SIGIR 2020).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import to_torch_csr_tensor, to_undirected


def bipartite_edge_index(train: sp.spmatrix) -> torch.Tensor:
    """(2, 2 * nnz) int64 edge index over U + I nodes, both directions of every interaction."""
    coo = sp.coo_matrix(train)
    n_users = train.shape[0]
    one_way = torch.from_numpy(np.vstack([coo.row, coo.col + n_users]).astype(np.int64))
    edge_index: torch.Tensor = to_undirected(one_way, num_nodes=n_users + train.shape[1])
    return edge_index


def normalized_adjacency(train: sp.spmatrix, self_loops: bool = False,
                         device: str | torch.device = "cpu") -> torch.Tensor:
    """D^-1/2 (A [+ I]) D^-1/2 of the bipartite graph as a torch sparse CSR tensor, (U+I) x (U+I).

    LightGCN propagates without self loops; the feature GCN of the source documents adds them
    (A~ = A + I)."""
    n_nodes = sum(train.shape)
    edge_index = bipartite_edge_index(train)
    edge_index, weight = gcn_norm(edge_index, None, num_nodes=n_nodes, add_self_loops=self_loops)
    return to_csr(edge_index, weight, n_nodes, device)


def to_csr(edge_index: torch.Tensor, weight: torch.Tensor, n_nodes: int,
           device: str | torch.device = "cpu") -> torch.Tensor:
    with warnings.catch_warnings():  # torch flags sparse CSR as beta on every construction
        warnings.simplefilter("ignore", UserWarning)
        adjacency: torch.Tensor = to_torch_csr_tensor(edge_index, weight, size=(n_nodes, n_nodes)).to(device)
        return adjacency


class _SymmetricPropagate(torch.autograd.Function):
    """y = A x for a symmetric sparse A. The gradient with respect to x is A^T g = A g, so the
    backward pass reuses A; torch's own CSR backward builds A's transpose on every step, which
    makes a training step about 3x slower (benchmarked on the Online Retail baskets graph)."""

    @staticmethod
    def forward(ctx: Any, adjacency: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.adjacency = adjacency
        return adjacency @ x

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[None, torch.Tensor]:
        return None, ctx.adjacency @ grad


def propagate(adjacency: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """One message-passing step over a symmetric normalised adjacency (see _SymmetricPropagate)."""
    out: torch.Tensor = _SymmetricPropagate.apply(adjacency, x)
    return out
