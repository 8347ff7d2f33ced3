"""The speed targets of "fast and good by default", each measured the way a user meets it.

    python -m benchmarks.targets rules       # `rules` on all 25,900 baskets vs `import pandas, scipy.sparse`
    python -m benchmarks.targets ease        # EASE at 10k products, lambda choice included
    python -m benchmarks.targets million     # `benchmark DATA --models pop,lightgcn` on 1M lines, defaults
    python -m benchmarks.targets periods     # `compare-periods` on the same 1M lines, split at mid-year
    python -m benchmarks.targets demo        # the Train page's default run on the bundled sample

Commands run as subprocesses (what a user types), timed by wall clock; peak memory is the child's
maximum resident set size. Ratios are taken in one run, interleaving the two commands, because
this machine is shared and noisy. Results merge into docs/results/targets.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "targets.json"
BASKETS = ROOT.parent / "shared" / "data" / "online_retail_baskets.csv.gz"
CACHE = Path.home() / ".cache" / "gnnrec"


def timed(args: list[str]) -> dict:
    """Wall seconds and peak memory of one command (peak: the largest child seen so far, so run
    the biggest command last or in its own process)."""
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB
    return {"seconds": round(seconds, 2), "peak_gib_so_far": round(peak, 2), "stdout": done.stdout}


def rules(repeats: int = 5) -> dict:
    cli = [sys.executable, "-m", "gnnrec_core", "rules", str(BASKETS)]
    floor = [sys.executable, "-c", "import pandas, scipy.sparse"]
    pairs = [(timed(cli)["seconds"], timed(floor)["seconds"]) for _ in range(repeats)]
    ratios = [a / b for a, b in pairs]
    return {"command": " ".join(cli[1:]), "reference": "python -c 'import pandas, scipy.sparse'",
            "rules_seconds": statistics.median(a for a, _ in pairs),
            "import_seconds": statistics.median(b for _, b in pairs),
            "ratio_median": round(statistics.median(ratios), 2), "ratios": [round(r, 2) for r in ratios],
            "target_ratio": 3.0}


EASE_CODE = """
import json, sys, time
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.pipeline.benchmark import make_model, prepare
from gnnrec_core.data.ingest import ingest
users, items, lines = map(int, sys.argv[1:4])
frame = generate(SyntheticConfig(interactions=lines, users=users, items=items, categories=100, seed=0))
path = "/tmp/gnnrec-ease-bench.csv"
frame.to_csv(path, index=False)
dataset = prepare(ingest(path))
matrix = dataset.interactions.matrix()
started = time.perf_counter()
model = make_model("ease", dataset).fit(matrix)
print(json.dumps({"users": matrix.shape[0], "items": matrix.shape[1], "interactions": int(matrix.nnz),
                  "fit_seconds": round(time.perf_counter() - started, 2), "lambda": float(model.l2_),
                  "space": "user (Woodbury)" if matrix.shape[0] < matrix.shape[1] else "item"}))
"""


def ease() -> dict:
    rows = []
    for users, items, lines in ((3_000, 10_000, 60_000), (30_000, 10_000, 300_000)):
        result = timed([sys.executable, "-c", EASE_CODE, str(users), str(items), str(lines)])
        rows.append(json.loads(result["stdout"].strip().splitlines()[-1]) | {"wall_seconds": result["seconds"]})
    return {"runs": rows, "target_seconds": 30}


def million() -> dict:
    data = CACHE / "orders_1m.csv"
    if not data.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "gnnrec_core.data.synthetic", "--interactions", "1000000",
                        "--out", str(data)], cwd=ROOT, check=True)
    json_out = Path("/tmp/gnnrec-million.json")
    cli = [sys.executable, "-m", "gnnrec_core", "benchmark", str(data), "--models", "pop,lightgcn", "--quiet",
           "--json", str(json_out)]
    result = timed(cli)
    return {"command": "python -m gnnrec_core benchmark orders_1m.csv --models pop,lightgcn", "wall_seconds":
            result["seconds"], "peak_gib": result["peak_gib_so_far"], "target_seconds": 300, "target_gib": 8,
            "benchmark": json.loads(json_out.read_text())}


def periods() -> dict:
    """`compare-periods` on the 1M-line log split at mid-year, end to end (reading and cleaning
    included), and the comparison alone in process."""
    data = CACHE / "orders_1m.csv"
    if not data.is_file():
        million()  # writes the log
    json_out = Path("/tmp/gnnrec-periods.json")
    cli = [sys.executable, "-m", "gnnrec_core", "compare-periods", str(data), "--split", "2025-07-01",
           "--json", str(json_out)]
    result = timed(cli)
    found = json.loads(json_out.read_text())
    alone = timed([sys.executable, "-c", PERIODS_CODE, str(data)])
    named = sum(r["status"] != "no clear change" for kind in ("items", "pairs") for r in found[kind])
    return {"command": "python -m gnnrec_core compare-periods orders_1m.csv --split 2025-07-01",
            "wall_seconds": result["seconds"], "peak_gib": result["peak_gib_so_far"], "target_seconds": 30,
            "periods": found["periods"], "items_tested": len(found["items"]), "pairs_tested": len(found["pairs"]),
            "named_changes": named, "note": "the synthetic log has no trend: every named change is a false one",
            "in_process": json.loads(alone["stdout"].strip().splitlines()[-1])}


PERIODS_CODE = """
import json, sys, time
from gnnrec_core import ingest, split_by_time, compare_sides
started = time.perf_counter()
result = ingest(sys.argv[1])
read = time.perf_counter() - started
started = time.perf_counter()
report = compare_sides(split_by_time(result.events, "2025-07-01"), result.catalogue["name"])
print(json.dumps({"ingest_seconds": round(read, 2), "compare_seconds": round(time.perf_counter() - started, 2)}))
"""


DEMO_CODE = """
import json, time
from gnnrec_core import ExperimentConfig, ingest, prepare, run_experiment
dataset = prepare(ingest("sample_data/online_retail_dec2010.csv.gz"))
started = time.perf_counter()
experiment = run_experiment(dataset, ExperimentConfig())
print(json.dumps({"seconds": round(time.perf_counter() - started, 2), "notes": experiment.notes,
                  "results": [row.to_json() for row in experiment.results]}))
"""


def demo() -> dict:
    result = timed([sys.executable, "-c", DEMO_CODE])
    return json.loads(result["stdout"].strip().splitlines()[-1]) | {"target_seconds": 15}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["rules", "ease", "million", "periods", "demo"])
    args = parser.parse_args()
    found = {"rules": rules, "ease": ease, "million": million, "periods": periods, "demo": demo}[args.target]()
    saved = json.loads(OUT.read_text()) if OUT.is_file() else {}
    saved[args.target] = found
    OUT.write_text(json.dumps(saved, indent=1) + "\n")
    print(json.dumps(found, indent=1)[:3000])
