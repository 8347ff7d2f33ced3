"""What naming each recommendation's linked purchase costs the export (serving/purchase_links.py):
every customer of the 1M-line log's train split (135,587 x 49,974 products), in the export's
batches, GF-CF with its defaults and LightGCN after one epoch (no search, no blend). Per batch:
the scoring and top-10 the export did before (`rank`), then `linked_purchases` on that list; the
ratio is links / scoring, both in one process on the same batches.

    python -m benchmarks.export_links --out docs/results/export_links_1m.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.result_file import finish


def timed(model, train) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from gnnrec_core.fit.metrics import users_per_batch
    from gnnrec_core.serving.merchandising import rank
    from gnnrec_core.serving.purchase_links import linked_purchases

    batch = users_per_batch(model.n_items)
    scoring = links = 0.0
    linked = 0
    for start in range(0, model.n_users, batch):
        users = np.arange(start, min(start + batch, model.n_users))
        began = time.perf_counter()
        history = train[users]
        items, _ = rank(model.score(users), 10, history, None)
        middle = time.perf_counter()
        found = linked_purchases(model, history, items)
        links += time.perf_counter() - middle
        scoring += middle - began
        linked += int((found.purchase >= 0).sum())
    return {"scoring_seconds": round(scoring, 1), "links_seconds": round(links, 1),
            "links / scoring": round(links / scoring, 3), "rows_linked": linked, "customers": model.n_users}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.filters_scale import million_split
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.lightgcn import LightGCN

    train = million_split().train
    rows = {}
    for name, model in (("gfcf", GFCF(seed=0)), ("lightgcn, 1 epoch", LightGCN(seed=0, blend=False, auto=False,
                                                                               epochs=1))):
        model.fit(train)
        rows[name] = timed(model, model.train_)
        print(name, rows[name], flush=True)
    finish("benchmarks.export_links", {"models": rows}, args.out)


if __name__ == "__main__":
    main()
