"""How right the Train run's ETA is: the dashboard's default experiment (pipeline.experiment, every
default model) on each dataset, every progress event's `run_eta_seconds` against the seconds the
run actually had left at that event. Three moments: the first event (before anything is fitted: a
trained GNN counts as its whole budget), the search's plan (`plan_seconds`, once LightGCN's first
candidate has been timed; pipeline/run_clock.RunClock.replan), and the median over every event.

    python -m benchmarks.run_eta --out docs/results/run_eta.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import OPTIONS, path
from gnnrec_core.data.ingest import ingest
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.pipeline.experiment import ExperimentConfig, run_experiment

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("sample", "retail-sparse", "grocery-like")


def source(name: str) -> Path:
    return ROOT / "sample_data" / "online_retail_dec2010.csv.gz" if name == "sample" else path(name)


def measure(name: str) -> dict:
    dataset = prepare(ingest(source(name), **OPTIONS.get(name, {})))
    marks: list[tuple[float, float, bool]] = []  # (time, ETA, the search's plan)
    started = time.perf_counter()
    run_experiment(dataset, ExperimentConfig(),
                   lambda e: marks.append((time.perf_counter(), e["run_eta_seconds"], "plan_seconds" in e)))
    ended = time.perf_counter()

    def moment(at: float, eta: float) -> dict:
        left = ended - at
        return {"at_s": round(at - started, 1), "eta_s": round(eta, 1), "left_s": round(left, 1),
                "eta_over_left": round(eta / max(left, 1e-3), 2)}
    plan = next(((at, eta) for at, eta, planned in marks if planned), None)
    ratios = [eta / max(ended - at, 1e-3) for at, eta, _ in marks if ended - at > 1.0]
    found = {"dataset": name, "run_s": round(ended - started, 1), "first": moment(*marks[0][:2]),
             "plan": moment(*plan) if plan else None, "median_eta_over_left": round(float(np.median(ratios)), 2)}
    print(json.dumps(found), flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = [measure(name) for name in args.datasets.split(",")]
    if args.out:
        args.out.write_text(json.dumps({"command": "python -m benchmarks.run_eta " + " ".join(sys.argv[1:]),
                                        "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
