"""EASE (Steck, WWW 2019): the closed-form shallow autoencoder

    P = (X^T X + lambda I)^-1,   B = I - P diag(1 / diag P),   scores = X B

lambda is chosen on a validation slice carved from train, from one factorisation reused for every
candidate (the inverse for any lambda is a rescaling of eigenvalues):

- users < items: the user-space (Woodbury) form. With X X^T = Q L Q^T and Z = Q^T X,
  P = (I - Z^T diag(1 / (L + lambda)) Z) / lambda, so the factorisation is users x users.
- otherwise the item-space form: X^T X = V S V^T and P = V diag(1 / (S + lambda)) V^T.

Validation scores X_v P never form P itself, so each candidate costs one product of the
validation rows with the factors. The final weights come from one Cholesky inverse (item space)
or one Woodbury product (user space) of the whole train split, in float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..data.limits import limits
from ..errors import ConfigError
from ..fit.metrics import ranking_metrics, top_k
from ..matrix.interactions import carve_validation
from ..progress import Progress
from ..records import Tuning
from .base import Recommender, check_train, positive

LAMBDA_GRID = (5.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 3000.0)


@dataclass(frozen=True)
class EASEConfig:
    l2: float | None = None  # None: chosen from LAMBDA_GRID on a validation slice of train
    # A dense items x items float32 weight matrix: 20k items is 1.6 GB. Default from GNNREC_MAX_DENSE_ITEMS.
    max_items: int = field(default_factory=lambda: limits().dense_items)
    seed: int = 0  # the run's seed: lambda's validation carve, as every other model's choices

    def __post_init__(self) -> None:
        if self.l2 is not None:
            positive(self.l2, "l2")


class EASE(Recommender):
    name = "ease"
    config_class = EASEConfig
    link_label = "EASE weight"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> EASE:
        self.train_ = check_train(train, self.name)
        n_items = train.shape[1]
        if n_items > self.config.max_items:
            raise ConfigError(f"ease: expected at most {self.config.max_items:,} items for its dense "
                              f"items x items weights, found {n_items:,}; the graph filter (gfcf) and lightgcn "
                              "cover this catalogue "
                              "(or raise GNNREC_MAX_DENSE_ITEMS on a machine with the memory)")
        self.l2_ = self.config.l2 if self.config.l2 is not None else choose_l2(self.train_, seed=self.config.seed)
        self.weights_ = ease_weights(self.train_, self.l2_)
        return self

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(sp.csr_matrix(history, dtype=np.float32) @ self.weights_)

    def item_item(self, items: np.ndarray) -> np.ndarray:
        rows: np.ndarray = self.weights_[np.asarray(items)]
        return rows

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        pairs: np.ndarray = self.weights_[np.asarray(sources, np.int64), np.asarray(targets, np.int64)]
        return pairs

    def tuning(self) -> Tuning | None:
        return Tuning(chosen={"l2": float(self.l2_)}) if getattr(self, "l2_", None) is not None else None

    def get_state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_, "l2": np.array([self.l2_])}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.weights_, self.l2_ = state["weights"], float(state["l2"][0])


class _Factors:
    """One factorisation of X^T X + lambda I for every lambda (see the module docstring)."""

    def __init__(self, train: sp.csr_matrix, dtype: type = np.float64) -> None:
        x = train.astype(np.float64)
        self.user_space = train.shape[0] < train.shape[1]
        if self.user_space:
            values, vectors = np.linalg.eigh((x @ x.T).toarray())
            self.factor = np.asarray((x.T @ vectors).T)  # Z = Q^T X, users x items
        else:
            values, vectors = np.linalg.eigh((x.T @ x).toarray())
            self.factor = vectors.T  # V^T, items x items
        self.values = np.maximum(values, 0.0)
        self.squares = self.factor ** 2
        # float32 halves the cost of scoring wide catalogues; the lambda choice only ranks.
        self.factor, self.squares, self.dtype = self.factor.astype(dtype), self.squares.astype(dtype), dtype

    def scores(self, history: sp.csr_matrix, lam: float) -> np.ndarray:
        """history @ B for this lambda, (n, items), without forming P or B."""
        scale = (1.0 / (self.values + lam)).astype(self.dtype)
        projected = np.asarray(history @ self.factor.T) * scale
        if self.user_space:
            history_p = (history.toarray() - projected @ self.factor) / lam
            diagonal = (1.0 - scale @ self.squares) / lam
        else:
            history_p = projected @ self.factor
            diagonal = scale @ self.squares
        scores: np.ndarray = history.toarray() - history_p / diagonal[None, :]
        return scores


# Validation users scored per lambda; enough to rank a log-spaced grid, few enough to stay fast.
MAX_VALID_USERS = 2000
# Item-space factorisations above this many items are too slow (eigh ~ items^3); lambda is then
# chosen in user space on a sample of this many users and rescaled (X^T X grows with users).
MAX_FACTOR_ITEMS = 3000


def choose_l2(train: sp.csr_matrix, grid: tuple[float, ...] = LAMBDA_GRID, seed: int = 0) -> float:
    """lambda with the best nDCG@10 on a validation slice carved from train (never the test set)."""
    part, valid = carve_validation(train, 0.1, seed=seed)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) == 0:
        return 100.0
    rng = np.random.default_rng(seed)
    rescale = 1.0
    if part.shape[0] >= part.shape[1] > MAX_FACTOR_ITEMS:
        keep = np.sort(rng.choice(part.shape[0], MAX_FACTOR_ITEMS - 1, replace=False))
        keep = np.union1d(keep, rng.choice(users, min(len(users), MAX_VALID_USERS // 2), replace=False))
        rescale = part.shape[0] / len(keep)
        part, valid = part[keep], valid[keep]
        users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) > MAX_VALID_USERS:
        users = np.sort(rng.choice(users, MAX_VALID_USERS, replace=False))
    # Factors above 10M cells are scored in float32 (wide catalogues); small ones stay exact.
    factors = _Factors(part, np.float32 if min(part.shape) * part.shape[1] > 10_000_000 else np.float64)
    history, relevant = part[users], valid[users]

    def ndcg(lam: float) -> float:
        top = top_k(factors.scores(history, lam / rescale), 10, history)
        return float(ranking_metrics(top, relevant, 10)["ndcg"].mean())

    return float(max(grid, key=ndcg))


def ease_weights(train: sp.csr_matrix, lam: float) -> np.ndarray:
    """B = I - P diag(1/diag P), zero diagonal, float32 (items x items)."""
    x = train.astype(np.float32)
    n_items = train.shape[1]
    if train.shape[0] < n_items:  # Woodbury: users x users factorisation
        kernel = (x @ x.T).toarray().astype(np.float64)
        kernel[np.diag_indices_from(kernel)] += lam
        factor = scipy.linalg.cho_factor(kernel, lower=True)
        dense = x.toarray()
        solved = scipy.linalg.cho_solve(factor, dense).astype(np.float32)  # (XX^T + lam)^-1 X
        p = -(dense.T @ solved)
        p[np.diag_indices_from(p)] += 1.0
        p /= lam
    else:
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += lam
        p = _spd_inverse(gram)
    weights = p / (-np.diag(p))[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    weights32: np.ndarray = weights.astype(np.float32, copy=False)
    return weights32


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix by Cholesky (LAPACK potrf + potri)."""
    potrf, potri = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potri"), (matrix,))
    factor, info = potrf(matrix, lower=True, overwrite_a=True)
    if info != 0:
        raise ConfigError(f"ease: expected a positive definite Gram matrix, found LAPACK info {info}")
    inverse, info = potri(factor, lower=True, overwrite_c=True)
    lower = np.tril(inverse)
    symmetric: np.ndarray = lower + np.tril(lower, -1).T
    return symmetric
