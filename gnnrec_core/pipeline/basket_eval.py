"""Basket completion: can a model finish a basket?

Baskets are split at random into train (80%) and test (20%). Models fit on the train baskets (each
basket a row, as a user would be). In every test basket holding at least 2 products, one product
chosen at random (seeded) is hidden; the model ranks every product from the rest of the basket
(the rest excluded from the ranking); hit rate@k and nDCG@k of the hidden product are reported.

A validation tenth of the train baskets is scored the same way by each model fitted on the rest
(`valid_hit_rate`, `valid_ndcg`): choose between models and settings on those, and read the test
figures as the final word. The verdict does exactly that: the model validation ranks first, against
the one it ranks second, on the test baskets, with the 95% interval of the nDCG difference over
them (records.BasketEvalResult).
"""

from __future__ import annotations

import time
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..baskets.associations import catalogue_stats
from ..errors import ConfigError, InputError
from ..fit.metrics import cutoff_notes, ranking_metrics, top_k
from ..matrix.features import item_features
from ..models import MODELS, SPECS, Recommender
from ..models.registry import row_label
from ..models.shared_parts import sharing
from ..progress import Progress, report_or_cancel
from ..records import BasketEvalResult, BasketRow, Gain
from .benchmark import completion_verdicts, featureless_notes
from .cores import fixed_threads, on_free_cores
from .table_verdicts import paired_gain


def hide_one(baskets: sp.csr_matrix, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """For baskets with >= 2 products: (rest of each basket, hidden item per basket)."""
    sizes = np.diff(baskets.indptr)
    rows = np.flatnonzero(sizes >= 2)
    rng = np.random.default_rng(seed)
    picks = baskets.indptr[rows] + (rng.random(len(rows)) * sizes[rows]).astype(np.int64)
    hidden = baskets.indices[picks]
    kept = baskets[rows].tocoo()
    mask = ~((kept.col == hidden[kept.row]))
    rest = sp.csr_matrix((kept.data[mask], (kept.row[mask], kept.col[mask])), shape=(len(rows), baskets.shape[1]))
    return rest, hidden


def basket_eval(events: pd.DataFrame, catalogue: pd.DataFrame, models: list[str], k: int = 10, seed: int = 0,
                test_fraction: float = 0.2, progress: Progress | None = None, **settings: Any) -> BasketEvalResult:
    if k < 1:
        raise ConfigError(f"k: expected an integer >= 1, found {k}")
    stats, items = catalogue_stats(events)
    baskets = stats.baskets
    if baskets.shape[0] < 10:
        raise InputError(f"expected at least 10 baskets to evaluate basket completion, found {baskets.shape[0]}")
    order = np.random.default_rng(seed).permutation(baskets.shape[0])
    n_test = max(1, int(round(test_fraction * baskets.shape[0])))
    train, test = baskets[order[n_test:]], baskets[order[:n_test]]
    rest, hidden = hide_one(test, seed)
    if len(hidden) == 0:
        raise InputError("expected test baskets with at least 2 products, found none")
    relevant = _one_each(hidden, rest.shape)
    n_valid = max(1, int(round(0.1 * train.shape[0])))
    part, valid_rest, valid_hidden = train[n_valid:], *hide_one(train[:n_valid], seed + 1)
    valid_relevant = _one_each(valid_hidden, valid_rest.shape)
    rows: list[BasketRow] = []
    per_basket: dict[str, np.ndarray] = {}  # each test basket's nDCG, by model: the verdict's interval
    fixed_threads()  # a bad GNNREC_THREADS refused once, not read as each model's refusal below
    with sharing():  # the filters and the GNNs' blends build each item graph, SVD and GF-CF search once
        for position, name in enumerate(models):
            report_or_cancel(progress, {"model": name, "index": position, "total": len(models)})
            cls = MODELS[name]
            extra = {"item_features": item_features(catalogue, items)} if SPECS[name].needs_features else {}
            known = {key: v for key, v in settings.items() if key in {f.name for f in fields(cls.config_class)}}
            started = time.perf_counter()
            try:
                with on_free_cores(torch_stage=SPECS[name].is_gnn):
                    model = cls(**known, **extra).fit(train)
            except ConfigError as exc:
                rows.append(BasketRow(name, skipped=str(exc)))
                continue
            seconds = time.perf_counter() - started
            on_part = cls(**known, **extra).fit(part) if len(valid_hidden) else None
            for scorer, part_scorer, blend in _variants(model, on_part):
                on_valid = None if part_scorer is None else _completion(part_scorer, valid_rest, valid_relevant, k)
                hits = _completion(scorer, rest, relevant, k)
                row = BasketRow(name, valid_hit_rate=None if on_valid is None else float(on_valid["hit_rate"].mean()),
                                valid_ndcg=None if on_valid is None else float(on_valid["ndcg"].mean()),
                                hit_rate=float(hits["hit_rate"].mean()), ndcg=float(hits["ndcg"].mean()),
                                fit_seconds=round(seconds, 3), blend=blend, tuning=model.tuning())
                per_basket[row.key] = hits["ndcg"]
                rows.append(row)
    return BasketEvalResult(baskets=int(baskets.shape[0]), test_baskets=int(len(hidden)),
                            valid_baskets=int(len(valid_hidden)), items=int(len(items)), k=k, results=tuple(rows),
                            verdict=_verdict(rows, per_basket, k), verdicts=completion_verdicts(rows, per_basket, k),
                            notes=tuple(cutoff_notes((k,), int(len(items)))
                                        + featureless_notes(catalogue, [row.model for row in rows if not row.skipped])))


def _variants(model: Recommender, on_part: Recommender | None
              ) -> list[tuple[Recommender, Recommender | None, dict[str, float]]]:
    """(scorer, its fit on the validation part, blend) per row: a GNN carves its own validation
    slice from the train baskets, searches and may blend; then, as in `benchmark`, the GNN alone and
    its blend are rows of their own (a blend named by its parts), never the blend under the GNN's name."""
    tuning = model.tuning()
    if tuning is None or not tuning.blended or not hasattr(model, "without_blend"):
        return [(model, on_part, {})]
    alone_part = on_part.without_blend() if on_part is not None and hasattr(on_part, "without_blend") else on_part
    blend = {part: weight for part, weight in tuning.blend.items() if weight > 0}
    # The validation figure is the part's own fit: kept where that fit blended the same parts (its
    # weights may differ), so a row named "+ random-walk filter" never shows a GF-CF blend's figure.
    part_tuning = on_part.tuning() if on_part is not None else None
    part_blend = part_tuning.blend if part_tuning is not None else {}
    same_parts = {part for part, weight in part_blend.items() if weight > 0} == set(blend)
    return [(model.without_blend(), alone_part, {}), (model, on_part if same_parts else None, blend)]


def _verdict(rows: list[BasketRow], per_basket: dict[str, np.ndarray], k: int) -> Gain | None:
    """The model validation ranks first against the one it ranks second, on the test baskets."""
    ranked = sorted((row for row in rows if row.valid_ndcg is not None), key=lambda row: -(row.valid_ndcg or 0.0))
    if len(ranked) < 2:
        return None
    first, second = ranked[:2]
    return paired_gain((first.key, second.key), (first.ndcg, second.ndcg), "ndcg", k,
                       (per_basket[first.key], per_basket[second.key]), "test baskets",
                       (row_label(first.model, first.blend), row_label(second.model, second.blend)))


def _one_each(hidden: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The relevance matrix of one hidden product per basket."""
    return sp.csr_matrix((np.ones(len(hidden)), (np.arange(len(hidden)), hidden)), shape=shape)


def _completion(model: Recommender, rest: sp.csr_matrix, relevant: sp.csr_matrix, k: int) -> dict[str, np.ndarray]:
    """Each basket's hit@k and nDCG@k of the hidden product, from the rest of the basket."""
    found: dict[str, list[np.ndarray]] = {"hit_rate": [], "ndcg": []}
    for start in range(0, rest.shape[0], 2048):
        block = rest[start:start + 2048]
        top = top_k(model.score_history(block), k, block)
        for metric, values in ranking_metrics(top, relevant[start:start + 2048], k).items():
            if metric in found:
                found[metric].append(values)
    return {metric: np.concatenate(parts) if parts else np.zeros(0) for metric, parts in found.items()}
