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

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from benchmarks.published_split import CACHE
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import carve_validation
from gnnrec_core.models.gfcf import GFCF
from gnnrec_core.models.lightgcn import LightGCN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not (CACHE / "train.csv").is_file():
        parser.error(f"expected Gowalla's train split at {CACHE / 'train.csv'}, found none: run "
                     "python -m benchmarks.published_split --source DIR first")
    frame = pd.read_csv(CACHE / "train.csv")
    users = frame.user_id.astype("category").cat.codes.to_numpy()
    items = frame.item_id.astype("category").cat.codes.to_numpy()
    train = sp.csr_matrix((np.ones(len(users), np.float32), (users, items)))
    part, valid = carve_validation(train, 0.1, seed=0)
    scored = np.flatnonzero(np.diff(valid.indptr) > 0)
    scored = np.sort(np.random.default_rng(0).choice(scored, 5000, replace=False))

    def ndcg(score) -> float:
        return round(float(evaluate(lambda index: score(scored[index]), part[scored], valid[scored], k=20)["ndcg"]), 4)

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
