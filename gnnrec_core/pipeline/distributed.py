"""LightGCN data parallel over users on Ray Train: N workers, gradients summed (fit/data_parallel.py).

    python -m gnnrec_core.pipeline.distributed orders.csv --out runs/ddp --epochs 20 --workers 2

A `ray.train.torch.TorchTrainer` starts N workers (on this machine's Ray, or on the cluster at
--ray-address / $RAY_ADDRESS) and sets up torch.distributed among them: gloo on CPU, nccl on GPUs.
The driver reads and splits the file once; the train matrix reaches every worker through the
object store. Each worker holds the whole graph and embedding table, takes every N-th user of each
batch, and the gradients are summed before the step, with one seeded generator advanced alike
everywhere, so N workers apply exactly the update one process would (fit/train.py). Rank 0's
weights come back through the object store (a cluster needs no shared file system); the driver
saves them as rank0.npz and writes metrics.json (losses, test metrics, fit time, and how far the
ranks' parameters ended apart, which is 0 when they agree). One worker runs the one-process loop.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, GnnrecError

if TYPE_CHECKING:
    import scipy.sparse as sp

# Everything heavy is imported where it is used: Ray Train's controller loads this module to find
# _worker, and on two busy cores each second of imports is a second of every run's start.


def fit_data_parallel(train: sp.csr_matrix, runs: Sequence[dict[str, Any]], workers: int = 2,
                      use_gpu: bool = False, cpus_per_worker: int = 1,
                      address: str | None = None) -> list[dict[str, Any]]:
    """Fit LightGCN with each settings dict of `runs` (LightGCN's config fields; search, blend and
    time budget off: `fixed`) on `workers` Ray Train workers, one run after another in the same
    worker group (starting one takes tens of seconds on two cores). For each run: {"state": rank
    0's arrays (LightGCN.get_state()), "history": per-epoch records, "fit_seconds" (the fit inside
    the worker), "ranks_max_difference": the largest absolute difference between a parameter on
    any rank and on rank 0, "world_size", "threads_per_worker"}."""
    _check_counts(workers, cpus_per_worker)
    import scipy.sparse as sp

    from ..fit.ray_engine import RAY_INSTALL, keeper, quietly, ray_session

    with ray_session(address, purpose="the data-parallel fit") as ray:
        _check_room(ray, workers, cpus_per_worker, use_gpu)
        try:
            from ray.train import RunConfig, ScalingConfig
            from ray.train.torch import TorchTrainer
        except ImportError as exc:
            raise ConfigError(f"expected Ray Train for the data-parallel fit ({RAY_INSTALL}), "
                              f"found: {exc}") from None
        store = keeper(ray)
        config = {"train": ray.put(sp.csr_matrix(train)), "runs": [dict(r) for r in runs], "keeper": store,
                  "use_gpu": use_gpu, "threads": cpus_per_worker}
        storage = tempfile.mkdtemp(prefix="gnnrec-train-")
        trainer = TorchTrainer(_worker, train_loop_config=config,
                               scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu,
                                                            resources_per_worker={"CPU": cpus_per_worker}),
                               run_config=RunConfig(name="gnnrec-data-parallel", storage_path=storage))
        try:
            quietly(trainer.fit)
        except Exception as exc:  # Ray wraps a worker's error: say what failed in one line
            raise RuntimeError(f"Ray Train failed: {str(exc).strip().splitlines()[-1][:300]}") from None
        finally:
            shutil.rmtree(storage, ignore_errors=True)
        _, summaries = ray.get(store.result.remote())
    return [summaries[i] for i in range(len(runs))]


NO_DEADLINE = 7 * 24 * 3600.0  # seconds: a fixed number of epochs is trained to the end


def fixed(settings: dict[str, Any]) -> dict[str, Any]:
    """LightGCN's settings for a fit of fixed epochs: no search, no blend, and no time budget
    (whose deadline would end a slow machine's fit early, so that N workers and one process
    would be compared after different numbers of epochs)."""
    return {"time_budget": NO_DEADLINE, **settings, "auto": False, "blend": False}


def _check_counts(workers: int, cpus_per_worker: int) -> None:
    if workers < 1 or cpus_per_worker < 1:
        raise ConfigError(f"workers: expected at least 1 worker of at least 1 CPU, found {workers} of "
                          f"{cpus_per_worker}")


def _check_room(ray: Any, workers: int, cpus_per_worker: int, use_gpu: bool) -> None:
    """Refuse a worker group larger than the cluster (Ray Train would wait for it forever)."""
    have = ray.cluster_resources()
    cpus, gpus = int(have.get("CPU", 0)), int(have.get("GPU", 0))
    if workers * cpus_per_worker > cpus or (use_gpu and workers > gpus):
        need = f"{workers} workers of {cpus_per_worker} CPU" + (" and 1 GPU" if use_gpu else "")
        raise ConfigError(f"workers: expected a worker group that fits the Ray cluster ({cpus} CPUs, {gpus} GPUs), "
                          f"found {need} each")


def _worker(config: dict[str, Any]) -> None:
    """One Ray Train worker: fit every run on the whole train matrix (the loop takes this rank's
    share of each batch), measure how far this rank's parameters are from rank 0's, send rank 0's."""
    import ray
    import ray.train
    import torch
    import torch.distributed as dist

    from ..models.lightgcn import LightGCN

    torch.set_num_threads(config["threads"])
    rank = ray.train.get_context().get_world_rank()
    device = "cpu"
    if config["use_gpu"]:
        from ray.train.torch import get_device

        torch.cuda.set_device(get_device())
        device = "cuda"
    train = ray.get(config["train"])
    for index, settings in enumerate(config["runs"]):
        started = time.perf_counter()
        model = LightGCN(**fixed(settings), device=device).fit(train)
        seconds = time.perf_counter() - started
        difference = torch.zeros(1, dtype=torch.float64, device=model.module_.embedding.device)
        for parameter in model.module_.parameters():
            reference = parameter.detach().clone()
            dist.broadcast(reference, src=0)
            difference = torch.maximum(difference, (parameter.detach() - reference).abs().max().double())
        dist.all_reduce(difference, op=dist.ReduceOp.MAX)
        if rank == 0:
            ray.get(config["keeper"].summary.remote(index, {
                "state": model.get_state(), "history": model.history_, "fit_seconds": seconds,
                "ranks_max_difference": float(difference.item()), "world_size": dist.get_world_size(),
                "threads_per_worker": torch.get_num_threads()}))


def train(source: Path, out: Path, epochs: int, device: str = "cpu", seed: int = 0, full_softmax_items: int = 20000,
          batch_size: int = 512, workers: int = 2, address: str | None = None,
          cpus_per_worker: int = 1, keep_non_products: bool = False) -> dict[str, Any]:
    """Read and split `source` (its charges dropped, as every gnnrec_core command reads a log, unless
    `keep_non_products`), fit on `workers` Ray Train workers, save rank 0's model as
    out/rank0.npz and the metrics (test split) as out/metrics.json; returns the metrics."""
    from ..fit.ray_engine import ray_session

    _check_counts(workers, cpus_per_worker)
    with ray_session(address, purpose="the data-parallel fit") as ray:  # a wrong address fails before reading
        _check_room(ray, workers, cpus_per_worker, device == "cuda")
        import scipy.sparse as sp

        from ..data.ingest import ingest
        from ..fit.metrics import evaluate
        from ..matrix.interactions import SplitConfig, split
        from ..models.lightgcn import LightGCN
        from .benchmark import prepare

        dataset = prepare(ingest(source, drop_non_products=not keep_non_products))
        data_split = split(dataset.interactions, SplitConfig(seed=seed))
        # Fixed settings and epochs (no search, no blend): the data-parallel loop is what is measured
        # and what N workers must reproduce exactly.
        settings = {"epochs": epochs, "seed": seed, "full_softmax_items": full_softmax_items,
                    "batch_size": batch_size}
        (fitted,) = fit_data_parallel(data_split.train, [settings], workers, use_gpu=device == "cuda",
                                      cpus_per_worker=cpus_per_worker, address=address)
    model = LightGCN(**fixed(settings), device=device)
    model.train_ = sp.csr_matrix(data_split.train)
    model.set_state(fitted["state"])
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "rank0.npz")
    data = dataset.interactions  # the data's size, so the figures are read with what they were measured on
    metrics = {"users": data.n_users, "items": data.n_items, "interactions": len(data),
               "world_size": fitted["world_size"], "epochs": epochs, "fit_seconds": round(fitted["fit_seconds"], 3),
               "threads_per_worker": fitted["threads_per_worker"],
               "ranks_max_difference": fitted["ranks_max_difference"],
               "loss": [round(r["loss"], 6) for r in fitted["history"]],
               **evaluate(model.score, data_split.train, data_split.test, k=10)}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gnnrec_core.pipeline.distributed", description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="Ray Train workers (processes), default 2")
    parser.add_argument("--cpus-per-worker", type=int, default=1, help="CPU cores (torch threads) per worker")
    parser.add_argument("--ray-address", help="a running Ray cluster (`ray start --head`); default $RAY_ADDRESS, "
                                              "else a Ray instance started on this machine")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cuda: one GPU per worker")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full-softmax-items", type=int, default=20000,
                        help="above this many items the softmax is sampled")
    parser.add_argument("--batch-size", type=int, default=512, help="users per step, at least")
    parser.add_argument("--keep-non-products", action="store_true",
                        help="keep postage, fee and adjustment lines (dropped by default, as gnnrec_core drops them)")
    args = parser.parse_args(argv)
    try:
        metrics = train(args.input, args.out, args.epochs, args.device, args.seed, args.full_softmax_items,
                        args.batch_size, args.workers, args.ray_address, args.cpus_per_worker,
                        args.keep_non_products)
    except GnnrecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug or a failed worker, not bad input: still one line
        print(f"error: internal error ({type(error).__name__}: {str(error)[:300]})", file=sys.stderr)
        return 3
    workers = f"{metrics['world_size']} worker{'' if metrics['world_size'] == 1 else 's'}"
    print(f"wrote {args.out / 'rank0.npz'} and {args.out / 'metrics.json'} ({workers}, "
          f"fit {metrics['fit_seconds']} s, test nDCG@10 {metrics['ndcg']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
