"""Does weighting the interactions help? Validation nDCG@10 per dataset, model and weighting.

For every dataset with a weight signal (quantity, rating, repeat purchases), each weighting the
data supports is tried: the test split is held out and never read; a 10% validation slice is
carved from train (the same carve the GNN's defaults use), each model is fitted on the rest and
scored on that slice. Seeds vary the split and the carve. Baselines run with their defaults
(EASE chooses its lambda inside the fitting part); LightGCN runs with its default settings and a
fixed 40 epochs (auto search and blend off, so every weighting gets the same budget). The default
weighting is chosen from these validation numbers only. Results: docs/results/weighting.json.

    python -m benchmarks.weighting --seeds 0 1 2 3 4
    python -m benchmarks.weighting --table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import (
    InteractionConfig,
    SplitConfig,
    available_weightings,
    carve_validation,
    split,
)
from gnnrec_core.models import MODELS

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "weighting.json"
DATASETS = ("ml100k", "retail", "retail-sparse", "grocery-like", "ratings-wide")
MODEL_SETTINGS = {"pop": {}, "itemknn": {}, "cooc": {}, "ease": {},
                  "lightgcn": {"auto": False, "blend": False, "epochs": 40}}


def run(names: list[str], seeds: list[int], models: list[str], out: Path = OUT) -> dict:
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    for name in names:
        result = ingest(path(name), **OPTIONS.get(name, {}))
        for weighting in available_weightings(result.events):
            dataset = prepare(result, InteractionConfig(weighting=weighting))
            for seed in seeds:
                train = split(dataset.interactions, SplitConfig(seed=seed)).train
                part, valid = carve_validation(train, 0.1, seed=seed)
                for model in models:
                    started = time.perf_counter()
                    fitted = MODELS[model](**MODEL_SETTINGS[model], seed=seed) if model == "lightgcn" else \
                        MODELS[model]()
                    fitted.fit(part)
                    ndcg = evaluate(fitted.score, part, valid)["ndcg"]
                    row = {"dataset": name, "weighting": weighting, "seed": seed, "model": model,
                           "valid_ndcg": round(ndcg, 5), "seconds": round(time.perf_counter() - started, 2)}
                    print(row, flush=True)
                    key = (name, weighting, seed, model)
                    done["runs"] = [r for r in done["runs"]
                                    if (r["dataset"], r["weighting"], r["seed"], r["model"]) != key] + [row]
                    out.write_text(json.dumps(done, indent=1) + "\n")
    return done


def table(done: dict) -> str:
    """Per dataset and model: binary's mean +/- std, and each weighting's change against binary
    (mean +/- std of the per-seed difference), worded by whether the interval clears zero."""
    lines = ["| dataset | model | binary | weighting | change vs binary | reading |", "|---|---|---|---|---|---|"]
    runs = done["runs"]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        for model in dict.fromkeys(r["model"] for r in runs if r["dataset"] == name):
            def by_seed(weighting):
                return {r["seed"]: r["valid_ndcg"] for r in runs
                        if (r["dataset"], r["model"], r["weighting"]) == (name, model, weighting)}
            base = by_seed("binary")
            others = {r["weighting"] for r in runs if r["dataset"] == name} - {"binary"}
            for weighting in [w for w in ("quantity", "rating", "count") if w in others]:
                other = by_seed(weighting)
                seeds = sorted(set(base) & set(other))
                diff = np.array([other[s] - base[s] for s in seeds])
                b = np.array([base[s] for s in seeds])
                low, high = diff.mean() - diff.std(), diff.mean() + diff.std()
                reading = "better" if low > 0 else "worse" if high < 0 else "level"
                lines.append(f"| {name} | {model} | {b.mean():.4f} ± {b.std():.4f} | {weighting} | "
                             f"{diff.mean():+.4f} ± {diff.std():.4f} (n={len(seeds)}) | {reading} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=list(MODEL_SETTINGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=OUT, help="results file (runs are merged into it)")
    parser.add_argument("--table", action="store_true", help="print the markdown table of saved results")
    args = parser.parse_args()
    done = json.loads(args.out.read_text()) if args.table else run(args.datasets, args.seeds, args.models, args.out)
    print(table(done))


if __name__ == "__main__":
    main()
