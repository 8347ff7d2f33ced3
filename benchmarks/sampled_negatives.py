"""The sampled softmax's negatives on large catalogues: uniform, or by popularity (validation only).

Above 20,000 products a GNN's softmax is sampled: each step scores the batch against 4,096 shared
negatives, with the logQ correction of how they were drawn (fit/train.py). Uniform draws are mostly
products few customers bought, which the model already ranks low; drawing in proportion to buyers
(to the power 0.75, word2vec's smoothing) puts the products that compete for a place in a list
into the denominator more often. Does it train a better model in the same 90 s budget?

Each fit is the model as a user gets it (its search and early stopping, no blend, so the figure is
the GNN's alone) on a 10% validation carve of the train split, scored on customers it never saw:

- gowalla: the LightGCN authors' train split (29,858 x 40,981), carved once (seed 0), 5,000
  validation customers, nDCG@20 and recall@20 (benchmarks.published_split's carve; the test
  split never read);
- synthetic-1m: `gnnrec_core.data.synthetic`'s 1M lines over 50,000 products (seed 0), its default
  split's train part carved as benchmarks.validation_probe carves, 4,000 customers, nDCG@10.

    python -m benchmarks.sampled_negatives --seeds 0 1 2 --out docs/results/sampled_negatives.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from gnnrec_core.models.feature_gcn import FeatureGCN
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "sampled_negatives.json"
VARIANTS = ("uniform", "popularity")
MODELS = {"lightgcn": LightGCN, "gcn": FeatureGCN}


def gowalla(parser: argparse.ArgumentParser) -> tuple[Any, Any]:
    """(train part, scorer of a fitted model's validation metrics)."""
    from benchmarks.published_split import gowalla_carve

    carve = gowalla_carve(parser)
    return carve.part, lambda model: carve.evaluate(model.score, k=20)


def synthetic(parser: argparse.ArgumentParser) -> tuple[Any, Any]:
    from benchmarks.filters_scale import log_path
    from benchmarks.validation_probe import MAX_USERS
    from gnnrec_core import ingest, prepare
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split

    data = prepare(ingest(str(log_path(1_000_000, 50_000, 0))))
    train = split(data.interactions, SplitConfig(seed=0)).train
    part, valid = carve_validation(train, 0.1, seed=0)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    users = np.sort(np.random.default_rng(0).choice(users, min(MAX_USERS, len(users)), replace=False))

    def score(model: Any) -> dict[str, float]:
        return evaluate(lambda index: model.score(users[index]), part[users], valid[users], k=10)
    return part, score


DATASETS = {"gowalla": gowalla, "synthetic-1m": synthetic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=["gowalla"])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=["lightgcn"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    done: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for name in args.datasets:
        part, score = DATASETS[name](parser)
        for model_name in args.models:
            for seed in args.seeds:
                row: dict[str, float] = {}
                for variant in VARIANTS:
                    started = time.perf_counter()
                    model = MODELS[model_name](blend=False, seed=seed, negative_sampling=variant).fit(part)
                    found = score(model)
                    tuning = model.tuning()
                    row |= {variant: found["ndcg"], f"{variant}: recall": found["recall"],
                            f"{variant}: epochs": float(tuning.epochs or 0) if tuning else 0.0,
                            f"{variant}: seconds": time.perf_counter() - started}
                print(name, model_name, seed, {k: round(v, 4) for k, v in row.items()}, flush=True)
                done.setdefault(name, {}).setdefault(model_name, {})[str(seed)] = row
                args.out.write_text(json.dumps(done, indent=1) + "\n")
    for name, models in done.items():
        for model_name, runs in models.items():
            ratios = [r["popularity"] / r["uniform"] for r in runs.values()]
            spread = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
            print(f"| {name} | {model_name} | {statistics.mean(r['uniform'] for r in runs.values()):.4f} | "
                  f"{statistics.mean(r['popularity'] for r in runs.values()):.4f} | "
                  f"{statistics.mean(ratios):.3f} ± {spread:.3f} | {len(ratios)} |")


if __name__ == "__main__":
    main()
