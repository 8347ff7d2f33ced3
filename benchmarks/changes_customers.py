"""Do the segment tests hold when customers order again and again? Named changes between two
segments of customers drawn at random (no change by construction), counting baskets or buyers.

    python -m benchmarks.changes_customers [--seeds 20]    # docs/results/changes_customers.json

The Online Retail December slice (sample_data/, 1,051 customers; a wholesaler among them placed 17
near-identical orders in the month). Each seed gives every customer segment A or B at random (a
customer's attribute, such as a loyalty tier: baskets of no known customer have none and are left
out), and compares the segments as `compare-periods --by` does
(`split_by_column`, `compare_sides`, the defaults: 10 baskets, q 0.05), twice: each basket a unit
of the test (the code before baskets/buyers.py) and each buyer one (as shipped). Then, to see what
the buyers' test costs in power, five products near each of 10, 20, 40 and 80 baskets of B are
tripled in B, added to baskets of B drawn at random (so to many customers), and the share found by
each test is counted. Reported: mean +/- std over seeds.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from gnnrec_core import ingest
from gnnrec_core.baskets.changes import compare_sides, split_by_column

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "changes_customers.json"
LEVELS = (10, 20, 40, 80)
UNITS = ("baskets", "buyers")


def named(report) -> int:
    return sum(int((table["status"] != "no clear change").sum()) for table in (report.items, report.pairs))


def one_seed(events, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    customers = events["user"].dropna().unique()
    side = dict(zip(customers, rng.choice(["A", "B"], len(customers))))
    split = split_by_column(events.assign(**{"segment:random": events["user"].map(side)}), "random", ("A", "B"))
    splits = {"baskets": replace(split, buyers={}), "buyers": split}
    out: dict = {"null_named": {unit: named(compare_sides(splits[unit])) for unit in UNITS}}

    b = split.b.tolil()
    count_b = np.asarray(split.b.sum(0)).ravel()
    planted: dict[int, int] = {}
    for level in LEVELS:
        for item in [int(i) for i in np.argsort(np.abs(count_b - level)) if int(i) not in planted][:5]:
            planted[item] = level
            free = [r for r in rng.permutation(b.shape[0]) if b[r, item] == 0][: int(2 * count_b[item])]
            for r in free:
                b[r, item] = 1
    found = {}
    for unit in UNITS:
        report = compare_sides(replace(splits[unit], b=b.tocsr()))
        rising = set(report.items.loc[report.items["status"].isin(["more in b", "rising", "new"]), "item"])
        found[unit] = {f"product x3 at ~{level}": float(np.mean([split.items[i] in rising for i, v in planted.items()
                                                                 if v == level])) for level in LEVELS}
    out["found"] = found
    return out


def summarise(runs: list[dict]) -> dict:
    def ms(values):
        return {"mean": round(float(np.mean(values)), 3), "std": round(float(np.std(values)), 3)}
    return {unit: {"named_changes_with_no_change": ms([r["null_named"][unit] for r in runs]),
                   "seeds_with_any_named_change": ms([r["null_named"][unit] > 0 for r in runs]),
                   "share_found": {key: ms([r["found"][unit][key] for r in runs])
                                   for key in runs[0]["found"][unit]}} for unit in UNITS}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    events = ingest(ROOT / "sample_data" / "online_retail_dec2010.csv.gz", drop_non_products=True).events
    runs = []
    for seed in range(args.seeds):
        runs.append(one_seed(events, seed))
        print(seed, json.dumps(runs[-1]), flush=True)
    results = summarise(runs)
    print(json.dumps(results, indent=1))
    OUT.write_text(json.dumps({"command": f"python -m benchmarks.changes_customers --seeds {args.seeds}",
                               "min_baskets": 10, "q_threshold": 0.05, "results": results}, indent=1) + "\n")
