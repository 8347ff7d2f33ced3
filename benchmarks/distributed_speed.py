"""Does training with 2 processes go faster than with 1? LightGCN's data-parallel loop
(pipeline/distributed.py), same data, same fixed settings and epochs, on this machine's cores.

One process uses every core through torch's threads; under torchrun each of N processes gets one
thread (torchrun's own default, OMP_NUM_THREADS=1), so the two runs use the same cores. Each
process holds the whole graph and embedding table and propagates the whole graph on every step;
only the loss over the batch's users is split. Results: docs/results/distributed_speed.json.

    python -m benchmarks.distributed_speed --interactions 100000 --epochs 8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from gnnrec_core.data.synthetic import SyntheticConfig, generate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "distributed_speed.json"


def _fit(source: Path, out: Path, epochs: int, processes: int) -> dict:
    module = ["-m", "gnnrec_core.pipeline.distributed", str(source), "--out", str(out), "--epochs", str(epochs)]
    launcher = [] if processes == 1 else ["-m", "torch.distributed.run", "--standalone",
                                          "--nproc_per_node", str(processes)]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    subprocess.run([sys.executable, *launcher, *module], cwd=ROOT, env=env, check=True, capture_output=True)
    return json.loads((out / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs of each, for the noise")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "orders.csv"
        generate(SyntheticConfig(interactions=args.interactions, seed=5)).to_csv(source, index=False)
        runs = []
        for repeat in range(args.repeats):
            for processes in (1, 2):
                metrics = _fit(source, Path(folder) / f"p{processes}-{repeat}", args.epochs, processes)
                runs.append({"processes": processes, "repeat": repeat, "fit_seconds": metrics["fit_seconds"],
                             "threads_per_process": metrics["threads_per_process"], "ndcg": metrics["ndcg"]})
                print(runs[-1], flush=True)
    one = sorted(r["fit_seconds"] for r in runs if r["processes"] == 1)
    two = sorted(r["fit_seconds"] for r in runs if r["processes"] == 2)
    result = {"interactions": args.interactions, "epochs": args.epochs, "cpu_cores": os.cpu_count(), "runs": runs,
              "speedup_two_over_one": round(one[len(one) // 2] / two[len(two) // 2], 3)}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"2 processes / 1 process: {result['speedup_two_over_one']}x faster (median fit times)")


if __name__ == "__main__":
    main()
