"""A polynomial in the item graph applied through the interactions at scoring time, never formed.

    scores(r) = r sum_j c_j P~^j + alpha * (r Left) Right,   P~ = R~^T R~ (graph_filter.py)

y P~ is computed as (y R~^T) R~: two sparse products with the degree-normalised interactions, so
nothing is pruned and nothing items x items is ever held. The materialised filters
(graph_filter.polynomial) prune P~ and every product of the polynomial to a few entries per item;
up to 9k items that costs nothing on validation, but at 41k items (Gowalla) BSPM's RK4 polynomial
through 16 entries per item scores 2.6-3.7% below its exact value on validation (docs/benchmarks.md,
"BSPM exact where it is affordable"). The authors of BSPM apply their ODE steps to the unpruned
item graph too (a dense items x items matrix on a GPU).

What it costs: scoring a history takes 2 nnz(R~) multiply-adds per power of P~, whatever the
history's length, where a materialised filter costs the history's length x the entries kept per
item; a row of the item-item operator (a product's similar list, the export's every product) costs
the same as a history. So the exact form is offered only where scoring every user, or every
product's row, once stays within EXACT_WORK (`affordable`). Histories are computed in slices of at
most SLICE_CELLS cells of their widest intermediate, so the work arrays beside the n x items
scores returned stay small however many histories are scored at once.

Linear in the history, as every filter is: `rows` are the exact item-item operator, so a reason's
per-purchase shares sum exactly to the score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .graph_filter import horner

# Multiply-adds to score every user (or every product's row) once: a product choice, about 3 minutes
# at the pace measured on Gowalla's test users (1.9e9 a second on two cores), as long as the default
# Train run's two GNN budgets together. Gowalla's train split needs 3.3e11 for the RK4 polynomial
# (its 41k products' rows). Above it, RK4 keeps the pruned form: Gowalla with its test pairs (4.2e11,
# its Euler 1.7e11: a Train run's final refit on every interaction serves the pruned form there,
# BSPM.refit_settings, and says so) and the 1M-line synthetic log (9.9e11, and 4.0e11 for Euler).
EXACT_WORK = 3.5e11
SLICE_CELLS = 1 << 23  # histories x max(users, items) of one slice's dense intermediate (32 MB)


def scoring_work(train: sp.csr_matrix, degree: int) -> float:
    """Multiply-adds to score every user's history, or every product's row, once (the larger)
    through a degree-`degree` polynomial."""
    return float(max(train.shape)) * 2.0 * float(train.nnz) * degree


def affordable(train: sp.csr_matrix, degree: int) -> bool:
    return scoring_work(train, degree) <= EXACT_WORK


class ExactPolynomialFilter:
    """scores(r) = r sum_{j>=1} coefficients[j-1] P~^j + alpha (r left) right, P~ = R~^T R~ applied
    through `normalised` (R~, users x items). left: items x k, right: k x items, or None."""

    def __init__(self, normalised: sp.csr_matrix, coefficients: Sequence[float], left: np.ndarray | None = None,
                 right: np.ndarray | None = None, alpha: float = 1.0) -> None:
        if len(coefficients) < 1:
            raise ValueError("an exact polynomial filter needs at least the coefficient of P~")
        self.normalised_ = sp.csr_matrix(normalised, dtype=np.float32)
        self.transposed_ = self.normalised_.T.tocsr()
        self.coefficients_ = np.asarray(coefficients, np.float64)
        self.left_, self.right_, self.alpha = left, right, float(alpha)

    @property
    def n_items(self) -> int:
        return int(self.normalised_.shape[1])

    def through_graph(self, columns: np.ndarray) -> np.ndarray:
        """P~ @ columns for items x n dense columns (P~ is symmetric): R~^T (R~ columns)."""
        return np.asarray(self.transposed_ @ np.asarray(self.normalised_ @ columns), np.float32)

    def polynomial_columns(self, columns: np.ndarray, coefficients: Sequence[float]) -> np.ndarray:
        """sum_j c_j P~^j @ columns for j = 0..len-1, by Horner (items x n dense, float32)."""
        return horner(self.through_graph, columns, coefficients)

    def _linear(self, history: sp.csr_matrix) -> np.ndarray:
        """history @ sum_{j>=1} c_j P~^j for a slice of histories, in the transposed layout (items x
        histories): f = P~ h^T, sparse while the histories are, then sum_j c_j P~^(j-1) f by Horner."""
        first = sp.csr_matrix(self.transposed_ @ (self.normalised_ @ history.T.tocsr())).toarray()
        return np.ascontiguousarray(self.polynomial_columns(first, list(self.coefficients_)).T, np.float32)

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        history = sp.csr_matrix(history, dtype=np.float32)
        n = history.shape[0]
        scores = np.empty((n, self.n_items), np.float32)
        step = max(1, SLICE_CELLS // max(self.normalised_.shape))
        for start in range(0, n, step):
            scores[start:start + step] = self._linear(history[start:start + step])
        if self.left_ is not None and self.right_ is not None and self.alpha != 0:
            scores += (np.float32(self.alpha) * np.asarray(history @ self.left_)) @ self.right_
        return scores

    def rows(self, items: np.ndarray) -> np.ndarray:
        """Rows of the filter's item-item operator: score_history(h) = h @ rows(all items), exactly."""
        items = np.asarray(items, np.int64)
        unit = sp.csr_matrix((np.ones(len(items), np.float32), (np.arange(len(items)), items)),
                             shape=(len(items), self.n_items))
        return self.score_history(unit)

    def settings(self) -> np.ndarray:
        return np.array([self.alpha], np.float64)

    def get_state(self, prefix: str) -> dict[str, np.ndarray]:
        r = self.normalised_
        state = {f"{prefix}exact_indptr": r.indptr, f"{prefix}exact_indices": r.indices, f"{prefix}exact_data": r.data,
                 f"{prefix}exact_users": np.array([r.shape[0]], np.int64),
                 f"{prefix}exact_coefficients": self.coefficients_, f"{prefix}settings": self.settings()}
        if self.left_ is not None and self.right_ is not None:
            state |= {f"{prefix}left": self.left_, f"{prefix}right": self.right_}
        return state

    @classmethod
    def load_state(cls, state: dict[str, np.ndarray], prefix: str, n_items: int) -> ExactPolynomialFilter:
        users = int(state[f"{prefix}exact_users"][0])
        normalised = sp.csr_matrix((state[f"{prefix}exact_data"], state[f"{prefix}exact_indices"],
                                    state[f"{prefix}exact_indptr"]), shape=(users, n_items))
        return cls(normalised, list(state[f"{prefix}exact_coefficients"]), state.get(f"{prefix}left"),
                   state.get(f"{prefix}right"), float(state[f"{prefix}settings"][0]))
