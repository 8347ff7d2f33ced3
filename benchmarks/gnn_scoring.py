"""A trained embedding model's test scoring with the temperature folded into the user vectors
(models/embedding.EmbeddingScores._gnn_scores): LightGCN fitted for one epoch without a search on
the 1M-line log's split, its test evaluation (69,564 users x 49,974 products) timed both ways in one
process, alternating, two rounds; the nDCG@10 must be the same.

- `unfolded`: cosine @ items^T, then / temperature and + item bias, each a pass over n x items;
- `folded`: (cosine / temperature) @ items^T, then += item bias in place (as shipped).

    python -m benchmarks.gnn_scoring --out docs/results/gnn_scoring_1m.json
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
    from gnnrec_core.fit.metrics import evaluate_at
    from gnnrec_core.models.lightgcn import LightGCN

    data_split = million_split()
    model = LightGCN(seed=0, blend=False, auto=False, epochs=1).fit(data_split.train)

    def unfolded(users: np.ndarray) -> np.ndarray:
        vectors = model.user_vectors_[users]
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        scores: np.ndarray = unit @ model.item_vectors_.T / model.config.temperature + model.item_bias_
        return scores

    rows = []
    for _ in range(2):
        for way, score in (("unfolded", unfolded), ("folded", model.score)):
            started = time.perf_counter()
            found = evaluate_at(score, data_split.train, data_split.test, (10,))
            rows.append({"way": way, "evaluate_seconds": round(time.perf_counter() - started, 2),
                         "ndcg": round(found.by_k[10]["ndcg"], 6)})
            print(json.dumps(rows[-1]), flush=True)
    if len({r["ndcg"] for r in rows}) != 1:
        raise SystemExit("the two ways scored differently")
    mean = {way: float(np.mean([r["evaluate_seconds"] for r in rows if r["way"] == way]))
            for way in ("unfolded", "folded")}
    finish("benchmarks.gnn_scoring", {"rows": rows, "folded / unfolded": round(mean["folded"] / mean["unfolded"], 3)},
           args.out)


if __name__ == "__main__":
    main()
