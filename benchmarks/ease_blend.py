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

from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, halves, print_ratio_table, run, seed_means
from gnnrec_core.models.ease import EASE
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "ease_blend.json"
# Each blend: (base, partner); the base takes weight 1, the partner and popularity the grid's.
BLENDS = {"gnn + gfcf": ("gnn", "gfcf"), "gnn + ease": ("gnn", "ease"), "ease + gfcf": ("ease", "gfcf"),
          "ease + gnn": ("ease", "gnn")}


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    part, valid, users = carved.part, carved.valid, carved.users
    gnn = LightGCN(blend=False, seed=seed).fit(part, valid)
    components = {"gnn": gnn._gnn_scores(gnn.user_vectors_[users]),
                  "gfcf": GFCF(seed=seed).fit(part, valid).filter_.score_history(carved.history),
                  "ease": EASE().fit(part).score_history(carved.history),
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    return seed_means(name, seed, halves(carved, components, ("gnn", "gfcf", "ease"), BLENDS))


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print_ratio_table(results, ["gnn", "gfcf", "ease", *BLENDS], {
        "gnn + ease / ease": ("gnn + ease", "ease"), "gnn + ease / ease + gfcf": ("gnn + ease", "ease + gfcf")})


if __name__ == "__main__":
    main()
