"""`compare-periods` on a full year of retail baskets: the command a user types, timed, and the
period test's Fisher p-values against scipy's hypergeometric tails (the code before) on the same
pairs, in one run.

    python -m benchmarks.changes_scale [--out docs/results/changes_scale.json]

The log: the 25,900 Online Retail invoices of ../shared/data/online_retail_baskets.csv.gz (a
whole year, 541,909 lines, 4,070 stock codes), one line per product, each invoice given a date
drawn uniformly over 2011 (seed 0; the file has none), split at 1 July. The command runs twice,
without and with `--json`; the reference is timed on the pairs the comparison tests.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.result_file import finish

ROOT = Path(__file__).resolve().parents[1]
BASKETS = ROOT.parent / "shared" / "data" / "online_retail_baskets.csv.gz"
SPLIT = "2011-07-01"


def dated_log(folder: Path) -> Path:
    with gzip.open(BASKETS, "rt") as lines:
        baskets = [line.strip().split(",") for line in lines if line.strip()]
    days = np.sort(np.random.default_rng(0).integers(0, 365, len(baskets)))
    rows = [(f"I{i}", code, pd.Timestamp("2011-01-01") + pd.Timedelta(days=int(day)))
            for i, (codes, day) in enumerate(zip(baskets, days)) for code in codes]
    path = folder / "online_retail_year.csv.gz"
    pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "InvoiceDate"]).to_csv(path, index=False)
    return path


def command(log: Path, json_path: Path | None) -> dict[str, float]:
    args = [sys.executable, "-m", "gnnrec_core", "compare-periods", str(log), "--split", SPLIT]
    args += ["--json", str(json_path)] if json_path else []
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # the largest child so far, GiB
    out = {"seconds": round(seconds, 1), "peak_gib_so_far": round(peak, 2), "first_lines": done.stdout.splitlines()[:3]}
    if json_path:
        out["json_mb"] = round(json_path.stat().st_size / 1e6, 1)
    return out


def fisher_reference(x_b: np.ndarray, total: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """The code before: scipy's hypergeometric tails, the smaller doubled."""
    from scipy.stats import hypergeom

    population = n_a + n_b
    low = hypergeom.cdf(x_b, population, total, n_b)
    high = hypergeom.sf(x_b - 1, population, total, n_b)
    return np.asarray(np.clip(2 * np.minimum(low, high), 0.0, 1.0))


def fisher_race(log: Path) -> dict[str, object]:
    from gnnrec_core import ingest
    from gnnrec_core.baskets.changes import compare_sides, split_by_time
    from gnnrec_core.baskets.significance import fisher_two_sided

    split = split_by_time(ingest(log).events, SPLIT)
    pairs = compare_sides(split).pairs
    n_a, n_b = split.a.shape[0], split.b.shape[0]
    x_b = pairs["baskets_b"].to_numpy()
    total = (pairs["baskets_a"] + pairs["baskets_b"]).to_numpy()
    started = time.perf_counter()
    shipped = fisher_two_sided(x_b, total, n_a, n_b)
    shipped_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = fisher_reference(x_b, total, n_a, n_b)
    reference_seconds = time.perf_counter() - started
    both = reference > 1e-300  # below that the reference itself is at the edge of float64
    return {"pairs": len(pairs), "baskets": [n_a, n_b], "shipped_seconds": round(shipped_seconds, 2),
            "scipy_seconds": round(reference_seconds, 2),
            "shipped / scipy": round(shipped_seconds / reference_seconds, 4),
            "largest_relative_difference": float(np.max(np.abs(shipped[both] - reference[both]) / reference[both])),
            "largest_absolute_difference": float(np.max(np.abs(shipped - reference)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = dated_log(Path(folder))
        result = {"command_without_json": command(log, None),
                  "command_with_json": command(log, Path(folder) / "changes.json"),
                  "fisher": fisher_race(log)}
    finish("benchmarks.changes_scale", result, args.out)


if __name__ == "__main__":
    main()
