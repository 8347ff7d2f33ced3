"""RP3beta: item-item weights from a three-step random walk on the user-item graph, the popularity
of the product reached discounted (Paudel, Christoffel, Newell and Bernstein, "Updatable, Accurate,
Diverse, and Scalable Recommendations for Interactive Applications", ACM TiiS 7(1), 2016; the walk
without the discount is P3alpha, Cooper et al., "Random Walks in Recommender Systems: Exact
Computation and Simulations", WWW 2014). No training.

    P_ui = (D_u^-1 R)^(o a)             a step customer -> product: transition probabilities, raised to a
    P_iu = (D_i^-1 R^T)^(o a)           a step product -> customer
    W    = P_iu P_ui D_i^-b             product -> customer -> product, the product reached discounted by
                                        its degree to the power b; diagonal zero, each row pruned to
                                        its `neighbours` largest entries
    scores(r) = r W                     the third step, from a customer's history r

A graph convolution solved in closed form, as GF-CF is: three propagations over the bipartite graph,
normalised by random-walk (row) degrees where GF-CF's are symmetric, and with the reached product's
popularity discounted apart from the walk. On the retail logs that difference is what matters: on
their validation slices GF-CF is 8-25% behind EASE, where this walk is level with it on the retail
slice and its sparse third and 4% behind on the invoices (docs/benchmarks.md, "Why EASE stayed
ahead on the retail logs, and the random-walk filter (RP3beta)").

The walk's power a, the discount b and the neighbours kept (above DENSE_ITEMS products, 200) are
chosen on a validation slice carved from train, as the other filters choose theirs: one pruned
product per (a, b) at the most neighbours, fewer neighbours a pruning of it (the top k of a row's
top 200 are its top k). The chosen filter is then fitted on the whole train split. Memory at every
catalogue size is items x neighbours plus one block of the product per thread
(graph_filter.pruned_product).

The score is linear in the history, so a reason's per-purchase shares sum exactly to the score.

A GNN's blend (models/embedding.py) takes this walk where its search scores higher than GF-CF's on
the GNN's validation slice (`WalkFilter`: the chosen walk, refitted on any graph). Inside a run the
search and the chosen walk on train are this row's (shared_parts.sharing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..progress import Progress
from .base import check_finite, check_train
from .graph_filter import DENSE_ITEMS, LinearFilter, pruned_product
from .grid_filter import GridFilter
from .row_pruning import prune_rows
from .shared_parts import shared

POWER_GRID = (0.5, 0.75, 1.0)
DISCOUNT_GRID = (0.15, 0.3, 0.45, 0.6)
NEIGHBOURS_GRID = (20, 50, 200, 0)  # 0: every neighbour, tried up to graph_filter.DENSE_ITEMS items
# Above DENSE_ITEMS products only 200 is tried: every search there chose it (the grocery-shaped and
# ratings-shaped logs' ten runs, Gowalla's), and at 41k products each candidate costs 1-2 s.
WIDE_NEIGHBOURS = 200


@dataclass(frozen=True)
class RP3betaConfig:
    power: float | None = None  # a, the walk's transition probabilities raised to it; None: chosen on validation
    discount: float | None = None  # b, the reached product's degree to the power -b; None: chosen on validation
    # item-item entries kept per product; 0: all (catalogues up to 4,096 items); None: chosen on validation
    neighbours: int | None = None
    valid_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.power is not None and not self.power > 0:
            raise ConfigError(f"power: expected a positive number, found {self.power}")
        if self.discount is not None and not 0 <= self.discount <= 1:
            raise ConfigError(f"discount: expected a number between 0 and 1, found {self.discount}")
        if self.neighbours is not None and self.neighbours < 0:
            raise ConfigError(f"neighbours: expected an integer >= 1, or 0 for all, found {self.neighbours}")


def walk_graph(train: sp.csr_matrix, power: float, discount: float, neighbours: int | None) -> sp.csr_matrix:
    """W = P_iu P_ui D_i^-b (the module docstring), diagonal zero, each row pruned to `neighbours`."""
    x = sp.csr_matrix(train, dtype=np.float32)
    user_degree = np.asarray(x.sum(axis=1), np.float64).ravel()
    item_degree = np.asarray(x.sum(axis=0), np.float64).ravel()

    def step(matrix: sp.csr_matrix, degree: np.ndarray) -> sp.csr_matrix:
        scale = np.where(degree > 0, 1.0 / np.maximum(degree, 1e-12), 0.0).astype(np.float32)
        walked = sp.csr_matrix(sp.diags(scale) @ matrix, dtype=np.float32)
        walked.data = np.power(np.maximum(walked.data, 0.0), np.float32(power), dtype=np.float32)
        return walked

    discounted = np.where(item_degree > 0, np.maximum(item_degree, 1e-12) ** -discount, 0.0).astype(np.float32)
    to_user = step(x.T.tocsr(), item_degree)
    to_item = sp.csr_matrix(step(x, user_degree) @ sp.diags(discounted), dtype=np.float32)

    def without_diagonal(block: sp.csr_matrix, rows: slice) -> sp.csr_matrix:
        block = block.tocoo()
        off = block.row + rows.start != block.col
        return sp.csr_matrix((block.data[off], (block.row[off], block.col[off])), shape=block.shape)

    return pruned_product(to_user, to_item, neighbours, combine=without_diagonal)


def shared_walk(train: sp.csr_matrix, power: float, discount: float, neighbours: int | None) -> sp.csr_matrix:
    """walk_graph, computed once per run (shared_parts.sharing): the RP3beta row's refit on train and
    a GNN's blend part on the same split are one walk. Never written into (prune_rows copies)."""
    return shared("rp3_walk", train, (float(power), float(discount), neighbours),
                  lambda: walk_graph(train, power, discount, neighbours))


class WalkFilter(LinearFilter):
    """RP3beta's walk of fixed settings as a filter that fits on any matrix: a GNN's blend part,
    refitted on train and on every interaction (models/embedding.py) and saved with its settings."""

    def __init__(self, power: float, discount: float, neighbours: int | None) -> None:
        self.power, self.discount, self.neighbours = float(power), float(discount), neighbours or None
        self.left_ = self.right_ = None
        self.alpha = 1.0

    def fit(self, train: sp.csr_matrix) -> WalkFilter:
        self.linear_ = shared_walk(check_finite(sp.csr_matrix(train, dtype=np.float32), "random-walk filter"),
                                   self.power, self.discount, self.neighbours)
        return self

    def settings_copy(self) -> WalkFilter:
        return WalkFilter(self.power, self.discount, self.neighbours)

    def settings(self) -> np.ndarray:
        return np.array([self.power, self.discount, self.neighbours or 0], np.float64)

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], prefix: str, n_items: int) -> WalkFilter:
        power, discount, neighbours = state[f"{prefix}settings"]
        walk = cls(float(power), float(discount), int(neighbours))
        walk.linear_ = cls._parts(state, prefix, n_items)[0]
        return walk


class RP3beta(GridFilter):
    name = "rp3beta"
    config_class = RP3betaConfig
    link_label = "random-walk weight"
    CHOSEN = {"power": float, "discount": float, "neighbours": int}
    STATE_PREFIX = "rp3_"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> RP3beta:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        n_items = self.train_.shape[1]
        if cfg.neighbours == 0 and n_items > DENSE_ITEMS:
            raise ConfigError(f"neighbours: expected an integer >= 1 for a catalogue of {n_items:,} products (0, every "
                              f"neighbour, up to {DENSE_ITEMS:,} products), found 0")
        if cfg.neighbours is not None:
            kept: tuple[int, ...] = (cfg.neighbours,)
        elif n_items > DENSE_ITEMS:
            kept = (WIDE_NEIGHBOURS,)
        else:  # a number of neighbours the catalogue cannot fill is "every neighbour", tried once
            kept = tuple(k for k in NEIGHBOURS_GRID if 0 < k < n_items - 1) + (0,)
        self._search({"power": (cfg.power,) if cfg.power is not None else POWER_GRID,
                      "discount": (cfg.discount,) if cfg.discount is not None else DISCOUNT_GRID,
                      "neighbours": kept}, valid)
        return self

    def _candidates(self, train: sp.csr_matrix, grid: dict[str, tuple[Any, ...]]
                    ) -> Iterator[tuple[dict[str, Any], LinearFilter]]:
        """Every (power, discount, neighbours): one product per (power, discount) at the most
        neighbours, each fewer a pruning of the next larger (the same entries as a pruning of the
        whole walk: a row's top k lie in its top 200, ties kept in stored order either way)."""
        most = None if 0 in grid["neighbours"] else max(grid["neighbours"])
        # A search's walks are its own (a run holding each would hold 12 graphs); one setting's is the
        # refit a GNN's blend part on the same split reuses.
        walk = shared_walk if len(grid["power"]) * len(grid["discount"]) == 1 else walk_graph
        widest_first = sorted(grid["neighbours"], key=lambda k: k or np.inf, reverse=True)
        for power in grid["power"]:
            for discount in grid["discount"]:
                graph = walk(train, power, discount, most)
                pruned: dict[int, sp.csr_matrix] = {}
                for neighbours in widest_first:
                    if (neighbours or None) != most:
                        graph = prune_rows(graph, neighbours)
                    pruned[neighbours] = graph
                for neighbours in grid["neighbours"]:
                    yield ({"power": power, "discount": discount, "neighbours": neighbours},
                           LinearFilter(pruned[neighbours]))
