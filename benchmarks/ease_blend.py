"""The trained GNN blended with EASE instead of GF-CF: a probe (validation only).

EASE leads the best graph row on the retail logs (docs/benchmarks.md, "Why EASE stays ahead"):
what carries it is the inverse of the raw co-purchase graph, which no graph filter reproduces.
The trained GNN's blend takes GF-CF as its closed-form part. This asks whether the GNN adds
anything on top of EASE, i.e. whether a blend with EASE as its closed-form part beats EASE alone,
and whether a blend of the closed-form models alone (no training) does as well, which would say
the GNN adds nothing.

Honest selection: validation customers are split in two halves; weights chosen on one half (by
`fit.tuning.choose_blend`'s rule: kept only above one standard error of the per-user gain) are
scored on the other, then the halves swap, and the two scores are averaged. LightGCN with its
default budget and no blend of its own; GF-CF and EASE with their own validation choices.

    python -m benchmarks.ease_blend --seeds 0 1 2     # docs/results/ease_blend.json
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, run, seed_means
from gnnrec_core.fit.metrics import ranking_metrics, top_k
from gnnrec_core.fit.tuning import choose_blend, standardise
from gnnrec_core.models.ease import EASE
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "ease_blend.json"
# Each blend: (base, partner); the base takes weight 1, the partner and popularity the grid's.
BLENDS = {"gnn + gfcf": ("gnn", "gfcf"), "gnn + ease": ("gnn", "ease"), "ease + gfcf": ("ease", "gfcf"),
          "ease + gnn": ("ease", "gnn")}


def _ndcg(scores: np.ndarray, history, relevant) -> np.ndarray:
    return np.nan_to_num(ranking_metrics(top_k(scores, 10, history), relevant, 10)["ndcg"])


def _blend(components: dict[str, np.ndarray], base: str, partner: str, weights: dict[str, float]) -> np.ndarray:
    return (standardise(components[base]) + weights["filter"] * standardise(components[partner])
            + weights["popularity"] * standardise(components["popularity"]))


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    part, valid, users, rng = carved.part, carved.valid, carved.users, carved.rng
    history, relevant = carved.history, carved.relevant
    gnn = LightGCN(blend=False, seed=seed).fit(part, valid)
    components = {"gnn": gnn._gnn_scores(gnn.user_vectors_[users]),
                  "gfcf": GFCF(seed=seed).fit(part, valid).filter_.score_history(history),
                  "ease": EASE().fit(part).score_history(history),
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    half = rng.random(len(users)) < 0.5
    out: dict[str, list[float]] = {}
    for choose in (half, ~half):
        pick, rows = np.flatnonzero(choose), np.flatnonzero(~choose)
        for single in ("gnn", "gfcf", "ease"):
            out.setdefault(single, []).append(float(_ndcg(components[single][rows], history[rows],
                                                          relevant[rows]).mean()))
        for label, (base, partner) in BLENDS.items():
            chosen = {"gnn": components[base][pick], "filter": components[partner][pick],
                      "popularity": components["popularity"][pick]}
            weights = choose_blend(chosen, history[pick], relevant[pick]).weights
            sub = {k: v[rows] for k, v in components.items()}
            out.setdefault(label, []).append(float(_ndcg(_blend(sub, base, partner, weights), history[rows],
                                                         relevant[rows]).mean()))
            out.setdefault(f"{label} weights", []).append(weights["filter"])
    return seed_means(name, seed, out)


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    columns = ["gnn", "gfcf", "ease", *BLENDS]
    print("| dataset | " + " | ".join(columns) + " | gnn + ease / ease | gnn + ease / ease + gfcf |")
    print("|---|" + "---|" * (len(columns) + 2))
    for name, runs in results.items():
        mean = {k: statistics.mean(r[k] for r in runs.values()) for k in columns}
        cells = []
        for other in ("ease", "ease + gfcf"):
            ratios = [r["gnn + ease"] / r[other] for r in runs.values()]
            spread = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
            cells.append(f"{statistics.mean(ratios):.3f} ± {spread:.3f}")
        print(f"| {name} | " + " | ".join(f"{mean[c]:.4f}" for c in columns) + " | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
