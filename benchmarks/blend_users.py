"""How many validation users the GNN's blend weights need on a wide catalogue (fit/tuning.blend_users).

LightGCN fitted once with its defaults (inside one `sharing()` where GF-CF's search is done first,
as in a `benchmark` run). Then its blend weights are chosen again by the product's rule
(`fit.tuning.choose_blend_in_batches`) on several seeded samples of each size from its validation
users (the filters' sample of at most 5,000, the one the fit validated on), and each choice is
scored on the test split (read only to score the choices, never to make them). A rule that needs
more users shows as weights that change from sample to sample and test figures that spread.

    python -m benchmarks.blend_users gowalla --out docs/results/blend_users_gowalla.json
    python -m benchmarks.blend_users 1m --out docs/results/blend_users_1m.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.budget_use import data
from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=("gowalla", "1m"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 4000])
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from gnnrec_core.fit.metrics import evaluate_variants
    from gnnrec_core.fit.tuning import blend_batch, choose_blend_in_batches
    from gnnrec_core.matrix.interactions import carve_validation, validation_sample
    from gnnrec_core.models.embedding import _log_counts
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.lightgcn import LightGCN
    from gnnrec_core.models.shared_parts import sharing

    data_split = data(args.data)
    train, test = data_split.train, data_split.test
    with sharing():
        GFCF(seed=0).fit(train)
        model = LightGCN(seed=0).fit(train)
        part, valid = carve_validation(train, 0.1, seed=0)  # the fit's own carve and sample
        valid = validation_sample(valid, 0)
        part_filter = GFCF(seed=0).fit(part, valid).filter_
        train_filter = part_filter.settings_copy().fit(train)
    fitted = model.tuning()
    assert fitted is not None
    model.filter_ = model.popularity_ = None
    model._use_graph(part)  # the vectors propagated over the part, as the fit's blend saw them
    popularity = _log_counts(part)

    def components(batch: np.ndarray) -> dict[str, np.ndarray]:
        return {"gnn": model._gnn_scores(model.user_vectors_[batch]),
                "filter": part_filter.score_history(part[batch]),
                "popularity": np.broadcast_to(popularity, (len(batch), part.shape[1]))}

    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    choices: list[dict[str, Any]] = []
    for size in args.sizes:
        for sample in range(args.samples):
            chosen = np.sort(np.random.default_rng(100 + sample).choice(users, min(size, len(users)), replace=False))
            started = time.perf_counter()
            choice = choose_blend_in_batches(components, chosen, part, valid, blend_batch(part.shape[1]))
            choices.append({"users": len(chosen), "sample": sample, "weights": choice.weights,
                            "valid_ndcg": round(choice.blended, 5), "seconds": round(time.perf_counter() - started, 1)})
            print(choices[-1], flush=True)
    model._use_graph(train)  # back to the train graph the test is scored from
    model.filter_, model.popularity_ = train_filter, _log_counts(train)
    tested: dict[str, float] = {}
    for row in choices:
        key = f"filter x{row['weights']['filter']:g} + popularity x{row['weights']['popularity']:g}"
        if key not in tested:
            model.tuning_ = {**model.tuning_, "blend": row["weights"]}
            found = evaluate_variants(model.alone_then_blended, 2, train, test, (20,))
            tested[key] = round(found[1].by_k[20]["ndcg"], 5)
            tested.setdefault("gnn alone", round(found[0].by_k[20]["ndcg"], 5))
            print(key, tested[key], flush=True)
        row["test_ndcg@20"] = tested[key]
    summary = {}
    for size in args.sizes:
        figures = [row["test_ndcg@20"] for row in choices if row["users"] == min(size, len(users))]
        summary[str(size)] = {"test_ndcg@20_mean": round(float(np.mean(figures)), 5),
                              "test_ndcg@20_std": round(float(np.std(figures)), 5),
                              "distinct_weights": len({str(r["weights"]) for r in choices
                                                       if r["users"] == min(size, len(users))})}
    finish("benchmarks.blend_users", {"data": args.data, "fit_blend": fitted.blend, "choices": choices,
                                      "tested": tested, "by_size": summary}, args.out)


if __name__ == "__main__":
    main()
