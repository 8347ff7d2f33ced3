"""Which filter a GNN's blend should take (validation only): GF-CF, as the product does, or the
filter validation ranks best among GF-CF, BSPM and Turbo-CF.

What training added is read against the best closed-form filter. Where that is BSPM or Turbo-CF,
a blend built on GF-CF starts below the reference (on the invoices and MovieLens-100k, BSPM leads
GF-CF by 2-3%). This asks whether blending the trained GNN with the best filter instead puts the
trained row ahead of that filter.

Honest selection (`validation_probe.halves`): the validation customers are halved; on one half the
filter is chosen (best nDCG@10 alone) and the blend's weights by the product's rule; both are scored
on the other half, then the halves swap. LightGCN with its default budget and no blend of its own;
each filter with its own validation choices on the same carve.

    python -m benchmarks.blend_best_filter --seeds 0 1 2     # docs/results/blend_best_filter.json
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, halves, print_ratio_table, run, seed_means
from gnnrec_core.models.bspm import BSPM
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.models.turbocf import TurboCF

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "blend_best_filter.json"
FILTERS = ("gfcf", "bspm", "turbocf")
BLENDS = {f"gnn + {name}": ("gnn", name) for name in FILTERS}


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    part, valid, users = carved.part, carved.valid, carved.users
    gnn = LightGCN(blend=False, seed=seed).fit(part, valid)
    models = {"gfcf": GFCF(seed=seed), "bspm": BSPM(seed=seed), "turbocf": TurboCF(seed=seed)}
    components = {"gnn": gnn._gnn_scores(gnn.user_vectors_[users]),
                  **{key: model.fit(part, valid).score_history(carved.history) for key, model in models.items()},
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    figures = halves(carved, components, ("gnn", *FILTERS), BLENDS)
    # Entry 0 is scored on the half whose choices were made on the other (entry 1's customers), and so on.
    for scored, chosen_on in ((0, 1), (1, 0)):
        best = max(FILTERS, key=lambda f: figures[f][chosen_on])
        figures.setdefault("best filter", []).append(figures[best][scored])
        figures.setdefault("gnn + best filter", []).append(figures[f"gnn + {best}"][scored])
        figures.setdefault("best filter is gfcf", []).append(float(best == "gfcf"))
    return seed_means(name, seed, figures)


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print_ratio_table(results, ["gnn", *FILTERS, "best filter", *BLENDS, "gnn + best filter"], {
        "gnn + gfcf / best filter": ("gnn + gfcf", "best filter"),
        "gnn + best filter / best filter": ("gnn + best filter", "best filter")})


if __name__ == "__main__":
    main()
