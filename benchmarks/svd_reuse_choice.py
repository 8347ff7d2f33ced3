"""Validation only: LightGCN with its blend (defaults, 15 epochs, no search) on a run's carve, with
the blend's graph filter refitted at the chosen rank or cut from GF-CF's search (GFCF._cut_from_search),
and the spectral start from its own SVD or from the leading vectors of GF-CF's rank-512 SVD (tried,
not shipped): validation nDCG@10 alone and blended, each variant on the same carves.

    python -m benchmarks.svd_reuse_choice DATA [DATA ...] [--seeds 4] [--out FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import numpy as np
    import scipy.sparse as sp

    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import carve_validation
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.graph_filter import low_pass_vectors, normalise
    from gnnrec_core.models.lightgcn import LightGCN
    from gnnrec_core.models.shared_parts import sharing

    cut = GFCF._cut_from_search

    def refit(self, ranks, kept, searched):  # the blend's filter before: the chosen rank's own SVD
        self.filter_.fit(self.train_)

    def spectral_from_search(self, train, dim):  # the start tried: GF-CF's rank-512 vectors, U S = R~ V
        normalised, _ = normalise(train, 0.5)
        vt = low_pass_vectors(normalised, 512, self.config.seed)[:dim].astype(np.float64)  # shared: the search's
        image = np.asarray(normalised @ vt.T)
        root = np.sqrt(np.linalg.norm(image, axis=0))[None, :]
        return np.vstack([image / np.maximum(root ** 2, 1e-12) * root, vt.T * root]).astype(np.float32)

    own_start = LightGCN._spectral
    variants = {"before": (refit, False), "filter cut": (cut, False), "start cut": (refit, True),
                "both": (cut, True)}
    rows = []
    for path in args.data:
        matrix = sp.csr_matrix(prepare(ingest(path)).interactions.matrix(), dtype=np.float32)
        for seed in range(args.seeds):
            train, _ = carve_validation(matrix, 0.2, seed=100 + seed)  # stands in for a run's train split
            part, valid = carve_validation(train, 0.1, seed=seed)
            for name, (filter_way, start_cut) in variants.items():
                GFCF._cut_from_search = filter_way  # type: ignore[method-assign]
                LightGCN._spectral = spectral_from_search if start_cut else own_start  # type: ignore[method-assign]
                with sharing():
                    GFCF(seed=seed).fit(train)  # the GF-CF row, first in a run
                    model = LightGCN(seed=seed, auto=False, epochs=15, time_budget=600).fit(part, valid)
                LightGCN._spectral = own_start  # type: ignore[method-assign]
                GFCF._cut_from_search = cut  # type: ignore[method-assign]
                tuning = model.tuning_
                blended = (tuning.get("blend_valid_ndcg") or {}).get("blended") or tuning["valid_ndcg"]
                rows.append({"data": Path(path).name, "seed": seed, "variant": name,
                             "alone": round(tuning["valid_ndcg"], 4), "blended": round(blended, 4)})
                print(rows[-1], flush=True)
    finish("benchmarks.svd_reuse_choice", {"rows": rows}, args.out, shown=rows[-4:])


if __name__ == "__main__":
    main()
