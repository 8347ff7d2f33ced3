"""Is it training or the popularity prior? A control for "what training added" (validation only).

The trained GNN's blend is the GNN plus the graph filter (GF-CF) and a log-popularity prior, each
weighted on validation; the verdict sets it against the best filter alone. Part of a blend's lead
could be the popularity prior, which needs no training. The control is GF-CF plus popularity by
the same rule (`fit.tuning.choose_blend`, with GF-CF in the GNN's place): where it scores as the
trained blend does, the popularity prior, not training, carries the lead.

Honest selection, as in ease_blend: validation customers are halved, weights are chosen on one
half and scored on the other, then the halves swap and the two scores are averaged. LightGCN (the
default model) and the feature GCN, each with its default budget and no blend of its own; GF-CF
with its own validation choice.

    python -m benchmarks.popularity_control --seeds 0 1 2     # docs/results/popularity_control.json
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, halves, print_ratio_table, run, seed_means
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.feature_gcn import FeatureGCN
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "popularity_control.json"
# Each blend: its base (weight 1) and the part the rule's "filter" weight goes to; popularity always.
# The control's "filter" part is GF-CF again: its weight only rescales GF-CF against popularity.
BLENDS = {"gnn + gfcf + pop": ("gnn", "gfcf"), "gcn + gfcf + pop": ("gcn", "gfcf"), "gfcf + pop": ("gfcf", "gfcf")}


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    part, valid, users = carved.part, carved.valid, carved.users
    gnn = LightGCN(blend=False, seed=seed).fit(part, valid)
    gcn = FeatureGCN(item_features=carved.features, blend=False, seed=seed).fit(part, valid)
    components = {"gnn": gnn._gnn_scores(gnn.user_vectors_[users]), "gcn": gcn._gnn_scores(gcn.user_vectors_[users]),
                  "gfcf": GFCF(seed=seed).fit(part, valid).filter_.score_history(carved.history),
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    return seed_means(name, seed, halves(carved, components, ("gnn", "gcn", "gfcf"), BLENDS))


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print_ratio_table(results, ["gnn", "gcn", "gfcf", *BLENDS], {
        "LightGCN's blend / gfcf + pop": ("gnn + gfcf + pop", "gfcf + pop"),
        "the feature GCN's blend / gfcf + pop": ("gcn + gfcf + pop", "gfcf + pop")})


if __name__ == "__main__":
    main()
