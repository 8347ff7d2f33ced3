"""Segment and period tests count buyers, not baskets: one wholesaler's twenty repeat orders of a
pair are one customer, not twenty independent baskets (a new user's random segments named a third
of the pairs tested), while twenty customers buying it once each still make a change."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_cli import run_cli

from gnnrec_core.baskets.buyers import basket_buyers, buyer_counts, pair_buyer_counts

PAIR = ("P-MUG", "P-TEAPOT")


def segment_log(repeat_buyers: int, orders: int = 20) -> pd.DataFrame:
    """600 orders of 1-3 everyday products by 300 customers, each customer in France or Germany;
    then `orders` German orders of PAIR, placed by `repeat_buyers` customers of their own (1: one
    wholesaler ordering it again and again; `orders`: a customer each)."""
    rng = np.random.default_rng(0)
    products = [f"P{i:02d}" for i in range(30)]
    country = {f"C{c}": ("FR", "DE")[c % 2] for c in range(300)}
    rows = [(f"O{o}", f"C{o % 300}", p, country[f"C{o % 300}"])
            for o in range(600) for p in rng.choice(products, rng.integers(1, 4), replace=False)]
    rows += [(f"W{o}", f"D{o % repeat_buyers}", p, "DE") for o in range(orders) for p in PAIR]
    return pd.DataFrame(rows, columns=["InvoiceNo", "CustomerID", "StockCode", "Country"])


@pytest.mark.parametrize("buyers, named", [(1, False), (20, True)])
def test_a_pair_of_one_customers_repeat_orders_is_no_change_and_of_twenty_customers_is(buyers, named, tmp_path):
    segment_log(buyers).to_csv(tmp_path / "orders.csv", index=False)
    done = run_cli("compare-periods", tmp_path / "orders.csv", "--by", "Country", "--groups", "FR,DE",
                   "--json", tmp_path / "out.json")
    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "out.json").read_text())
    pair = next(p for p in found["pairs"] if {p["a"], p["b"]} == set(PAIR))
    assert (pair["baskets_a"], pair["baskets_b"]) == (0, 20)  # the shares are of baskets, as before
    assert (pair["buyers_a"], pair["buyers_b"]) == (0, buyers)  # the test's counts
    assert (pair["status"] == "new") == named  # said "only in b" between segments
    assert ("P-MUG+P-TEAPOT" in done.stdout) == named
    assert [p["buyers"] for p in found["periods"]] == [150, 150 + buyers]


def test_buyer_counts_match_a_count_by_hand():
    """Each pair's distinct buyers with one basket holding both, against a loop over baskets, on
    random baskets where some buyers have one basket and some many; a pair held by one buyer in two
    different baskets (not together) is not theirs."""
    rng = np.random.default_rng(3)
    n_baskets, n_items = 300, 12
    dense = (rng.random((n_baskets, n_items)) < 0.25).astype(np.float32)
    baskets = sp.csr_matrix(dense)
    # 40 repeat buyers with the lowest codes, 100 of one basket each above them
    buyers = np.concatenate([40 + np.arange(100), rng.integers(0, 40, n_baskets - 100)])
    rows, cols = np.triu_indices(n_items, 1)
    expected = [len({buyers[r] for r in range(n_baskets) if dense[r, i] and dense[r, j]}) for i, j in zip(rows, cols)]
    assert pair_buyer_counts(baskets, buyers, rows, cols, np.zeros(len(rows))).tolist() == expected
    items, total = buyer_counts(baskets, buyers)
    assert total == 140
    assert items.tolist() == [len({buyers[r] for r in range(n_baskets) if dense[r, i]}) for i in range(n_items)]
    split = sp.csr_matrix(np.array([[1, 0], [0, 1]], np.float32))  # one buyer: mug, then teapot, never together
    assert pair_buyer_counts(split, np.array([0, 0]), np.array([0]), np.array([1]), np.array([0])).tolist() == [0]
    lone = np.arange(n_baskets)  # a buyer per basket: the baskets' counts stand
    assert pair_buyer_counts(baskets, lone, rows, cols, np.arange(len(rows))).tolist() == list(range(len(rows)))


def test_a_basket_of_no_known_customer_is_a_buyer_of_its_own():
    keys = np.array(["o1", "o1", "o2", "o3", "o4"])
    users = pd.Series(["c1", "c1", None, "c1", None])
    codes = basket_buyers(keys, users)
    assert codes[0] == codes[2] and len(set(codes)) == 3  # o1 and o3: c1's; o2 and o4 each their own


def test_every_count_of_buyers_on_the_sample_is_at_least_one_and_at_most_its_baskets():
    """On real orders (the sample: repeat customers and baskets of no known customer), a product or pair
    held by some baskets is held by at least one buyer and by no more buyers than baskets."""
    from conftest import SAMPLE

    from gnnrec_core import ingest
    from gnnrec_core.baskets.changes import compare_sides, split_by_time

    events = ingest(SAMPLE, drop_non_products=True).events
    report = compare_sides(split_by_time(events, "2010-12-15"))
    assert report.repeat_buyers
    for table in (report.items, report.pairs):
        for side in "ab":
            baskets, buyers = table[f"baskets_{side}"], table[f"buyers_{side}"]
            assert ((buyers > 0) == (baskets > 0)).all() and (buyers <= baskets).all()
        assert (table["buyers_a"] + table["buyers_b"] < table["baskets_a"] + table["baskets_b"]).any()
