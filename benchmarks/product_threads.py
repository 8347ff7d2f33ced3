"""The filters' item-item products a block per core or one block at a time (models/graph_filter.
pruned_product, PRODUCT_THREADS): each filter's fit (its validation search included) on the 1M-line
log's split, both ways, alternating, in one process; the fitted models must score alike to the bit.

    python -m benchmarks.product_threads --out docs/results/product_threads_1m.json
    python -m benchmarks.product_threads --interactions 100000 --rounds 1     # a quick look
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.filters_scale import FILTERS
from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.filters_scale import log_path
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, split
    from gnnrec_core.models import MODELS, graph_filter

    train = split(prepare(ingest(log_path(args.interactions, 50_000, 0))).interactions, SplitConfig(seed=0)).train
    users = np.arange(min(2_000, train.shape[0]))
    cores = graph_filter.PRODUCT_THREADS
    rows, scores = [], {}
    for _ in range(args.rounds):
        for name in FILTERS:
            for threads in (1, cores):
                graph_filter.PRODUCT_THREADS = threads
                started = time.perf_counter()
                model = MODELS[name](seed=0).fit(train)
                seconds = round(time.perf_counter() - started, 2)
                rows.append({"filter": name, "threads": threads, "fit_seconds": seconds})
                print(json.dumps(rows[-1]), flush=True)
                scored = np.asarray(model.score(users), np.float32)
                if not np.array_equal(scores.setdefault(name, scored), scored):
                    raise SystemExit(f"{name}: the two ways scored differently")
    graph_filter.PRODUCT_THREADS = cores

    def mean(name: str, threads: int) -> float:
        return float(np.mean([r["fit_seconds"] for r in rows if r["filter"] == name and r["threads"] == threads]))
    ratios = {name: round(mean(name, cores) / mean(name, 1), 3) for name in FILTERS}
    total = round(sum(mean(n, cores) for n in FILTERS) / sum(mean(n, 1) for n in FILTERS), 3)
    finish("benchmarks.product_threads", {"rows": rows, "threaded / one block at a time": ratios,
                                          "the three fits together": total}, args.out)


if __name__ == "__main__":
    main()
