"""BSPM with its exact form among the candidates, against the defaults table's BSPM rows.

Runs BSPM alone, with the defaults a user gets, through the same path as `benchmark DATA --models
bspm` (ingest -> prepare -> `benchmark()`), on each dataset of benchmarks/defaults.py and each seed
(split seed = model seed, as that table's runs). The reference is the BSPM row of
docs/results/defaults.json for the same dataset and seed: the same split, the code before the exact
form joined the search (every pruned candidate is the same code in both). Fit seconds are BSPM's
alone here, its SVD and item graph included; in the defaults table's runs GF-CF, fitted first,
paid for the parts the filters share, and other models ran beside it, so the two are not compared.
Results go to
docs/results/bspm_exact.json; `--table` prints the table for docs/benchmarks.md.

    python -m benchmarks.bspm_exact --seeds 0 1 2 3 4
    python -m benchmarks.bspm_exact --table
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from benchmarks.defaults import OUT as DEFAULTS
from gnnrec_core import benchmark, ingest, prepare
from gnnrec_core.matrix.interactions import SplitConfig

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "bspm_exact.json"


def _reference(name: str, seed: int) -> dict | None:
    for run in json.loads(DEFAULTS.read_text())["runs"]:
        if run["dataset"] == name and run["seed"] == seed and run.get("split_seed", seed) == seed:
            return next((x for x in run["results"] if x.get("key", x["model"]) == "bspm"), None)
    return None


def run(names: list[str], seeds: list[int]) -> None:
    done = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            row = benchmark(dataset, ["bspm"], SplitConfig(seed=seed), seed=seed).to_json()["results"][0]
            before = _reference(name, seed)
            entry = {"dataset": name, "seed": seed, "chosen": row["tuning"]["chosen"],
                     "candidates": row["tuning"]["candidates"], "valid_ndcg": row["valid_ndcg"], "ndcg": row["ndcg"],
                     "fit_seconds": row["train_seconds"],
                     "before": None if before is None else {
                         "chosen": before["tuning"]["chosen"], "valid_ndcg": before["valid_ndcg"],
                         "ndcg": before["ndcg"], "fit_seconds": before["train_seconds"]}}
            done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"]) != (name, seed)] + [entry]
            OUT.write_text(json.dumps(done, indent=1, default=float) + "\n")
            print(json.dumps(entry, default=float), flush=True)


def table() -> str:
    done = json.loads(OUT.read_text())
    lines = ["| dataset | runs | exact chosen | validation nDCG@10 now / before | test nDCG@10 now | before | "
             "test now / before, per run | fit s (search included) |", "|---|---|---|---|---|---|---|---|"]
    for name in NAMES:
        runs = [r for r in done["runs"] if r["dataset"] == name and r["before"]]
        if not runs:
            continue
        exact = sum(r["chosen"].get("form") == "exact" for r in runs)
        valid = [r["valid_ndcg"] / r["before"]["valid_ndcg"] for r in runs]
        now, before = [r["ndcg"] for r in runs], [r["before"]["ndcg"] for r in runs]
        moved = [a / b - 1 for a, b in zip(now, before)]
        lines.append(f"| {name} | {len(runs)} | {exact} of {len(runs)} | {np.mean(valid):.3f} ± {np.std(valid):.3f} | "
                     f"{np.mean(now):.4f} ± {np.std(now):.4f} | {np.mean(before):.4f} ± {np.std(before):.4f} | "
                     f"{np.mean(moved):+.1%} ± {np.std(moved):.1%} | "
                     f"{np.mean([r['fit_seconds'] for r in runs]):.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        print(table())
        return
    run(args.datasets, args.seeds)


if __name__ == "__main__":
    main()
