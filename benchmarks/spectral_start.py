"""Where LightGCN's spectral start ranks before any training, against the graph filter (validation only).

LightGCN(init="spectral") starts from [U_k S^1/2; V_k S^1/2] of the degree-normalised interactions:
an ideal low-pass filter of rank k (models/lightgcn.py). This scores that start, untrained, on a 10%
validation slice carved from Gowalla's published train split (benchmarks/published_split.py writes
its CSV; the test split is never read), 5,000 sampled validation users, nDCG@20: by the dot
product (the filter's own scoring) and by the cosine the softmax loss scores with, at each
dimension the search tries, with 0 and 2 layers of propagation; beside it GF-CF with its
defaults (the linear item-item filter plus the low-pass part) on the same slice.

    python -m benchmarks.spectral_start --out docs/results/spectral_start.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from benchmarks.published_split import gowalla_carve
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    carve = gowalla_carve(parser)
    part = carve.part

    def ndcg(score) -> float:
        return round(float(carve.evaluate(score)["ndcg"]), 4)

    started = time.perf_counter()
    graph_filter = GFCF(seed=0).fit(part)
    rows = [{"model": "gfcf (defaults)", "valid_ndcg20": ndcg(graph_filter.score),
             "seconds": round(time.perf_counter() - started, 1)}]
    print(rows[-1], flush=True)
    model = LightGCN(seed=0)
    model.device_ = torch.device("cpu")
    for dim in (64, 128, 256):
        for layers in (0, 2):
            with torch.no_grad():
                user_vectors, item_vectors = (t.numpy() for t in model._build({"dim": dim, "layers": layers}, part)())
            unit_users = F.normalize(torch.from_numpy(user_vectors), dim=1).numpy()
            unit_items = F.normalize(torch.from_numpy(item_vectors), dim=1).numpy()
            rows.append({"model": f"spectral start, dim {dim}, {layers} layers, untrained",
                         "dot": ndcg(lambda u: user_vectors[u] @ item_vectors.T),
                         "cosine": ndcg(lambda u: unit_users[u] @ unit_items.T)})
            print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
