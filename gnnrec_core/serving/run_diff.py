"""Two saved runs side by side: what each was asked to do, whether they saw the same interactions,
and their tables joined row by row. Compare > Two runs and `compare-runs` read a figure's difference
by these (another weighting, budget or seed, or another dataset); the Train page shows a run's table
through `results_frame` and `as_printed` too."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.log_words import LogWords
from ..fit.metrics import METRICS
from ..models import SPECS
from ..models.registry import row_label, served_label
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
    if method in ("time", "last"):  # one cut whatever the seed: two seeds' runs share their test set
        return f"{method}{share}"
    return f"{method}{share}, seed {split.get('seed', '?')}"


def run_settings(a: RunInfo, b: RunInfo) -> pd.DataFrame:
    """One row per setting (the run's id and maker, dataset, weighting, seed, split, each setting
    the run was given, the models it scored) with both runs' values and whether they differ."""
    rows: dict[str, tuple[str, str]] = {
        "run": (a.run_id, b.run_id),
        "made by": (a.made_by, b.made_by),
        "dataset": (a.dataset.name, b.dataset.name),
        "model": (served_label(a), served_label(b)),  # as each run serves it: its blend named
        "weighting": (a.weighting, b.weighting),
        "seed": (str(a.seed), str(b.seed)),
        "split": (_split_words(a.split), _split_words(b.split)),
        "cut-off (nDCG@k)": (str(a.k), str(b.k)),
    }
    for key in dict.fromkeys([*a.settings, *b.settings]):
        rows[key.replace("_", " ")] = (_value(a.settings.get(key), _default(a, key)),
                                       _value(b.settings.get(key), _default(b, key)))
    rows["epochs trained"] = (_epochs(a), _epochs(b))
    rows["weights kept from (best on validation)"] = (_best_epoch(a), _best_epoch(b))
    scored = [", ".join(row_label(r.model, r.blend) for r in run.results) for run in (a, b)]
    rows["rows scored"] = (scored[0], scored[1])
    frame = pd.DataFrame([(name, *values) for name, values in rows.items()], columns=["setting", "run A", "run B"])
    frame["differs"] = frame["run A"] != frame["run B"]
    return frame


def _epochs(run: RunInfo) -> str:
    """The main model's epochs trained, as every other screen words them: with the share of a last
    epoch the deadline cut ('2 epochs and 60% of another'); '-' for a model that trains none. From its tuning record:
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


def unlike_products(a: LogWords, b: LogWords) -> str | None:
    """Why two runs' neighbourhoods are not compared, where their logs record different things: a
    film's code and a place's code matched by chance (1,213 "products both runs know", overlap 0.007)."""
    if a == b:
        return None
    return (f"run A's log records {a.kind}, run B's {b.kind}: their products are other things that share codes "
            "by chance, so their neighbourhoods are not compared")


def results_frame(info: RunInfo) -> pd.DataFrame:
    """A run's table, one row per model (a blend is a row of its own, named with its parts and
    weights): validation nDCG, test metrics, fit seconds. `row` keys rows across runs, `kind` is
    the registry's (gnn, filter, baseline)."""
    return pd.DataFrame([{"row": r.key, "model": row_label(r.model, r.blend), "kind": SPECS[r.model].kind,
                          "valid_ndcg": r.valid_ndcg, **{m: r.metric(m) for m in METRICS},
                          "train_seconds": r.train_seconds} for r in info.results],
                        columns=["row", "model", "kind", "valid_ndcg", *METRICS, "train_seconds"])


def as_printed(frame: pd.DataFrame, columns: list[str], digits: int = 4) -> pd.DataFrame:
    """`columns` rounded to `digits` as Python prints them (the verdicts' and the CLI's figures), for a
    table the browser formats to as many digits: stored at five digits, a figure such as 0.15625 is a
    tie that the browser rounds up (0.1563) and Python to even (0.1562), so the table and the verdict
    beside it disagreed in the last digit. A missing figure (None) is NaN: the table that shows it
    passes `placeholder=MISSING`, or the browser writes the word None in the cell."""
    shown = frame.copy()
    for column in columns:
        shown[column] = [float("nan") if value is None or value != value else float(f"{value:.{digits}f}")
                         for value in shown[column]]
    return shown


def blends_by_parts(info: RunInfo) -> pd.DataFrame:
    """A run's results frame whose blend rows are named and keyed by their parts without weights
    ("LightGCN + graph filter + popularity"): two runs' blends share a row only where they blend the
    same parts (one row held a blend of three parts beside one of two); each run's weights are in its
    own table and in `blend_weights`."""
    frame = results_frame(info)
    names = [row_label(r.model, r.blend, weights=False) for r in info.results]
    keys = [f"{r.key}:{name}" if r.blend else r.key for r, name in zip(info.results, names)]
    return frame.assign(model=names, row=keys)


def blend_weights(info: RunInfo) -> list[str]:
    """Each blend row of the run with its weights: "LightGCN + graph filter x4 + popularity x0.1"."""
    return [row_label(r.model, r.blend) for r in info.results if r.blend]


# runs_side_by_side's changes between A and B: left out where the two runs are on different data, whose
# figures each stand but whose difference is no model's doing (the Compare page and `compare-runs`)
CHANGE_COLUMNS = ("validation change", "test nDCG change")


def runs_side_by_side(metrics_a: pd.DataFrame, metrics_b: pd.DataFrame) -> pd.DataFrame:
    """Two runs' rows (blends_by_parts) joined by row: validation and test nDCG of each and their
    changes, test recall and coverage; a row one run alone has is empty (None) on the other side."""
    merged = metrics_a.merge(metrics_b.drop(columns=["kind"]), on="row", how="outer", suffixes=(" A", " B"))
    order = {key: i for i, key in enumerate(dict.fromkeys([*metrics_a["row"], *metrics_b["row"]]))}
    merged = merged.sort_values("row", key=lambda rows: rows.map(order))  # A's order (each blend beside its model)
    merged["model"] = merged.pop("model A").fillna(merged.pop("model B"))  # a row one run alone has: its label
    merged["validation change"] = merged["valid_ndcg B"] - merged["valid_ndcg A"]
    merged["nDCG change"] = merged["ndcg B"] - merged["ndcg A"]
    merged = merged.rename(columns={f"valid_ndcg {s}": f"validation nDCG {s}" for s in "AB"}
                           | {f"{m} {s}": f"test {shown} {s}" for m, shown in (("ndcg", "nDCG"), ("recall", "recall"),
                                                                              ("coverage", "coverage")) for s in "AB"}
                           | {"nDCG change": "test nDCG change"})
    return merged.reset_index(drop=True)[[
        "model", "validation nDCG A", "validation nDCG B", "validation change", "test nDCG A", "test nDCG B",
        "test nDCG change", "test recall A", "test recall B", "test coverage A", "test coverage B"]]
