"""Which graph filter a GNN's blend should use (validation only): GF-CF with its own validation
choice on the GNN's slice (the product since this measurement) against GraphFilter's fixed
settings (rank 64, alpha 0.3, 200 neighbours: the blend's filter before it).

For each dataset and seed (SplitConfig(seed=seed); the test split is never read) LightGCN is
fitted with a user's defaults. Its blend weights are chosen on its validation slice with GF-CF's
chosen filter, as the product does; on the same trained GNN and the same validation users the
weights are chosen again with the fixed GraphFilter in its place (models/embedding.py's
_choose_blend, run twice). Recorded: both blends' validation nDCG@10 and weights, GF-CF's choice.
Each figure is the best of its own weight grid on the slice, so both are a little optimistic alike.

    python -m benchmarks.blend_filter --seeds 0 1 2      # docs/results/blend_filter.json
    python -m benchmarks.blend_filter --table
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.tuning import blend_users, choose_blend
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models import LightGCN, embedding
from gnnrec_core.models.graph_filter import GraphFilter

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "blend_filter.json"


def fixed_filter_blend(model: Any, part: Any, valid: Any) -> dict[str, Any]:
    """The blend choice _choose_blend makes, with GraphFilter's fixed settings as the filter."""
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    most = blend_users(part.shape[1])
    if len(users) > most:
        users = np.sort(np.random.default_rng(model.config.seed).choice(users, most, replace=False))
    history = part[users]
    components = {"gnn": model._gnn_scores(model.user_vectors_[users]),
                  "filter": GraphFilter(seed=model.config.seed).fit(part).score_history(history),
                  "popularity": np.broadcast_to(embedding._log_counts(part), (len(users), part.shape[1]))}
    choice = choose_blend(components, history, valid[users])
    return {"blended": choice.blended, "alone": choice.alone, "weights": choice.weights}


def run(names: list[str], seeds: list[int], out: Path) -> dict:
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    product = embedding.EmbeddingScores._choose_blend
    seen: dict[str, Any] = {}

    def both(self: Any, module: Any, part: Any, valid: Any, part_filter: GraphFilter, *name: str) -> None:
        product(self, module, part, valid, part_filter, *name)  # stores the GNN's vectors over the part
        seen["fixed"] = fixed_filter_blend(self, part, valid)
        seen["chosen"] = {"rank": part_filter.rank, "alpha": part_filter.alpha,
                          "neighbours": part_filter.neighbours}

    walk_fit = embedding.RP3beta.fit

    def never_taken(self: Any, *args: Any, **kwargs: Any) -> Any:  # the probe measures GF-CF's blend alone
        fitted = walk_fit(self, *args, **kwargs)
        fitted.valid_ndcg_ = None  # read as no figure: the blend takes GF-CF (models/embedding.py)
        return fitted

    embedding.EmbeddingScores._choose_blend = both  # type: ignore[method-assign]
    embedding.RP3beta.fit = never_taken  # type: ignore[method-assign]
    try:
        for name in names:
            dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
            for seed in seeds:
                train = split(dataset.interactions, SplitConfig(seed=seed)).train
                tuning = LightGCN(seed=seed).fit(train).tuning_
                row = {"dataset": name, "seed": seed, "gfcf_chosen": seen["chosen"],
                       "gfcf": {"blended": tuning["blend_valid_ndcg"]["blended"],
                                "alone": tuning["blend_valid_ndcg"]["gnn_alone"], "weights": tuning["blend"]},
                       "fixed": seen["fixed"]}
                print(json.dumps(row), flush=True)
                done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"]) != (name, seed)] + [row]
                out.write_text(json.dumps(done, indent=1) + "\n")
    finally:
        embedding.EmbeddingScores._choose_blend = product  # type: ignore[method-assign]
        embedding.RP3beta.fit = walk_fit  # type: ignore[method-assign]
    return done


def table(done: dict) -> str:
    lines = ["| dataset | seeds | blend, fixed filter | blend, GF-CF's choice: difference | per seed | GF-CF chose |",
             "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["dataset"] for r in done["runs"]):
        runs = [r for r in done["runs"] if r["dataset"] == name]
        fixed = np.array([r["fixed"]["blended"] for r in runs])
        diff = np.array([r["gfcf"]["blended"] for r in runs]) - fixed
        chose = "; ".join(f"{r['gfcf_chosen']['rank']}/{r['gfcf_chosen']['alpha']}/"
                          f"{r['gfcf_chosen']['neighbours'] or 'all'}" for r in runs)
        lines.append(f"| {name} | {len(runs)} | {fixed.mean():.4f} ± {fixed.std():.4f} | {diff.mean():+.4f} ± "
                     f"{diff.std():.4f} | {' '.join(f'{d:+.4f}' for d in diff)} | {chose} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    done = json.loads(args.out.read_text()) if args.table else run(args.datasets, args.seeds, args.out)
    print(table(done))


if __name__ == "__main__":
    main()
