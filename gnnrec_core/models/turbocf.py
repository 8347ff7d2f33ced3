"""Turbo-CF: graph filtering without any matrix decomposition (Park, Shin and Shin, "Turbo-CF:
Matrix Decomposition-Free Graph Filtering for Fast Recommendation", SIGIR 2024). No training, and
unlike GF-CF and BSPM no SVD: an item-item graph, sharpened elementwise, through a polynomial
low-pass filter.

    R~ = D_u^-a R D_i^-(1-a)                 degree normalisation, a in {0.5, 0.6}
    P- = (R~^T R~)^(o s)                     elementwise power s: s < 1 flattens, s > 1 sharpens
    scores(r) = r f(P-)                      f one of the paper's polynomial low-pass filters:
        1 (linear):         f(P) = P
        2 (second order):   f(P) = 2P - P^2
        3 (ideal low-pass, polynomial approximation): f(P) = P + 0.01 (-P^3 + 10 P^2 - 29 P)

The normalisation a, the power s in {0.7, 1.0} and the filter in {1, 2} are chosen on a validation
slice carved from train; the chosen filter is then fitted on the whole train split. Filter 3 stays
settable but is not searched: on validation it was ahead of the searched filters on two of seven
datasets and behind on five, without changing which graph filter is best on any, and each of its
candidates costs two more products of the graph (docs/benchmarks.md, "Closed-form graph filters").
The authors' best settings (their README): Gowalla a = 0.6, s = 0.7, filter 1; Yelp a = 0.6,
s = 1, filter 2; Amazon-book a = 0.5, s = 1.4, filter 1.

Every catalogue size: the paper forms P- dense (items^2). Here R~^T R~ is computed and pruned to
each item's `neighbours` strongest entries block by block (the power keeps their order), and the
polynomial is evaluated by Horner with every step pruned the same way (graph_filter.polynomial), so
memory is items x neighbours.

The score is linear in the history (a polynomial in a fixed item-item matrix), so a reason's
per-purchase shares sum exactly to the score (`item_item`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..progress import Progress
from .base import check_train
from .graph_filter import LinearFilter, check_neighbours, item_graph, normalise, polynomial, product_neighbours
from .grid_filter import GridFilter

# Each filter's coefficients of P-^1, P-^2, ... (no identity term).
FILTERS: dict[int, tuple[float, ...]] = {1: (1.0,), 2: (2.0, -1.0), 3: (1.0 - 0.29, 0.10, -0.01)}
EXPONENT_GRID = (0.5, 0.6)
POWER_GRID = (0.7, 1.0)
FILTER_GRID = (1, 2)


@dataclass(frozen=True)
class TurboCFConfig:
    exponent: float | None = None  # a of R~ = D_u^-a R D_i^-(1-a); None: chosen on validation
    power: float | None = None  # s, the elementwise power of R~^T R~; None: chosen on validation
    filter: int | None = None  # 1, 2 or 3 (module docstring); None: chosen on validation
    neighbours: int | None = 200  # item-item entries kept per item; None: all (catalogues up to 4,096 items)
    # entries per item the polynomial's products go through; None: as many as graph_filter.PRODUCT_WORK allows
    product_neighbours: int | None = None
    valid_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.filter is not None and self.filter not in FILTERS:
            raise ConfigError(f"filter: expected one of {', '.join(map(str, FILTERS))}, found {self.filter}")
        if self.power is not None and not self.power > 0:
            raise ConfigError(f"power: expected a positive number, found {self.power}")
        if self.exponent is not None and not 0 <= self.exponent <= 1:
            raise ConfigError(f"exponent: expected a number between 0 and 1, found {self.exponent}")


class TurboCF(GridFilter):
    name = "turbocf"
    config_class = TurboCFConfig
    link_label = "Turbo-CF filter weight"
    CHOSEN = {"exponent": float, "power": float, "filter": int}
    STATE_PREFIX = "turbo_"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> TurboCF:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        check_neighbours(cfg.neighbours, self.train_.shape[1])
        self._search({"exponent": (cfg.exponent,) if cfg.exponent is not None else EXPONENT_GRID,
                      "power": (cfg.power,) if cfg.power is not None else POWER_GRID,
                      "filter": (cfg.filter,) if cfg.filter is not None else FILTER_GRID}, valid)
        return self

    def _candidates(self, train: sp.csr_matrix, grid: dict[str, tuple[Any, ...]]
                    ) -> Iterator[tuple[dict[str, Any], LinearFilter]]:
        """Every (exponent, power, filter): one pruned graph per exponent, powered once per power."""
        cfg = self.config
        through = cfg.product_neighbours or product_neighbours(train.shape[1], cfg.neighbours)
        for exponent in grid["exponent"]:
            graph = item_graph(normalise(train, exponent)[0], cfg.neighbours)
            for power in grid["power"]:
                powered = graph.copy()
                powered.data = np.power(np.maximum(powered.data, 0.0), np.float32(power), dtype=np.float32)
                for kind in grid["filter"]:
                    yield ({"exponent": exponent, "power": power, "filter": kind},
                           LinearFilter(polynomial(powered, FILTERS[kind], cfg.neighbours, through)))
