"""Softmax or BPR? LightGCN's default loss, chosen on validation slices only.

For each dataset and seed: the test split is held out and never read; LightGCN is fitted on the
train split with each loss, each with its own settings search (successive halving on a 10%
validation slice carved from train, same carve for both, `--time-budget` seconds each, no
blend), and the chosen configuration's validation nDCG@10 is recorded. Results:
docs/results/loss_choice.json (runs are merged, so datasets may run in separate processes).

    python -m benchmarks.loss_choice --datasets ml100k --seeds 0 1 2 3 4 --time-budget 30
    python -m benchmarks.loss_choice --table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "loss_choice.json"
DATASETS = ("ml100k", "retail", "retail-sparse", "grocery-like", "ratings-wide")


def run(names: list[str], seeds: list[int], budget: float, out: Path) -> dict:
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            train = split(dataset.interactions, SplitConfig(seed=seed)).train
            for loss in ("softmax", "bpr"):
                started = time.perf_counter()
                model = LightGCN(loss=loss, seed=seed, time_budget=budget, blend=False).fit(train)
                row = {"dataset": name, "seed": seed, "loss": loss, "valid_ndcg": model.tuning_["valid_ndcg"],
                       "chosen": model.tuning_["chosen"], "seconds": round(time.perf_counter() - started, 1),
                       "budget": budget}
                print(row, flush=True)
                done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"], r["loss"]) != (name, seed, loss)]
                done["runs"].append(row)
                out.write_text(json.dumps(done, indent=1) + "\n")
    return done


def table(done: dict) -> str:
    lines = ["| dataset | softmax, validation nDCG@10 | BPR | softmax - BPR (per seed) | reading | item bias chosen |",
             "|---|---|---|---|---|---|"]
    runs = done["runs"]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        by = {(r["seed"], r["loss"]): r for r in runs if r["dataset"] == name}
        seeds = sorted({s for s, loss in by if (s, "bpr") in by and (s, "softmax") in by})
        soft = np.array([by[s, "softmax"]["valid_ndcg"] for s in seeds])
        bpr = np.array([by[s, "bpr"]["valid_ndcg"] for s in seeds])
        diff = soft - bpr
        reading = "softmax ahead" if diff.mean() - diff.std() > 0 else "BPR ahead" if diff.mean() + diff.std() < 0 \
            else "level"
        bias = sum(bool(by[s, "softmax"]["chosen"].get("item_bias")) for s in seeds)
        lines.append(f"| {name} (n={len(seeds)}) | {soft.mean():.4f} ± {soft.std():.4f} | {bpr.mean():.4f} ± "
                     f"{bpr.std():.4f} | {diff.mean():+.4f} ± {diff.std():.4f} | {reading} | {bias} of {len(seeds)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    done = json.loads(args.out.read_text()) if args.table else run(args.datasets, args.seeds, args.time_budget,
                                                                   args.out)
    print(table(done))


if __name__ == "__main__":
    main()
