"""The Recommendations page's second model on a saved run: fitted on every interaction with its own
search (before) or at the settings the run's row chose on validation (`refit_on_everything`, shipped),
alternating in one process. Same model either way where the search picks the run's choice again.

    python -m benchmarks.comparison_refit --workspace DIR [--model gfcf] [--rounds 1] [--out FILE]

DIR: a workspace whose newest run scored MODEL (e.g. `train` on the 1M-line log of
benchmarks/filters_scale.py, saved with --workspace DIR).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.result_file import finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--model", default="gfcf")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from gnnrec_core import Workspace, make_model, prepare
    from gnnrec_core.pipeline.experiment import chosen_settings, refit_on_everything

    store = Workspace(args.workspace)
    info = store.list_runs()[0]
    row = next(r for r in info.results if r.model == args.model and not r.blend)
    data = prepare(store.load_dataset(info.dataset.name))
    chosen = chosen_settings(args.model, row.tuning)
    rows = []
    for _ in range(args.rounds):
        for way in ("searched", "at the run's choice"):  # the page before, and as shipped
            started = time.perf_counter()
            if way == "searched":
                model = make_model(args.model, data, seed=info.seed).fit(data.interactions.matrix())
            else:
                model, _ = refit_on_everything(args.model, data, chosen, seed=info.seed)
            rows.append({"way": way, "seconds": round(time.perf_counter() - started, 1),
                         "chosen": model.tuning().chosen, "candidates": model.tuning().candidates})
            print(json.dumps(rows[-1]), flush=True)
    ways = ("searched", "at the run's choice")
    mean = {w: sum(r["seconds"] for r in rows if r["way"] == w) / args.rounds for w in ways}
    finish("benchmarks.comparison_refit", {
        "run": info.run_id, "shape": list(data.interactions.matrix().shape), "model": args.model,
        "row_chose": row.tuning.chosen, "rows": rows,
        "choice / searched": round(mean["at the run's choice"] / mean["searched"], 3)}, args.out)


if __name__ == "__main__":
    main()
