"""How long each default model's stage of a Train run takes, by the data's shape: the costs the
whole-run ETA (gnnrec_core/pipeline/run_clock.py) starts from.

Each dataset runs the dashboard's experiment (pipeline.experiment.run_experiment, defaults) with
every model that is not a trained GNN (a GNN's stage is its time budget), timing each model's
stage from the progress events: fit on train, validation figure, test scoring. Then, per model,
seconds = fixed + per_unit x units by non-negative least squares, units being the shape feature
run_clock.COST names for the model.

    python -m benchmarks.run_clock --out docs/results/run_clock.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from benchmarks.datasets import OPTIONS, path
from gnnrec_core.data.ingest import ingest
from gnnrec_core.matrix.interactions import split
from gnnrec_core.models.registry import SPECS
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment
from gnnrec_core.pipeline.run_clock import COST, shape_of

DATASETS = ("retail", "retail-sparse", "grocery-like", "ratings-wide", "baskets-as-customers", "groceries")
MODELS = tuple(name for name, spec in SPECS.items() if not spec.is_gnn)


def measure(name: str, source: Path) -> dict:
    dataset = prepare(ingest(source, **OPTIONS.get(name, {})))
    config = ExperimentConfig(model=MODELS[0], baselines=MODELS[1:])
    shape = shape_of(split(dataset.interactions, config.split).train)
    marks: list[tuple[str, float]] = []

    def progress(event: dict) -> None:
        if "index" in event or event.get("stage", "").startswith("placing"):
            marks.append((event.get("model", "end") if "index" in event else "end", time.perf_counter()))
    run_experiment(dataset, config, progress)
    marks.append(("done", time.perf_counter()))
    seconds = {model: round(marks[i + 1][1] - at, 3) for i, (model, at) in enumerate(marks[:-1]) if model != "end"}
    print(name, shape, seconds, flush=True)
    return {"dataset": name, "shape": shape.as_dict(), "seconds": seconds}


def fit(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per model: seconds = fixed + per_cell x cells + per_unit x units, non-negative least squares
    on relative error (each row weighed by 1/seconds, so small datasets count as much as large)."""
    fitted = {}
    for model in MODELS:
        feature = COST[model].unit
        rows_with = [row for row in rows if model in row["seconds"]]
        a = np.array([[1.0, row["shape"]["cells"], row["shape"][feature]] for row in rows_with])
        b = np.array([row["seconds"][model] for row in rows_with])
        weight = 1.0 / np.maximum(b, 0.05)
        (fixed, per_cell, per_unit), _ = nnls(a * weight[:, None], b * weight)
        fitted[model] = {"unit": feature, "fixed": round(float(fixed), 3), "per_cell": float(f"{per_cell:.3g}"),
                         "per_unit": float(f"{per_unit:.3g}")}
    return fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/results/run_clock.json"))
    args = parser.parse_args()
    rows = [measure(name, path(name)) for name in DATASETS]
    result = {"command": "python -m benchmarks.run_clock", "rows": rows, "costs": fit(rows)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["costs"], indent=2))


if __name__ == "__main__":
    main()
