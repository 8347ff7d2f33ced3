"""One dashboard training run, start to finish, with live progress and cancellation:

1. split the interactions (test held out); carve a validation slice from train;
2. train the chosen model on train minus validation with early stopping on validation nDCG@10:
   this picks the epoch count and draws the live curve;
3. retrain it on the whole train split for that many epochs and score it on test, beside every
   baseline fitted on the same train split (one honest table);
4. refit it on every interaction for exploring (map, neighbours, recommendations).

The test set is used once, in step 3, for the table. A progress callback that returns False
cancels the run: `Cancelled` is raised and nothing is saved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError, GnnrecError
from ..matrix.interactions import SplitConfig, carve_validation, split
from .metrics import evaluate
from ..models import BASELINES, MODELS, SPECS, Recommender
from .pipeline import Dataset, fit_timed, model_device
Progress = Callable[[dict[str, Any]], Any]


class Cancelled(GnnrecError):
    """The run was stopped by its user; earlier runs are untouched."""


@dataclass(frozen=True)
class ExperimentConfig:
    model: str = "lightgcn"
    baselines: tuple[str, ...] = BASELINES
    settings: tuple[tuple[str, Any], ...] = ()  # hyperparameters of the main model, as (name, value)
    split: SplitConfig = SplitConfig()
    k: int = 10
    device: str = "auto"
    seed: int = 0
    valid_fraction: float = 0.1

    def __post_init__(self) -> None:
        unknown = [m for m in (self.model, *self.baselines) if m not in MODELS]
        if unknown:
            raise ConfigError(f"models: expected names among {', '.join(MODELS)}, found {', '.join(unknown)}")
        if not 0 < self.valid_fraction < 0.5:
            raise ConfigError(f"valid_fraction: expected a fraction in (0, 0.5), found {self.valid_fraction}")


@dataclass
class Experiment:
    model: Recommender
    results: list[dict[str, Any]]
    history: list[dict[str, Any]]
    epochs: int | None
    split: dict[str, Any]
    seconds: float
    config: ExperimentConfig
    notes: list[str] = field(default_factory=list)


def run_experiment(dataset: Dataset, config: ExperimentConfig = ExperimentConfig(),
                   progress: Progress | None = None) -> Experiment:
    started = time.perf_counter()

    def report(event: dict[str, Any]) -> None:
        if progress is not None and progress(event) is False:
            raise Cancelled("training cancelled; earlier runs are unchanged")

    settings = dict(config.settings) | {"device": config.device, "seed": config.seed}
    data_split = split(dataset.interactions, config.split)
    history: list[dict[str, Any]] = []
    epochs, notes = None, []
    if SPECS[config.model].is_gnn:
        part, valid = carve_validation(data_split.train, config.valid_fraction, seed=config.seed)
        report({"stage": "choosing epochs on validation", "model": config.model})
        on_epoch = lambda r: (history.append(r), report({"stage": "choosing epochs on validation", **r}))
        probe, _ = fit_timed(config.model, dataset, part, valid=valid if valid.nnz else None,
                             progress=on_epoch, **settings)
        epochs = getattr(probe, "best_epoch_", None) or len(history)
        settings["epochs"] = epochs
        notes.append(f"{config.model}: {epochs} epochs chosen on a {config.valid_fraction:.0%} validation slice of train")
    results = []
    models = [config.model] + [b for b in config.baselines if b != config.model]
    for position, name in enumerate(models):
        report({"stage": f"fitting {name} on the train split", "model": name, "index": position, "total": len(models)})
        try:
            model, seconds = fit_timed(name, dataset, data_split.train, **(settings if name == config.model else
                                                                            {"device": config.device, "seed": config.seed}))
        except ConfigError as exc:  # e.g. EASE refusing a wide catalogue: say so, keep the others
            notes.append(f"{name} skipped: {exc}")
            continue
        metrics = evaluate(model.score, data_split.train, data_split.test, k=config.k)
        results.append({"model": name, **{m: metrics[m] for m in ("ndcg", "precision", "recall", "map",
                                                                    "hit_rate", "coverage")},
                        "train_seconds": seconds, "device": model_device(model)})
    report({"stage": f"refitting {config.model} on all interactions", "model": config.model})
    final, _ = fit_timed(config.model, dataset, dataset.interactions.matrix(), **settings)
    return Experiment(final, results, history, epochs, data_split.as_dict(), time.perf_counter() - started,
                      config, notes)


def train_and_save(workspace, dataset_name: str, dataset: Dataset, config: ExperimentConfig = ExperimentConfig(),
                   progress: Progress | None = None) -> str:
    """run_experiment, then save the final model and its table as one run; returns the run id.
    Nothing is written until training has finished (a cancel or crash leaves the workspace as it was)."""
    from ..store import Run

    experiment = run_experiment(dataset, config, progress)
    info = {"dataset": dataset_name, "model": config.model, "settings": dict(config.settings),
            "seed": config.seed, "device": config.device, "results": experiment.results,
            "history": experiment.history, "epochs": experiment.epochs, "split": experiment.split,
            "notes": experiment.notes, "seconds": experiment.seconds, "k": config.k}
    return workspace.save_run(Run(experiment.model, dataset.interactions.users, dataset.interactions.items, info))
