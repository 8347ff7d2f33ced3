"""A GNN with LightGCN's search, or with its fixed defaults (validation only).

LightGCN chooses its settings by successive halving (`fit.tuning.successive_halving`: eight
configurations, a first rung of 5 epochs, the best third 10 more, the winner trained on); the
feature GCN, the trained row that earns most in the defaults table, has never searched and trains
its defaults (temperature 0.2, 2 layers, 128 dimensions, lr 0.01, item bias). Does the search help
either, inside the same 90 s budget?

A search chooses on validation, so its own validation figure is the best of several and flatters
it. Here each fit chooses on a carve of its own (the model's `auto` carve of what it is given) and
is scored on customers it never saw: the dataset's split, its train part carved once more
(`validation_probe.carve`, 10%), the model fitted on the rest and scored on that outer slice (the
test split never read). No blend, so the figure is the GNN's alone; the budget and epochs are a
user's defaults.

    python -m benchmarks.gnn_search --model gcn --seeds 0 1 2 --out docs/results/feature_gcn_search.json
    python -m benchmarks.gnn_search --model lightgcn --seeds 0 1 2 --out docs/results/lightgcn_search.json
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.validation_probe import carve, ndcg, print_ratio_table, run
from gnnrec_core.models.feature_gcn import FeatureGCN
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "feature_gcn_search.json"
VARIANTS = ("defaults", "search")


def measure(name: str, seed: int, model: str = "gcn") -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    found: dict[str, float] = {}
    for variant in VARIANTS:
        started = time.perf_counter()
        fitted = FeatureGCN(item_features=carved.features, blend=False, seed=seed) if model == "gcn" else \
            LightGCN(blend=False, seed=seed)
        fitted.searches = variant == "search"
        fitted.fit(carved.part)
        seconds = time.perf_counter() - started
        tuning = fitted.tuning()
        assert tuning is not None
        found |= {variant: float(ndcg(fitted.score(carved.users), carved.history, carved.relevant).mean()),
                  f"{variant}: own validation": float(tuning.valid_ndcg or 0.0),
                  f"{variant}: candidates": float(tuning.candidates),
                  f"{variant}: epochs": float(tuning.epochs or 0),
                  f"{variant}: stopped by the budget": float(tuning.stopped == "deadline"),
                  f"{variant}: chose the defaults": float(tuning.chosen == _defaults(model)),
                  f"{variant}: seconds": seconds}
    print(name, seed, {k: round(v, 4) for k, v in found.items()}, flush=True)
    return found


def _defaults(model: str) -> dict:
    """The settings a search starts from (its pool's first), as the model's config holds them."""
    from gnnrec_core.fit.tuning import SEARCH_SPACE

    config = (FeatureGCN() if model == "gcn" else LightGCN()).config
    return {k: getattr(config, k) for k in SEARCH_SPACE}


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT,
                  options=(("--model", {"choices": ("gcn", "lightgcn"), "default": "gcn"}),))
    print_ratio_table(results, ["defaults", "search", "defaults: seconds", "search: seconds", "search: candidates"],
                      {"search / defaults": ("search", "defaults")})


if __name__ == "__main__":
    main()
