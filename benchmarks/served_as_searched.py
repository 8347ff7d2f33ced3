"""Validation only: a filter's row served as its search scored it, or refitted at its chosen rank.

GF-CF's and BSPM's searches score every rank as the leading singular vectors of one randomised SVD
at the largest rank (512, a sketch of 528 columns). The row used to be refitted on train with a
fresh SVD at the chosen rank (a sketch of rank + 16 columns, four subspace iterations), which on
wide catalogues resolves its vectors less well than the search's. Now the row is cut from a fit
at the largest rank. Each model as its row serves it, on the part of a validation carve of the
default split's train (its own search on a carve of the part, its choice fitted on the part),
scored on validation rows the search never saw, both ways from the same choice:

- `refit`: the chosen settings refitted with an SVD at the chosen rank (before);
- `cut`: the chosen rank cut from the fit at the largest rank (shipped).

    python -m benchmarks.served_as_searched [--names ml100k,...] [--million] [--out FILE]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchmarks.result_file import finish


def refitted(model: Any, part: Any) -> Any:
    """The chosen settings refitted at the chosen rank, as the row was served before."""
    from gnnrec_core.models.gfcf import GFCF, _all_as_none
    from gnnrec_core.models.graph_filter import GraphFilter

    if isinstance(model, GFCF):
        return GraphFilter(model.rank_, model.alpha_, _all_as_none(model.neighbours_), model.config.seed,
                           model.config.exponent).fit(part)
    parts = model._parts(part, model.rank_)
    single = (model.rank_,), (model.variant_,)
    return next(model._exact(parts, *single) if model.form_ == "exact" else model._candidates(parts, *single))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default=None)
    parser.add_argument("--models", default="gfcf,bspm")
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from benchmarks.datasets import validation_carves
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.models import MODELS

    rows = []
    for name, seed, part, valid in validation_carves(args.names, args.million):
        for model_name in args.models.split(","):
            started = time.perf_counter()
            model = MODELS[model_name](seed=seed).fit(part)  # its own search on a carve of `part`
            seconds = time.perf_counter() - started
            served = {"cut": model.filter_, "refit": refitted(model, part)}
            found = {way: round(evaluate(lambda users, f=f: f.score_history(part[users]), part, valid)["ndcg"], 5)
                     for way, f in served.items()}
            rows.append({"data": name, "items": int(part.shape[1]), "seed": seed, "model": model_name,
                         "chosen": model.tuning().chosen, "valid_ndcg": found, "fit_seconds": round(seconds, 1),
                         "cut_over_refit": round(found["cut"] / found["refit"] - 1, 4) if found["refit"] else None})
            print(rows[-1], flush=True)
    finish("benchmarks.served_as_searched", {"rows": rows}, args.out, shown=rows[-2:])


if __name__ == "__main__":
    main()
