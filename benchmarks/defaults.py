"""Every model with the settings a user gets without flags, on datasets of different shapes.

The same code path as `python -m gnnrec_core benchmark DATA` (ingest -> prepare -> benchmark), per
dataset and seed (the split and the models take the seed). Fit times include each model's own
tuning on validation (EASE's lambda, the GNNs' search and blend). Results go to
docs/results/defaults.json; `--table` prints the markdown table for docs/benchmarks.md.

    python -m benchmarks.defaults --seeds 0 1 2 3 4            # split seed = model seed
    python -m benchmarks.defaults --split-seed 0 --seeds 1 2 3 4   # model seed varied, split fixed
    python -m benchmarks.defaults --table

Each run is keyed by its split seed and its model seed, so the spread that comes from the split
and the spread that comes from training can be told apart (the table gives both).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import benchmark, ingest, prepare
from gnnrec_core.matrix.interactions import SplitConfig
from gnnrec_core.models import LABELS, SPECS

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "defaults.json"


def _seeds(row: dict) -> tuple[int, int]:
    """(split seed, model seed); rows from before the two were kept apart used one seed for both."""
    return row.get("split_seed", row["seed"]), row["seed"]


def run(names: list[str], seeds: list[int], split_seed: int | None = None) -> dict:
    done = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            split_at = seed if split_seed is None else split_seed
            started = time.perf_counter()
            result = benchmark(dataset, list(SPECS), SplitConfig(seed=split_at), seed=seed).to_json()
            row = {"dataset": name, "seed": seed, "split_seed": split_at, "shape": result["dataset"],
                   "wall_seconds": time.perf_counter() - started,
                   "results": result["results"]}
            done["runs"] = [r for r in done["runs"]
                            if (r["dataset"], *_seeds(r)) != (name, split_at, seed)] + [row]
            OUT.write_text(json.dumps(done, indent=1, default=float) + "\n")
            best = max(result["results"], key=lambda r: r["ndcg"])
            print(f"{name} seed {seed}: {row['wall_seconds']:.0f} s, best {best['model']} {best['ndcg']:.4f}",
                  flush=True)
    return done


def table(done: dict) -> str:
    """Mean +/- std of nDCG@10 and mean fit seconds per dataset and model, and the GNN's verdict."""
    lines = ["| dataset (users x items, interactions) | runs | " + " | ".join(LABELS[m] for m in SPECS)
             + " | best GNN / best baseline | spread from split / from training |", "|---" * (len(SPECS) + 4) + "|"]
    for name in NAMES:
        runs = [r for r in done["runs"] if r["dataset"] == name]
        if not runs:
            continue
        shape = runs[0]["shape"]
        cells, ratios, by_seeds = [], [], {}
        for model in SPECS:
            values = [x["ndcg"] for r in runs for x in r["results"] if x["model"] == model]
            seconds = [x["train_seconds"] for r in runs for x in r["results"] if x["model"] == model]
            cells.append(f"{np.mean(values):.4f} ± {np.std(values):.4f} ({np.mean(seconds):.1f} s)" if values else "–")
        for r in runs:
            by = {x["model"]: x["ndcg"] for x in r["results"]}
            gnn = max(v for m, v in by.items() if SPECS[m].is_gnn)
            base = max(v for m, v in by.items() if not SPECS[m].is_gnn)
            ratios.append(gnn / base)
            by_seeds[_seeds(r)] = gnn / base
        # Spread of the ratio over split seeds with the model seed equal to the split seed, and over
        # model seeds with the split seed fixed at 0.
        over_split = [v for (split_seed, model_seed), v in by_seeds.items() if split_seed == model_seed]
        over_model = [v for (split_seed, _), v in by_seeds.items() if split_seed == 0]
        spread = f"± {np.std(over_split):.3f} (n={len(over_split)}) / ± {np.std(over_model):.3f} (n={len(over_model)})"
        lines.append(f"| {name} ({shape['users']:,} x {shape['items']:,}, {shape['interactions']:,}) | {len(runs)} | "
                     + " | ".join(cells) + f" | {np.mean(ratios):.2f} ± {np.std(ratios):.2f} | {spread} |")
    return "\n".join(lines)


def detail(done: dict, name: str) -> str:
    """Every metric of one dataset, mean +/- std over the runs whose split seed is their model seed."""
    from gnnrec_core.fit.metrics import METRICS

    runs = [r for r in done["runs"] if r["dataset"] == name and _seeds(r)[0] == _seeds(r)[1]]
    lines = [f"| model ({len(runs)} seeds) | " + " | ".join(METRICS) + " | fit s (tuning included) |",
             "|---" * (len(METRICS) + 2) + "|"]
    for model in SPECS:
        rows = [x for r in runs for x in r["results"] if x["model"] == model]
        cells = [f"{np.mean([x[m] for x in rows]):.4f} ± {np.std([x[m] for x in rows]):.4f}" for m in METRICS]
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {np.mean([x['train_seconds'] for x in rows]):.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(NAMES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4], help="model seeds")
    parser.add_argument("--split-seed", type=int, help="one split seed for every run (default: each model seed)")
    parser.add_argument("--table", action="store_true", help="print the table from the saved results")
    parser.add_argument("--detail", help="print every metric of this dataset from the saved results")
    args = parser.parse_args()
    if args.detail:
        print(detail(json.loads(OUT.read_text()), args.detail))
        raise SystemExit(0)
    print(table(json.loads(OUT.read_text())) if args.table else table(run(args.datasets, args.seeds, args.split_seed)))
