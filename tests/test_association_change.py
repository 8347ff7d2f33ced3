"""A pair's share of baskets rises when either product sells more: two products each bought far more
in period b made 83 "rising" and "new" pairs of their own and of everything beside them, while the
one pair planted to go together more was a line among them. The association test names that pair
alone (baskets/association_change.py), as `compare-periods` is typed."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr
from test_changes import run_cli

from gnnrec_core.baskets.association_change import with_association_change

SPLIT = pd.Timestamp("2024-02-01")


def _log(seed: int, orders: int = 3000) -> pd.DataFrame:
    """Orders of 1-4 of 60 products by a fixed popularity, half each side of SPLIT, 1,000 customers.
    In b, P040 and P041 are each added to a quarter of the orders, independently (their pairs rise with
    them, no association); P011 is added to half the orders holding P010 (they go together more)."""
    rng = np.random.default_rng(seed)
    names = np.array([f"P{i:03d}" for i in range(60)])
    weights = 1 / np.arange(1, 61) ** 0.5
    weights /= weights.sum()
    rows = []
    for order in range(orders):
        late = order >= orders // 2
        hours = pd.Timedelta(hours=int(rng.integers(0, 24 * 28)))
        chosen = set(rng.choice(names, rng.integers(1, 5), replace=False, p=weights))
        if late:
            chosen |= {rising for rising in ("P040", "P041") if rng.random() < 0.25}
            if "P010" in chosen and rng.random() < 0.5:
                chosen.add("P011")
        rows += [{"order": f"O{order}", "customer": f"U{order % 1000}", "product": p,
                  "when": SPLIT + hours if late else SPLIT - hours - pd.Timedelta(hours=1)} for p in sorted(chosen)]
    return pd.DataFrame(rows)


def test_the_pair_that_goes_together_more_is_named_and_the_pairs_that_rose_with_their_products_are_not(tmp_path):
    log, out = tmp_path / "orders.csv", tmp_path / "changes.json"
    _log(0).to_csv(log, index=False)
    done = run_cli(log, "--split", "2024-02-01", "--json", out)
    assert done.returncode == 0, done.stderr
    pairs = pd.DataFrame(json.loads(out.read_text())["pairs"])
    with_risers = pairs[pairs["a"].isin(["P040", "P041"]) | pairs["b"].isin(["P040", "P041"])]
    assert (with_risers["status"].isin(["rising", "new"])).sum() >= 50  # named by their share, as before
    assert set(with_risers["association"]) == {""}
    changed = pairs[pairs["association"] != ""]
    assert list(zip(changed["a"], changed["b"], changed["association"])) == [("P010", "P011", "stronger")]
    lines = done.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("pairs whose association changed (1): "))
    assert lines[at + 1].startswith("  P010+P011 P010 + P011: association stronger, lift ")


def test_the_same_tables_on_both_sides_change_nothing():
    from types import SimpleNamespace

    pairs = pd.DataFrame({"a": ["x", "x"], "b": ["y", "z"], "baskets_a": [30, 0], "baskets_b": [30, 0]})
    counts = np.array([100, 80, 5])  # baskets holding x, y and z, of a thousand baskets of a thousand buyers
    split = SimpleNamespace(items=np.array(["x", "y", "z"]), a=np.zeros((1000, 3)), b=np.zeros((1000, 3)),
                            buyers_of=lambda side: np.arange(1000))
    found = with_association_change(pairs, split, (counts, counts), 0.05)
    assert found["association_q"].tolist() == [1.0, 1.0] and found["association"].tolist() == ["", ""]
    # Twice as often together on side b, each product's baskets as before: stronger, by Woolf's z
    found = with_association_change(pairs.assign(baskets_b=[60, 0]), split, (counts, counts), 0.05)
    cells_a = np.array([30, 70, 50, 850]) + 0.5  # both, x only, y only, neither
    cells_b = np.array([60, 40, 20, 880]) + 0.5
    z = (np.log(cells_b[0] * cells_b[3] / (cells_b[1] * cells_b[2])) - np.log(
        cells_a[0] * cells_a[3] / (cells_a[1] * cells_a[2]))) / np.sqrt((1 / cells_a).sum() + (1 / cells_b).sum())
    assert found["association"].tolist() == ["stronger", ""] and z > 5
    assert found["association_q"][0] == pytest.approx(2 * (2 * ndtr(-z)))  # two tests, Benjamini-Hochberg
    # The same baskets from a third as many buyers (three orders each): a third of the evidence
    triple = SimpleNamespace(**{**vars(split), "buyers_of": lambda side: np.arange(1000) // 3})
    weaker_evidence = with_association_change(pairs.assign(baskets_b=[60, 0]), triple, (counts, counts), 0.05)
    assert weaker_evidence["association_q"][0] > found["association_q"][0]


def test_a_side_of_more_orders_a_customer_changes_no_association():
    """A review's case: products drawn independently in every basket, one order a customer before
    the split and three after. Counting buyers of both in one basket against buyers of each anywhere
    read 347 of 601 pairs "weaker" (q down to 1e-9); none is."""
    from gnnrec_core.baskets.changes import ChangeConfig, compare_sides, split_by_time
    from gnnrec_core.data.ingest import ingest

    rng = np.random.default_rng(1)
    shares = np.linspace(0.05, 0.3, 40)
    rows = []
    for customer in range(1500):
        for order in range(4):  # the first before the split, three after
            when = SPLIT - pd.Timedelta(days=3) if order == 0 else SPLIT + pd.Timedelta(days=order)
            held = np.flatnonzero(rng.random(40) < shares)
            rows += [(f"O{customer}-{order}", f"U{customer}", f"P{p:03d}", when) for p in held]
    frame = pd.DataFrame(rows, columns=["order", "customer", "product", "when"])
    report = compare_sides(split_by_time(ingest(frame.to_csv(index=False).encode(), "log.csv").events, SPLIT),
                           config=ChangeConfig())
    assert len(report.pairs) > 500 and set(report.pairs["association"]) == {""}
