"""Turbo-CF's search as the paper sets it against the product's widened search (validation, then test).

The paper's grid, as Turbo-CF searched it before: a in {0.5, 0.6} with b = 1 - a, the power s in
{0.7, 1.0}, its filters 1 and 2, the graph pruned to 200 entries per product. Run here as two
searches, filter 1 and filter 2, and the one with the higher validation figure kept: the best of
the same eight candidates. The widened search is `TurboCF()` with no settings (models/turbocf.py):
the exponents apart, the second order's weight, every entry kept and exact dense products up to
4,096 products. Both on the same split and validation carve per seed (SplitConfig(seed), the carve
inside the model with the same seed), nDCG@10; fit seconds include the search.

    python -m benchmarks.turbocf_widened --seeds 0 1 2 3 4    # docs/results/turbocf_widened.json
    python -m benchmarks.turbocf_widened --table
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models.turbocf import TurboCF

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "turbocf_widened.json"


def searches(train, test, seed: int) -> dict[str, dict]:
    found = {}
    started = time.perf_counter()
    paper = max((TurboCF(filter=kind, neighbours=200, seed=seed).fit(train) for kind in (1, 2)),
                key=lambda model: model.tuning().valid_ndcg)
    found["paper"] = (paper, time.perf_counter() - started)
    started = time.perf_counter()
    found["widened"] = (TurboCF(seed=seed).fit(train), time.perf_counter() - started)
    return {name: {"valid": model.tuning().valid_ndcg, "test": float(evaluate(model.score, train, test, k=10)["ndcg"]),
                   "fit_seconds": seconds, "chosen": model.tuning().chosen}
            for name, (model, seconds) in found.items()}


def run(names: list[str], seeds: list[int]) -> None:
    runs = []
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            parts = split(dataset.interactions, SplitConfig(seed=seed))
            runs.append({"dataset": name, "seed": seed, **searches(parts.train, parts.test, seed)})
            print(json.dumps(runs[-1]), flush=True)
    OUT.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


def table() -> str:
    runs = json.loads(OUT.read_text())["runs"]
    lines = ["| dataset | seeds | valid: paper's grid | valid: widened | widened / paper (valid) | test: paper's grid "
             "| test: widened | widened / paper (test) | fit s: paper / widened | widened chose (most often) |",
             "|---" * 10 + "|"]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        mine = [r for r in runs if r["dataset"] == name]

        def cell(side: str, key: str) -> str:
            values = [r[side][key] for r in mine]
            return f"{statistics.mean(values):.4f} ± {statistics.stdev(values) if len(values) > 1 else 0:.4f}"

        def ratio(key: str) -> str:
            values = [r["widened"][key] / r["paper"][key] for r in mine]
            return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) if len(values) > 1 else 0:.3f}"

        chosen = [json.dumps(r["widened"]["chosen"], sort_keys=True) for r in mine]
        common = max(set(chosen), key=chosen.count)
        fits = (statistics.mean(r[side]["fit_seconds"] for r in mine) for side in ("paper", "widened"))
        lines.append(f"| {name} | {len(mine)} | {cell('paper', 'valid')} | {cell('widened', 'valid')} | "
                     f"{ratio('valid')} | {cell('paper', 'test')} | {cell('widened', 'test')} | {ratio('test')} | "
                     f"{' / '.join(f'{s:.1f}' for s in fits)} | {common} ({chosen.count(common)}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(NAMES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if not args.table:
        run(args.datasets, args.seeds)
    print(table())
