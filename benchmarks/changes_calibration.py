"""Do the period tests hold on real baskets? False discoveries with no change, power on planted ones.

    PYTHONPATH=. python -m benchmarks.changes_calibration [--seeds 20]

For each real basket set (the Online Retail slice, the groceries baskets) and seed, the baskets
are shuffled into two halves: no change by construction, with real basket sizes and real
co-purchase structure. Then, in half b only, changes are planted:
- products tripled: for products in about 10, 20, 40 and 80 baskets of half b, the product is
  added to random baskets of b not holding it until b holds three times as many;
- pairs that appear: two products never bought together get bought together in 10, 20 or 40
  baskets of b.
Reported per dataset, mean +/- std over seeds: the share of shuffles with any named change before
planting (BH keeps it at most q), false discoveries after planting (named changes of products and
pairs not planted and not holding a planted product) and their share of all named changes (BH
keeps its expectation at most q), and the share of planted changes found, by size. Defaults:
min_baskets 10, q 0.05. Results: docs/results/changes_calibration.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from gnnrec_core import ingest
from gnnrec_core.baskets.associations import catalogue_stats
from gnnrec_core.baskets.changes import SplitBaskets, compare_sides

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "docs" / "results" / "changes_calibration.json"
LEVELS = (10, 20, 40, 80)
PAIR_LEVELS = (10, 20, 40)


def load(name: str) -> sp.csr_matrix:
    if name == "online_retail_dec2010":
        events = ingest(ROOT / "sample_data" / "online_retail_dec2010.csv.gz", drop_non_products=True).events
    else:  # one basket per line, no header
        lines = (DATA / "groceries.csv.gz").read_bytes()
        import gzip

        rows = [line.split(",") for line in gzip.decompress(lines).decode().splitlines() if line.strip()]
        import pandas as pd

        events = ingest(pd.DataFrame([(f"b{i}", item) for i, row in enumerate(rows) for item in row],
                                     columns=["basket", "item"]).to_csv(index=False).encode(), "groceries.csv").events
    return catalogue_stats(events)[0].baskets.tocsr()


def one_seed(baskets: sp.csr_matrix, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    order = rng.permutation(baskets.shape[0])
    half = len(order) // 2
    a, b = baskets[order[:half]].tolil(), baskets[order[half:]].tolil()
    items = np.array([str(i) for i in range(baskets.shape[1])], dtype=object)
    null = compare_sides(SplitBaskets(items, a.tocsr(), b.tocsr(), [{"label": "a"}, {"label": "b"}]))
    null_named = sum(int((table["status"] != "no clear change").sum()) for table in (null.items, null.pairs))

    count_b = np.asarray(b.tocsr().sum(0)).ravel()
    planted_items: dict[int, int] = {}
    for level in LEVELS:  # five products near each level, not yet used
        near = np.argsort(np.abs(count_b - level))
        for item in [int(i) for i in near if int(i) not in planted_items][:5]:
            planted_items[item] = level
            free = [r for r in rng.permutation(b.shape[0]) if b[r, item] == 0][: int(2 * count_b[item])]
            for r in free:
                b[r, item] = 1
    both = (baskets.T @ baskets).tocsr()
    planted_pairs: dict[tuple[int, int], int] = {}
    candidates = [i for i in np.argsort(-np.asarray(baskets.sum(0)).ravel())[:200] if int(i) not in planted_items]
    for level in PAIR_LEVELS:
        for _ in range(3):
            while True:
                x, y = sorted(int(v) for v in rng.choice(candidates, 2, replace=False))
                if both[x, y] == 0 and (x, y) not in planted_pairs:
                    break
            planted_pairs[(x, y)] = level
            for r in rng.choice(b.shape[0], level, replace=False):
                b[r, x] = b[r, y] = 1
    report = compare_sides(SplitBaskets(items, a.tocsr(), b.tocsr(), [{"label": "a"}, {"label": "b"}]))
    named_items = report.items[report.items["status"] != "no clear change"]
    named_pairs = report.pairs[report.pairs["status"] != "no clear change"]
    # Planting changes the planted products and every pair holding one (they really are bought more, and
    # with more partners); a false discovery is a named change of anything else.
    planted_codes = {str(i) for i in planted_items} | {str(v) for pair in planted_pairs for v in pair}
    false_items = int((~named_items["item"].isin(planted_codes)).sum())
    touched = named_pairs["a"].isin(planted_codes) | named_pairs["b"].isin(planted_codes)
    planted_pair_codes = {(str(x), str(y)) for x, y in planted_pairs}
    false_pairs = int(sum(1 for key, hit in zip(zip(named_pairs["a"], named_pairs["b"]), touched)
                          if not hit and key not in planted_pair_codes))
    rising = set(named_items.loc[named_items["status"].isin(["rising", "new"]), "item"])
    pair_keys = {key for key, status in zip(zip(named_pairs["a"], named_pairs["b"]), named_pairs["status"])
                 if status in ("rising", "new")}
    found = {f"product x3 at ~{level}": float(np.mean([str(i) in rising for i, v in planted_items.items()
                                                       if v == level])) for level in LEVELS}
    found |= {f"new pair in {level}": float(np.mean([(str(x), str(y)) in pair_keys
                                                     for (x, y), v in planted_pairs.items() if v == level]))
              for level in PAIR_LEVELS}
    named = len(named_items) + len(named_pairs)
    return {"null_named": null_named, "false_discoveries": false_items + false_pairs,
            "false_discovery_proportion": (false_items + false_pairs) / max(named, 1),
            "items_tested": len(report.items), "pairs_tested": len(report.pairs), "found": found}


def summarise(runs: list[dict]) -> dict:
    def ms(values):
        return {"mean": round(float(np.mean(values)), 3), "std": round(float(np.std(values)), 3)}
    return {"seeds": len(runs), "shuffles_with_any_named_change": ms([r["null_named"] > 0 for r in runs]),
            "named_changes_without_plants": ms([r["null_named"] for r in runs]),
            "false_discoveries_after_planting": ms([r["false_discoveries"] for r in runs]),
            "false_discovery_proportion": ms([r["false_discovery_proportion"] for r in runs]),
            "items_tested": ms([r["items_tested"] for r in runs]),
            "pairs_tested": ms([r["pairs_tested"] for r in runs]),
            "share_found": {key: ms([r["found"][key] for r in runs]) for key in runs[0]["found"]}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for name in ("online_retail_dec2010", "groceries"):
        baskets = load(name)
        results[name] = summarise([one_seed(baskets, seed) for seed in range(args.seeds)])
        print(name, json.dumps(results[name], indent=1))
    OUT.write_text(json.dumps({"command": f"python -m benchmarks.changes_calibration --seeds {args.seeds}",
                               "min_baskets": 10, "q_threshold": 0.05, "results": results}, indent=1) + "\n")
