"""One product across the two sides of a comparison (baskets/changes.py's SplitBaskets): its
bought-together partners on each, side by side, by the shrunk lift the association pages rank by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from .changes import SplitBaskets
from .evidence import lift_low


def partners_by_side(split: SplitBaskets, item: str, k: int = 10, min_count: int = 2,
                     names: pd.Series | None = None) -> pd.DataFrame:
    """A product's bought-together partners on each side (by lift's shrunk lower bound,
    evidence.lift_low, as frequently_bought_together ranks them), side by side: who joined and who
    left its top k."""
    found = np.flatnonzero(split.items == str(item))
    if not len(found):
        raise InputError(f"expected a product of this dataset, found '{item}'")
    index = int(found[0])
    sides = {side: _partner_scores(getattr(split, side), index, min_count) for side in ("a", "b")}
    tops = {side: _top(score, k) for side, (_, score) in sides.items()}
    union = sorted(tops["a"] | tops["b"], key=lambda i: -np.nanmax([sides["a"][1][i], sides["b"][1][i]]))
    names = names if names is not None else pd.Series(dtype=object)
    partners = split.items[union].astype(str)
    frame = pd.DataFrame({"partner": partners, "name": [names.get(p) for p in partners]})
    for side, (together, score) in sides.items():
        frame[f"together_{side}"] = together[union].astype(np.int64)
        frame[f"score_{side}"] = score[union]
    frame["in_top"] = ["both" if i in tops["a"] and i in tops["b"] else ("a only" if i in tops["a"] else "b only")
                       for i in union]
    return frame


def _top(score: np.ndarray, k: int) -> set[int]:
    ranked = np.argsort(-np.where(np.isnan(score), -np.inf, score), kind="stable")[:k]
    return set(ranked[np.isfinite(score[ranked])].tolist())


def _partner_scores(matrix: sp.csr_matrix, index: int, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Baskets holding the product and each other product, and lift's shrunk lower bound (NaN
    below min_count)."""
    holding = matrix[matrix[:, index].nonzero()[0]]
    together = np.asarray(holding.sum(0)).ravel()
    together[index] = 0
    counts, n = np.asarray(matrix.sum(0)).ravel(), max(matrix.shape[0], 1)
    score = lift_low(together, np.full(len(counts), counts[index]), counts, n)
    return together, np.where(together >= min_count, score, np.nan)


__all__ = ["partners_by_side"]
