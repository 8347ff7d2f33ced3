"""Validation only: the randomised SVD's subspace iterations (graph_filter.POWER_ITERATIONS, 4) against
8, for GF-CF as its row serves it: its own search on a carve of the part, its choice fitted on the
part, scored on validation rows the search never saw. Seven datasets of the defaults table and the
1M-line log (50,000 products), seeds 0-2 (the 1M log: 0-1).

    python -m benchmarks.power_iterations [--names ml100k,retail,...] [--million] [--out FILE]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default=None)
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--iterations", default="4,8")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import gnnrec_core.models.graph_filter as graph_filter
    from benchmarks.datasets import validation_carves
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.models.gfcf import GFCF

    rows = []
    for name, seed, part, valid in validation_carves(args.names, args.million):
        for iterations in (int(i) for i in args.iterations.split(",")):
            graph_filter.POWER_ITERATIONS = iterations
            started = time.perf_counter()
            model = GFCF(seed=seed).fit(part)  # the row: its own search on a carve of `part`
            seconds = time.perf_counter() - started
            ndcg = evaluate(lambda users: model.filter_.score_history(part[users]), part, valid)["ndcg"]
            rows.append({"data": name, "seed": seed, "power_iterations": iterations, "valid_ndcg": round(ndcg, 4),
                         "chosen": model.tuning().chosen, "fit_seconds": round(seconds, 1)})
            print(rows[-1], flush=True)
    graph_filter.POWER_ITERATIONS = 4
    finish("benchmarks.power_iterations", {"rows": rows}, args.out, shown=rows[-2:])


if __name__ == "__main__":
    main()
