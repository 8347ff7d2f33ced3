"""Scale benchmark: every stage of the pipeline on a synthetic log, wall time and peak memory each.

    python -m benchmarks.scale --interactions 1000000 --epochs 6 --out docs/results/scale_1m.json

Stages: generate (writes the CSV a user would upload; not part of the targets), ingest (read +
map + clean), prepare (interaction matrix + split), train (LightGCN, fixed epochs, no early
stopping), evaluate (nDCG@10 over every test user, full ranking), recommend_all (top-10 for every
user, batched), similar_all (top-10 neighbours of every item, batched), umap (2-D map of every item).
The target (docs/scaling.md) is ingest + prepare + train + evaluate + recommend_all.

Peak memory is the process's resident set size, sampled every 20 ms by a thread, highest value
seen during the stage. Run one size per process so that peaks do not carry over.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import SplitConfig, split
from gnnrec_core.models.baselines import Popularity
from gnnrec_core.models.lightgcn import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.serving.export import all_recommendations, all_similar_items
from gnnrec_core.serving.projection import umap_2d

TARGET_STAGES = ("ingest", "prepare", "train", "evaluate", "recommend_all")


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


class PeakMemory:
    """Highest RSS seen since reset(), sampled by a daemon thread."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak = rss_bytes()
        self._interval = interval
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self._interval)

    def reset(self) -> None:
        self.peak = rss_bytes()


@contextmanager
def stage(name: str, stages: dict, memory: PeakMemory):
    memory.reset()
    started = time.perf_counter()
    yield
    stages[name] = {"seconds": round(time.perf_counter() - started, 2),
                    "peak_rss_gib": round(max(memory.peak, rss_bytes()) / 2**30, 3)}
    print(name, stages[name], flush=True)


def run(interactions: int, users: int, items: int, epochs: int, device: str, skip_umap: bool) -> dict:
    memory, stages = PeakMemory(), {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        with stage("generate", stages, memory):
            generate(SyntheticConfig(interactions=interactions, users=users, items=items)).to_csv(path, index=False)
        with stage("ingest", stages, memory):
            result = ingest(path)
    with stage("prepare", stages, memory):
        dataset = prepare(result)
        data_split = split(dataset.interactions, SplitConfig())
    with stage("train", stages, memory):
        model = LightGCN(epochs=epochs, device=device).fit(data_split.train)
    with stage("evaluate", stages, memory):
        metrics = evaluate(model.score, data_split.train, data_split.test, k=10)
    with stage("recommend_all", stages, memory):
        recommendations = all_recommendations(model, dataset, k=10)
    with stage("similar_all", stages, memory):
        similar = all_similar_items(model, dataset, k=10)
    if not skip_umap:
        with stage("umap", stages, memory):
            umap_2d(model.item_vectors())
    popularity = Popularity().fit(data_split.train)
    data = dataset.interactions
    return {
        "machine": {"cpus": torch.get_num_threads(), "python": platform.python_version(), "torch": torch.__version__,
                    "device": str(model.device_),
                    "gpu": torch.cuda.get_device_name(0) if model.device_.type == "cuda" else None},
        "data": {"rows": interactions, "users": data.n_users, "items": data.n_items, "pairs": len(data),
                 "train_pairs": int(data_split.train.nnz), "test_users": metrics["users"]},
        "train": {"epochs": epochs, "batch_size": model.batch_size_, "seconds_per_epoch":
                  round(stages["train"]["seconds"] / epochs, 2)},
        "quality": {"lightgcn_ndcg@10": round(metrics["ndcg"], 4),
                    "popularity_ndcg@10": round(evaluate(popularity.score, data_split.train,
                                                         data_split.test)["ndcg"], 4)},
        "outputs": {"recommendation_rows": len(recommendations), "similar_rows": len(similar)},
        "stages": stages,
        "target_seconds": round(sum(stages[s]["seconds"] for s in TARGET_STAGES), 1),
        "peak_rss_gib": max(s["peak_rss_gib"] for s in stages.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-umap", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.interactions, args.users, args.items, args.epochs, args.device, args.skip_umap)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
