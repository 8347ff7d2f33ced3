"""Blend weights chosen per customer activity: a probe (validation only, not adopted unless it helps).

The trained GNN alone underserves the heaviest customers on several logs (docs/benchmarks.md,
"Products with few buyers"); its blend with the graph filter and popularity is chosen on all
validation customers at once, where the heavy ones are a tenth. This asks whether weights chosen
separately for the heaviest 10% (by products in the train part) and the rest do better. Honest
selection: validation customers are split in two halves; weights chosen on one half are scored on
the other, then the halves swap, and the two scores are averaged. LightGCN with a 30 s budget and
no blend of its own (shortened, labelled as such); the blend's parts as the product builds them.

    python -m benchmarks.activity_blend --seeds 0 1 2     # docs/results/activity_blend.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import ranking_metrics, top_k
from gnnrec_core.fit.tuning import choose_blend, standardise
from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "activity_blend.json"
MAX_USERS = 4000


def _ndcg(components: dict[str, np.ndarray], weights: dict[str, float], history, relevant) -> np.ndarray:
    scores = standardise(components["gnn"]) + weights["filter"] * standardise(components["filter"]) \
        + weights["popularity"] * standardise(components["popularity"])
    return np.nan_to_num(ranking_metrics(top_k(scores, 10, history), relevant, 10)["ndcg"])


def measure(name: str, seed: int) -> dict[str, float]:
    data = prepare(ingest(str(path(name)), **OPTIONS.get(name, {})))
    train = split(data.interactions, SplitConfig(seed=seed)).train
    part, valid = carve_validation(train, 0.1, seed=seed + 101)
    model = LightGCN(time_budget=30.0, blend=False, seed=seed).fit(part, valid)
    rng = np.random.default_rng(seed)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) > MAX_USERS:
        users = np.sort(rng.choice(users, MAX_USERS, replace=False))
    history, relevant = part[users], valid[users]
    components = {"gnn": model._gnn_scores(model.user_vectors_[users]),
                  "filter": GFCF(seed=seed).fit(part, valid).filter_.score_history(history),
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    length = np.diff(history.indptr)
    heavy = length >= np.quantile(length, 0.9)
    half = rng.random(len(users)) < 0.5
    out = {"alone": [], "global": [], "by_activity": [], "heavy_global": [], "heavy_by_activity": []}
    for choose in (half, ~half):
        score = ~choose

        def pick(mask: np.ndarray) -> dict[str, float]:
            rows = np.flatnonzero(mask)
            return choose_blend({k: v[rows] for k, v in components.items()}, history[rows], relevant[rows]).weights

        rows = np.flatnonzero(score)
        sub = {k: v[rows] for k, v in components.items()}
        none = {"filter": 0.0, "popularity": 0.0}
        alone = _ndcg(sub, none, history[rows], relevant[rows])
        glob = _ndcg(sub, pick(choose), history[rows], relevant[rows])
        by = alone.copy()
        for group in (heavy, ~heavy):
            weights = pick(choose & group)
            inside = group[rows]
            by[inside] = _ndcg({k: v[inside] for k, v in sub.items()}, weights, history[rows][inside],
                               relevant[rows][inside])
        out["alone"].append(alone.mean())
        out["global"].append(glob.mean())
        out["by_activity"].append(by.mean())
        out["heavy_global"].append(glob[heavy[rows]].mean())
        out["heavy_by_activity"].append(by[heavy[rows]].mean())
    found = {k: float(np.mean(v)) for k, v in out.items()}
    print(name, seed, json.dumps({k: round(v, 4) for k, v in found.items()}), flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(NAMES))
    args = parser.parse_args()
    results = {name: {str(seed): measure(name, seed) for seed in args.seeds} for name in args.datasets}
    OUT.write_text(json.dumps(results, indent=1))
    print("| dataset | alone | global blend | blend by activity | by activity / global | heavy 10%: global "
          "| by activity |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        mean = {k: statistics.mean(r[k] for r in runs.values()) for k in next(iter(runs.values()))}
        ratios = [r["by_activity"] / r["global"] for r in runs.values()]
        spread = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
        print(f"| {name} | {mean['alone']:.4f} | {mean['global']:.4f} | {mean['by_activity']:.4f} | "
              f"{statistics.mean(ratios):.3f} ± {spread:.3f} | {mean['heavy_global']:.4f} | "
              f"{mean['heavy_by_activity']:.4f} |")


if __name__ == "__main__":
    main()
