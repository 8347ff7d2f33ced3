"""GF-CF's and BSPM's ideal low-pass part: its rank candidates and its SVD's sketch (validation only).

Both filters choose the rank k of their ideal low-pass part on a validation slice (one randomised
SVD at the largest candidate serves every smaller one; graph_filter.low_pass_vectors). On Gowalla's
published split the authors of BSPM use k = 448, and a carve of its train split ranks k = 448-512
ahead of 256 for both filters. Three settings, each with everything else a user gets:

    "ranks 64,256 / sketch k+16"       the candidates before this measurement
    "ranks 64,256,512 / sketch k+16"   a 512 candidate beside them: the default since
    "ranks 64,256 / sketch 2k"         the SVD at 256 from a sketch of 512 columns, not 272
                                       (graph_filter.OVERSAMPLE = 256): is it the rank or the
                                       sketch's accuracy that counts?

Recorded: the chosen rank, the validation nDCG@10 the filter chose by, the fit's seconds (search
included). Per dataset and seed: SplitConfig(seed=seed); the test split is never read.

    python -m benchmarks.filter_rank --seeds 0 1 2       # docs/results/filter_rank.json, ~25 min
    python -m benchmarks.filter_rank --table
    python -m benchmarks.filter_rank --gowalla-carve --out docs/results/filter_rank_gowalla.json

`--gowalla-carve`: each filter at fixed ranks 256, 448 and 512 on a 10% validation slice carved
from Gowalla's published train split (benchmarks/published_split.py writes its CSV), nDCG@20 and
recall@20 on 5,000 sampled validation users; the test split is never read.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from benchmarks.published_split import GowallaCarve, gowalla_carve
from gnnrec_core import ingest, prepare
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models import bspm, gfcf, graph_filter
from gnnrec_core.models.graph_filter import OVERSAMPLE

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "filter_rank.json"
BEFORE = "ranks 64,256 / sketch k+16"
SETTINGS = {BEFORE: ((64, 256), OVERSAMPLE), "ranks 64,256,512 / sketch k+16": ((64, 256, 512), OVERSAMPLE),
            "ranks 64,256 / sketch 2k": ((64, 256), 256)}  # (rank candidates, graph_filter.OVERSAMPLE)
FILTERS = {"gfcf": (gfcf, gfcf.GFCF), "bspm": (bspm, bspm.BSPM)}


def run(names: list[str], seeds: list[int], out: Path, settings: list[str]) -> dict:
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            train = split(dataset.interactions, SplitConfig(seed=seed)).train
            for model, (module, cls) in FILTERS.items():
                for grid in settings:
                    ranks, oversample = SETTINGS[grid]
                    kept = module.RANK_GRID, graph_filter.OVERSAMPLE
                    module.RANK_GRID, graph_filter.OVERSAMPLE = ranks, oversample  # what the fit reads
                    try:
                        started = time.perf_counter()
                        fitted = cls(seed=seed).fit(train)
                        seconds = time.perf_counter() - started
                    finally:
                        module.RANK_GRID, graph_filter.OVERSAMPLE = kept
                    row = {"dataset": name, "seed": seed, "model": model, "grid": grid,
                           "valid_ndcg": fitted.valid_ndcg_, "rank": fitted.tuning().chosen["rank"],
                           "seconds": round(seconds, 2)}
                    print(row, flush=True)
                    key = (name, seed, model, grid)
                    done["runs"] = [r for r in done["runs"]
                                    if (r["dataset"], r["seed"], r["model"], r["grid"]) != key] + [row]
                    out.write_text(json.dumps(done, indent=1) + "\n")
    return done


def on_gowalla_carve(carve: GowallaCarve, out: Path) -> None:
    runs = []
    for label, settings in (("gfcf", {"alpha": 0.3, "neighbours": 200}), ("bspm", {"variant": "rk4"}),
                            ("bspm", {"variant": "euler"})):
        for rank in (256, 448, 512):
            started = time.perf_counter()
            model = FILTERS[label][1](rank=rank, **settings).fit(carve.part)
            seconds = time.perf_counter() - started
            found = carve.evaluate(model.score)
            runs.append({"model": label, **settings, "rank": rank, "valid_ndcg20": round(found["ndcg"], 4),
                         "valid_recall20": round(found["recall"], 4), "fit_seconds": round(seconds, 1)})
            print(runs[-1], flush=True)
    out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


def table(done: dict) -> str:
    others = [grid for grid in SETTINGS if grid != BEFORE]
    head = f"| dataset | filter | valid, {BEFORE} |" + "".join(f" {grid}: difference (per seed) | k chosen |"
                                                             for grid in others)
    head += "".join(f" fit s, {grid} |" for grid in SETTINGS)
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in dict.fromkeys(r["dataset"] for r in done["runs"]):
        for model in FILTERS:
            by = {(r["seed"], r["grid"]): r for r in done["runs"] if r["dataset"] == name and r["model"] == model}
            seeds = sorted({s for s, _ in by if all((s, grid) in by for grid in SETTINGS)})
            if not seeds:
                continue
            before = np.array([by[s, BEFORE]["valid_ndcg"] for s in seeds])
            line = f"| {name} (n={len(seeds)}) | {model} | {before.mean():.4f} ± {before.std():.4f} |"
            for grid in others:
                diff = np.array([by[s, grid]["valid_ndcg"] for s in seeds]) - before
                ranks = "/".join(str(by[s, grid]["rank"]) for s in seeds)
                line += f" {diff.mean():+.4f} ± {diff.std():.4f} | {ranks} |"
            line += "".join(f" {np.mean([by[s, grid]['seconds'] for s in seeds]):.1f} |" for grid in SETTINGS)
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--gowalla-carve", action="store_true")
    args = parser.parse_args()
    if args.gowalla_carve:
        on_gowalla_carve(gowalla_carve(parser), args.out)
        return
    done = json.loads(args.out.read_text()) if args.table else run(args.datasets, args.seeds, args.out,
                                                                    args.settings)
    print(table(done))


if __name__ == "__main__":
    main()
