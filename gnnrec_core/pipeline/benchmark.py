"""The pipeline every front end shares (CLI, dashboard, benchmarks):

    ingest result -> Dataset (interactions + item features) -> split -> fit each model -> metrics

Every model sees the same split; train_seconds is the wall time of fit() alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.id_lookup import find_id
from ..data.ingest import IngestResult
from ..data.log_words import LogWords, log_words
from ..errors import ConfigError, InputError
from ..fit.metrics import METRICS, Evaluation, cutoff_notes, evaluate_at, evaluate_variants
from ..matrix.interactions import InteractionConfig, Interactions, Split, SplitConfig, build_interactions, split
from ..models import DEFAULT_MODEL, MODELS, SPECS, Recommender
from ..models.shared_parts import sharing
from ..progress import Progress, for_seed, report_or_cancel
from ..records import BasketRow, BenchmarkResult, ResultRow, SeededBenchmark, Verdicts
from .cores import fixed_threads, on_free_cores
from .run_clock import shape_of
from .run_memory import plan_memory
from .table_verdicts import seeds_verdicts, verdicts
from .wall_budget import WallBudget, cut_note, over_note, run_limits, sampled_test


@dataclass
class Dataset:
    ingest: IngestResult
    interactions: Interactions
    _features: np.ndarray | None = field(default=None, repr=False)
    _name_table: np.ndarray | None = field(default=None, repr=False)
    text_encoder: str = "tfidf"  # how the feature GCN reads product names: tfidf or llm
    _returned: sp.csr_matrix | None = field(default=None, repr=False)

    def not_to_offer(self, users: np.ndarray, bought: sp.csr_matrix) -> sp.csr_matrix:
        """What the customers' lists leave out: `bought` (their rows of the train matrix) and the
        products they returned (ingest.returned_pairs), as one users x items mask."""
        if self._returned is None:
            pairs = self.ingest.returns
            rows = pairs["user"].map(self.interactions.user_lookup())
            cols = pairs["item"].map(self.interactions.item_lookup())
            known = (rows.notna() & cols.notna()).to_numpy()
            shape = (len(self.interactions.users), len(self.interactions.items))
            self._returned = sp.csr_matrix((np.ones(int(known.sum()), np.float32), (
                rows[known].to_numpy(np.int64), cols[known].to_numpy(np.int64))), shape=shape)
        mask = sp.csr_matrix(bought, dtype=np.float32, copy=True)
        mask.data[:] = 1.0
        out: sp.csr_matrix = (mask + self._returned[np.asarray(users, np.int64)]).tocsr()
        out.data[:] = 1.0
        return out

    @property
    def words(self) -> LogWords:
        """What the log records (a purchase, a rating, a visit), in the words every list uses."""
        return log_words(self.ingest.mapping)

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
        try:
            return find_id(self.interactions.user_lookup(), raw_user, "user", self.interactions.users)
        except InputError:
            self._only_returned("user", raw_user)
            raise

    def item_index(self, raw_item: str) -> int:
        try:
            return find_id(self.interactions.item_lookup(), raw_item, "item", self.interactions.items, self._names())
        except InputError:
            self._only_returned("item", raw_item)
            raise

    def _only_returned(self, what: str, raw: str) -> None:
        """An ID the data holds only on returned or cancelled lines (ingest.returned_pairs), said as that:
        "expected a known user ID" called a customer the merchandiser can see in the file unknown."""
        from ..data.charges import non_products

        returned = self.ingest.returns
        if what == "item" and non_products(pd.Index([str(raw).strip()]), lettered=False)[0]:
            return  # a postage or fee code: find_id says why such lines are dropped
        if what in returned.columns and str(raw).strip() in set(returned[what].astype(str)):
            noun = "customer" if what == "user" else "product"
            raise InputError(f"expected a {noun} with purchases, found '{raw}' on returned or cancelled lines alone "
                             "(cleaning drops those lines)") from None


def prepare(result: IngestResult, config: InteractionConfig = InteractionConfig()) -> Dataset:
    return Dataset(result, build_interactions(result.events, config))


def parse_models(text: str | None, what: str = "models") -> list[str]:
    """'pop,ease' -> ['pop', 'ease'], a name twice counted once; None -> every model; '' refused. `what`: the
    setting named in an error ("model", or "compared models" for the Train page's comparison)."""
    names = list(SPECS) if text is None else [n for n in dict.fromkeys(p.strip().lower() for p in text.split(",")) if n]
    unknown = [n for n in names if n not in SPECS]
    if unknown or not names:  # the unknown names alone, where others were fine
        found = ", ".join(f"'{n}'" for n in unknown) if unknown else f"'{text}'"
        raise ConfigError(f"{what}: expected names among {','.join(SPECS)}, found {found}")
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
              gnn_settings: dict[str, Any] | None = None, ks: Sequence[int] = (),
              data_split: Split | None = None, wall_budget: float | None = None, test_users: int | None = None,
              started: float | None = None) -> BenchmarkResult:
    """Fit every named model on one split and score it on the test part (the CLI contract).
    gnn_settings (e.g. time_budget) go to the GNN models only. `ks`: every cut-off to score (k, the
    first, gives the flat metrics); `data_split`: the user's own split (matrix.interactions.given_split)
    in place of one drawn by `split_config`. `wall_budget` seconds (0: none) the run keeps by cutting
    the GNNs' budgets, counted from `started` (default now), and `test_users`, the most test customers
    scored (0: all): None takes wall_budget.run_limits's defaults."""
    fixed_threads()  # a bad GNNREC_THREADS refused before the loop, which reads a ConfigError as one model's
    ks = tuple(dict.fromkeys([k, *ks]))
    if min(ks) < 1:
        raise ConfigError(f"k: expected integers >= 1, found {', '.join(map(str, ks))}")
    if any(SPECS[m].is_gnn for m in models):
        from ..fit.train import resolve_device

        resolve_device(device)  # fail before any training when cuda is asked for and absent
    given = data_split is not None
    wall_seconds, most_users = run_limits(wall_budget, test_users, given, "time_budget" in (gnn_settings or {}))
    # No GNN, nothing the wall budget could cut: none then, rather than a note on what it could not do.
    wall = WallBudget(wall_seconds if any(SPECS[m].is_gnn for m in models) else 0.0,
                      started if started is not None else time.perf_counter())
    if data_split is None:
        data_split = split(dataset.interactions, split_config)
    # A split that stays the same over --repeat's runs (a time cut, each customer's last, a given one)
    # keeps one sample of customers too; a random split's sample is drawn with it, by the run's seed.
    data_split = sampled_test(data_split, most_users, seed if data_split.config.method == "random" else 0)
    scored: list[tuple[ResultRow, Evaluation]] = []
    left_out = plan_memory(models, shape_of(data_split.train), {m: gnn_settings or {} for m in models
                                                                if SPECS[m].is_gnn},
                           required=frozenset(models) if len(models) == 1 else frozenset())
    notes: list[str] = list(left_out.values())
    with sharing():  # the filters and the GNNs' blends build each item graph and SVD once
        for position, name in enumerate(models):
            if name in left_out:
                continue
            report_or_cancel(progress, {"stage": "fit", "model": name, "index": position, "total": len(models)})
            settings = (gnn_settings or {}) if SPECS[name].is_gnn else {}
            cut: list[str] = []
            if SPECS[name].is_gnn and wall.seconds:
                to_fit = [m for m in models[position:] if m not in left_out]
                settings, cut = _within_wall(name, dataset, wall, settings, to_fit)
            try:
                model, seconds = fit_timed(name, dataset, data_split.train, progress=progress, device=device,
                                           seed=seed, **settings)
            except ConfigError as exc:  # e.g. EASE refusing a catalogue above its dense cap: say so, score the rest
                if len(models) == 1:
                    raise
                notes.append(skipped_note(name, exc))
                continue
            notes += cut  # said of a GNN that trained, never of one that then refused the data
            tuning = model.tuning()
            scoring_started = time.perf_counter()
            scored += scored_rows(name, model, seconds, data_split, ks,
                                  valid_ndcg=tuning.valid_ndcg if tuning is not None else None)
            wall.scored(time.perf_counter() - scoring_started)
    notes += cutoff_notes(ks, data_split.train.shape[1]) + featureless_notes(dataset.ingest.catalogue,
                                                                         [row.model for row, _ in scored])
    if wall.seconds and wall.elapsed() > wall.seconds:
        notes.append(over_note(wall.elapsed(), wall.seconds))
    data = dataset.interactions
    return BenchmarkResult(users=data.n_users, items=data.n_items, interactions=len(data),
                           split=data_split.as_dict(), k=ks[0], results=tuple(row for row, _ in scored), ks=ks,
                           verdicts=verdicts(scored, k=ks[0], asked=models), notes=tuple(notes))


def _within_wall(name: str, dataset: Dataset, wall: WallBudget, settings: dict[str, Any],
                 still_to_fit: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """The GNN `name`'s settings with its time budget cut to the run's wall budget where it must be,
    and the note that says so (none where its own budget fits)."""
    from ..models.embedding import EmbeddingConfig  # torch: a GNN is about to train anyway

    if SPECS[name].needs_features:
        dataset.features  # built before its budget is reckoned: the text graph takes its own time
    asked = float(settings.get("time_budget", EmbeddingConfig().time_budget))
    budget = wall.gnn_budget(asked, sum(SPECS[m].is_gnn for m in still_to_fit))
    if budget >= asked:
        return settings, []
    return settings | {"time_budget": budget}, [cut_note(SPECS[name].label, budget, asked, wall.seconds)]


def skipped_note(name: str, exc: Exception) -> str:
    """Why a model has no row in a table (it refused the data), for the table's notes."""
    return f"{SPECS[name].label} skipped: {exc}"


def scored_rows(name: str, model: Recommender, seconds: float, data_split: Split, ks: Sequence[int],
                valid_ndcg: float | None) -> list[tuple[ResultRow, Evaluation]]:
    """The model's rows of a table, each with its evaluation (kept for the verdicts' intervals):
    the model alone, and, where validation chose a blend for a GNN, the blend as a row of its own.
    `valid_ndcg` is the model's own; a GNN's two rows take theirs from its tuning record."""
    tuning = model.tuning()
    train, test = data_split.train, data_split.test
    if tuning is not None and tuning.blended and hasattr(model, "alone_then_blended"):
        # Both rows from one product of the GNN's vectors: alone, then blended.
        with on_free_cores():
            found = evaluate_variants(model.alone_then_blended, 2, train, test, tuple(ks))
        blend = {part: weight for part, weight in tuning.blend.items() if weight > 0}
        variants = [({}, tuning.valid_ndcg), (blend, tuning.blend_valid_ndcg)]
    else:
        with on_free_cores():
            found = [evaluate_at(model.score, train, test, tuple(ks))]
        variants = [({}, valid_ndcg)]
    return [(result_row(name, model, evaluation, ks[0], seconds, valid_ndcg=valid, blend=blend), evaluation)
            for (blend, valid), evaluation in zip(variants, found)]


def result_row(name: str, model: Recommender, found: Evaluation, k: int, seconds: float,
               valid_ndcg: float | None, blend: dict[str, float] | None = None) -> ResultRow:
    """The one producer of a table's row: test metrics at k (rounded) and recall and nDCG at every
    cut-off scored, validation nDCG, fit seconds, device, what the model chose on validation, and
    the blend's parts and weights where the row is a blend."""
    metrics = found.by_k[k]
    at_k = {cut: {m: _round(values[m]) for m in ("recall", "ndcg")} for cut, values in found.by_k.items()}
    return ResultRow(model=name, **{m: _round(metrics[m]) for m in METRICS}, train_seconds=round(seconds, 3),
                     device=model_device(model), valid_ndcg=valid_ndcg, tuning=model.tuning(),
                     blend=dict(blend or {}), at_k=at_k if len(at_k) > 1 else {})


def fit_timed(name: str, dataset: Dataset, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
              progress: Progress | None = None, **settings: Any) -> tuple[Recommender, float]:
    model = make_model(name, dataset, **settings)
    if SPECS[name].needs_features:
        dataset.features  # built before the clock starts: features are data preparation, not fit
    with on_free_cores(torch_stage=SPECS[name].is_gnn):
        started = time.perf_counter()
        model.fit(train, valid=valid, progress=progress)
        return model, time.perf_counter() - started


def benchmark_seeds(dataset: Dataset, models: list[str], split_config: SplitConfig, seeds: Sequence[int],
                    data_split: Split | None = None, **options: Any) -> SeededBenchmark:
    """`benchmark` once per seed. A drawn split is drawn again with each seed, as the models take
    it, so the spread holds the split's noise and training's; a given split (`data_split`) stays."""
    runs = []
    for index, seed in enumerate(seeds):
        said = {"progress": for_seed(options["progress"], seed, index, len(seeds))} \
            if options.get("progress") is not None and len(seeds) > 1 else {}
        if index:  # each run keeps its own wall budget; the first's clock started with the command
            said["started"] = None
        runs.append(benchmark(dataset, models, replace(split_config, seed=seed), seed=seed, data_split=data_split,
                              **(options | said)))
    return SeededBenchmark(seeds=tuple(seeds), runs=tuple(runs), verdicts=seeds_verdicts([r.verdicts for r in runs]))


def completion_verdicts(rows: Sequence[BasketRow], per_basket: dict[str, np.ndarray], k: int) -> Verdicts:
    """basket-eval's rows read as every table is (`verdicts`), over its test baskets: `per_basket`
    holds each row's nDCG@k per test basket (by BasketRow.key), the same baskets in the same order.
    Each row keeps its validation figure, so the verdicts speak for the rows validation chose (without it
    they fell back to the best on test, and "chosen on validation" named another row than they judged)."""
    nan = float("nan")
    scored = [(ResultRow(row.model, ndcg=row.ndcg, precision=nan, recall=nan, map=nan, hit_rate=row.hit_rate,
                         coverage=nan, train_seconds=row.fit_seconds, valid_ndcg=row.valid_ndcg, blend=dict(row.blend),
                         tuning=row.tuning),
               Evaluation(np.arange(len(per_basket[row.key])), {k: {"ndcg": row.ndcg}},
                          {k: {"ndcg": per_basket[row.key]}}))
              for row in rows if row.skipped is None]
    return verdicts(scored, k=k, over="test baskets")


def _round(value: float) -> float:
    return float(round(value, 5)) if value == value else value


def featureless_notes(catalogue: pd.DataFrame, fitted: list[str]) -> list[str]:
    """The note that a feature-reading model had no features to read, where one ran on such data."""
    from ..data.catalogue import FEATURELESS_NOTE, describes_products

    reads = any(SPECS[name].needs_features for name in fitted)
    return [FEATURELESS_NOTE] if reads and not describes_products(catalogue) else []


__all__ = ["Dataset", "prepare", "benchmark", "benchmark_seeds", "make_model", "parse_models", "fit_timed", "Split",
           "scored_rows", "DEFAULT_MODEL"]
