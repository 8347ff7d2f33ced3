"""LightGCN's training steps with the softmax losses computed as before commit SOFTMAX_BEFORE and as
shipped (fit/train.py), in one process, alternating, on two shapes:

- the full softmax (catalogues up to `full_softmax_items`): the grocery-shaped synthetic log of
  docs/benchmarks.md's defaults table (2,697 customers x 7,720 products) and the baskets-as-customers
  invoices (7,819 x 3,746);
- the sampled softmax (above it): the 1M-line log's train split (135,587 x 49,974).

Each way fits LightGCN for a fixed number of epochs with no validation, search, blend or spectral
start (the steps alone); the figure is seconds per epoch and the ratio shipped / before.

Before: the logits divided by the temperature and the bias added as passes over users x items, and
the full softmax multiplied by a dense users x items target. Shipped: the temperature scales the
users' unit vectors, the bias enters through one addmm, and the full softmax's log-probabilities
are read at the targets' entries.

    python -m benchmarks.softmax_step --out docs/results/softmax_step.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.result_file import finish

SOFTMAX_BEFORE = "dae3419"


def old_functions() -> dict[str, Any]:
    """Trainer._loss and _sampled_softmax_loss as they were at SOFTMAX_BEFORE, read from git."""
    import subprocess

    import scipy.sparse as sp
    import torch
    import torch.nn.functional as F

    from gnnrec_core.fit import train

    root = Path(__file__).resolve().parents[1]
    old = subprocess.run(["git", "show", f"{SOFTMAX_BEFORE}:gnnrec_core/fit/train.py"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    namespace = {**vars(train), "np": np, "sp": sp, "torch": torch, "F": F}
    loss = old[old.index("    def _loss("):old.index("    @torch.no_grad()\n    def validate(")]
    exec(compile("class _Old:\n" + loss, "old _loss", "exec"), namespace)
    sampled = old[old.index("def _sampled_softmax_loss("):old.index("def _bpr_loss(")]
    exec(compile(sampled, "old _sampled_softmax_loss", "exec"), namespace)
    return {"_loss": namespace["_Old"]._loss, "_sampled_softmax_loss": namespace["_sampled_softmax_loss"]}


def train_split(name: str):
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, split

    if name == "1m":
        from benchmarks.filters_scale import log_path

        path = log_path(1_000_000, 50_000, 0)
    else:
        from benchmarks.datasets import OPTIONS
        from benchmarks.datasets import path as dataset_path

        return split(prepare(ingest(dataset_path(name), **OPTIONS.get(name, {}))).interactions,
                     SplitConfig(seed=0)).train
    return split(prepare(ingest(path)).interactions, SplitConfig(seed=0)).train


def seconds_per_epoch(train, epochs: int) -> float:
    from gnnrec_core.models.lightgcn import LightGCN

    started = time.perf_counter()
    LightGCN(seed=0, auto=False, blend=False, init="random", epochs=epochs).fit(train)
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["grocery-like", "baskets-as-customers", "1m"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from gnnrec_core.fit import train as module

    shipped = {"_loss": module.Trainer._loss, "_sampled_softmax_loss": module._sampled_softmax_loss}
    before = old_functions()
    rows = []
    for name in args.data:
        train = train_split(name)
        epochs = 2 if name == "1m" else 10
        for round_ in range(args.rounds):
            for way, functions in (("before", before), ("shipped", shipped)):
                module.Trainer._loss = functions["_loss"]
                module._sampled_softmax_loss = functions["_sampled_softmax_loss"]
                rows.append({"data": name, "shape": list(train.shape), "round": round_, "way": way,
                             "epochs": epochs, "seconds_per_epoch": round(seconds_per_epoch(train, epochs), 3)})
                print(json.dumps(rows[-1]), flush=True)
    ratios = {}
    for name in args.data:
        mean = {way: float(np.mean([r["seconds_per_epoch"] for r in rows if r["data"] == name and r["way"] == way]))
                for way in ("before", "shipped")}
        ratios[name] = round(mean["shipped"] / mean["before"], 3)
    finish("benchmarks.softmax_step", {"rows": rows, "shipped / before": ratios}, args.out, shown=ratios)


if __name__ == "__main__":
    main()
