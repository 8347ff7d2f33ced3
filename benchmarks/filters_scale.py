"""The closed-form graph filters at scale: a 1M-line order log of gnnrec_core.data.synthetic (50,000
products, 200,000 potential customers), each filter's fit (its validation search included) and
its evaluation (nDCG@10 over every test user, full ranking), wall time and peak memory.

    python -m benchmarks.filters_scale --out docs/results/filters_scale_1m.json
    python -m benchmarks.filters_scale --full --out docs/results/benchmark_1m.json  # every default model
    python -m benchmarks.filters_scale --interactions 100000 --models gfcf      # a quick look

The log is generated once into the cache folder ($GNNREC_CACHE, default ~/.cache/gnnrec) and read
through `ingest`, the path a user's upload takes. Each filter runs in a process of its own, so
that one's peak does not carry into the next; the peak is that process's resident set size,
sampled every 20 ms, highest during fit + evaluation ("rss before" is the process with the data
loaded and split, before the filter starts).

`--full` runs instead the command a user types, `python -m gnnrec_core benchmark LOG --json OUT`
with every default model, and records its wall time, its peak resident set size (the child's
ru_maxrss) and its rows: the target is 5 minutes and 8 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("GNNREC_CACHE", Path.home() / ".cache" / "gnnrec")) / "datasets"
FILTERS = ("gfcf", "bspm", "turbocf")


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


def log_path(interactions: int, items: int, seed: int) -> Path:
    from gnnrec_core.data.synthetic import SyntheticConfig, generate

    target = CACHE / f"orders_{interactions}_{items}_{seed}.csv.gz"
    if not target.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        generate(SyntheticConfig(interactions=interactions, items=items, seed=seed)).to_csv(
            tmp, index=False, compression="gzip")
        tmp.replace(target)
    return target


def million_split(seed: int = 0) -> Any:
    """The 1M-line log (50,000 products, generated once) read through `ingest` as an upload is, and
    its default split at `seed`: what the 1M-line probes measure on."""
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, split

    return split(prepare(ingest(log_path(1_000_000, 50_000, 0))).interactions, SplitConfig(seed=seed))


def one(model_name: str, data: Path, seed: int) -> dict[str, Any]:
    """Fit and evaluate one filter in this process (the child's side)."""
    from gnnrec_core import ingest, prepare
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.matrix.interactions import SplitConfig, split
    from gnnrec_core.models import MODELS

    dataset = prepare(ingest(data))
    data_split = split(dataset.interactions, SplitConfig(seed=seed))
    memory = PeakMemory()
    before = rss_bytes()
    started = time.perf_counter()
    model = MODELS[model_name](seed=seed).fit(data_split.train)
    fitted = time.perf_counter()
    metrics = evaluate(model.score, data_split.train, data_split.test)
    done = time.perf_counter()
    tuning = model.tuning()
    stored = sum(v.nbytes for v in model.get_state().values())
    return {"model": model_name, "fit_seconds": round(fitted - started, 2),
            "evaluate_seconds": round(done - fitted, 2), "ndcg": round(metrics["ndcg"], 4),
            "test_users": metrics["users"], "valid_ndcg": tuning.valid_ndcg if tuning else None,
            "chosen": tuning.chosen if tuning else {}, "candidates": tuning.candidates if tuning else 0,
            "rss_before_gib": round(before / 2**30, 3), "peak_rss_gib": round(max(memory.peak, rss_bytes()) / 2**30, 3),
            "model_state_mib": round(stored / 2**20, 1),
            "data": {"users": int(data_split.train.shape[0]), "items": int(data_split.train.shape[1]),
                     "train_pairs": int(data_split.train.nnz)}}


def full(data: Path, seed: int) -> dict[str, Any]:
    """The CLI's `benchmark` with its default models on the log, timed as a whole."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(data), "--seed", str(seed), "--quiet",
                        "--json", str(out)], check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        result = json.loads(out.read_text())
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows = [{key: row.get(key) for key in ("model", "key", "ndcg", "train_seconds", "valid_ndcg")}
            | {key: (row.get("tuning") or {}).get(key) for key in ("budget", "epochs", "stopped")}
            for row in result.get("results", [])]
    return {"command": f"python -m gnnrec_core benchmark {data.name} --seed {seed} --quiet --json OUT",
            "wall_seconds": round(seconds, 1), "peak_rss_gib": round(peak_kib / 2**20, 3), "rows": rows,
            "split": result.get("split", {}), "notes": result.get("notes", []), "verdicts": result.get("verdicts")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", default=list(FILTERS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--full", action="store_true", help="the CLI's benchmark with every default model instead")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child's side: one filter, JSON on stdout
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.data, args.seed)))
        return
    data = log_path(args.interactions, args.items, args.seed)
    if args.full:
        result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                  "log": {"lines": args.interactions, "products": args.items, "seed": args.seed},
                  "benchmark": full(data, args.seed)}
        result["machine"]["load_average_at_end"] = os.getloadavg()
        text = json.dumps(result, indent=2)
        print(text)
        if args.out:
            args.out.write_text(text + "\n")
        return
    rows = []
    for name in args.models:
        child = subprocess.run([sys.executable, "-m", "benchmarks.filters_scale", "--one", name, "--data", str(data),
                                "--seed", str(args.seed)], capture_output=True, text=True, check=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_at_end": os.getloadavg()},
              "log": {"lines": args.interactions, "products": args.items, "seed": args.seed},
              "filters": rows,
              "filters_total_seconds": round(sum(r["fit_seconds"] + r["evaluate_seconds"] for r in rows), 1),
              "filters_peak_rss_gib": max(r["peak_rss_gib"] for r in rows)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
