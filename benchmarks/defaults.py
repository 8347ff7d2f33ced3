"""Every model with the settings a user gets without flags, on datasets of different shapes.

The same code path as `python -m gnnrec_core benchmark DATA` (ingest -> prepare -> benchmark), per
dataset and seed (the split and the models take the seed). Fit times include each model's own
tuning on validation (EASE's lambda, the GNNs' search and blend). Results go to
docs/results/defaults.json; `--table` prints the markdown table for docs/benchmarks.md.

    python -m benchmarks.defaults --seeds 0 1 2 3 4            # split seed = model seed
    python -m benchmarks.defaults --split-seed 0 --seeds 1 2 3 4   # model seed varied, split fixed
    python -m benchmarks.defaults --table

Each run is keyed by its split seed and its model seed. Two tables: test nDCG@10 of every row (a
GNN's blend its own row), and what training earns (the best trained row against the best
closed-form filter on validation and, by the run's own verdict and interval, on test). Runs from
before the filters and blend rows are kept in docs/results/defaults_before_filters.json.
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
from gnnrec_core.models.registry import blend_parts
from gnnrec_core.records import Gain

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
                   "results": result["results"], "verdicts": result["verdicts"]}
            done["runs"] = [r for r in done["runs"]
                            if (r["dataset"], *_seeds(r)) != (name, split_at, seed)] + [row]
            OUT.write_text(json.dumps(done, indent=1, default=float) + "\n")
            best = max(result["results"], key=lambda r: r["ndcg"])
            print(f"{name} seed {seed}: {row['wall_seconds']:.0f} s, best {best['model']} {best['ndcg']:.4f}",
                  flush=True)
    return done


def _keys(done: dict) -> list[str]:
    """Every row key the runs hold, in the registry's order, a GNN's blend row after its own."""
    found = {x.get("key", x["model"]) for r in done["runs"] for x in r["results"]}
    order = [key for model in SPECS for key in (model, f"{model}+blend")]
    return [key for key in order if key in found]


def _header(key: str) -> str:
    model, _, blend = key.partition("+")
    return f"{LABELS[model]} + blend" if blend else LABELS[model]


def table(done: dict) -> str:
    """Test nDCG@10 (mean +/- std, mean fit seconds) per dataset and row."""
    keys = _keys(done)
    lines = ["| dataset (users x items, interactions) | runs | " + " | ".join(_header(k) for k in keys) + " |",
             "|---" * (len(keys) + 2) + "|"]
    for name in NAMES:
        runs = [r for r in done["runs"] if r["dataset"] == name]
        if not runs:
            continue
        shape = runs[0]["shape"]
        cells = []
        for key in keys:
            rows = [x for r in runs for x in r["results"] if x.get("key", x["model"]) == key]
            fewer = f"; {len(rows)} of {len(runs)} runs" if len(rows) < len(runs) else ""  # a blend not chosen
            cells.append(f"{np.mean([x['ndcg'] for x in rows]):.4f} ± {np.std([x['ndcg'] for x in rows]):.4f} "
                         f"({np.mean([x['train_seconds'] for x in rows]):.1f} s{fewer})" if rows else "–")
        lines.append(f"| {name} ({shape['users']:,} x {shape['items']:,}, {shape['interactions']:,}) | {len(runs)} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def _best(results: list[dict], kind, metric: str) -> dict | None:
    rows = [x for x in results if kind(SPECS[x["model"]]) and x.get(metric) is not None]
    return max(rows, key=lambda x: x[metric]) if rows else None


def _counted(names: list[str]) -> str:
    """'a (3), b (2)': each name with its number of runs, most frequent first."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} ({n})" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _blend_words(blend: dict) -> str:
    """A blend's parts as its row names them ("random-walk filter x1 + popularity x0.1")."""
    return " + ".join(blend_parts(blend)) or "none"


def blend_table(done: dict) -> str:
    """Which rows the verdicts set against each other, and each GNN's blend per run: a "+ blend"
    column of the first table may be mostly the filter (a weight of 1 or more on it)."""
    gnns = [model for model, spec in SPECS.items() if spec.is_gnn]
    lines = ["| dataset | trained row in the verdict (runs) | filter in the verdict (runs) | "
             "LightGCN's row / that filter (test) | "
             + " | ".join(f"{LABELS[m]}'s blend (runs)" for m in gnns) + " |", "|---" * (4 + len(gnns)) + "|"]
    for name in NAMES:
        runs = [r for r in done["runs"] if r["dataset"] == name and r["verdicts"].get("training")]
        if not runs:
            continue
        trained = [_header(r["verdicts"]["training"]["row"]) for r in runs]
        filters = [LABELS[r["verdicts"]["training"]["reference"]] for r in runs]
        ratios = []
        for r in runs:
            ndcg = {x.get("key", x["model"]): x for x in r["results"]}
            mine = [x for key, x in ndcg.items() if key in ("lightgcn", "lightgcn+blend")]
            chosen = max(mine, key=lambda x: x["valid_ndcg"] or 0.0)  # as the verdict picks: by validation
            ratios.append(chosen["ndcg"] / r["verdicts"]["training"]["reference_value"])
        blends = [_counted([_blend_words(next((x["blend"] for x in r["results"]
                                               if x.get("key") == f"{m}+blend"), {})) for r in runs]) for m in gnns]
        lines.append(f"| {name} | {_counted(trained)} | {_counted(filters)} | "
                     f"{np.mean(ratios):.3f} ± {np.std(ratios):.3f} | " + " | ".join(blends) + " |")
    return "\n".join(lines)


def verdict_table(done: dict) -> str:
    """What training earns, per dataset: the best trained row (a GNN alone or blended) against the
    best closed-form filter, on validation (the slice each chose its settings on) and on test (the
    run's own verdict, its 95% interval over test users); and the best graph row against the best
    baseline on test. Counts say in how many runs each verdict was "ahead", "level", "behind"."""
    lines = ["| dataset | runs | validation: best trained / best filter | trained ahead on validation | "
             "test: training added (mean) | test verdicts ahead / level / behind | best graph / best baseline (test) |",
             "|---|---|---|---|---|---|---|"]
    for name in NAMES:
        runs = [r for r in done["runs"] if r["dataset"] == name and "verdicts" in r]
        if not runs:
            continue
        ratios, added, counts, graph = [], [], {"ahead": 0, "level": 0, "behind": 0}, []
        for r in runs:
            trained = _best(r["results"], lambda spec: spec.is_gnn, "valid_ndcg")
            closed = _best(r["results"], lambda spec: spec.is_filter, "valid_ndcg")
            if trained and closed:
                ratios.append(trained["valid_ndcg"] / closed["valid_ndcg"])
            gain = Gain.from_json(r["verdicts"]["training"]) if r["verdicts"].get("training") else None
            if gain is not None:
                added.append(gain.relative)
                counts[gain.verdict] += 1
            versus = Gain.from_json(r["verdicts"]["graph"]) if r["verdicts"].get("graph") else None
            if versus is not None:
                graph.append(1 + versus.relative)
        ahead = sum(ratio > 1 for ratio in ratios)
        lines.append(f"| {name} | {len(runs)} | {np.mean(ratios):.3f} ± {np.std(ratios):.3f} | "
                     f"{ahead} of {len(ratios)} | {np.mean(added):+.1%} ± {np.std(added):.1%} | "
                     f"{counts['ahead']} / {counts['level']} / {counts['behind']} | "
                     f"{np.mean(graph):.2f} ± {np.std(graph):.2f} |")
    return "\n".join(lines)


def detail(done: dict, name: str) -> str:
    """Every metric of one dataset, mean +/- std over the runs whose split seed is their model seed."""
    from gnnrec_core.fit.metrics import METRICS

    runs = [r for r in done["runs"] if r["dataset"] == name and _seeds(r)[0] == _seeds(r)[1]]
    lines = [f"| model ({len(runs)} seeds) | " + " | ".join(METRICS) + " | fit s (tuning included) |",
             "|---" * (len(METRICS) + 2) + "|"]
    for key in _keys(done):
        rows = [x for r in runs for x in r["results"] if x.get("key", x["model"]) == key]
        if not rows:
            continue
        cells = [f"{np.mean([x[m] for x in rows]):.4f} ± {np.std([x[m] for x in rows]):.4f}" for m in METRICS]
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {np.mean([x['train_seconds'] for x in rows]):.1f} |")
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
    done = json.loads(OUT.read_text()) if args.table else run(args.datasets, args.seeds, args.split_seed)
    print(table(done) + "\n\n" + verdict_table(done) + "\n\n" + blend_table(done))
