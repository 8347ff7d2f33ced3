"""Full ranking (fit/metrics.py): a test evaluation on the 1M-line log's split (69,564 test users
x 49,974 products), popularity's and GF-CF's scores ranked four ways in one process, the same
per-user nDCG@10 required of each:

- `argpartition`: numpy's argpartition over every row, as before _top_k_by_blocks (the blocked
  path switched off by a block wider than the catalogue);
- `blocks`: as shipped where torch is not loaded (the k+1 best blocks' cells partitioned);
- `torch`: torch.topk over every row, what a process that had loaded torch (a GNN's) used before
  the blocked path on torch (switched off the same way);
- `torch blocks`: as shipped where torch is loaded (the k+1 best blocks' cells, by torch.topk).

    python -m benchmarks.ranking_speed --out docs/results/ranking_speed_1m.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.result_file import finish

WAYS = ("argpartition", "blocks", "torch", "torch blocks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.filters_scale import log_path
    from gnnrec_core import ingest, prepare
    from gnnrec_core.fit import metrics
    from gnnrec_core.matrix.interactions import SplitConfig, split
    from gnnrec_core.models import MODELS

    assert "torch" not in sys.modules, "the numpy ways must run before torch is loaded"
    data_split = split(prepare(ingest(log_path(args.interactions, 50_000, 0))).interactions, SplitConfig(seed=0))
    models = {"pop": MODELS["pop"]().fit(data_split.train),
              "gfcf": MODELS["gfcf"](rank=256, alpha=1.0, neighbours=200).fit(data_split.train)}
    block = metrics.TOP_K_BLOCK
    rows, lists = [], {}
    for way in WAYS:
        if way == "torch":
            import torch  # noqa: F401  (top_k ranks with torch.topk once it is loaded)
        metrics.TOP_K_BLOCK = 10**9 if way in ("argpartition", "torch") else block
        for name, model in models.items():
            started = time.perf_counter()
            found = metrics.evaluate_at(model.score, data_split.train, data_split.test, (10,))
            seconds = round(time.perf_counter() - started, 2)
            lists.setdefault(name, {})[way] = found.per_user[10]["ndcg"]
            rows.append({"model": name, "way": way, "evaluate_seconds": seconds,
                         "ndcg": round(found.by_k[10]["ndcg"], 5)})
            print(json.dumps(rows[-1]), flush=True)
    for name, by_way in lists.items():
        first = by_way[WAYS[0]]
        if any((values != first).any() for values in by_way.values()):
            raise SystemExit(f"{name}: the ways ranked differently")
    seconds = {(r["model"], r["way"]): r["evaluate_seconds"] for r in rows}
    ratios = {f"{name}: {way} / argpartition": round(seconds[name, way] / seconds[name, "argpartition"], 3)
              for name in models for way in WAYS[1:]}
    finish("benchmarks.ranking_speed", {"test_users": int((data_split.test.getnnz(axis=1) > 0).sum()),
                                        "items": data_split.train.shape[1], "rows": rows, "ratios": ratios},
           args.out, shown=ratios)


if __name__ == "__main__":
    main()
