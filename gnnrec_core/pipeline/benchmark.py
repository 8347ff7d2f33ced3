"""The pipeline every front end shares (CLI, dashboard, benchmarks):

    ingest result -> Dataset (interactions + item features) -> split -> fit each model -> metrics

Every model sees the same split; train_seconds is the wall time of fit() alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.id_lookup import find_id
from ..data.ingest import IngestResult
from ..errors import ConfigError
from ..fit.metrics import METRICS, Evaluation, cutoff_notes, evaluate_at, evaluate_variants
from ..matrix.interactions import InteractionConfig, Interactions, Split, SplitConfig, build_interactions, split
from ..models import DEFAULT_MODEL, MODELS, SPECS, Recommender
from ..models.registry import row_label
from ..models.shared_parts import sharing
from ..progress import Progress, for_seed, report_or_cancel
from ..records import BasketRow, BenchmarkResult, BudgetCut, Gain, ResultRow, SeededBenchmark, Verdicts
from .cores import fixed_threads, on_free_cores
from .run_clock import shape_of
from .run_memory import plan_memory


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
        return find_id(self.interactions.user_lookup(), raw_user, "user", self.interactions.users)

    def item_index(self, raw_item: str) -> int:
        return find_id(self.interactions.item_lookup(), raw_item, "item", self.interactions.items, self._names())


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
              data_split: Split | None = None) -> BenchmarkResult:
    """Fit every named model on one split and score it on the test part (the CLI contract).
    gnn_settings (e.g. time_budget) go to the GNN models only. `ks`: every cut-off to score (k, the
    first, gives the flat metrics); `data_split`: the user's own split (matrix.interactions.given_split)
    in place of one drawn by `split_config`."""
    fixed_threads()  # a bad GNNREC_THREADS refused before the loop, which reads a ConfigError as one model's
    ks = tuple(dict.fromkeys([k, *ks]))
    if min(ks) < 1:
        raise ConfigError(f"k: expected integers >= 1, found {', '.join(map(str, ks))}")
    if any(SPECS[m].is_gnn for m in models):
        from ..fit.train import resolve_device

        resolve_device(device)  # fail before any training when cuda is asked for and absent
    if data_split is None:
        data_split = split(dataset.interactions, split_config)
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
            try:
                model, seconds = fit_timed(name, dataset, data_split.train, progress=progress, device=device,
                                           seed=seed, **settings)
            except ConfigError as exc:  # e.g. EASE refusing a catalogue above its dense cap: say so, score the rest
                if len(models) == 1:
                    raise
                notes.append(skipped_note(name, exc))
                continue
            tuning = model.tuning()
            scored += scored_rows(name, model, seconds, data_split, ks,
                                  valid_ndcg=tuning.valid_ndcg if tuning is not None else None)
    notes += cutoff_notes(ks, data_split.train.shape[1])
    data = dataset.interactions
    return BenchmarkResult(users=data.n_users, items=data.n_items, interactions=len(data),
                           split=data_split.as_dict(), k=ks[0], results=tuple(row for row, _ in scored), ks=ks,
                           verdicts=verdicts(scored, k=ks[0], asked=models), notes=tuple(notes))


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


Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval


def gain(row: ResultRow, reference: ResultRow, k: int, metric: str = "ndcg",
         paired: tuple[np.ndarray, np.ndarray] | None = None, over: str = "test users") -> Gain:
    """A table's Gain: `row` against `reference` on `metric`, with `paired` (each test case's figure
    for both rows, the same cases in the same order) its 95% interval over the test cases (`over`)."""
    value, base = row.metric(metric), reference.metric(metric)
    return paired_gain((row.key, reference.key), (value, base), metric, k, paired, over,
                       (row_label(row.model, row.blend), row_label(reference.model, reference.blend)))


def paired_gain(keys: tuple[str, str], means: tuple[float, float], metric: str, k: int,
                paired: tuple[np.ndarray, np.ndarray] | None, over: str, labels: tuple[str, str],
                critical: float = Z_95) -> Gain:
    """The one producer of a Gain, from two means and, with `paired`, each test case's figure for
    both (the same cases in the same order: test users in a table, test baskets in basket
    completion, seeds in `seeds_verdicts`): the 95% interval of the relative change is the mean
    per-case difference +/- `critical` standard errors (the normal's 1.96; Student's t over a
    handful of seeds), divided by the reference's mean."""
    value, base = means
    relative = (value - base) / base if base else float("nan")
    low = high = None
    n = 0
    if paired is not None:
        difference = np.asarray(paired[0], np.float64) - np.asarray(paired[1], np.float64)
        n = len(difference)
        if n > 1 and base:
            half = critical * float(difference.std(ddof=1)) / np.sqrt(n)
            low, high = (float(difference.mean()) - half) / base, (float(difference.mean()) + half) / base
    return Gain(row=keys[0], reference=keys[1], metric=metric, k=k, value=value, reference_value=base,
                relative=relative, low=low, high=high, over=over, n=n, row_label=labels[0], reference_label=labels[1])


def _finite(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value))


def verdicts(scored: Sequence[tuple[ResultRow, Evaluation | None]] | Sequence[ResultRow], k: int = 10,
             metric: str = "ndcg", over: str = "test users", asked: Sequence[str] = ()) -> Verdicts:
    """The two comparisons every table is read by (records.Verdicts): the trained row (a GNN alone
    or blended) against the best closed-form graph filter, and the graph row (filter, GNN or blend)
    against the best non-graph baseline. The side a verdict speaks for is the best of its kind on
    validation (the figure each row chose its settings by; by the test metric where a row has none,
    as in a run saved before); the reference is the best of its kind on test. So neither verdict
    flatters its claim: picking the best of four trained rows by their test figures overstated what
    training added, and a reference picked on validation could sit below a row the table shows
    above it. With each row's evaluation, every gain carries its interval over the test cases
    (`over`: test users, or basket completion's test baskets); rows alone (a saved run from before
    intervals were kept) give the gains without one."""
    pairs = [(item, None) if isinstance(item, ResultRow) else item for item in scored]

    def best(kind: Callable[[ResultRow], bool], on_validation: bool = False
             ) -> tuple[ResultRow, Evaluation | None] | None:
        found = [(row, ev) for row, ev in pairs if kind(row)]
        # A GNN whose blend was kept is not its own candidate: the blend beat it on the blend's own
        # customers, a sample its alone figure (the whole carve) was not measured on.
        blended = {row.model for row, _ in found if row.blend}
        candidates = [(row, ev) for row, ev in found if row.blend or row.model not in blended]
        if on_validation and candidates and all(_finite(row.valid_ndcg) for row, _ in candidates):
            return max(candidates, key=lambda pair: float(pair[0].valid_ndcg))  # type: ignore[arg-type]
        return max(found, key=lambda pair: pair[0].metric(metric)) if found else None

    def compare(a: tuple[ResultRow, Evaluation | None] | None,
                b: tuple[ResultRow, Evaluation | None] | None) -> Gain | None:
        if a is None or b is None:
            return None
        (row, found), (ref, ref_found) = a, b
        paired = None
        if found is not None and ref_found is not None and metric in found.per_user.get(k, {}):
            paired = (found.per_user[k][metric], ref_found.per_user[k][metric])
        return gain(row, ref, k, metric, paired, over)

    trained = best(lambda r: SPECS[r.model].is_gnn, on_validation=True)
    closed_form = best(lambda r: SPECS[r.model].is_filter)
    graph = best(lambda r: SPECS[r.model].kind != "baseline", on_validation=True)
    baseline = best(lambda r: SPECS[r.model].kind == "baseline")
    versus = compare(graph, baseline)
    # `asked`: the run's models. A baseline asked for that has no row (EASE above its dense cap) is
    # named, so "the best baseline" is not read as the best of every baseline.
    missing = [SPECS[m].label for m in dict.fromkeys(asked) if SPECS[m].kind == "baseline"
               and not any(row.model == m for row, _ in pairs)]
    if versus is not None and missing:
        versus = replace(versus, reference_label=f"{versus.reference_label} (the best baseline that ran; "
                                                 f"{' and '.join(missing)} did not)")
    return Verdicts(training=compare(trained, closed_form), graph=versus,
                    cut=budget_cut(trained[0]) if trained is not None else None)


def benchmark_seeds(dataset: Dataset, models: list[str], split_config: SplitConfig, seeds: Sequence[int],
                    data_split: Split | None = None, **options: Any) -> SeededBenchmark:
    """`benchmark` once per seed. A drawn split is drawn again with each seed, as the models take
    it, so the spread holds the split's noise and training's; a given split (`data_split`) stays."""
    runs = []
    for index, seed in enumerate(seeds):
        said = {"progress": for_seed(options["progress"], seed, index, len(seeds))} \
            if options.get("progress") is not None and len(seeds) > 1 else {}
        runs.append(benchmark(dataset, models, replace(split_config, seed=seed), seed=seed, data_split=data_split,
                              **(options | said)))
    return SeededBenchmark(seeds=tuple(seeds), runs=tuple(runs), verdicts=seeds_verdicts([r.verdicts for r in runs]))


def seeds_verdicts(runs: Sequence[Verdicts]) -> Verdicts:
    """Each run's two verdicts (one per seed) read over the runs: each run's pair as its own validation chose it
    (what the product does on any one run), the change of the mean and its 95% interval from
    Student's t over the seeds. None where fewer than two runs have the verdict."""
    from scipy.stats import t

    def over_seeds(gains: list[Gain | None], whats: tuple[str, str]) -> Gain | None:
        found = [g for g in gains if g is not None and np.isfinite([g.value, g.reference_value]).all()]
        if len(found) < 2:  # the interval then says over how many seeds it is
            return None
        values = np.array([g.value for g in found])
        references = np.array([g.reference_value for g in found])
        # The most frequent key, the first seed's on a tie (Counter keeps first-seen order; a set's
        # order would change with the hash seed).
        keys = tuple(Counter(names).most_common(1)[0][0] for names in ([g.row for g in found],
                                                                        [g.reference for g in found]))
        labels = (_chosen_in_each([g.row_label for g in found], whats[0]),
                  _chosen_in_each([g.reference_label for g in found], whats[1]))
        first = found[0]
        return paired_gain((keys[0], keys[1]), (float(values.mean()), float(references.mean())), first.metric,
                           first.k, (values, references), "seeds", labels, float(t.ppf(0.975, len(found) - 1)))

    training = over_seeds([r.training for r in runs], ("the trained row", "the best filter"))
    graph = over_seeds([r.graph for r in runs], ("the graph row", "the best baseline"))
    cuts = [r.cut for r in runs]  # said only where the budget cut training short in every run
    cut = cuts[0] if cuts and all(c is not None for c in cuts) else None
    return Verdicts(training=training, graph=graph, cut=cut)


def _chosen_in_each(labels: list[str], what: str) -> str:
    """One label where every seed chose the same row, else what each seed chose and how often."""
    counts = Counter(labels).most_common()
    if len(counts) == 1:
        return labels[0]
    return f"{what} of each seed ({'; '.join(f'{label} in {n} of {len(labels)}' for label, n in counts)})"


def completion_verdicts(rows: Sequence[BasketRow], per_basket: dict[str, np.ndarray], k: int) -> Verdicts:
    """basket-eval's rows read as every table is (`verdicts`), over its test baskets: `per_basket`
    holds each row's nDCG@k per test basket (by BasketRow.key), the same baskets in the same order."""
    nan = float("nan")
    scored = [(ResultRow(row.model, ndcg=row.ndcg, precision=nan, recall=nan, map=nan, hit_rate=row.hit_rate,
                         coverage=nan, train_seconds=row.fit_seconds, blend=dict(row.blend), tuning=row.tuning),
               Evaluation(np.arange(len(per_basket[row.key])), {k: {"ndcg": row.ndcg}},
                          {k: {"ndcg": per_basket[row.key]}}))
              for row in rows if row.skipped is None]
    return verdicts(scored, k=k, over="test baskets")


def budget_cut(row: ResultRow) -> BudgetCut | None:
    """Where the time budget, or the most epochs allowed, ended a trained row's training at an epoch
    that was still its best on validation: the verdict then says that more may change it. (A run
    that ends neither by its budget, nor by patience nor a cancel ran its most epochs: `stopped` "".)"""
    tuning = row.tuning
    if tuning is None or not tuning.epochs or tuning.best_epoch != tuning.epochs or tuning.stopped not in (
            "deadline", ""):
        return None
    return BudgetCut(SPECS[row.model].label, float(tuning.budget or 0.0), int(tuning.epochs),
                     "deadline" if tuning.stopped == "deadline" else "epochs", tuning.last_epoch_share)


def _round(value: float) -> float:
    return float(round(value, 5)) if value == value else value


__all__ = ["Dataset", "prepare", "benchmark", "benchmark_seeds", "make_model", "parse_models", "fit_timed", "Split",
           "verdicts", "gain", "scored_rows", "DEFAULT_MODEL"]
