"""Closed-form graph filters over the user-item graph (GCNs solved without training), and the parts
they share. GraphFilter is GF-CF (Shen et al., "How Powerful is Graph Convolution for
Recommendation?", CIKM 2021), also a component of the default GNN's blend:

    R~ = D_u^-a R D_i^-(1-a)                    degree-normalised interactions (a = 1/2: symmetric)
    P~ = R~^T R~                                the linear filter, item x item
    L  = D_i^-(1-a) V_k V_k^T D_i^(1-a)         the ideal low-pass filter of rank k
    scores(r) = r P~ + alpha * r L              (r: a history row of raw interactions)

V_k are the top right singular vectors of R~. BSPM (bspm.py) and Turbo-CF (turbocf.py) are
polynomials in P~ (plus L), built from the same parts. Every one of them scores a history linearly:

    scores(r) = r S + alpha * (r Left) Right    S: items x items CSR, Left: items x k, Right: k x items

(`LinearFilter`), so a reason's per-purchase shares sum exactly to the score.

Memory at every catalogue size (what is kept is float32; the SVD works in float64 on items x (k + 16)
arrays):
- P~ and every polynomial in it are computed in blocks of rows (`pruned_product`), each block pruned
  to its rows' `neighbours` largest entries (by magnitude) before the next block is computed: the
  peak is one block (BLOCK_CELLS cells) per thread (PRODUCT_THREADS) plus items x neighbours, never
  items^2. `neighbours=None` keeps every entry, allowed up to DENSE_ITEMS items (the catalogue where
  items^2 fits).
- the low-pass part is items x k, from a randomised truncated SVD (Halko, Martinsson and Tropp,
  SIAM Review 2011: a Gaussian sketch, subspace iteration, one small eigenproblem), exact where k
  plus the oversampling covers the catalogue.

One run, each part once: the item graph and the SVD go through shared_parts.shared, so a run's
filters and a GNN's blend build each once (shared_parts.py says how).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..fit.metrics import evaluate
from ..matrix.interactions import carve_validation, validation_sample
from .base import Recommender, check_finite, check_valid_fraction, sparse_pairs
from .row_pruning import prune_rows
from .shared_parts import shared

BLOCK_CELLS = 1 << 23  # rows x items of one block of an item-item product (~100 MB of work at most)
DENSE_ITEMS = 4_096  # up to this many items the item-item matrix may be kept whole (neighbours=None)
OVERSAMPLE = 16  # extra columns of the randomised SVD's sketch
POWER_ITERATIONS = 4  # of the randomised SVD: the spectrum of R~ decays slowly
PRODUCT_WORK = 1 << 25  # candidates one step of a polynomial may make: items x neighbours x product neighbours
PRODUCT_NEIGHBOURS = 16  # the fewest entries per item a polynomial's products go through (wide catalogues)
# Blocks of a product computed at once: the cores this process may use, at most 4 (each holds one
# unpruned block, BLOCK_CELLS cells; the affinity mask does not see a container's CPU quota).
PRODUCT_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))

def normalise(train: sp.csr_matrix, exponent: float = 0.5,
              item_exponent: float | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """(R~ = D_u^-a R D_i^-b as float32 CSR, the item scale d_i^-b), b = 1 - a unless given."""
    for name, value in (("exponent", exponent), ("item exponent", item_exponent)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name}: expected a number between 0 and 1, found {value}")
    train = sp.csr_matrix(train, dtype=np.float32)
    user_degree = np.asarray(train.sum(1), np.float64).ravel()
    item_degree = np.asarray(train.sum(0), np.float64).ravel()
    user_scale = np.where(user_degree > 0, np.maximum(user_degree, 1e-12) ** -exponent, 0.0)
    item_power = 1.0 - exponent if item_exponent is None else item_exponent
    item_scale = np.where(item_degree > 0, np.maximum(item_degree, 1e-12) ** -item_power, 0.0)
    normalised = sp.diags(user_scale.astype(np.float32)) @ train @ sp.diags(item_scale.astype(np.float32))
    return sp.csr_matrix(normalised, dtype=np.float32), item_scale.astype(np.float32)


def block_rows(width: int) -> int:
    """Rows per block so that rows x width stays within BLOCK_CELLS."""
    return max(1, BLOCK_CELLS // max(1, width))


def pruned_product(left: sp.csr_matrix, right: sp.csr_matrix, neighbours: int | None,
                   combine: Callable[[sp.csr_matrix, slice], sp.csr_matrix] | None = None) -> sp.csr_matrix:
    """left @ right a block of rows at a time, each pruned to `neighbours` per row (after combine(block,
    rows), what to keep of it, e.g. block + c * other[rows]): the work holds one block of the full
    product per thread (PRODUCT_THREADS) at most, and the result is the same to the bit whatever their number."""
    return pruned_products(left, right, neighbours, [combine])[0]


def pruned_products(left: sp.csr_matrix, right: sp.csr_matrix, neighbours: int | None,
                    combines: Sequence[Callable[[sp.csr_matrix, slice], sp.csr_matrix] | None]
                    ) -> list[sp.csr_matrix]:
    """pruned_product once per combine, each block of left @ right computed once for all of them."""
    left, right = sp.csr_matrix(left), sp.csr_matrix(right)
    step = block_rows(right.shape[1])
    starts = range(0, left.shape[0], step)

    def one_block(start: int) -> list[sp.csr_matrix]:
        rows = slice(start, min(start + step, left.shape[0]))
        block = sp.csr_matrix(left[rows] @ right)
        return [prune_rows(combine(block, rows) if combine is not None else block, neighbours)
                for combine in combines]

    if not starts:
        return [sp.csr_matrix((left.shape[0], right.shape[1]), dtype=np.float32) for _ in combines]
    with ThreadPoolExecutor(min(PRODUCT_THREADS, len(starts))) as pool:  # sparse products release the GIL
        blocks = list(pool.map(one_block, starts))
    return [sp.csr_matrix(sp.vstack([b[i] for b in blocks], format="csr"), dtype=np.float32)
            for i in range(len(combines))]


def check_neighbours(neighbours: int | None, n_items: int) -> int | None:
    """`neighbours` as used at this catalogue size: None (keep all) only up to DENSE_ITEMS items."""
    if neighbours is not None and neighbours < 1:
        raise ConfigError(f"neighbours: expected an integer >= 1 or None (all), found {neighbours}")
    if neighbours is None and n_items > DENSE_ITEMS:
        raise ConfigError(f"neighbours: expected a number for a catalogue of {n_items:,} items (all "
                          f"neighbours are kept up to {DENSE_ITEMS:,} items), found None")
    return neighbours


def item_graph(normalised: sp.csr_matrix, neighbours: int | None) -> sp.csr_matrix:
    """P~ = R~^T R~, each item's row pruned to its `neighbours` strongest entries (block by block);
    computed once per `sharing` block."""
    return shared("item_graph", normalised, (neighbours,),
                  lambda: pruned_product(normalised.T.tocsr(), normalised, neighbours))


def product_neighbours(n_items: int, neighbours: int | None) -> int | None:
    """Entries per item a polynomial's products go through: as many as PRODUCT_WORK allows (None,
    all of them, where that covers the catalogue: exact products), at least PRODUCT_NEIGHBOURS. On
    validation fewer entries cost quality on small dense catalogues (groceries: 169 items) and
    nothing on wider ones up to 9k items (docs/benchmarks.md), so the budget, not a fixed number,
    sets it. At 41k items (Gowalla) 16 entries cost BSPM 3.6% nDCG against 64; there BSPM's search
    offers its exact form instead (exact_filter.py), which costs nothing here and all at scoring."""
    allowed = PRODUCT_WORK // max(1, n_items * (neighbours or n_items))
    return None if allowed >= n_items else max(PRODUCT_NEIGHBOURS, int(allowed))


def polynomial(graph: sp.csr_matrix, coefficients: Sequence[float], neighbours: int | None,
               product_neighbours: int | None = None) -> sp.csr_matrix:
    """sum_j c_j G^j for j = 1..len(coefficients) (no identity term), by Horner from the highest
    power: H = c_d G; H <- H G' + c_j G, where G' is G pruned to `product_neighbours` per row (the
    products' cost is items x neighbours x product_neighbours, not items^2). Every step is computed
    and pruned to `neighbours` block by block. With both None the result is exact."""
    graph = sp.csr_matrix(graph, dtype=np.float32)
    through = prune_rows(graph, product_neighbours)
    result = prune_rows(graph * np.float32(coefficients[-1]), neighbours)
    for c in reversed(coefficients[:-1]):
        def add(block: sp.csr_matrix, rows: slice, c: float = c) -> sp.csr_matrix:
            return sp.csr_matrix(block + graph[rows] * np.float32(c))
        result = pruned_product(result, through, neighbours, add)
    return result


def horner(through: Callable[[np.ndarray], np.ndarray], vectors: np.ndarray,
           coefficients: Sequence[float]) -> np.ndarray:
    """sum_j c_j G^j applied to dense `vectors` for j = 0..len-1, by Horner, where `through`
    applies G once (rows times a materialised graph, or the exact filter's columns through R~)."""
    result: np.ndarray = np.asarray(np.float32(coefficients[-1]) * vectors, np.float32)
    for c in reversed(coefficients[:-1]):
        result = np.asarray(through(result), np.float32) + np.float32(c) * vectors
    return np.asarray(result, np.float32)


def dense_polynomial(vectors: np.ndarray, graph: sp.csr_matrix, coefficients: Sequence[float]) -> np.ndarray:
    """vectors @ sum_j c_j G^j for j = 0..len-1 (k x items dense rows through a sparse graph)."""
    return horner(lambda rows: rows @ graph, vectors, coefficients)


def low_pass_vectors(normalised: sp.csr_matrix, rank: int, seed: int = 0) -> np.ndarray:
    """The top `rank` right singular vectors of R~ as rows (rank x items, float32): subspace
    iteration on the item side, Y <- R~^T (R~ Y), from a Gaussian sketch of rank + OVERSAMPLE
    columns, POWER_ITERATIONS times, then Rayleigh-Ritz on the small projected matrix. Only items x
    (rank + OVERSAMPLE) arrays are orthonormalised (by the eigenvectors of their Gram matrix, which
    unlike LAPACK's QR of a tall matrix stays fast on 2 cores). Exact where the sketch covers every
    item. rank is capped at the smaller side of R~. Computed once per `sharing` block."""
    return shared("low_pass", normalised, (rank, seed, OVERSAMPLE, POWER_ITERATIONS),
                  lambda: _low_pass_vectors(normalised, rank, seed))


def _low_pass_vectors(normalised: sp.csr_matrix, rank: int, seed: int) -> np.ndarray:
    rank = max(0, min(rank, *normalised.shape))
    if rank == 0:
        return np.zeros((0, normalised.shape[1]), np.float32)
    a = sp.csr_matrix(normalised, dtype=np.float64)
    at = a.T.tocsr()
    n_items = a.shape[1]
    width = min(rank + OVERSAMPLE, n_items)
    if width == n_items:
        basis = np.eye(n_items)
    else:
        basis = _orthonormal(np.asarray(at @ (a @ np.random.default_rng(seed).standard_normal((n_items, width)))))
        for _ in range(POWER_ITERATIONS):
            basis = _orthonormal(np.asarray(at @ (a @ basis)))
    image = np.asarray(a @ basis)  # users x width: R~ Q
    values, vectors = np.linalg.eigh(image.T @ image)  # Q^T P~ Q, ascending
    top = vectors[:, np.argsort(values)[::-1][:rank]]
    return np.ascontiguousarray((basis @ top).T, dtype=np.float32)


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns' span (directions below 1e-10 of the largest dropped)."""
    values, vectors = np.linalg.eigh(columns.T @ columns)
    keep = values > values.max(initial=0.0) * 1e-10
    basis: np.ndarray = columns @ (vectors[:, keep] / np.sqrt(values[keep]))
    return basis


class ItemFilter(Protocol):
    """What a fitted filter offers: scores linear in the history, and the rows of its item-item
    operator (score_history(h) = h @ rows(all items)). LinearFilter holds the operator
    materialised; exact_filter.ExactPolynomialFilter applies it through the interactions."""

    def score_history(self, history: sp.csr_matrix) -> np.ndarray: ...

    def rows(self, items: np.ndarray) -> np.ndarray: ...

    def get_state(self, prefix: str) -> dict[str, np.ndarray]: ...


class LinearFilter:
    """scores(r) = r @ linear_ + alpha * (r @ left_) @ right_: linear in the history by construction.

    linear_: items x items CSR; left_ (items x k) and right_ (k x items) the low-rank part, or None."""

    linear_: sp.csr_matrix
    left_: np.ndarray | None
    right_: np.ndarray | None
    alpha: float

    def __init__(self, linear: sp.csr_matrix, left: np.ndarray | None = None, right: np.ndarray | None = None,
                 alpha: float = 1.0) -> None:
        self.linear_ = sp.csr_matrix(linear, dtype=np.float32)
        self.left_, self.right_, self.alpha = left, right, float(alpha)

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        history = sp.csr_matrix(history, dtype=np.float32)
        scores: np.ndarray = (history @ self.linear_).toarray()
        if self.left_ is not None and self.right_ is not None and self.alpha != 0:
            # alpha scales the (n, k) factor: no second (n, items) temporary
            scores += (np.float32(self.alpha) * np.asarray(history @ self.left_)) @ self.right_
        return scores

    def pairs(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """rows(sources)[t, targets[t]] for each t, without the rows."""
        sources, targets = np.asarray(sources, np.int64), np.asarray(targets, np.int64)
        pairs = sparse_pairs(self.linear_, sources, targets)
        if self.left_ is not None and self.right_ is not None and self.alpha != 0:
            pairs += self.alpha * np.einsum("ij,ji->i", self.left_[sources], self.right_[:, targets])
        return pairs

    def row_means(self) -> np.ndarray:
        """Each row's mean over the catalogue (what a blend's standardised part is centred on); kept
        for the fitted operator, as the export asks for it once per batch of customers."""
        kept = getattr(self, "_row_means", None)
        if kept is not None and kept[0] is self.linear_:
            known: np.ndarray = kept[1]
            return known
        sums = np.asarray(self.linear_.sum(axis=1), np.float64).ravel()
        if self.left_ is not None and self.right_ is not None and self.alpha != 0:
            sums += self.alpha * (self.left_ @ np.asarray(self.right_, np.float64).sum(axis=1))
        means: np.ndarray = sums / self.linear_.shape[1]
        self._row_means = (self.linear_, means)
        return means

    def rows(self, items: np.ndarray) -> np.ndarray:
        """Rows of the filter's item-item operator: score_history(h) = h @ rows(all items), exactly."""
        items = np.asarray(items)
        rows: np.ndarray = self.linear_[items].toarray()
        if self.left_ is not None and self.right_ is not None and self.alpha != 0:
            rows += (np.float32(self.alpha) * self.left_[items]) @ self.right_
        return rows

    def settings(self) -> np.ndarray:
        return np.array([self.alpha], np.float64)

    def get_state(self, prefix: str) -> dict[str, np.ndarray]:
        s = self.linear_.tocsr()
        state = {f"{prefix}indptr": s.indptr, f"{prefix}indices": s.indices, f"{prefix}data": s.data,
                 f"{prefix}settings": self.settings()}
        if self.left_ is not None and self.right_ is not None:
            state |= {f"{prefix}left": self.left_, f"{prefix}right": self.right_}
        return state

    @staticmethod
    def _parts(state: dict[str, np.ndarray], prefix: str, n_items: int
               ) -> tuple[sp.csr_matrix, np.ndarray | None, np.ndarray | None]:
        linear = sp.csr_matrix((state[f"{prefix}data"], state[f"{prefix}indices"], state[f"{prefix}indptr"]),
                               shape=(n_items, n_items))
        return linear, state.get(f"{prefix}left"), state.get(f"{prefix}right")

    @classmethod
    def load_state(cls, state: dict[str, np.ndarray], prefix: str, n_items: int) -> LinearFilter:
        linear, left, right = cls._parts(state, prefix, n_items)
        return LinearFilter(linear, left, right, float(state[f"{prefix}settings"][0]))


def low_pass_factors(vt: np.ndarray, item_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(D_i^-(1-a) V_k, V_k^T D_i^(1-a)) from V_k^T (k x items) and the item scale d_i^-(1-a)."""
    inverse = np.where(item_scale > 0, 1.0 / np.maximum(item_scale, 1e-12), 0.0).astype(np.float32)
    left = np.ascontiguousarray((vt * item_scale[None, :]).T, dtype=np.float32)
    right = np.ascontiguousarray(vt * inverse[None, :], dtype=np.float32)
    return left, right


class GraphFilter(LinearFilter):
    """GF-CF: scores(r) = r P~ + alpha * r L (the module docstring), P~ pruned to `neighbours` per
    item (None: all, up to DENSE_ITEMS items), L of rank `rank`, degrees normalised with `exponent`."""

    def __init__(self, rank: int = 64, alpha: float = 0.3, neighbours: int | None = 200, seed: int = 0,
                 exponent: float = 0.5) -> None:
        self.rank, self.alpha, self.neighbours, self.seed, self.exponent = rank, alpha, neighbours, seed, exponent
        self.left_ = self.right_ = None

    def fit(self, train: sp.csr_matrix) -> GraphFilter:
        # An inf weight would make the normalised matrix nan and the SVD fail or return nan.
        train = check_finite(sp.csr_matrix(train, dtype=np.float32), "graph filter")
        neighbours = check_neighbours(self.neighbours, train.shape[1])
        normalised, item_scale = normalise(train, self.exponent)
        self.linear_ = item_graph(normalised, neighbours)
        self.left_ = self.right_ = None
        if self.rank >= 1 and self.alpha != 0:
            self.left_, self.right_ = low_pass_factors(low_pass_vectors(normalised, self.rank, self.seed), item_scale)
        return self

    def settings_copy(self) -> GraphFilter:
        """An unfitted GraphFilter of the same settings (to fit on another matrix)."""
        return GraphFilter(self.rank, self.alpha, self.neighbours, self.seed, self.exponent)

    def settings(self) -> np.ndarray:
        neighbours = -1 if self.neighbours is None else self.neighbours
        return np.array([self.rank, self.alpha, neighbours, self.seed, self.exponent], np.float64)

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], prefix: str, n_items: int) -> GraphFilter:
        settings = state[f"{prefix}settings"]
        rank, alpha, neighbours, seed = settings[:4]
        exponent = float(settings[4]) if len(settings) > 4 else 0.5  # files from before the exponent: 1/2
        graph_filter = cls(int(rank), float(alpha), None if neighbours < 0 else int(neighbours), int(seed), exponent)
        graph_filter.linear_, graph_filter.left_, graph_filter.right_ = cls._parts(state, prefix, n_items)
        return graph_filter


def validation_slices(train: sp.csr_matrix, valid: sp.csr_matrix | None, fraction: float, seed: int
                      ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(the part candidates are fitted on, the validation rows they are scored on): a given `valid`
    with `train` as the part, else a slice carved from train (matrix.interactions.carve_validation,
    the carve every model's validation figure uses), at most MAX_VALID_USERS validation users of it
    (matrix.interactions.validation_sample)."""
    if valid is None:  # checked here, where it is used, not in the config: a saved run still loads
        check_valid_fraction(fraction)
    part, valid = (train, valid) if valid is not None else carve_validation(train, fraction, seed=seed)
    return part, validation_sample(valid, seed)


def validation_scores(candidates: Iterable[tuple[dict[str, Any], ItemFilter]], part: sp.csr_matrix,
                      valid: sp.csr_matrix) -> list[tuple[dict[str, Any], float]]:
    """(settings, nDCG@10) of every candidate, each scored on the validation users' `part`
    histories. Candidates are made one at a time (a generator), so only one filter is held at once."""
    return [(settings, float(evaluate(lambda users: candidate.score_history(part[users]), part, valid)["ndcg"]))
            for settings, candidate in candidates]


def best_of(scored: Sequence[tuple[dict[str, Any], float]]) -> tuple[dict[str, Any], float]:
    """The best (settings, score) by validation nDCG@10; the first wins ties, a number beats nan."""
    if not scored:
        raise ConfigError("graph filter: expected at least one candidate setting, found none")
    best = scored[0]
    for settings, score in scored[1:]:
        if score > best[1] or (np.isnan(best[1]) and not np.isnan(score)):
            best = (settings, score)
    return best


def best_on_validation(candidates: Iterable[tuple[dict[str, Any], ItemFilter]], part: sp.csr_matrix,
                       valid: sp.csr_matrix) -> tuple[dict[str, Any], float, int]:
    """(settings, nDCG@10, candidates tried) of the candidate with the best validation nDCG@10
    (`validation_scores`, `best_of`)."""
    scored = validation_scores(candidates, part, valid)
    settings, score = best_of(scored)
    return settings, score, len(scored)


class FilterModel(Recommender):
    """What the closed-form filter models share: they score through a fitted ItemFilter (`filter_`:
    a LinearFilter, or BSPM's exact form), whose rows are the exact item-item operator of the score."""

    filter_: ItemFilter

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        self._check_fitted()
        return self.filter_.score_history(history)

    def item_item(self, items: np.ndarray) -> np.ndarray:
        """Rows of the filter's item-item operator: score_history(h) = h @ these rows, exactly."""
        return self.filter_.rows(items)

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        if isinstance(self.filter_, LinearFilter):
            return self.filter_.pairs(sources, targets)
        return super().pair_weights(sources, targets)  # BSPM's exact form: its rows, a chunk at a time
