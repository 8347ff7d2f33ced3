"""Ingest at scale: wall time and peak memory of `ingest` on a synthetic order log, per engine and size.

    python -m benchmarks.ingest_scale --lines 1000000 5000000 --engines pandas duckdb
    python -m benchmarks.ingest_scale --lines 32000000 --engines duckdb --json docs/results/ingest_32m.json

The log has Instacart's shape (206k customers, 50k products, 9.4 lines an order: 32M lines is 3.4M
orders): `gnnrec_core.data.synthetic.generate` makes a base of at most 2M lines, and larger logs
repeat it with new order ids and times a year later each time, so the catalogue stays one catalogue
while orders and times stay distinct. It is written once as plain CSV (cached in --cache, the system's
temporary folder by default) by
pyarrow; writing is not timed. Each ingest runs in its own process (drop_non_products on, as the
Data page does); peak memory is that process's maximum resident set size, DuckDB's included. The
size limits are raised for the run (GNNREC_MAX_UPLOAD_MB, _ROWS, _INFLATED_MB).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPE = {"users": 206_000, "items": 50_000, "categories": 134, "basket_mean": 9.4}  # Instacart's
BASE_LINES = 2_000_000
LIMITS = {"GNNREC_MAX_UPLOAD_MB": "100000", "GNNREC_MAX_ROWS": "200000000", "GNNREC_MAX_INFLATED_MB": "100000"}


def write_log(lines: int, path: Path) -> None:
    """`lines` order lines of the synthetic log as CSV at `path`."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as csv

    from gnnrec_core.data.synthetic import SyntheticConfig, generate

    base = generate(SyntheticConfig(interactions=min(lines, BASE_LINES), **SHAPE))  # type: ignore[arg-type]
    orders = int(base["order_id"].max() - base["order_id"].min() + 1)
    table = pa.Table.from_pandas(base.drop(columns="timestamp"), preserve_index=False)
    times = pa.array(base["timestamp"].to_numpy())
    written = 0
    tmp = path.with_suffix(".partial")
    with csv.CSVWriter(tmp, table.schema.append(pa.field("timestamp", pa.string()))) as writer:
        for copy in range(math.ceil(lines / len(base))):
            take = min(len(base), lines - written)
            shifted = pc.add(times, pa.scalar(pd.Timedelta(days=365 * copy).to_pytimedelta()))
            part = table.slice(0, take).set_column(0, "order_id", pa.array(
                base["order_id"].to_numpy()[:take] + np.int64(copy * orders)))
            writer.write_table(part.append_column("timestamp", pc.strftime(shifted.slice(0, take),
                                                                            format="%Y-%m-%d %H:%M:%S")))
            written += take
    tmp.rename(path)


def measure(path: Path, engine: str) -> dict[str, object]:
    """One ingest in a fresh process: seconds, peak RSS, rows kept, which reader read the file."""
    code = f"""
import json, resource, time
from gnnrec_core.data.ingest import ingest
events = []
started = time.perf_counter()
result = ingest({str(path)!r}, engine={engine!r}, drop_non_products=True, progress=events.append)
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": round(seconds, 1), "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF)
    .ru_maxrss / 2 ** 20, 2), "rows_read": result.report.rows_read, "rows_kept": result.report.rows_kept,
    "reader": next(e["reader"] for e in events if "reader" in e)}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **LIMITS},
                          cwd=Path(__file__).resolve().parents[1])
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--engines", nargs="+", default=["pandas", "duckdb"], choices=["pandas", "duckdb"])
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "gnnrec-ingest-scale"),
                        help="folder for the generated logs")
    parser.add_argument("--json", help="write the rows here too")
    args = parser.parse_args(argv)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for lines in args.lines:
        path = cache / f"orders_{lines}.csv"
        if not path.exists():
            started = time.perf_counter()
            write_log(lines, path)
            print(f"wrote {path} ({path.stat().st_size / 2 ** 20:,.0f} MB) in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
        for engine in args.engines:
            row = {"lines": lines, "engine": engine, "csv_mb": round(path.stat().st_size / 2 ** 20),
                   **measure(path, engine)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
