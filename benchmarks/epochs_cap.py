"""The GNNs' most epochs (validation only): the default 40 against 120, early stopping and the time
budget as they are.

On the bundled sample LightGCN's best validation epoch is its 40th, the last it may train (the
verdict says so since it can: "ran its most epochs (40) while still improving"). This asks whether
a higher cap helps on validation across the seven datasets, before any default moves.

For each dataset and seed, LightGCN with a user's defaults (its search, its 90 s budget, no blend)
is fitted on a carve of the split's train part and scored on the carve's validation customers
(`validation_probe.carve`; the test split is never read), once with each cap. Recorded: the
chosen configuration's validation nDCG@10 (its best epoch's: equally optimistic for both caps),
the epochs trained, its best epoch, why it stopped and the fit seconds.

    python -m benchmarks.epochs_cap --seeds 0 1 2     # docs/results/epochs_cap.json
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.validation_probe import carve, ratio_cell, run
from gnnrec_core.models.lightgcn import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "epochs_cap.json"
CAPS = (40, 120)


def measure(name: str, seed: int) -> dict[str, float]:
    carved = carve(name, seed, carve_seed=seed)
    found: dict[str, float] = {}
    for cap in CAPS:
        started = time.perf_counter()
        tuning = LightGCN(blend=False, seed=seed, epochs=cap).fit(carved.part, carved.valid).tuning()
        assert tuning is not None and tuning.valid_ndcg is not None
        found |= {f"{cap}: valid_ndcg": tuning.valid_ndcg, f"{cap}: epochs": float(tuning.epochs or 0),
                  f"{cap}: best_epoch": float(tuning.best_epoch or 0),
                  f"{cap}: stopped by the budget": float(tuning.stopped == "deadline"),
                  f"{cap}: seconds": time.perf_counter() - started}
    print(name, seed, {k: round(v, 4) for k, v in found.items()}, flush=True)
    return found


def main() -> None:
    results = run(measure, __doc__.split("\n")[0], OUT)
    print("| dataset | seeds | nDCG@10, cap 40 | cap 120 | 120 / 40 | epochs (best), 40 | epochs (best), 120 "
          "| fit s, 40 / 120 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        seeds = list(runs.values())

        def mean(key: str) -> float:
            return statistics.mean(r[key] for r in seeds)
        print(f"| {name} | {len(seeds)} | {mean('40: valid_ndcg'):.4f} | {mean('120: valid_ndcg'):.4f} | "
              f"{ratio_cell(seeds, '120: valid_ndcg', '40: valid_ndcg')} | "
              f"{mean('40: epochs'):.0f} ({mean('40: best_epoch'):.0f}) | "
              f"{mean('120: epochs'):.0f} ({mean('120: best_epoch'):.0f}) | "
              f"{mean('40: seconds'):.0f} / {mean('120: seconds'):.0f} |")


if __name__ == "__main__":
    main()
