"""Two periods of a log without orders (reviews): a customer's lines within a period are their
basket there, so a longer period's baskets are larger. Tested on the share of customers holding
it, every product "fell" into the shorter period (140 products at q 1e-96 on a review log uniform
in time); tested on its share of the period's customer-product pairs, none does, and a real change
still shows."""

import json

import numpy as np
import pandas as pd
import pytest
from test_cli import run_cli


def _reviews(path, planted: bool):
    """6,000 reviewers over 2013, each review's day uniform over the year and its product drawn from
    one fixed popularity; with `planted`, product P007 three times as likely from October on."""
    rng = np.random.default_rng(5)
    weights = 1 / np.arange(1, 61) ** 0.7
    weights /= weights.sum()
    rows = []
    for reviewer in range(6_000):
        days = rng.integers(0, 365, rng.integers(1, 9))
        for day in days:
            late = day >= 273
            p = weights.copy()
            if planted and late:
                p[7] *= 3
                p /= p.sum()
            product = f"P{rng.choice(60, p=p):03d}"
            rows.append((f"R{reviewer}", product, float(rng.integers(1, 6)),
                         (pd.Timestamp("2013-01-01") + pd.Timedelta(days=int(day))).isoformat()))
    pd.DataFrame(rows, columns=["reviewerID", "asin", "overall", "reviewTime"]).drop_duplicates(
        ["reviewerID", "asin"]).to_csv(path, index=False)


@pytest.mark.parametrize("planted", [False, True])
def test_periods_of_unequal_length_of_a_log_without_orders(tmp_path, planted):
    log = tmp_path / "reviews.csv"
    _reviews(log, planted)
    out = tmp_path / "changes.json"
    done = run_cli("compare-periods", log, "--split", "2013-05-01", "--json", out)  # a third of the year first
    assert done.returncode == 0, done.stderr
    assert "each product is tested on its share of the period's customer-product pairs" in done.stdout + done.stderr
    items = pd.DataFrame(json.loads(out.read_text())["items"])
    named = items[items["status"] != "no clear change"]
    if planted:  # more in b: P007's share of the pairs from May on (a third more of the year is its late part)
        assert list(named["item"]) == ["P007"] and named["status"].iloc[0] == "rising"
    else:
        assert named.empty, named[["item", "baskets_a", "baskets_b", "q_value", "status"]]
    pairs = pd.DataFrame(json.loads(out.read_text())["pairs"])
    if not planted:  # 859 pairs tested at a 5% false discovery rate: one named by chance here (q 0.045)
        assert (pairs["status"] != "no clear change").sum() <= 1
