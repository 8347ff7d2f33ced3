"""Turbo-CF: graph filtering without any matrix decomposition (Park, Shin and Shin, "Turbo-CF:
Matrix Decomposition-Free Graph Filtering for Fast Recommendation", SIGIR 2024). No training, and
unlike GF-CF and BSPM no SVD: an item-item graph, sharpened elementwise, through a polynomial
low-pass filter.

    R~ = D_u^-a R D_i^-b                     degree normalisation (the paper: b = 1 - a, a in {0.5, 0.6})
    P- = (R~^T R~)^(o s)                     elementwise power s: s < 1 flattens, s > 1 sharpens
    scores(r) = r f(P-)                      f one of the paper's polynomial low-pass filters:
        1 (linear):         f(P) = P
        2 (second order):   f(P) = 2P - P^2
        3 (ideal low-pass, polynomial approximation): f(P) = P + 0.01 (-P^3 + 10 P^2 - 29 P)

What the product searches goes beyond the paper's grid in two ways, chosen on validation slices
(docs/benchmarks.md, "Turbo-CF's search widened"):
- the exponents apart: (a, b) in (0.5, 0.5), (0.6, 0.4) (the paper's), (0.25, 0.25) and
  (0.25, 0.5). A lighter normalisation keeps more of the raw co-purchase counts, which is what
  carried EASE ahead of every filter on retail logs ("Why EASE stayed ahead");
- the second-order filter's weight: f(P) = P^ - c P^^2 with P^ = P- / rho, rho its largest
  eigenvalue, c in {0, 0.5, 0.75, 1} ("filter 0", the default). c = 0 is filter 1; c = 0.5 is
  filter 2 where rho = 1 (the paper's a = 0.5, s = 1). A larger c takes the dominant,
  popularity-like direction down (the response x - c x^2 peaks at x = 1 / 2c).
Up to DENSE_ITEMS products every entry is kept and the products are exact and dense (BLAS); above
it, the graph is pruned and the grid is cut to what the paper's cost: (0.6, 0.4) and (0.25, 0.25),
c in {0, 0.5}.
The power s stays the paper's {0.7, 1.0}. Filters 1-3 as the paper writes them stay settable
(`filter`); filter 3 is not searched: on validation it was ahead of filters 1-2 on two of seven
datasets and behind on five, without changing which graph filter is best on any, and each of its
candidates costs two more products of the graph (docs/benchmarks.md, "Closed-form graph filters").
The authors' best settings (their README): Gowalla a = 0.6, s = 0.7, filter 1; Yelp a = 0.6,
s = 1, filter 2; Amazon-book a = 0.5, s = 1.4, filter 1.

Every catalogue size: the paper forms P- dense (items^2), as this does up to DENSE_ITEMS products.
Above, R~^T R~ is computed and pruned to each item's `neighbours` strongest entries block by block
(the power keeps their order), and the polynomial is evaluated by Horner with every step pruned the
same way (graph_filter.polynomial), so memory is items x neighbours.

The score is linear in the history (a polynomial in a fixed item-item matrix), so a reason's
per-purchase shares sum exactly to the score (`item_item`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..progress import Progress
from .base import check_train
from .graph_filter import (
    DENSE_ITEMS,
    LinearFilter,
    check_neighbours,
    item_graph,
    normalise,
    polynomial,
    product_neighbours,
    pruned_products,
)
from .grid_filter import GridFilter
from .row_pruning import prune_rows

# The paper's filters: coefficients of P-^1, P-^2, ... (no identity term). Filter 0 is the searched
# second order on the scaled graph, P^ - c P^^2 (c: `sharpen`; module docstring).
FILTERS: dict[int, tuple[float, ...]] = {1: (1.0,), 2: (2.0, -1.0), 3: (1.0 - 0.29, 0.10, -0.01)}
SHARPENED = 0
# (a, b) searched with filter 0: the paper's two, and a lighter normalisation on either side
NORMALISATIONS = ((0.5, 0.5), (0.6, 0.4), (0.25, 0.25), (0.25, 0.5))
EXPONENT_GRID = (0.5, 0.6)  # a searched with the paper's filters (b = 1 - a)
POWER_GRID = (0.7, 1.0)
SHARPEN_GRID = (0.0, 0.5, 0.75, 1.0)
# Above DENSE_ITEMS products (pruned, sparse products): a grid that costs what the paper's did, two
# graphs, four products (a = 0.6 as the authors chose on Gowalla, and the lighter normalisation)
WIDE_NEIGHBOURS = 200  # entries kept per item (neighbours=None)
WIDE_NORMALISATIONS = ((0.6, 0.4), (0.25, 0.25))
WIDE_SHARPEN_GRID = (0.0, 0.5)


def top_eigenvalue(graph: sp.csr_matrix, iterations: int = 50, seed: int = 0) -> float:
    """The largest eigenvalue of a non-negative item graph (its Perron root), by power iteration:
    the graph pruned row by row is not symmetric, and its Perron root is what a polynomial filter's
    response is scaled by (the top eigenvalue 1 of the symmetric normalisation, for any exponent)."""
    vector = np.random.default_rng(seed).random(graph.shape[0]) + 0.5
    value = 0.0
    for _ in range(iterations):
        step = np.asarray(graph @ vector, np.float64)
        value = float(np.linalg.norm(step)) / max(float(np.linalg.norm(vector)), 1e-30)
        if value == 0.0:
            return 0.0
        vector = step / np.linalg.norm(step)
    return value


def second_orders(graph: sp.csr_matrix, weights: Sequence[float], neighbours: int | None,
                  product_neighbours: int | None = None) -> list[sp.csr_matrix]:
    """G - w G^2 for each w, as polynomial(graph, (1, -w), ...) makes it (G^2 through G' and every
    block pruned to `neighbours`), the product computed once for all the weights. w = 0 is G pruned."""
    graph = sp.csr_matrix(graph, dtype=np.float32)
    through = prune_rows(graph, product_neighbours)
    pruned = prune_rows(graph, neighbours)

    def combine(w: float) -> Callable[[sp.csr_matrix, slice], sp.csr_matrix]:
        return lambda block, rows: sp.csr_matrix(graph[rows] - block * np.float32(w))

    products = iter(pruned_products(pruned, through, neighbours, [combine(w) for w in weights if w])
                    if any(weights) else [])
    return [next(products) if w else pruned for w in weights]


class DenseLinearFilter(LinearFilter):
    """A LinearFilter held dense, for catalogues up to DENSE_ITEMS: it scores by sparse-dense
    products and makes its CSR only when asked. The search scores every candidate and keeps one, and
    converting each to CSR and scoring through it cost Turbo-CF's search half its time."""

    def __init__(self, dense: np.ndarray) -> None:
        self.dense_ = np.asarray(dense, np.float32)
        self.left_ = self.right_ = None
        self.alpha = 1.0
        self._csr: sp.csr_matrix | None = None

    @property  # type: ignore[override]
    def linear_(self) -> sp.csr_matrix:
        if self._csr is None:
            self._csr = sp.csr_matrix(self.dense_)
        return self._csr

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(sp.csr_matrix(history, dtype=np.float32) @ self.dense_, np.float32)

    def rows(self, items: np.ndarray) -> np.ndarray:
        return np.array(self.dense_[np.asarray(items)], np.float32)


def dense_powers(graph: sp.csr_matrix, coefficients: Sequence[float]) -> DenseLinearFilter:
    """sum_j c_j G^j (j >= 1) exactly, by dense products (BLAS): for catalogues up to DENSE_ITEMS,
    where items^2 fits and one dense product costs less than sparse products through every entry."""
    dense = graph.toarray()
    result = np.float32(coefficients[-1]) * dense
    for c in reversed(coefficients[:-1]):
        result = result @ dense + np.float32(c) * dense
    return DenseLinearFilter(result)


def dense_second_orders(graph: sp.csr_matrix, weights: Sequence[float]) -> Iterator[DenseLinearFilter]:
    """G - w G^2 for each w exactly, G^2 one dense product for all of them (as dense_powers)."""
    dense = graph.toarray()
    square = dense @ dense
    return (DenseLinearFilter(dense - np.float32(w) * square) for w in weights)


@dataclass(frozen=True)
class TurboCFConfig:
    exponent: float | None = None  # a of R~ = D_u^-a R D_i^-b; None: chosen on validation
    # b; None: chosen on validation, or 1 - a (the paper's) where `filter` names one of the paper's
    item_exponent: float | None = None
    power: float | None = None  # s, the elementwise power of R~^T R~; None: chosen on validation
    # 0: the second order P^ - c P^^2 (module docstring); 1, 2 or 3: the paper's filters
    filter: int = 0
    sharpen: float | None = None  # c of the second order; None: chosen on validation
    # item-item entries kept per item; None: all of them, exact (dense products), up to DENSE_ITEMS
    # products, and WIDE_NEIGHBOURS above
    neighbours: int | None = None
    # entries per item the polynomial's products go through; None: as many as graph_filter.PRODUCT_WORK allows
    product_neighbours: int | None = None
    valid_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.filter != SHARPENED and self.filter not in FILTERS:
            raise ConfigError(f"filter: expected one of 0, {', '.join(map(str, FILTERS))}, found {self.filter}")
        if self.filter != SHARPENED and self.sharpen is not None:
            raise ConfigError(f"sharpen: expected no value with the paper's filter {self.filter} "
                              f"(it weighs the second order of filter 0), found {self.sharpen}")
        if self.power is not None and not self.power > 0:
            raise ConfigError(f"power: expected a positive number, found {self.power}")
        if self.sharpen is not None and not 0 <= self.sharpen <= 2:
            raise ConfigError(f"sharpen: expected a number between 0 and 2, found {self.sharpen}")
        for name in ("exponent", "item_exponent"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ConfigError(f"{name.replace('_', ' ')}: expected a number between 0 and 1, found {value}")


class TurboCF(GridFilter):
    name = "turbocf"
    config_class = TurboCFConfig
    link_label = "Turbo-CF filter weight"
    # in the saved state's order; a run saved before item_exponent and sharpen holds the first three
    CHOSEN = {"exponent": float, "power": float, "filter": int, "item_exponent": float, "sharpen": float}
    STATE_PREFIX = "turbo_"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> TurboCF:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        wide = self.train_.shape[1] > DENSE_ITEMS
        self.neighbours_ = check_neighbours(WIDE_NEIGHBOURS if cfg.neighbours is None and wide else cfg.neighbours,
                                            self.train_.shape[1])
        paper = cfg.filter != SHARPENED
        exponents: dict[str, tuple[Any, ...]] = {"pairs": WIDE_NORMALISATIONS if wide else NORMALISATIONS}
        if paper or cfg.exponent is not None or cfg.item_exponent is not None:
            exponents = {"exponent": (cfg.exponent,) if cfg.exponent is not None else EXPONENT_GRID,
                         "item_exponent": self._item_exponents(paper)}
        self._search(exponents | {"power": (cfg.power,) if cfg.power is not None else POWER_GRID,
                                  "filter": (cfg.filter,),
                                  "sharpen": ((0.0,) if paper else (cfg.sharpen,) if cfg.sharpen is not None
                                              else WIDE_SHARPEN_GRID if wide else SHARPEN_GRID)}, valid)
        return self

    def _item_exponents(self, paper: bool) -> tuple[float | None, ...]:
        """b as set, else the grid; with the paper's filters 1 - a (None: of each a searched)."""
        cfg = self.config
        if cfg.item_exponent is not None:
            return (cfg.item_exponent,)
        if not paper:  # a set, b not: the lighter 0.25 or the paper's 1 - a
            return (0.25, 1.0 - cfg.exponent) if cfg.exponent is not None else (0.25, 0.5)
        return (None,) if cfg.exponent is None else (1.0 - cfg.exponent,)

    def _candidates(self, train: sp.csr_matrix, grid: dict[str, tuple[Any, ...]]
                    ) -> Iterator[tuple[dict[str, Any], LinearFilter]]:
        """Every (exponents, power, filter, sharpen): one pruned graph per pair of exponents, powered
        once per power, its second order computed once for every weight. An item exponent of None
        is the paper's 1 - a."""
        cfg = self.config
        neighbours = self.neighbours_
        through = cfg.product_neighbours or product_neighbours(train.shape[1], neighbours)
        exact = neighbours is None and cfg.product_neighbours is None
        pairs = grid.get("pairs") or [(a, b) for a in grid["exponent"] for b in grid["item_exponent"]]
        for exponent, item_exponent in pairs:
            graph = item_graph(normalise(train, exponent, item_exponent)[0], neighbours)
            b = 1.0 - exponent if item_exponent is None else item_exponent
            settings = {"exponent": exponent, "item_exponent": b}
            for power in grid["power"]:
                powered = graph.copy()
                powered.data = np.power(np.maximum(powered.data, 0.0), np.float32(power), dtype=np.float32)
                for kind in grid["filter"]:
                    chosen = settings | {"power": power, "filter": kind}
                    if kind != SHARPENED:
                        yield chosen | {"sharpen": 0.0}, (
                            dense_powers(powered, FILTERS[kind]) if exact
                            else LinearFilter(polynomial(powered, FILTERS[kind], neighbours, through)))
                        continue
                    scaled = powered * np.float32(1.0 / max(top_eigenvalue(powered), 1e-12))
                    filters = (dense_second_orders(scaled, grid["sharpen"]) if exact
                               else map(LinearFilter, second_orders(scaled, grid["sharpen"], neighbours, through)))
                    for c, linear in zip(grid["sharpen"], filters):
                        yield chosen | {"sharpen": c}, linear

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        super().set_state(state)
        if "item_exponent" not in self.chosen_:  # saved before the search was widened: the paper's filters
            self.chosen_ |= {"item_exponent": 1.0 - self.chosen_["exponent"], "sharpen": 0.0}
