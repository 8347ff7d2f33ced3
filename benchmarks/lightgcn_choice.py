"""LightGCN's defaults that are one choice between two values, each settled on validation slices only.

    loss: softmax or BPR, each with its own settings search, no blend (docs/results/loss_choice.json)
    init: a random start or the graph filter's spectral vectors, with everything else a user gets by
          default, blend included (docs/results/init_choice.json)

For each dataset and seed: the test split is held out and never read; LightGCN is fitted on the
train split with each value, each with its own settings search (successive halving on a 10%
validation slice carved from train, the same carve for both, `--time-budget` seconds each), and
the chosen configuration's validation nDCG@10 is recorded; with the blend on, the GNN alone, the
blend and the graph filter on the blend's validation users too. Runs are merged into the JSON, so
datasets may run in separate processes.

    python -m benchmarks.lightgcn_choice loss --datasets ml100k --seeds 0 1 2 3 4 --time-budget 30
    python -m benchmarks.lightgcn_choice init --seeds 0 1 2 3 4
    python -m benchmarks.lightgcn_choice init --table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models import LightGCN
from gnnrec_core.models.registry import FILTER_PARTS

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
# option: (the default value first, the other, the rest of the config, the datasets measured)
CHOICES: dict[str, tuple[str, str, dict[str, Any], tuple[str, ...]]] = {
    "loss": ("softmax", "bpr", {"blend": False}, ("ml100k", "retail", "retail-sparse", "grocery-like",
                                                  "ratings-wide")),
    "init": ("random", "spectral", {}, NAMES),
}


def run(option: str, names: list[str], seeds: list[int], budget: float, out: Path) -> dict:
    *values, config, _ = CHOICES[option]
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            train = split(dataset.interactions, SplitConfig(seed=seed)).train
            for value in values:
                started = time.perf_counter()
                model = LightGCN(**{option: value}, **config, seed=seed, time_budget=budget).fit(train)
                found = model.tuning_
                row = {"dataset": name, "seed": seed, option: value, "valid_ndcg": found["valid_ndcg"],
                       "chosen": found["chosen"], "epochs": found["epochs"],
                       "seconds": round(time.perf_counter() - started, 1), "budget": budget}
                if "blend_valid_ndcg" in found:
                    row |= {"blend": found["blend"], "blend_valid_ndcg": found["blend_valid_ndcg"],
                            "part_valid_ndcg": found["part_valid_ndcg"]}
                print(row, flush=True)
                key = (name, seed, value)
                done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"], r.get(option)) != key]
                done["runs"].append(row)
                out.write_text(json.dumps(done, indent=1) + "\n")
    return done


def _reading(diff: np.ndarray, first: str, second: str) -> str:
    if diff.mean() - diff.std() > 0:
        return f"{first} ahead"
    return f"{second} ahead" if diff.mean() + diff.std() < 0 else "level"


def table(option: str, done: dict) -> str:
    first, second = CHOICES[option][:2]
    blended = option == "init"
    head = f"| dataset | {first}, validation nDCG@10 | {second} | {first} - {second} (per seed) | reading |"
    head += f" blended: {first} - {second} | reading | graph filter alone |" if blended else " item bias chosen |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    runs = done["runs"]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        by = {(r["seed"], r[option]): r for r in runs if r["dataset"] == name}
        seeds = sorted({s for s, _ in by if (s, first) in by and (s, second) in by})

        def values(value: str, key: Any = lambda r: r["valid_ndcg"]) -> np.ndarray:
            return np.array([key(by[s, value]) for s in seeds])

        one, two = values(first), values(second)
        diff = one - two
        line = (f"| {name} (n={len(seeds)}) | {one.mean():.4f} ± {one.std():.4f} | {two.mean():.4f} ± "
                f"{two.std():.4f} | {diff.mean():+.4f} ± {diff.std():.4f} | {_reading(diff, first, second)} |")
        if blended:
            mixed = values(first, lambda r: r["blend_valid_ndcg"]["blended"]) - \
                values(second, lambda r: r["blend_valid_ndcg"]["blended"])
            graph = values(first, lambda r: next(v for k, v in r["part_valid_ndcg"].items() if k in FILTER_PARTS))
            line += f" {mixed.mean():+.4f} ± {mixed.std():.4f} | {_reading(mixed, first, second)} | " \
                    f"{graph.mean():.4f} ± {graph.std():.4f} |"
        else:
            line += f" {sum(bool(by[s, first]['chosen'].get('item_bias')) for s in seeds)} of {len(seeds)} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("option", choices=sorted(CHOICES))
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--time-budget", type=float, default=None,
                        help="seconds per fit (default: LightGCN's own, what a user gets)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    out = args.out or RESULTS / f"{args.option}_choice.json"
    budget = args.time_budget or LightGCN.config_class().time_budget
    done = json.loads(out.read_text()) if args.table else run(
        args.option, args.datasets or list(CHOICES[args.option][3]), args.seeds, budget, out)
    print(table(args.option, done))


if __name__ == "__main__":
    main()
