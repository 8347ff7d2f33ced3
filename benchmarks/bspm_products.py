"""BSPM on a wide catalogue: does pruning the ODE polynomial's products cost quality? (validation only)

At 41k items graph_filter.product_neighbours lets each product of BSPM's polynomial go through 16
entries per item (PRODUCT_WORK). This fits BSPM at rank 256 on a 10% validation slice carved from
Gowalla's published train split (benchmarks/published_split.py writes its CSV; the test split is
never read), with each variant at the default pruning and the Gowalla variant with more entries,
and scores nDCG@20 / recall@20 on 5,000 sampled validation users.

    python -m benchmarks.bspm_products --out docs/results/bspm_products.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from benchmarks.published_split import CACHE
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import carve_validation
from gnnrec_core.models.bspm import BSPM

CANDIDATES = (("rk4", None), ("euler", None), ("rk4", 64))  # (variant, product neighbours; None: the default)


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
    rows = []
    for variant, through in CANDIDATES:
        started = time.perf_counter()
        model = BSPM(variant=variant, rank=256, product_neighbours=through).fit(part)
        seconds = time.perf_counter() - started
        found = evaluate(lambda index: model.score(scored[index]), part[scored], valid[scored], k=20)
        rows.append({"variant": variant, "product_neighbours": through or "default (16 at 41k items)",
                     "valid_ndcg20": round(found["ndcg"], 4), "valid_recall20": round(found["recall"], 4),
                     "fit_seconds": round(seconds, 1)})
        print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
