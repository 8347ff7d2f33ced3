"""A large log end to end, as a user runs it: `train` (ingest, the default model and every default
comparison within their budgets, the run saved), then `export --run latest` (top-10 for every
customer, similar items, embeddings). Wall time and peak memory of each command, each in its own
process, with the CLI's defaults.

    python -m benchmarks.end_to_end --lines 32000000 --json docs/results/end_to_end_32m.json

The log is benchmarks/ingest_scale.py's (Instacart's shape: 206k customers, 50k products, 9.4
lines an order), written once into its cache. Larger logs repeat a base of 2M lines with new
order ids and times, so past 2M lines the baskets grow but the customer x product pairs do not:
what training sees is the 2M-line graph. Say so beside any figure from here.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ingest_scale import write_log

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], timeout: float) -> dict[str, object]:
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "gnnrec_core", *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(argv), "error": f"stopped after {timeout:.0f} s"}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20  # the largest child so far
    row: dict[str, object] = {"command": " ".join(argv), "seconds": round(time.perf_counter() - started, 1),
                              "peak_rss_gib_so_far": round(peak, 2), "exit": done.returncode,
                              "stdout_tail": done.stdout.strip().splitlines()[-30:]}
    if done.returncode:
        row["error"] = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=32_000_000)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "gnnrec-ingest-scale"))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds each command may take")
    parser.add_argument("--json", help="write the rows here too")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / f"orders_{args.lines}.csv"
    if not log.exists():
        write_log(args.lines, log)
    workspace = Path(tempfile.mkdtemp(prefix="gnnrec-e2e-"))
    rows = [run(["train", str(log), "--drop-non-products", "--workspace", str(workspace), "--quiet"], args.timeout)]
    if "error" not in rows[0]:
        rows.append(run(["export", "--run", "latest", "--workspace", str(workspace), "--out",
                         str(workspace / "export"), "--quiet"], args.timeout))
    total = sum(float(row.get("seconds", 0)) for row in rows)  # type: ignore[arg-type]
    result = {"command": f"python -m benchmarks.end_to_end --lines {args.lines}", "lines": args.lines, "rows": rows,
              "total_seconds": round(total, 1)}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
