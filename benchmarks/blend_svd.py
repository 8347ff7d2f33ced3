"""What a GNN's blend spends on its graph filter before training, inside a run, once GF-CF's row
has searched: the chosen filter fitted again on the train part, a second SVD at the chosen rank
(before), or cut from the filter GF-CF's search fitted at the largest rank (shipped:
GFCF._cut_from_search), alternating in one process.

    python -m benchmarks.blend_svd [--lines 1000000] [--products 50000] [--rounds 2] [--out FILE]

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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.filters_scale import log_path
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.shared_parts import forget_shared, sharing

    train = split(prepare(ingest(log_path(args.lines, args.products, 0))).interactions, SplitConfig(seed=0)).train
    part, valid = carve_validation(train, 0.1, seed=0)  # the GNN's carve (models/embedding.py)
    shipped = GFCF._cut_from_search

    def fitted_again(self: GFCF, ranks: tuple[int, ...], kept: tuple[int, ...], searched: object) -> None:
        self.filter_.fit(self.train_)  # the code before: the chosen rank's own SVD

    rows = []
    for _ in range(args.rounds):
        for way, cut in (("fitted again", fitted_again), ("cut from the search's", shipped)):
            with sharing():
                GFCF(seed=0).fit(train)  # the GF-CF row, first in a run: its search on this carve
                GFCF._cut_from_search = cut  # type: ignore[method-assign]
                started = time.perf_counter()
                GFCF(seed=0).fit(part, valid)  # the blend's (models/embedding.py)
                rows.append({"way": way, "seconds": round(time.perf_counter() - started, 2)})
                GFCF._cut_from_search = shipped  # type: ignore[method-assign]
                forget_shared()
            print(rows[-1], flush=True)
    before = [r["seconds"] for r in rows if r["way"] == "fitted again"]
    cut_seconds = [r["seconds"] for r in rows if r["way"] != "fitted again"]
    finish("benchmarks.blend_svd", {"lines": args.lines, "products": args.products, "part": list(part.shape),
                                    "rounds": rows, "ratio": round(sum(cut_seconds) / sum(before), 3)}, args.out)


if __name__ == "__main__":
    main()
