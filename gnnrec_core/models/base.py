"""The one interface every model follows, baselines and GNNs alike (scikit-learn shape).

    model = Model(config).fit(train)           # train: users x items CSR; returns self
    model.score(users)          -> (n, items)   scores for known users
    model.score_history(X)      -> (n, items)   scores for any history rows (a new basket)
    model.recommend(users, k)   -> (n, k) item indices, (n, k) scores; seen items excluded
    model.similar_items(items, k)
    model.save(path) / Model.load(path)

Learned state ends in `_`. Saved state is arrays in an .npz read with allow_pickle=False plus a
JSON config, so loading a model file never unpickles arbitrary objects.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, InputError, NotFittedError
from ..file_output import replace_file
from ..fit.metrics import top_k
from ..progress import Progress
from ..records import Tuning

PAIR_ROWS_CELLS = 8_000_000  # item_item rows held at once by the default pair_weights: 32-64 MB


class Recommender(ABC):
    """Subclasses implement fit, score_history, get_state and set_state; the rest follows."""

    name: ClassVar[str] = "base"
    config_class: ClassVar[type] = type(None)
    # How a score relates to the history, for the reasons shown beside a recommendation:
    # "history": score_history(h) = h @ item_item(h's items), exactly (item-item models);
    # "history mean": the mean of the history's item vectors explains it, approximately (GNNs);
    # "popularity": the history plays no part.
    explained_by: ClassVar[str] = "history"
    link_label: ClassVar[str] = "similarity"  # what item_item's numbers are, in words
    # What those numbers measure and on what scale, said beside every list of them since scales
    # differ between models (a cosine tops at 1, a filter's weight of 0.02 can be a strong link);
    # link_top: the scale's top where it has one, else None (bars then scale to the list's largest).
    link_scale: ClassVar[str] = ("the model's own item-item weight: larger is closer, on a scale of its own "
                                 "(compare the products of one list, not numbers across models)")
    link_top: ClassVar[float | None] = None
    train_: sp.csr_matrix  # users x items, set by fit() or load(); absent before (scikit-learn style)

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        if config is None:
            config = self.config_class(**overrides)
        elif overrides:
            config = type(config)(**{**asdict(config), **overrides})
        self.config = config

    # -- the interface -------------------------------------------------------------------------
    @abstractmethod
    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> "Recommender":
        """train: (users, items) CSR of positives; valid: the same shape, held-out positives for
        early stopping and the models' own choices; progress(event) returning False cancels."""

    @abstractmethod
    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        """history: (n, items) CSR rows -> (n, items) float scores; higher ranks first."""

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self.score_history(self.train_[np.asarray(users)])

    def tuning(self) -> Tuning | None:
        """What the model chose on validation (records.Tuning); None for models that choose nothing."""
        return None

    def refit_settings(self, chosen: dict[str, Any], train: sp.csr_matrix) -> tuple[dict[str, Any], str | None]:
        """The settings a refit on `train` (a run's every interaction) takes from what this fit chose,
        and a sentence where one of them cannot carry over (BSPM's exact form past its work bound)."""
        return chosen, None

    def item_vectors(self) -> np.ndarray | None:
        """Item embeddings (items x d) where the model has them; None for pure item-item models."""
        return None

    def item_item(self, items: np.ndarray) -> np.ndarray:
        """Similarity of the given items to every item, (n, items). Default: cosine of vectors."""
        vectors = self.item_vectors()
        if vectors is None:
            raise NotImplementedError
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        similarity: np.ndarray = unit[np.asarray(items)] @ unit.T
        return similarity

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """item_item(sources)[t, targets[t]] for each t, without the whole rows where the model can
        (a list's links for every customer: a few purchases x k products each, not x the catalogue).
        Default: the cosine of item vectors, else the rows of the distinct sources a chunk at a time."""
        sources, targets = np.asarray(sources, np.int64), np.asarray(targets, np.int64)
        vectors = self.item_vectors()
        if vectors is not None:
            unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            pairs: np.ndarray = np.einsum("ij,ij->i", unit[sources], unit[targets])
            return pairs
        distinct, where = np.unique(sources, return_inverse=True)
        out = np.empty(len(sources), np.float64)
        chunk = max(1, PAIR_ROWS_CELLS // max(self.n_items, 1))
        for start in range(0, len(distinct), chunk):
            rows = self.item_item(distinct[start:start + chunk])
            inside = (where >= start) & (where < start + chunk)
            out[inside] = rows[where[inside] - start, targets[inside]]
        return out

    def recommend(self, users: np.ndarray, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        users = np.atleast_1d(np.asarray(users))
        self._check_users(users)
        scores = self.score(users)
        return self._rank(scores, k, self.train_[users] if exclude_seen else None)

    def recommend_history(self, history: sp.csr_matrix, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Top-k for arbitrary histories (rows of a CSR), items in the history excluded."""
        self._check_fitted()
        return self._rank(self.score_history(sp.csr_matrix(history)), k, sp.csr_matrix(history))

    def similar_items(self, items: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        items = np.atleast_1d(np.asarray(items))
        self._check_fitted()
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise InputError(f"expected item indices in [0, {self.n_items}), found {items.max()}")
        itself = sp.csr_matrix((np.ones(len(items)), (np.arange(len(items)), items)),
                               shape=(len(items), self.n_items))
        return self._rank(self.item_item(items), k, itself)

    # -- persistence ---------------------------------------------------------------------------
    @abstractmethod
    def get_state(self) -> dict[str, np.ndarray]:
        """The learned arrays, by name (saved in an .npz, never pickled)."""

    @abstractmethod
    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what get_state returned (train_ is restored by load())."""

    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        path = Path(path)
        state = {f"state__{k}": v for k, v in self.get_state().items()}
        train = self.train_.tocsr()
        state.update(train_indptr=train.indptr, train_indices=train.indices, train_data=train.data,
                     train_shape=np.array(train.shape))
        meta = {"model": self.name, "config": asdict(self.config)}
        state["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        atomic_write(path, lambda handle: np.savez(handle, **state))  # type: ignore[arg-type]
        return path

    @staticmethod
    def load(path: str | Path) -> "Recommender":
        from . import MODELS  # the registry imports this module

        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.files}
        except (OSError, ValueError) as exc:
            raise InputError(f"expected a gnnrec model file at '{path}', found: {str(exc)[:120]}") from None
        meta = json.loads(arrays.pop("meta_json").tobytes().decode())
        cls = MODELS.get(meta.get("model"))
        if cls is None:
            raise InputError(f"expected a known model in '{path}', found '{meta.get('model')}'")
        config = cls.config_class(**_known_fields(cls.config_class, meta["config"]))
        model = cls(config)
        shape = tuple(arrays.pop("train_shape"))
        model.train_ = sp.csr_matrix((arrays.pop("train_data"), arrays.pop("train_indices"),
                                      arrays.pop("train_indptr")), shape=shape)
        model.set_state({k.removeprefix("state__"): v for k, v in arrays.items()})
        return model

    # -- helpers -------------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        self._check_fitted()
        return int(self.train_.shape[1])

    @property
    def n_users(self) -> int:
        self._check_fitted()
        return int(self.train_.shape[0])

    def _check_fitted(self) -> None:
        if getattr(self, "train_", None) is None:
            raise NotFittedError(f"{self.name}: expected a fitted model, found one not fitted yet; "
                                 "call fit() or load() first")

    def _check_users(self, users: np.ndarray) -> None:
        self._check_fitted()
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise InputError(f"expected user indices in [0, {self.n_users}), found {users.max()}")

    @staticmethod
    def _rank(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None) -> tuple[np.ndarray, np.ndarray]:
        top = top_k(scores, k, exclude)
        return top, np.take_along_axis(np.asarray(scores), top, axis=1)


def _known_fields(config_class: type, values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(config_class)}
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items() if k in names}


def sparse_pairs(matrix: sp.spmatrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """matrix[sources[t], targets[t]] for each t (0 where nothing is stored), as float64."""
    if not len(sources):
        return np.zeros(0, np.float64)
    values = sp.csr_matrix(matrix)[np.asarray(sources, np.int64), np.asarray(targets, np.int64)]
    return np.asarray(values, np.float64).ravel()


def atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def into(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            write(handle)

    replace_file(path, into)


def check_train(train: sp.spmatrix, name: str) -> sp.csr_matrix:
    if not sp.issparse(train) or train.ndim != 2:
        raise InputError(f"{name}: expected a users x items sparse matrix, found {type(train).__name__}")
    if train.nnz == 0:
        raise InputError(f"{name}: expected training interactions, found none")
    return check_finite(sp.csr_matrix(train, dtype=np.float32), name)


def check_finite(train: sp.csr_matrix, name: str) -> sp.csr_matrix:
    """Refuse inf and nan weights in words: they otherwise surface as a solver's error (ARPACK's
    'Starting vector is zero', a LinAlgError) or as nan scores. Checked on the float32 matrix the
    models use, so a weight too large for float32 counts as inf."""
    bad = int(np.count_nonzero(~np.isfinite(train.data)))
    if bad:
        raise InputError(f"{name}: expected finite interaction weights, found inf/nan in {bad:,} entries")
    return train


def positive(value: float, field: str) -> None:
    if not value > 0:
        raise ConfigError(f"{field}: expected a positive number, found {value}")


def check_valid_fraction(value: float) -> None:
    """The share of train carved for validation: the one check every model with a search makes."""
    if not 0 < value < 0.5:
        raise ConfigError(f"valid_fraction: expected a fraction in (0, 0.5), found {value}")
