"""The pipeline every front end shares (CLI, dashboard, benchmarks):

    ingest result -> Dataset (interactions + item features) -> split -> fit each model -> metrics

Every model sees the same split; train_seconds is the wall time of fit() alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.ingest import IngestResult
from ..errors import ConfigError, InputError
from ..fit.metrics import METRICS, evaluate
from ..matrix.interactions import InteractionConfig, Interactions, Split, SplitConfig, build_interactions, split
from ..models import DEFAULT_MODEL, MODELS, SPECS, Recommender
from ..progress import Progress, report_or_cancel
from ..records import BenchmarkResult, ResultRow


@dataclass
class Dataset:
    ingest: IngestResult
    interactions: Interactions
    _features: np.ndarray | None = field(default=None, repr=False)
    _name_table: np.ndarray | None = field(default=None, repr=False)
    text_encoder: str = "tfidf"  # how the feature GCN reads product names: tfidf or llm

    @property
    def features(self) -> np.ndarray:
        if self._features is None:
            from ..matrix.features import FeatureConfig, item_features  # scikit-learn: only when a model asks

            self._features = item_features(self.ingest.catalogue, self.interactions.items,
                                           FeatureConfig(text=self.text_encoder))
        features: np.ndarray = self._features
        return features

    def item_names(self, indices: np.ndarray) -> list[str]:
        """Display names of item indices; the raw code where the catalogue has no name."""
        names: list[str] = self._names()[np.asarray(indices, dtype=np.int64)].tolist()
        return names

    def _names(self) -> np.ndarray:
        # One lookup table per dataset: exports ask for millions of names at once.
        if self._name_table is None:
            codes = pd.Index([str(code) for code in self.interactions.items])
            names = self.ingest.catalogue["name"].reindex(codes)
            self._name_table = np.where(names.isna(), codes, names.astype(str)).astype(object)
        return self._name_table

    def user_index(self, raw_user: str) -> int:
        return _lookup(self.interactions.user_lookup(), raw_user, "user", self.interactions.users)

    def item_index(self, raw_item: str) -> int:
        return _lookup(self.interactions.item_lookup(), raw_item, "item", self.interactions.items)


def _lookup(table: dict[str, int], raw: str, what: str, known: np.ndarray) -> int:
    index = table.get(str(raw).strip())
    if index is None:
        raise InputError(f"expected a known {what} ID, found '{raw}' (IDs look like: {', '.join(map(str, known[:3]))})")
    return index


def prepare(result: IngestResult, config: InteractionConfig = InteractionConfig()) -> Dataset:
    return Dataset(result, build_interactions(result.events, config))


def parse_models(text: str | None) -> list[str]:
    """'pop,ease' -> ['pop', 'ease']; None -> every model."""
    names = list(SPECS) if not text else [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SPECS]
    if unknown or not names:
        raise ConfigError(f"models: expected names among {','.join(SPECS)}, found '{text}'")
    return names


def make_model(name: str, dataset: Dataset, device: str = "auto", seed: int = 0, **settings: Any) -> Recommender:
    """A model with its config's defaults overridden by `settings` (None keeps a default).

    An unknown or misspelled setting is an error naming it; device and seed are run options,
    passed to the models that use them."""
    cls = MODELS[name]
    fields = set(getattr(cls.config_class, "__dataclass_fields__", {}))
    settings = {k: v for k, v in settings.items() if v is not None}
    unknown = sorted(set(settings) - fields - {"device", "seed"})
    if unknown:
        known = ", ".join(sorted(fields - {"device", "seed"})) or "none"
        raise ConfigError(f"{name}: expected settings among {known}, "
                          f"found {', '.join(unknown)}")
    chosen = dict(settings)
    chosen.update({k: v for k, v in (("device", device), ("seed", seed)) if k in fields})
    if SPECS[name].needs_features:
        return cls(item_features=dataset.features, **chosen)
    return cls(**chosen)


def model_device(model: Recommender) -> str:
    device = getattr(model, "device_", None)
    return str(device) if device is not None else "cpu"


def benchmark(dataset: Dataset, models: list[str], split_config: SplitConfig = SplitConfig(), k: int = 10,
              device: str = "auto", seed: int = 0, progress: Progress | None = None,
              gnn_settings: dict[str, Any] | None = None) -> BenchmarkResult:
    """Fit every named model on one split and score it on the test part (the CLI contract).
    gnn_settings (e.g. time_budget) go to the GNN models only."""
    if k < 1:
        raise ConfigError(f"k: expected an integer >= 1, found {k}")
    if any(SPECS[m].is_gnn for m in models):
        from ..fit.train import resolve_device

        resolve_device(device)  # fail before any training when cuda is asked for and absent
    data_split = split(dataset.interactions, split_config)
    results = []
    for position, name in enumerate(models):
        report_or_cancel(progress, {"stage": "fit", "model": name, "index": position, "total": len(models)})
        settings = (gnn_settings or {}) if SPECS[name].is_gnn else {}
        model, seconds = fit_timed(name, dataset, data_split.train, progress=progress, device=device, seed=seed,
                                   **settings)
        metrics = evaluate(model.score, data_split.train, data_split.test, k=k)
        tuning = model.tuning()
        results.append(result_row(name, model, metrics, seconds,
                                  valid_ndcg=tuning.best_valid_ndcg if tuning is not None else None))
    data = dataset.interactions
    return BenchmarkResult(users=data.n_users, items=data.n_items, interactions=len(data),
                           split=data_split.as_dict(), k=k, results=tuple(results))


def result_row(name: str, model: Recommender, metrics: dict[str, float], seconds: float,
               valid_ndcg: float | None) -> ResultRow:
    """The one producer of a model's row: test metrics (rounded), validation nDCG, fit seconds,
    device and what the model chose on validation."""
    return ResultRow(model=name, **{m: _round(metrics[m]) for m in METRICS}, train_seconds=round(seconds, 3),
                     device=model_device(model), valid_ndcg=valid_ndcg, tuning=model.tuning())


def fit_timed(name: str, dataset: Dataset, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
              progress: Progress | None = None, **settings: Any) -> tuple[Recommender, float]:
    model = make_model(name, dataset, **settings)
    if SPECS[name].needs_features:
        dataset.features  # built before the clock starts: features are data preparation, not fit
    started = time.perf_counter()
    model.fit(train, valid=valid, progress=progress)
    return model, time.perf_counter() - started


def gain_over_filter(results: Sequence[ResultRow], metric: str = "ndcg") -> dict[str, Any] | None:
    """What training added: the best trained GNN against the best closed-form graph filter on the
    same split (a GCN solved without training); None if either is missing."""
    gnn = [r for r in results if SPECS[r.model].is_gnn]
    filters = [r for r in results if SPECS[r.model].is_filter]
    if not gnn or not filters:
        return None
    best_gnn, best_filter = max(gnn, key=lambda r: r.metric(metric)), max(filters, key=lambda r: r.metric(metric))
    gnn_value, filter_value = best_gnn.metric(metric), best_filter.metric(metric)
    relative = (gnn_value - filter_value) / filter_value if filter_value else float("nan")
    return {"gnn": best_gnn.model, "filter": best_filter.model, "metric": metric, "gnn_value": gnn_value,
            "filter_value": filter_value, "relative": relative}


def gain_over_baselines(results: Sequence[ResultRow], metric: str = "ndcg") -> dict[str, Any] | None:
    """The best GNN against the best non-graph baseline (the graph filter is compared apart, by
    gain_over_filter), as a relative change; None if either is missing."""
    gnn = [r for r in results if SPECS[r.model].is_gnn]
    base = [r for r in results if SPECS[r.model].kind == "baseline"]
    if not gnn or not base:
        return None
    best_gnn, best_base = max(gnn, key=lambda r: r.metric(metric)), max(base, key=lambda r: r.metric(metric))
    gnn_value, base_value = best_gnn.metric(metric), best_base.metric(metric)
    relative = (gnn_value - base_value) / base_value if base_value else float("nan")
    return {"gnn": best_gnn.model, "baseline": best_base.model, "metric": metric,
            "gnn_value": gnn_value, "baseline_value": base_value, "relative": relative}


def _round(value: float) -> float:
    return float(round(value, 5)) if value == value else value


__all__ = ["Dataset", "prepare", "benchmark", "make_model", "parse_models", "fit_timed", "Split",
           "gain_over_baselines", "gain_over_filter", "DEFAULT_MODEL"]
