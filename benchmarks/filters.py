"""The closed-form graph filters (GF-CF, BSPM, Turbo-CF) with the settings a user gets, on the
datasets of benchmarks/datasets.py: validation nDCG@10 first (what each filter chose its settings
by, and what decides whether a filter runs by default), then test nDCG@10. EASE beside them for
reference. Results go to docs/results/filters.json; `--table` prints the markdown tables.

    python -m benchmarks.filters --seeds 0 1 2 3 4                      # every dataset
    python -m benchmarks.filters --datasets ml100k retail --seeds 0 1   # some of them
    python -m benchmarks.filters --table

Per dataset and seed: the split (SplitConfig(seed=seed), 25% of each user's items held out) and the
models take the seed. The validation slice is the one every model's validation figure uses: 10%
of each user's train items carved by matrix.interactions.carve_validation with the same seed (a
seeded sample of 5,000 of its users where there are more: graph_filter.validation_slices).

Ablations, validation only, each on the same slice (settings not fixed are still searched):
- "gfcf exponent=0.4" / "=0.6": GF-CF's degree normalisation D_u^-a R D_i^-(1-a) instead of 1/2;
- "gfcf neighbours=200" / "=all": the item graph pruned to 200 per item / unpruned (up to 4,096 items);
- "turbocf filter=3": the paper's polynomial approximation of the ideal low-pass filter;
- "bspm exact ODE" / "turbocf exact": at the settings the shipped filter chose, the scores computed
  without any pruning (BSPM: the ODE solver's steps applied through R~, as the authors' code does;
  Turbo-CF: the dense powered matrix), to measure what pruning costs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models import MODELS
from gnnrec_core.models.bspm import VARIANTS, sharpening
from gnnrec_core.models.graph_filter import (
    DENSE_ITEMS,
    low_pass_factors,
    low_pass_vectors,
    normalise,
    validation_slices,
)
from gnnrec_core.models.turbocf import FILTERS

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "filters.json"
MODELS_RUN = ("gfcf", "bspm", "turbocf", "ease")
NEW_FILTERS = ("bspm", "turbocf")
EXACT_ITEMS = 10_000  # the dense reference of Turbo-CF up to this catalogue (400 MB of float32)
ABLATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "gfcf exponent=0.4": ("gfcf", {"exponent": 0.4}),
    "gfcf exponent=0.6": ("gfcf", {"exponent": 0.6}),
    "gfcf neighbours=200": ("gfcf", {"neighbours": 200}),
    "gfcf neighbours=all": ("gfcf", {"neighbours": 0}),
    "turbocf filter=3": ("turbocf", {"filter": 3}),
}


def exact_bspm(part: sp.csr_matrix, variant: str, rank: int, seed: int) -> Callable[[sp.csr_matrix], np.ndarray]:
    """BSPM's scores with nothing pruned: every step's y P~ computed as (y R~^T) R~."""
    normalised, item_scale = normalise(part, 0.5)
    left, right = low_pass_factors(low_pass_vectors(normalised, rank, seed), item_scale)
    chosen = VARIANTS[variant]
    step = sharpening(type(chosen)(chosen.solver, 1, chosen.time / chosen.steps, chosen.beta, False))[0]

    def through_graph(y: np.ndarray) -> np.ndarray:
        return np.asarray((normalised @ y.T).T @ normalised)

    def score(history: sp.csr_matrix) -> np.ndarray:
        blurred = (history @ normalised.T @ normalised).toarray()
        y = blurred + chosen.beta * (np.asarray(history @ left) @ right)
        points = []
        for _ in range(chosen.steps):  # y <- y step(P~), the step's polynomial by Horner through R~
            result = step[-1] * y
            for c in step[-2::-1]:
                result = through_graph(result) + c * y
            y = result
            points.append(y)
        return (blurred + sum(points)) / (1 + chosen.steps) if chosen.t_point else y

    return score


def exact_turbocf(part: sp.csr_matrix, exponent: float, power: float, kind: int
                  ) -> Callable[[sp.csr_matrix], np.ndarray]:
    """Turbo-CF's scores with the dense powered matrix, as the paper forms it."""
    normalised, _ = normalise(part, exponent)
    graph = (normalised.T @ normalised).toarray() ** np.float32(power)

    def score(history: sp.csr_matrix) -> np.ndarray:
        y = np.asarray(history @ graph)
        total, term = FILTERS[kind][0] * y, y
        for c in FILTERS[kind][1:]:
            term = term @ graph
            total = total + c * term
        return np.asarray(total)

    return score


def _valid(score: Callable[[sp.csr_matrix], np.ndarray], part: sp.csr_matrix, valid: sp.csr_matrix) -> float:
    return float(evaluate(lambda users: score(part[users]), part, valid)["ndcg"])


def run_one(name: str, seed: int) -> dict[str, Any]:
    dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
    data_split = split(dataset.interactions, SplitConfig(seed=seed))
    train, test = data_split.train, data_split.test
    part, valid = validation_slices(train, None, 0.1, seed)
    rows: dict[str, Any] = {}
    for model_name in MODELS_RUN:
        started = time.perf_counter()
        model = MODELS[model_name](seed=seed) if model_name != "ease" else MODELS[model_name]()
        model.fit(train)
        seconds = time.perf_counter() - started
        tuning = model.tuning()
        if model_name == "ease":  # EASE reports no validation figure: fitted on the part, scored on the slice
            reference = MODELS["ease"](l2=model.l2_).fit(part)
            valid_ndcg = _valid(reference.score_history, part, valid)
        else:
            valid_ndcg = tuning.valid_ndcg
        rows[model_name] = {"valid_ndcg": valid_ndcg, "test_ndcg": evaluate(model.score, train, test)["ndcg"],
                            "fit_seconds": seconds, "chosen": tuning.chosen if tuning else {}}
        print(name, seed, model_name, rows[model_name], flush=True)
    for label, (model_name, fixed) in ABLATIONS.items():
        if fixed.get("neighbours") == 0 and train.shape[1] > DENSE_ITEMS:
            continue
        model = MODELS[model_name](seed=seed, **fixed).fit(train)
        rows[label] = {"valid_ndcg": model.tuning().valid_ndcg, "chosen": model.tuning().chosen}
        print(name, seed, label, rows[label], flush=True)
    chosen = rows["bspm"]["chosen"]
    rows["bspm exact ODE"] = {"valid_ndcg": _valid(exact_bspm(part, chosen["variant"], chosen["rank"], seed),
                                                   part, valid), "chosen": chosen}
    if train.shape[1] <= EXACT_ITEMS:
        chosen = rows["turbocf"]["chosen"]
        rows["turbocf exact"] = {"valid_ndcg": _valid(exact_turbocf(part, chosen["exponent"], chosen["power"],
                                                                    chosen["filter"]), part, valid),
                                 "chosen": chosen}
    return {"dataset": name, "seed": seed, "users": int(train.shape[0]), "items": int(train.shape[1]),
            "train_pairs": int(train.nnz), "rows": rows}


def run(names: list[str], seeds: list[int]) -> None:
    done = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
    for name in names:
        for seed in seeds:
            result = run_one(name, seed)
            done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"]) != (name, seed)] + [result]
            OUT.write_text(json.dumps(done, indent=1, default=float) + "\n")


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}" if values else "–"


def _values(runs: list[dict[str, Any]], row: str, field: str) -> list[float]:
    return [r["rows"][row][field] for r in runs if row in r["rows"] and r["rows"][row].get(field) is not None]


def paired(runs: list[dict[str, Any]], row: str, reference: str, field: str = "valid_ndcg"
           ) -> tuple[float, float, int] | None:
    """row minus reference on validation (or test), paired by seed (same split, same slice): (mean
    relative difference, its standard error, seeds). Relative to the reference's mean."""
    pairs = [(r["rows"][row][field], r["rows"][reference][field]) for r in runs
             if field in r["rows"].get(row, {}) and field in r["rows"].get(reference, {})]
    if len(pairs) < 2:
        return None
    diffs = np.array([a - b for a, b in pairs]) / np.mean([b for _, b in pairs])
    return float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(len(diffs))), len(diffs)


def ahead(found: tuple[float, float, int] | None) -> bool:
    """Ahead by the paired interval: the mean difference above two standard errors."""
    return found is not None and found[0] - 2 * found[1] > 0


COMPARISONS = [("bspm", "gfcf"), ("turbocf", "gfcf"), ("gfcf exponent=0.4", "gfcf"), ("gfcf exponent=0.6", "gfcf"),
               ("gfcf neighbours=200", "gfcf"), ("gfcf neighbours=all", "gfcf"), ("turbocf filter=3", "turbocf"),
               ("bspm exact ODE", "bspm"), ("turbocf exact", "turbocf")]


def table(done: dict[str, Any]) -> str:
    by_dataset = {name: [r for r in done["runs"] if r["dataset"] == name] for name in NAMES}
    by_dataset = {name: runs for name, runs in by_dataset.items() if runs}
    lines = ["| dataset (users x items, train pairs) | seeds | " + " | ".join(
        f"{m} valid" for m in MODELS_RUN) + " | " + " | ".join(f"{m} test" for m in MODELS_RUN) + " |",
        "|---" * (2 + 2 * len(MODELS_RUN)) + "|"]
    for name, runs in by_dataset.items():
        shape = f"{name} ({runs[0]['users']:,} x {runs[0]['items']:,}, {runs[0]['train_pairs']:,})"
        cells = [_cell(_values(runs, m, field)) for field in ("valid_ndcg", "test_ndcg") for m in MODELS_RUN]
        lines.append(f"| {shape} | {len(runs)} | " + " | ".join(cells) + " |")
    lines += ["", "| dataset | fit s: " + " / ".join(MODELS_RUN) + " | chosen (most often) |", "|---|---|---|"]
    for name, runs in by_dataset.items():
        fits = " / ".join(f"{np.mean(_values(runs, m, 'fit_seconds')):.1f}" for m in MODELS_RUN)
        chosen = "; ".join(f"{m} " + max((json.dumps(r["rows"][m]["chosen"], sort_keys=True) for r in runs),
                                         key=lambda c, m=m: sum(json.dumps(r["rows"][m]["chosen"], sort_keys=True) == c
                                                                for r in runs)) for m in MODELS_RUN[:3])
        lines.append(f"| {name} | {fits} | {chosen} |")
    ablations = ["gfcf", *ABLATIONS, "bspm", "bspm exact ODE", "turbocf", "turbocf exact"]
    lines += ["", "| dataset | " + " | ".join(ablations) + " |", "|---" * (1 + len(ablations)) + "|"]
    for name, runs in by_dataset.items():
        lines.append(f"| {name} | " + " | ".join(_cell(_values(runs, a, "valid_ndcg")) for a in ablations) + " |")
    lines += ["", "| dataset | " + " | ".join(f"{a} vs {b}" for a, b in COMPARISONS) + " |",
              "|---" * (1 + len(COMPARISONS)) + "|"]
    for name, runs in by_dataset.items():
        cells = []
        for a, b in COMPARISONS:
            found = paired(runs, a, b)
            mark = " **ahead**" if ahead(found) else ""
            cells.append("–" if found is None else f"{found[0]:+.1%} ± {found[1]:.1%}{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    tested = [("bspm", "gfcf"), ("turbocf", "gfcf"), ("bspm", "ease"), ("turbocf", "ease"), ("gfcf", "ease")]
    lines += ["", "| dataset (test, paired by seed) | " + " | ".join(f"{a} vs {b}" for a, b in tested) + " |",
              "|---" * (1 + len(tested)) + "|"]
    for name, runs in by_dataset.items():
        cells = []
        for a, b in tested:
            found = paired(runs, a, b, "test_ndcg")
            cells.append("–" if found is None else f"{found[0]:+.1%} ± {found[1]:.1%}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    for a, b in COMPARISONS:
        where = [name for name, runs in by_dataset.items() if ahead(paired(runs, a, b))]
        lines.append(f"- {a} ahead of {b} on validation (paired, 2 standard errors) on: {', '.join(where) or 'none'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if not args.table:
        run(args.datasets, args.seeds)
    print(table(json.loads(OUT.read_text())))


if __name__ == "__main__":
    main()
