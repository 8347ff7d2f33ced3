"""Each model's stage of a Train run at its peak resident memory, against the estimate the run is
checked with before it starts (gnnrec_core/pipeline/run_memory.py).

Each model on each dataset runs the dashboard's experiment (pipeline.experiment.run_experiment,
defaults, the GNN's budget shortened to --time-budget seconds) with that model alone, in a fresh
process, so memory one stage freed cannot hide what the next takes. When the stage starts, the
peak is reset (Linux: /proc/self/clear_refs) and the resident memory read; when it ends, the
peak since then, less the memory at its start, is what the stage needed.

    python -m benchmarks.run_memory --out docs/results/run_memory.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.datasets import OPTIONS, path
from gnnrec_core.data.ingest import ingest
from gnnrec_core.matrix.interactions import split
from gnnrec_core.models.registry import DEFAULT_MODEL, SPECS
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment
from gnnrec_core.pipeline.run_clock import Shape, shape_of
from gnnrec_core.pipeline.run_memory import stage_memory

DATASETS = ("retail", "retail-sparse", "grocery-like", "ratings-wide", "baskets-as-customers", "groceries")
MODELS = (DEFAULT_MODEL,) + tuple(name for name, spec in SPECS.items() if not spec.is_gnn)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def measure_stage(name: str, model: str, budget: float) -> dict:
    """In a fresh process: the run with `model` alone, its stage's peak over the memory at its start."""
    dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
    settings = (("time_budget", budget),) if SPECS[model].is_gnn else ()
    config = ExperimentConfig(model=model, baselines=(), settings=settings)
    shape = shape_of(split(dataset.interactions, config.split).train)
    marks: dict[str, float] = {}

    def progress(event: dict) -> None:
        if "index" in event:
            marks["start"] = _status_mb("VmRSS")
            _reset_peak()
        elif event.get("stage", "").startswith("placing") and "peak" not in marks:
            marks["peak"] = _status_mb("VmHWM")
    run_experiment(dataset, config, progress)
    return {"measured_mb": round(marks["peak"] - marks["start"], 1),
            "estimated_mb": round(stage_memory(model, shape, dict(settings)).bytes / 2 ** 20, 1),
            "shape": shape.as_dict()}


def measure(name: str, budget: float) -> dict:
    path(name)  # written once, before the children read it
    measured, estimated, shape = {}, {}, {}
    for model in MODELS:
        child = subprocess.run([sys.executable, "-m", "benchmarks.run_memory", "--stage", f"{name}:{model}",
                                "--time-budget", str(budget)], capture_output=True, text=True, check=True)
        found = json.loads(child.stdout.strip().splitlines()[-1])
        measured[model], estimated[model], shape = found["measured_mb"], found["estimated_mb"], found["shape"]
    print(name, shape, {m: (measured[m], estimated[m]) for m in MODELS}, flush=True)
    return {"dataset": name, "shape": shape, "measured_mb": measured, "estimated_mb": estimated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/results/run_memory.json"))
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--estimate-only", action="store_true", help="re-estimate the rows in --out")
    parser.add_argument("--stage", help="dataset:model, measured in this process (the children's call)")
    args = parser.parse_args()
    if args.stage:
        name, model = args.stage.split(":")
        print(json.dumps(measure_stage(name, model, args.time_budget)))
        return
    if args.estimate_only:  # the formulas again on the shapes and peaks already measured
        rows = json.loads(args.out.read_text())["rows"]
    else:
        rows = [measure(name, args.time_budget) for name in args.datasets.split(",")]
    for row in rows:
        shape = Shape(**row["shape"])
        row["estimated_mb"] = {model: round(stage_memory(model, shape, {"time_budget": args.time_budget}
                                                         if SPECS[model].is_gnn else {}).bytes / 2 ** 20, 1)
                               for model in row["measured_mb"]}
    ratios = {model: [round(row["measured_mb"][model] / row["estimated_mb"][model], 2) for row in rows
                      if model in row["measured_mb"]] for model in MODELS}
    result = {"command": f"python -m benchmarks.run_memory --time-budget {args.time_budget:g}", "rows": rows,
              "measured_over_estimated": ratios}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(ratios, indent=2))


if __name__ == "__main__":
    main()
