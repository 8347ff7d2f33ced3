"""A blended GNN's two table rows (alone, blended) scored in one pass or two (pipeline/benchmark.
scored_rows): LightGCN fitted for one epoch without a search on the 1M-line log's split, with the
blend the default run chose there (popularity x1), its test evaluation (69,564 users x 49,974
products) timed both ways in one process, alternating, two rounds; every user's nDCG@10 must be the
same both ways.

- `two passes`: the GNN alone, then the blend, each scored from its own product of the vectors;
- `one pass`: both from one product per batch (fit.metrics.evaluate_variants, as shipped).

    python -m benchmarks.gnn_rows_pass --out docs/results/gnn_rows_pass_1m.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.filters_scale import million_split
    from gnnrec_core.fit.metrics import evaluate_at, evaluate_variants
    from gnnrec_core.models.embedding import _log_counts
    from gnnrec_core.models.lightgcn import LightGCN

    data_split = million_split()
    train, test = data_split.train, data_split.test
    model = LightGCN(seed=0, blend=False, auto=False, epochs=1).fit(train)
    model.tuning_ = {"blend": {"filter": 0.0, "popularity": 1.0}}
    model.popularity_ = _log_counts(train)
    ways = {"two passes": lambda: [evaluate_at(scorer.score, train, test, (10,))
                                   for scorer in (model.without_blend(), model)],
            "one pass": lambda: evaluate_variants(model.alone_then_blended, 2, train, test, (10,))}
    rows, lists = [], {}
    for _ in range(2):
        for way, evaluate in ways.items():
            started = time.perf_counter()
            found = evaluate()
            seconds = round(time.perf_counter() - started, 2)
            lists.setdefault(way, [one.per_user[10]["ndcg"] for one in found])
            rows.append({"way": way, "evaluate_seconds": seconds,
                         "ndcg": [round(one.by_k[10]["ndcg"], 6) for one in found]})
            print(json.dumps(rows[-1]), flush=True)
    if any((a != b).any() for a, b in zip(lists["two passes"], lists["one pass"])):
        raise SystemExit("the two ways scored differently")
    mean = {way: float(np.mean([r["evaluate_seconds"] for r in rows if r["way"] == way])) for way in ways}
    finish("benchmarks.gnn_rows_pass", {"rows": rows,
                                        "one pass / two passes": round(mean["one pass"] / mean["two passes"], 3)},
           args.out)


if __name__ == "__main__":
    main()
