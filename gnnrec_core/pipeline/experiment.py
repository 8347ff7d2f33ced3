"""One dashboard training run, start to finish, with live progress and cancellation:

1. split the interactions (test held out);
2. fit the chosen model on the train split. A GNN fits by its defaults (models/embedding.py):
   settings, epochs and blend weights chosen on a validation slice carved from train, inside its
   time budget; its live curve is the chosen configuration's validation nDCG;
3. score it on test beside every baseline fitted on the same train split (one honest table), and
   give every model a validation nDCG on one slice carved from train (the GNN's is the slice its
   settings were chosen on; a baseline is fitted on the rest of train and scored there): runs are
   compared and tuned on validation, the test figures are the final word;
4. with `repeat` above 1, steps 1-3 again for each next seed (each drawing its split; a given test
   set stays): only their verdicts are kept, read with the first seed's over the seeds
   (table_verdicts.seeds_verdicts, as `benchmark --repeat`); the table is the first seed's;
5. for exploring (map, neighbours, recommendations) a GNN's trained parameters are propagated
   over the graph of every interaction: no second training. A baseline is refitted on all.

The test set is used once, in step 3, for the table. A progress callback that returns False
cancels the run: `Cancelled` is raised and nothing is saved.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError
from ..fit.metrics import VALIDATION_K, Evaluation, cutoff_notes, evaluate
from ..matrix.interactions import InteractionConfig, Split, SplitConfig, carve_validation, given_split, split
from ..models import BASELINES, MODELS, SPECS, Recommender
from ..models.registry import BLEND_FILTERS
from ..models.shared_parts import forget_shared, sharing
from ..progress import Progress, for_seed, report_or_cancel
from ..records import DatasetRef, ResultRow, RunInfo, Tuning, Verdicts
from ..setting_words import NO_VALIDATION, blend_words, chosen_words, epochs_words
from ..store import Run, Workspace
from ..store_files import fingerprint
from .benchmark import Dataset, featureless_notes, fit_timed, make_model, prepare, scored_rows, skipped_note
from .cores import fixed_threads
from .run_clock import RunClock, shape_of, stage
from .run_memory import plan_memory
from .table_verdicts import seeds_verdicts, verdicts

VALID_FRACTION = 0.1  # the validation slice of train, as the GNN's defaults carve it (TrainConfig)
# What a run's fits import on first use: torch, PyG (which imports torch's compiler) and scikit-learn's
# randomised SVD (LightGCN's spectral start). About 4 s on two cores, once per process: a first run
# after import_training_libraries() is as fast as a second (docs/benchmarks.md, "The demo as a user meets it").
TRAINING_LIBRARIES = ("torch", "torch_geometric", "sklearn.utils.extmath")
MAX_REPEAT = 20  # seeds one run may repeat over: each is a whole run's fits again


def import_training_libraries() -> None:
    """Import TRAINING_LIBRARIES now (the dashboard does it at the end of its first script run, in
    the script's thread, so the demo's first run does not wait for them)."""
    for name in TRAINING_LIBRARIES:
        importlib.import_module(name)


@dataclass(frozen=True)
class ExperimentConfig:
    model: str = "lightgcn"
    baselines: tuple[str, ...] = BASELINES
    settings: tuple[tuple[str, Any], ...] = ()  # hyperparameters of the main model, as (name, value)
    split: SplitConfig = SplitConfig()
    k: int = 10
    device: str = "auto"
    seed: int = 0
    weighting: str = "binary"  # the interactions' weighting (matrix/interactions.py); binary won on validation
    repeat: int = 1  # seeds seed..seed+repeat-1: the run again on each, for the verdicts over seeds

    def __post_init__(self) -> None:
        InteractionConfig(weighting=self.weighting)  # refuses an unknown weighting, in words
        if not 1 <= self.repeat <= MAX_REPEAT or self.seed + self.repeat - 1 > 2**32 - 1:
            raise ConfigError(f"repeat (--repeat, or the Train page's Repeat over seeds): expected 1 to {MAX_REPEAT} "
                              f"seeds from seed {self.seed} up to 2**32 - 1, found {self.repeat}")
        unknown = [m for m in (self.model, *self.baselines) if m not in MODELS]
        if unknown:
            raise ConfigError(f"models: expected names among {', '.join(MODELS)}, found {', '.join(unknown)}")

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.seed, self.seed + self.repeat))


@dataclass
class Experiment:
    model: Recommender
    results: list[ResultRow]
    history: list[dict[str, Any]]
    epochs: int | None
    split: dict[str, Any]
    seconds: float
    config: ExperimentConfig
    notes: list[str] = field(default_factory=list)
    verdicts: Verdicts = field(default_factory=Verdicts)
    seeds: tuple[int, ...] = ()  # where the run was repeated over seeds: each of them, its own first
    over_seeds: Verdicts = field(default_factory=Verdicts)  # the verdicts read over `seeds`


def run_experiment(dataset: Dataset, config: ExperimentConfig = ExperimentConfig(),
                   progress: Progress | None = None, heldout: pd.DataFrame | None = None) -> Experiment:
    """heldout: the user's own test set (events as ingest returns them): every interaction of
    `dataset` trains and these are scored (matrix.interactions.given_split); config.split is unused.
    The filters and the GNN's blend build each item graph and SVD once (shared_parts.sharing)."""
    fixed_threads()  # a bad GNNREC_THREADS refused before the first fit, not read as one model's refusal
    with sharing():
        return _run_experiment(dataset, config, progress, heldout)


def _run_experiment(dataset: Dataset, config: ExperimentConfig, progress: Progress | None,
                    heldout: pd.DataFrame | None) -> Experiment:
    started = time.perf_counter()
    if dataset.interactions.info.get("weighting", "binary") != config.weighting:
        dataset = prepare(dataset.ingest, InteractionConfig(weighting=config.weighting))

    if heldout is None:
        data_split = split(dataset.interactions, config.split)
    else:
        data_split = given_split(dataset.interactions, heldout)
    # GF-CF and RP3beta first where they run beside a GNN: the GNN's blend searches both on the same
    # carve, and inside the run's sharing block it then reuses those searches and filters (outside
    # its budget).
    first = [name for name in BLEND_FILTERS if name in config.baselines] if SPECS[config.model].is_gnn else []
    models = first + [config.model] + [b for b in config.baselines if b not in (config.model, *first)]
    settings = dict(config.settings) | {"device": config.device, "seed": config.seed}
    left_out = plan_memory(models, shape_of(data_split.train), {config.model: settings},
                           required=frozenset([config.model]))  # before anything is fitted
    asked = list(models)  # the verdicts name a baseline asked for that ends with no row
    models = [name for name in models if name not in left_out]
    seeds = config.seeds
    clock = RunClock.plan(models, shape_of(data_split.train), _budgets(models, settings, config.model),
                          main=config.model, repeat=len(seeds))

    def report(event: dict[str, Any]) -> None:  # every event carries the whole run's ETA
        report_or_cancel(progress, {**event, "run_eta_seconds": round(clock.remaining(), 1),
                                    "run_eta_bound": clock.bounded(), "run_done": round(clock.fraction_done(), 4)})

    history: list[dict[str, Any]] = []
    scored, main_model, skipped, said = _score_split(dataset, config, models, data_split, clock, report, history,
                                                     repeat=(0, len(seeds)))
    notes = [*left_out.values(), *skipped, *said, *cutoff_notes((config.k,), data_split.train.shape[1]),
             *featureless_notes(dataset.ingest.catalogue, [row.model for row, _ in scored])]
    history = list(getattr(main_model, "history_", history))  # the chosen configuration's curve
    found = verdicts(scored, k=config.k, asked=asked)
    each_seed = [found]
    if len(seeds) > 1:
        forget_shared()  # the first split's parts: no later seed or the final refit uses them
    for index, seed in enumerate(seeds[1:], start=1):  # the same run again: only its verdicts are kept
        again = replace(config, seed=seed, split=replace(config.split, seed=config.split.seed + index))
        seed_split = data_split if heldout is not None else split(dataset.interactions, again.split)
        with sharing():  # this seed's parts, dropped after it
            seed_scored, _, seed_skipped, _ = _score_split(dataset, again, models, seed_split, clock, report, [],
                                                           repeat=(index, len(seeds)))
        notes.extend(f"Seed {seed}: {note}" for note in seed_skipped if note not in skipped)
        each_seed.append(verdicts(seed_scored, k=config.k, asked=asked))
    if len(seeds) > 1:
        notes.append(_seeds_note(seeds, "given" if heldout is not None else config.split.method))
    clock.begin("final")
    report({"stage": f"placing every interaction in {SPECS[config.model].label}", "model": config.model})
    if hasattr(main_model, "refit_graph"):
        final = main_model.refit_graph(dataset.interactions.matrix())
    else:  # at the settings the table's row was measured with: no second search on other data
        final, changed = refit_on_everything(config.model, dataset, chosen_settings(config.model, main_model.tuning()),
                                             **settings)
        notes.extend([changed] if changed else [])
    experiment = Experiment(final, [row for row, _ in scored], history, getattr(main_model, "best_epoch_", None),
                            data_split.as_dict(), time.perf_counter() - started, config, notes, found)
    if len(seeds) > 1:
        experiment.seeds, experiment.over_seeds = seeds, seeds_verdicts(each_seed)
    return experiment


def _score_split(dataset: Dataset, config: ExperimentConfig, models: list[str], data_split: Split,
                 clock: RunClock, report: Callable[[dict[str, Any]], None], history: list[dict[str, Any]],
                 repeat: tuple[int, int] = (0, 1)
                 ) -> tuple[list[tuple[ResultRow, Evaluation]], Recommender, list[str], list[str]]:
    """Every model fitted on `data_split`'s train, scored on its test and given a validation figure,
    at config's seed: the table's rows (the main model first), the main model as fitted, and two
    lists of notes: the models that refused the data, and what the main model chose. Its epochs are
    appended to `history`. `repeat`: (index, count) of this seed among the run's, for the progress
    and the clock."""
    settings = dict(config.settings) | {"device": config.device, "seed": config.seed}
    run_options = {"device": config.device, "seed": config.seed}
    part, valid = carve_validation(data_split.train, VALID_FRACTION, seed=config.seed)  # the GNN's own carve
    index, count = repeat
    prefix = f"seed {config.seed} ({index + 1} of {count}): " if count > 1 else ""
    if count > 1:  # every event says which seed it belongs to (the CLI's bar, the page's line)
        report = for_seed(report, config.seed, index, count)
    skipped: list[str] = []
    chosen: list[str] = []
    scored: list[tuple[ResultRow, Evaluation]] = []
    main_model = None
    for position, name in enumerate(models):
        clock.begin(stage(name, index))
        step = f"{prefix}fitting {SPECS[name].label} on the train split"
        report({"stage": step, "model": name, "index": position, "total": len(models)})

        def on_event(event: dict[str, Any], step: str = step, name: str = name) -> None:
            if "epoch" in event:
                history.append(event)
            if "plan_seconds" in event:  # the GNN's search knows its pace: its stage, not its budget
                clock.replan(stage(name, index), event["plan_seconds"])
            report({"stage": step, **event})  # raises Cancelled when the caller cancels
        try:
            model, seconds = fit_timed(name, dataset, data_split.train, progress=on_event if name == config.model
                                       else None, **(settings if name == config.model else run_options))
        except ConfigError as exc:  # e.g. EASE refusing a wide catalogue: say so, keep the others
            if name == config.model:
                raise
            skipped.append(skipped_note(name, exc))
            continue
        scored += scored_rows(name, model, seconds, data_split, (config.k,),
                              valid_ndcg=_validation_ndcg(name, model, dataset, part, valid, config))
        if name == config.model:
            main_model = model
            chosen.extend(_tuning_notes(name, model.tuning()))
    if main_model is None:  # unreachable: the main model's ConfigError is raised above
        raise ConfigError(f"{config.model}: expected a fitted model, found none")
    table_order = {name: i for i, name in enumerate(dict.fromkeys([config.model, *config.baselines]))}  # model first
    scored.sort(key=lambda pair: table_order.get(pair[0].model, len(table_order)))
    return scored, main_model, skipped, chosen


def _seeds_note(seeds: tuple[int, ...], method: str) -> str:
    how = {"given": "your test set each time; the models' seeds varied",
           "time": "the same time cut each time; the models' seeds varied"}.get(method, "each seed drawing its split")
    return (f"The run was repeated with seeds {seeds[0]} to {seeds[-1]} ({how}) for the verdicts over seeds; "
            f"the table is seed {seeds[0]}'s.")


def _budgets(models: list[str], settings: dict[str, Any], main: str) -> dict[str, float]:
    """A trained GNN's stage lasts at most its time budget (the main model's from its settings):
    what the run's ETA counts for it."""
    gnns = [name for name in models if SPECS[name].is_gnn]
    if not gnns:
        return {}
    from ..models.embedding import EmbeddingConfig

    default = EmbeddingConfig().time_budget
    return {name: float(settings.get("time_budget", default)) if name == main else default for name in gnns}


def _validation_ndcg(name: str, model: Recommender, dataset: Dataset, part: sp.csr_matrix, valid: sp.csr_matrix,
                     config: ExperimentConfig) -> float | None:
    """nDCG@VALIDATION_K on the validation slice, the cut-off the searches choose on, whatever the
    run's k: the GNN's from its own search (same carve), else the model
    refitted on the rest of train at the settings it chose on train (EASE's lambda: chosen on a
    carve of train, as a filter's settings are, and not searched a second time; ~1 s of the sample's
    Train run). None when the GNN ran without validation (auto off)."""
    tuning = model.tuning()
    if SPECS[name].is_gnn or (tuning is not None and tuning.valid_ndcg is not None):
        # The model chose its settings on this same carve (same function, share and seed): its figure
        # (a GNN's blend row takes the blend's from the same record, scored_rows).
        return tuning.valid_ndcg if tuning is not None else None
    options = (dict(config.settings) if name == config.model else {}) | chosen_settings(name, model.tuning())
    fitted, _ = fit_timed(name, dataset, part, device=config.device, seed=config.seed, **options)
    return float(evaluate(fitted.score, part, valid, k=VALIDATION_K)["ndcg"])


def chosen_settings(name: str, tuning: Tuning | None) -> dict[str, Any]:
    """What the model chose on validation, as settings its config takes (EASE's l2; a filter's rank,
    variant, form...), so a refit on other data is the same model without a second search."""
    if tuning is None:
        return {}
    fields = getattr(MODELS[name].config_class, "__dataclass_fields__", {})
    return {key: value for key, value in tuning.chosen.items() if key in fields}


def refit_on_everything(name: str, dataset: Dataset, chosen: dict[str, Any],
                        **settings: Any) -> tuple[Recommender, str | None]:
    """`name` fitted on every interaction of `dataset` at the settings it `chosen` on a run's
    validation (`chosen_settings`), and a sentence where one cannot carry over (BSPM's exact form
    past its work bound). A run's final refit and the Recommendations page's comparison model:
    neither searches again, so the page's second list is the model the run's table scored
    (at 50,000 products GF-CF's search made that page's first load 3.5 minutes)."""
    everything = dataset.interactions.matrix()
    kept, changed = make_model(name, dataset, **settings).refit_settings(chosen, everything)
    model, _ = fit_timed(name, dataset, everything, **(settings | kept))
    return model, changed


def _tuning_notes(name: str, tuning: Tuning | None) -> list[str]:
    """One sentence on what the model chose on validation, for the page and the report: a GNN's
    search, epochs and blend; a graph filter's search alone (it trains no epochs and blends nothing)."""
    if tuning is not None and tuning.valid_ndcg is None and tuning.epochs is not None:  # a GNN, no slice
        return [f"{SPECS[name].label}: ran its default settings ({chosen_words(tuning.chosen)}) for "
                f"{epochs_words(tuning.epochs, tuning.last_epoch_share)}; {NO_VALIDATION}."]
    if tuning is None or tuning.valid_ndcg is None:  # EASE's lambda is in the table
        return []
    chosen = chosen_words(tuning.chosen)
    blended = ("" if tuning.blend_valid_ndcg is None
               else f" (validation nDCG@{VALIDATION_K} {tuning.blend_valid_ndcg:.4f} blended)")
    mixed = f"; blended with {blend_words(tuning.blend)}{blended}" if tuning.blended else \
        "; no blend beat it on validation" if tuning.blend_searched else ""
    how = (f"chose {chosen} among {tuning.candidates} configurations on a validation slice of train"
           if tuning.searched else f"ran its default settings ({chosen}; {tuning.unsearched_reason}), scored on "
           "a validation slice of train")
    kept = tuning.best_epoch is not None and tuning.epochs is not None and 0 < tuning.best_epoch < tuning.epochs
    trained = "" if tuning.epochs is None else (
        f", {epochs_words(tuning.epochs, tuning.last_epoch_share)}"
        f"{', stopped by the time budget' if tuning.stopped == 'deadline' else ''}"
        # Compare's "weights kept from epoch 15" beside "30 epochs" here read as two runs' figures
        + (f", the weights of epoch {tuning.best_epoch} kept as the best on validation" if kept else ""))
    return [f"{SPECS[name].label}: {how} (validation nDCG@{VALIDATION_K} {tuning.valid_ndcg:.4f}{trained}){mixed}."]


def train_and_save(workspace: Workspace, dataset: DatasetRef, data: Dataset,
                   config: ExperimentConfig = ExperimentConfig(), progress: Progress | None = None,
                   made_by: str = "dashboard", heldout: pd.DataFrame | None = None,
                   heldout_notes: Sequence[str] = ()) -> str:
    """run_experiment, then save the final model and its table as one run; returns the run id.
    `heldout_notes`: what reading the held-out file did (data.heldout.heldout_notes), first among the run's notes.
    Both front ends save runs through here (the one producer of RunInfo). Nothing is written
    until training has finished (a cancel or crash leaves the workspace as it was)."""
    experiment = run_experiment(data, config, progress, heldout)
    experiment.notes[:0] = list(heldout_notes)
    info = run_info(experiment, dataset, made_by)
    run = Run(experiment.model, data.interactions.users, data.interactions.items, info)
    return workspace.save_run(run, trained_on=fingerprint(data.ingest))  # refused if the dataset changed meanwhile


def run_info(experiment: Experiment, dataset: DatasetRef, made_by: str) -> RunInfo:
    """The one producer of a run's record (saved by train_and_save, shown by the CLI's report)."""
    config = experiment.config
    return RunInfo(dataset=dataset, model=config.model, results=tuple(experiment.results), k=config.k,
                   seed=config.seed, device=config.device, weighting=config.weighting,
                   settings=dict(config.settings), split=experiment.split, history=tuple(experiment.history),
                   epochs=experiment.epochs, notes=tuple(experiment.notes), seconds=experiment.seconds,
                   made_by=made_by, verdicts=experiment.verdicts, seeds=experiment.seeds,
                   over_seeds=experiment.over_seeds)
