"""Would the trained GNN earn its place back over the random-walk filter by blending with it?
(validation only; a probe, nothing in the product uses it)

With RP3beta among the filters, training adds nothing on the retail slice and its sparse third:
the random walk ranks better than the trained row there (docs/benchmarks.md, "Defaults on seven
datasets"). The product's blend adds GF-CF to the GNN; this blends LightGCN with RP3beta instead and
sets it against RP3beta alone.

Honest selection (`validation_probe.halves`): the validation customers are halved; on one half the
blend's weights are chosen by the product's rule (`fit.tuning.choose_blend`), and scored on the
other, then the halves swap. LightGCN with its default budget and no blend of its own; GF-CF and
RP3beta each with its own validation choices on the same carve (so both lean optimistic against
the GNN, as in the product).

    python -m benchmarks.blend_walk --seeds 0 1 2 --datasets retail retail-sparse baskets-as-customers
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.validation_probe import carve, halves, print_ratio_table, run, seed_means
from gnnrec_core.models.embedding import _log_counts
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.models.rp3beta import RP3beta

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "blend_walk.json"
FILTERS = ("gfcf", "rp3beta")
BLENDS = {f"gnn + {name}": ("gnn", name) for name in FILTERS}


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    part, valid, users = carved.part, carved.valid, carved.users
    gnn = LightGCN(blend=False, seed=seed).fit(part, valid)
    models = {"gfcf": GFCF(seed=seed), "rp3beta": RP3beta(seed=seed)}
    components = {"gnn": gnn._gnn_scores(gnn.user_vectors_[users]),
                  **{key: model.fit(part, valid).score_history(carved.history) for key, model in models.items()},
                  "popularity": np.broadcast_to(_log_counts(part), (len(users), part.shape[1]))}
    return seed_means(name, seed, halves(carved, components, ("gnn", *FILTERS), BLENDS))


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print_ratio_table(results, ["gnn", *FILTERS, *BLENDS], {
        "gnn + gfcf / rp3beta": ("gnn + gfcf", "rp3beta"),
        "gnn + rp3beta / rp3beta": ("gnn + rp3beta", "rp3beta")})


if __name__ == "__main__":
    main()
