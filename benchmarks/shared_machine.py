"""The demo's commands on a machine another process keeps busy: threads on the free cores
(gnnrec_core/pipeline/cores.py, the default) against one thread per core (GNNREC_THREADS set to
the machine's cores, torch's and the BLAS libraries' own default).

Each case is the command a user types, timed whole, with no other process (idle) and beside one
Python loop spinning on one core (busy); the two settings alternate, `--repeat` times each, so the
machine's drift falls on both.

    python -m benchmarks.shared_machine --out docs/results/shared_machine.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gnnrec_core.pipeline.cores import USER_SET, machine_cores

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
CASES = {"lightgcn,pop": "the demo's GNN (LightGCN, its default budget and search)",
         "gfcf,bspm,ease": "two graph filters and EASE"}


def timed(models: str, threads: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k not in USER_SET and k != "GNNREC_THREADS"}
    if threads is not None:
        env["GNNREC_THREADS"] = threads
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(SAMPLE), "--models", models, "--quiet",
                    "--json", os.devnull], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cores = str(machine_cores())
    rows = []
    for load in ("idle", "busy"):
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load == "busy" else None
        try:
            for models in CASES:
                seconds: dict[str, list[float]] = {"free cores": [], "every core": []}
                for _ in range(args.repeat):
                    seconds["free cores"].append(timed(models, None))
                    seconds["every core"].append(timed(models, cores))
                mean = {k: sum(v) / len(v) for k, v in seconds.items()}
                rows.append({"machine": load, "models": models, "what": CASES[models], "seconds": seconds,
                             "ratio": mean["free cores"] / mean["every core"]})
                print(f"{load:5} {models:15} free cores {mean['free cores']:6.1f} s, every core "
                      f"{mean['every core']:6.1f} s, ratio {rows[-1]['ratio']:.2f}", flush=True)
        finally:
            if spinner is not None:
                spinner.kill()
    if args.out:
        args.out.write_text(json.dumps({"cores": int(cores), "command": "python -m benchmarks.shared_machine",
                                        "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
