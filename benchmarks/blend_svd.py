"""What a GNN's fit spends before its first epoch, inside a run, once GF-CF's row has searched:
the blend's graph filter and LightGCN's spectral start, each from its own SVD (before) or cut from
the SVD GF-CF's search already took on the same train part (shipped: GFCF._cut_from_search,
LightGCN._svd), alternating in one process.

    python -m benchmarks.blend_svd [--lines 1000000] [--products 50000] [--rounds 1] [--out FILE]

The log: gnnrec_core.data.synthetic's (`benchmarks.filters_scale`'s 1M-line, 50,000-product log by
default), its default split's train part, the GNN's own validation carve of it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from sklearn.utils.extmath import randomized_svd

    from benchmarks.filters_scale import log_path
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.graph_filter import GraphFilter, normalise
    from gnnrec_core.models.lightgcn import LightGCN
    from gnnrec_core.models.shared_parts import sharing

    train = split(prepare(ingest(log_path(args.lines, args.products, 0))).interactions, SplitConfig(seed=0)).train
    part, valid = carve_validation(train, 0.1, seed=0)  # the GNN's carve (models/embedding.py)
    rows = []
    with sharing():
        GFCF(seed=0).fit(train)  # the GF-CF row, first in a run: its search on this carve
        for _ in range(args.rounds):
            for way in ("own SVDs", "cut from GF-CF's"):
                started = time.perf_counter()
                if way == "own SVDs":  # the chosen rank's filter fitted again, and sklearn's SVD for the start
                    chosen = GFCF(seed=0).fit(part, valid)
                    GraphFilter(chosen.rank_, chosen.alpha_, chosen.neighbours_ or None, 0).fit(part)
                    normalised, _ = normalise(part, 0.5)
                    randomized_svd(normalised, 128, n_iter=4, random_state=0)
                else:
                    GFCF(seed=0).fit(part, valid)
                    LightGCN(seed=0)._spectral(part, 128)
                rows.append({"way": way, "seconds": round(time.perf_counter() - started, 2)})
                print(rows[-1], flush=True)
    own = [r["seconds"] for r in rows if r["way"] == "own SVDs"]
    cut = [r["seconds"] for r in rows if r["way"] != "own SVDs"]
    finish("benchmarks.blend_svd", {"lines": args.lines, "products": args.products, "part": list(part.shape),
                                    "rounds": rows, "ratio": round(sum(cut) / sum(own), 3)}, args.out)


if __name__ == "__main__":
    main()
