"""Do 2 Ray Train workers fit LightGCN faster than 1? The data-parallel loop (pipeline/distributed.py)
on this machine's cores, same data, fixed settings and epochs, beside the one-process fit without Ray.

Three ways to spend the same cores, in alternating rounds (the machine is shared, so each is run
more than once): one process without Ray using every core through torch's threads; one Ray worker
given every core; N Ray workers of one core each. `fit_seconds` is the training inside the worker
(what data parallelism can change); `wall_seconds` adds Ray Train's start (worker processes,
torch.distributed, the data through the object store) and the driver's ingest, split and test
scoring. Results: docs/results/ray_workers.json.

    python -m benchmarks.ray_workers --interactions 100000 --epochs 8
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.pipeline import distributed
from gnnrec_core.pipeline.benchmark import prepare

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "ray_workers.json"


def _without_ray(source: Path, epochs: int) -> dict:
    started = time.perf_counter()
    data_split = split(prepare(ingest(source)).interactions, SplitConfig(seed=0))
    fit_started = time.perf_counter()
    model = LightGCN(**distributed.fixed({"epochs": epochs, "seed": 0}), device="cpu").fit(data_split.train)
    fit_seconds = time.perf_counter() - fit_started
    ndcg = evaluate(model.score, data_split.train, data_split.test, k=10)["ndcg"]
    return {"fit_seconds": round(fit_seconds, 3), "wall_seconds": round(time.perf_counter() - started, 3),
            "threads_per_worker": torch.get_num_threads(), "ndcg": ndcg,
            "loss": [round(r["loss"], 6) for r in model.history_]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds, for the noise")
    args = parser.parse_args()
    import ray

    cores = os.cpu_count() or 1
    ray.init(num_cpus=cores, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    ways = [("no Ray, 1 process", 0, cores), ("Ray, 1 worker", 1, cores), (f"Ray, {cores} workers", cores, 1)]
    runs = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "orders.csv"
            generate(SyntheticConfig(interactions=args.interactions, seed=5)).to_csv(source, index=False)
            for repeat in range(args.repeats):
                for label, workers, cpus in ways:
                    started = time.perf_counter()
                    if workers == 0:
                        metrics = _without_ray(source, args.epochs)
                    else:
                        metrics = distributed.train(source, Path(folder) / f"w{workers}-{repeat}", args.epochs,
                                                    workers=workers, cpus_per_worker=cpus)
                        metrics["wall_seconds"] = round(time.perf_counter() - started, 3)
                    runs.append({"way": label, "workers": workers, "cpus_per_worker": cpus, "repeat": repeat,
                                 **{k: metrics[k] for k in ("fit_seconds", "wall_seconds", "threads_per_worker",
                                                            "ndcg", "loss")},
                                 **({"ranks_max_difference": metrics["ranks_max_difference"]} if workers else {})})
                    print({k: v for k, v in runs[-1].items() if k != "loss"}, flush=True)
    finally:
        ray.shutdown()

    def median(label: str, key: str) -> float:
        return float(np.median([r[key] for r in runs if r["way"] == label]))

    summary = {label: {"fit_seconds": median(label, "fit_seconds"), "wall_seconds": median(label, "wall_seconds")}
               for label, _, _ in ways}
    same = all(len(r["loss"]) == args.epochs and np.allclose(r["loss"], runs[0]["loss"], rtol=1e-4) for r in runs)
    result = {"interactions": args.interactions, "epochs": args.epochs, "cpu_cores": cores,
              "load_average_at_end": os.getloadavg(), "median": summary, "same_losses_everywhere": same, "runs": runs}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for label, figures in summary.items():
        print(f"{label}: fit {figures['fit_seconds']:.1f} s, wall {figures['wall_seconds']:.1f} s (medians)")


if __name__ == "__main__":
    main()
