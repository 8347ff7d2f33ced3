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

import statistics
from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, ratio_cell, run, seed_means
from gnnrec_core.fit.metrics import ranking_metrics, top_k
from gnnrec_core.fit.tuning import choose_blend, standardise
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "activity_blend.json"


def _ndcg(components: dict[str, np.ndarray], weights: dict[str, float], history, relevant) -> np.ndarray:
    scores = standardise(components["gnn"]) + weights["filter"] * standardise(components["filter"]) \
        + weights["popularity"] * standardise(components["popularity"])
    return np.nan_to_num(ranking_metrics(top_k(scores, 10, history), relevant, 10)["ndcg"])


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed + 101)
    part, valid, users, rng = carved.part, carved.valid, carved.users, carved.rng
    history, relevant = carved.history, carved.relevant
    model = LightGCN(time_budget=30.0, blend=False, seed=seed).fit(part, valid)
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
    return seed_means(name, seed, out)


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print("| dataset | alone | global blend | blend by activity | by activity / global | heavy 10%: global "
          "| by activity |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        mean = {k: statistics.mean(r[k] for r in runs.values()) for k in next(iter(runs.values()))}
        print(f"| {name} | {mean['alone']:.4f} | {mean['global']:.4f} | {mean['by_activity']:.4f} | "
              f"{ratio_cell(runs.values(), 'by_activity', 'global')} | {mean['heavy_global']:.4f} | "
              f"{mean['heavy_by_activity']:.4f} |")


if __name__ == "__main__":
    main()
