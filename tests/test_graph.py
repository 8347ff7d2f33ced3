import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from gnnrec_core.matrix.cooccurrence import cooccurrence, item_similarity, keep_top_k
from gnnrec_core.matrix.graph import bipartite_edge_index, normalized_adjacency

TRAIN = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], np.float32))  # 2 users, 3 items


def test_edge_index_holds_both_directions():
    edges = set(map(tuple, bipartite_edge_index(TRAIN).T.tolist()))
    one_way = {(0, 2), (0, 3), (1, 3), (1, 4)}  # user u -> item node U + i
    assert edges == one_way | {(b, a) for a, b in one_way}


def test_one_way_edges_would_zero_user_messages():
    """Why both directions matter: with user->item edges only, users have no in-edges, so a GCN
    layer sends them nothing; the undirected graph gives every user a message."""
    n = 5
    one_way = torch.tensor([[0, 0, 1, 1], [2, 3, 3, 4]])
    index, weight = gcn_norm(one_way, None, num_nodes=n, add_self_loops=False)
    adjacency = torch.sparse_coo_tensor(index.flip(0), weight, (n, n))  # messages flow source -> target
    x = torch.ones(n, 1)
    assert (adjacency @ x)[:2].abs().sum() == 0
    both = normalized_adjacency(TRAIN)
    assert ((both @ x)[:2] > 0).all()


def test_normalised_adjacency_values():
    dense = normalized_adjacency(TRAIN).to_dense().numpy()
    assert np.allclose(dense, dense.T)
    degree = np.array([2, 2, 1, 2, 1])  # users 0, 1; items 0, 1, 2
    assert np.isclose(dense[0, 3], 1 / np.sqrt(degree[0] * degree[3]))
    assert np.isclose(dense[1, 4], 1 / np.sqrt(degree[1] * degree[4]))
    with_loops = normalized_adjacency(TRAIN, self_loops=True).to_dense().numpy()
    assert np.isclose(with_loops[0, 0], 1 / 3)  # A + I: degree 3, so 1 / sqrt(3 * 3)


def test_cooccurrence_jaccard_and_lift_by_hand():
    baskets = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 1]], np.float32))
    cooc = cooccurrence(baskets)
    assert cooc[0, 1] == 2 and cooc[0, 0] == 3 and cooc[1, 2] == 0
    jaccard = item_similarity(cooc, 4, "jaccard")
    assert np.isclose(jaccard[0, 1], 2 / (3 + 2 - 2)) and jaccard[0, 0] == 0
    lift = item_similarity(cooc, 4, "lift")
    assert np.isclose(lift[0, 1], (2 / 4) / ((3 / 4) * (2 / 4)))
    assert np.isclose(lift[0, 2], (1 / 4) / ((3 / 4) * (2 / 4)))


@pytest.mark.parametrize("min_count", [2, 40, 60, 10_000])
def test_cooccurrence_above_a_min_count_is_every_pair_of_items_that_reach_it(min_count):
    """Pairs counted among products of at least min_count baskets, written straight into CSR: every
    such pair as the full product has it, no other pair, and every product's own count kept."""
    rng = np.random.default_rng(0)
    baskets = sp.random(3_000, 400, density=0.02, format="csr", random_state=1, dtype=np.float32)
    baskets.data[:] = 1
    baskets = (baskets @ sp.diags((rng.random(400) < 0.9).astype(np.float32))).tocsr()  # some in no basket
    full = cooccurrence(baskets).toarray()
    counts = np.diag(full)
    reach = counts >= min_count
    assert 0 < reach.sum() < 400 or min_count == 10_000
    expected = np.where(np.outer(reach, reach), full, 0)
    np.fill_diagonal(expected, counts)
    assert np.array_equal(cooccurrence(baskets, min_count).toarray(), expected)


def test_keep_top_k_keeps_the_largest():
    matrix = sp.csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0]], np.float32))
    kept = keep_top_k(matrix, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 2], [5, 0, 0, 0]]


def test_symmetric_propagation_gradient_matches_dense():
    from gnnrec_core.matrix.graph import propagate

    adjacency = normalized_adjacency(TRAIN, self_loops=True)
    dense = adjacency.to_dense()
    x = torch.randn(5, 3, dtype=torch.float32, requires_grad=True)
    weights = torch.randn(5, 3)
    (propagate(adjacency, x) * weights).sum().backward()
    expected = dense.T @ weights
    assert torch.allclose(x.grad, expected, atol=1e-6)
