"""What two saved runs were asked to do, side by side, and whether they saw the same interactions:
Compare > Two runs reads a figure's difference by these (another weighting, budget or seed, or
another dataset)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.shared_parts import fingerprint
from ..records import RunInfo
from ..setting_words import epochs_words
from ..store import Run


def _split_words(split: dict) -> str:
    method = split.get("method", "?")
    if method == "given":  # a held-out file: told apart by what it held
        return f"your own test set, {split.get('heldout_pairs', 0):,} held-out pairs"
    size = split.get("test_size")
    share = f", {size:.3g} held out" if isinstance(size, float) else ""
    return f"{method}{share}, seed {split.get('seed', '?')}"


def run_settings(a: RunInfo, b: RunInfo) -> pd.DataFrame:
    """One row per setting (the run's id and maker, dataset, weighting, seed, split, each setting
    the run was given, the models it scored) with both runs' values and whether they differ."""
    rows: dict[str, tuple[str, str]] = {
        "run": (a.run_id, b.run_id),
        "made by": (a.made_by, b.made_by),
        "dataset": (a.dataset.name, b.dataset.name),
        "model": (a.model, b.model),
        "weighting": (a.weighting, b.weighting),
        "seed": (str(a.seed), str(b.seed)),
        "split": (_split_words(a.split), _split_words(b.split)),
    }
    for key in dict.fromkeys([*a.settings, *b.settings]):
        rows[key.replace("_", " ")] = (_value(a.settings.get(key), _default(a, key)),
                                       _value(b.settings.get(key), _default(b, key)))
    rows["epochs trained"] = (_epochs(a), _epochs(b))
    rows["weights kept from (best on validation)"] = (_best_epoch(a), _best_epoch(b))
    rows["rows scored"] = (", ".join(r.key for r in a.results), ", ".join(r.key for r in b.results))
    frame = pd.DataFrame([(name, *values) for name, values in rows.items()], columns=["setting", "run A", "run B"])
    frame["differs"] = frame["run A"] != frame["run B"]
    return frame


def _epochs(run: RunInfo) -> str:
    """The main model's epochs trained, as every other screen words them: with the share of a last
    epoch the deadline cut ('2.6 epochs'); '-' for a model that trains none. From its tuning record:
    the run's own `epochs` is the epoch whose weights were kept, which this table once showed as
    the epochs trained ('10 epochs' of 30)."""
    row = run.main_result
    tuning = row.tuning if row is not None else None
    if tuning is None or tuning.epochs is None:
        return "-" if run.epochs is None else "not recorded"  # an old run: its best epoch has a row below
    return epochs_words(tuning.epochs, tuning.last_epoch_share)


def _best_epoch(run: RunInfo) -> str:
    return "-" if run.epochs is None else f"epoch {run.epochs}"


def _default(run: RunInfo, key: str) -> object:
    """The run's main model's default for a setting it was not given (a time budget: 90), or None."""
    from ..models import MODELS

    return getattr(MODELS[run.model].config_class(), key, None) if run.model in MODELS else None


def _value(value: object, default: object = None) -> str:
    if value is None:
        return "default" if default is None else f"default ({_value(default)})"
    return f"{value:g}" if isinstance(value, float) else str(value)


def same_interactions(a: Run, b: Run) -> bool:
    """True when both runs' models were fitted on the same customers, products and interactions
    (one log saved twice, or with another column beside it): their figures then compare even
    though the datasets differ."""
    if not (np.array_equal(a.users, b.users) and np.array_equal(a.items, b.items)):
        return False
    train_a, train_b = getattr(a.model, "train_", None), getattr(b.model, "train_", None)
    if train_a is None or train_b is None or train_a.shape != train_b.shape:
        return False
    return fingerprint(train_a > 0) == fingerprint(train_b > 0)  # the weighting is a setting, not the data
