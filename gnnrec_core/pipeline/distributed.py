"""LightGCN training under torchrun: data parallel over users (see train.distributed_rank).

    torchrun --nproc_per_node 2 -m gnnrec_core.pipeline.distributed orders.csv --out runs/ddp --epochs 20

gloo on CPU, nccl on GPUs. Every process reads and splits the same file the same way, trains on
its share of each batch with gradients summed across processes, and saves its model as
rank<N>.npz; process 0 also writes metrics.json. Without torchrun it runs as one process, which is
the reference the multi-process result must match.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

from ..data.ingest import ingest
from ..errors import GnnrecError
from ..fit.metrics import evaluate
from ..matrix.interactions import SplitConfig, split
from ..models.lightgcn import LightGCN
from .benchmark import prepare


def train(source: Path, out: Path, epochs: int, device: str = "cpu", seed: int = 0,
          full_softmax_items: int = 20000, batch_size: int = 512) -> dict:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dataset = prepare(ingest(source))
    data_split = split(dataset.interactions, SplitConfig(seed=seed))
    # Fixed settings and epochs (no search, no blend): the data-parallel loop is what is measured
    # and what N processes must reproduce exactly.
    started = time.perf_counter()
    model = LightGCN(epochs=epochs, device=device, seed=seed, full_softmax_items=full_softmax_items,
                     batch_size=batch_size, auto=False, blend=False).fit(data_split.train)
    fit_seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / f"rank{rank}.npz")
    metrics = {"world_size": world, "epochs": epochs, "fit_seconds": round(fit_seconds, 3),
               "threads_per_process": torch.get_num_threads(),
               "loss": [round(r["loss"], 6) for r in model.history_],
               **evaluate(model.score, data_split.train, data_split.test, k=10)}
    if rank == 0:
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gnnrec_core.pipeline.distributed", description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full-softmax-items", type=int, default=20000,
                        help="above this many items the softmax is sampled")
    parser.add_argument("--batch-size", type=int, default=512, help="users per step, at least")
    args = parser.parse_args(argv)
    try:
        train(args.input, args.out, args.epochs, args.device, args.seed, args.full_softmax_items, args.batch_size)
    except GnnrecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
