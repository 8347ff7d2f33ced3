"""What LightGCN's default 90 s budget buys before and after two changes to how it is spent:

- its search and early stopping score the filters' seeded sample of at most 5,000 validation users
  (matrix.interactions.validation_sample) instead of the whole carve;
- an epoch that would run past the deadline is cut there (fit/train.py, Trainer._past_deadline)
  instead of skipped.

"before" restores both. LightGCN with its defaults (blend included), fitted four times in one
process, alternating before / after, inside one `sharing()` where GF-CF's search for the blend's
filter is done once beforehand, as inside a `benchmark` run. Per fit: the epochs trained (the last
one's share where it was cut), the fit's seconds, seconds spent in validation, and test nDCG and
recall at 20 of the GNN alone and of its blend. The test split is read only to score the fits.

    python -m benchmarks.budget_use gowalla --out docs/results/budget_use_gowalla.json
    python -m benchmarks.budget_use 1m --out docs/results/budget_use_1m.json

`gowalla` needs the CSVs of `python -m benchmarks.published_split --source DIR`; `1m` the log of
benchmarks.filters_scale.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.result_file import finish


def data(name: str) -> Any:
    """(train, test) of the named data as the CLI's `benchmark` splits it."""
    if name == "1m":
        from benchmarks.filters_scale import million_split

        return million_split()
    from benchmarks.published_split import CACHE
    from gnnrec_core import ingest, prepare
    from gnnrec_core.data.heldout import read_like
    from gnnrec_core.matrix.interactions import given_split

    result = ingest(CACHE / "train.csv")
    return given_split(prepare(result).interactions, read_like(result, CACHE / "test.csv").events)


@contextlib.contextmanager
def before() -> Iterator[None]:
    """The whole carve scored, and an epoch predicted to overrun skipped: the code before the change."""
    import time as clock

    from gnnrec_core.fit.train import Trainer
    from gnnrec_core.models import embedding

    sample, past = embedding.validation_sample, Trainer._past_deadline

    def predicted(self: Trainer, world: int = 1) -> bool:
        ahead = self.epoch_seconds if self.history else 0.0
        return self.deadline is not None and clock.perf_counter() + ahead > self.deadline

    embedding.validation_sample = lambda valid, seed, most=None: valid  # type: ignore[assignment]
    Trainer._past_deadline = predicted  # type: ignore[method-assign]
    try:
        yield
    finally:
        embedding.validation_sample, Trainer._past_deadline = sample, past  # type: ignore[method-assign]


def fit_once(way: str, train: Any, test: Any) -> dict[str, Any]:
    from gnnrec_core.fit.metrics import evaluate_at, evaluate_variants
    from gnnrec_core.fit.train import Trainer
    from gnnrec_core.models.lightgcn import LightGCN

    validate, spent = Trainer.validate, [0.0]

    def timed(self: Trainer, *args: Any) -> float:
        started = time.perf_counter()
        try:
            return float(validate(self, *args))
        finally:
            spent[0] += time.perf_counter() - started

    Trainer.validate = timed  # type: ignore[method-assign]
    try:
        with before() if way == "before" else contextlib.nullcontext():
            started = time.perf_counter()
            model = LightGCN(seed=0).fit(train)
            seconds = time.perf_counter() - started
    finally:
        Trainer.validate = validate  # type: ignore[method-assign]
    tuning = model.tuning()
    assert tuning is not None
    found = (evaluate_variants(model.alone_then_blended, 2, train, test, (20,)) if tuning.blended
             else [evaluate_at(model.score, train, test, (20,))])
    row = {"way": way, "epochs": tuning.epochs, "last_epoch_share": tuning.last_epoch_share,
           "fit_seconds": round(seconds, 1), "validation_seconds": round(spent[0], 1),
           "blend": tuning.blend,
           "alone": {m: round(found[0].by_k[20][m], 5) for m in ("ndcg", "recall")}}
    if len(found) > 1:
        row["blended"] = {m: round(found[1].by_k[20][m], 5) for m in ("ndcg", "recall")}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=("gowalla", "1m"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from gnnrec_core.models.gfcf import GFCF
    from gnnrec_core.models.shared_parts import sharing

    data_split = data(args.data)
    train, test = data_split.train, data_split.test
    rows = []
    with sharing():
        GFCF(seed=0).fit(train)  # the GF-CF row's search, which the blend reuses inside a run
        for _ in range(args.rounds):
            for way in ("before", "after"):
                rows.append(fit_once(way, train, test))
    finish("benchmarks.budget_use", {"data": args.data, "rows": rows}, args.out)


if __name__ == "__main__":
    main()
