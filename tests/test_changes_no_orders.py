"""Compare on a log of no orders (ratings, check-ins): each customer's lines on a side are their
basket there, and what is said of its shares and of its sides is said of customers' histories."""

import numpy as np
import pandas as pd
import pytest
from test_changes import run_cli

from gnnrec_core.baskets.changes import compare_sides, split_by_column, split_by_time
from gnnrec_core.data.ingest import ingest


def test_a_log_of_no_orders_that_names_nothing_speaks_of_customers_not_baskets(tmp_path):
    """A ratings log with nothing changed said 'the smaller side holds 3 baskets; with few baskets',
    where the log has no baskets: each side's units are customers' histories."""
    rows = [(f"u{u}", f"film{(u + f) % 4}", f"2024-0{1 + 2 * (f % 2)}-1{u % 9}") for u in range(12) for f in range(4)]
    path = tmp_path / "ratings.csv"
    pd.DataFrame(rows, columns=["user", "item", "when"]).assign(rating=4).to_csv(path, index=False)
    done = run_cli(path, "--split", "2024-02-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(
        "No product or pair changed by that test (the smaller side holds 12 customers' histories, as the log has no "
        "orders; with few customers only large changes can be told from chance: longer periods or larger segments "
        "may show some).")


@pytest.mark.filterwarnings("error::pandas.errors.Pandas4Warning")  # the report filled float names with text
def test_a_log_of_no_orders_says_what_its_shares_are_of(tmp_path, monkeypatch):
    """A check-in log: the report said "Fisher's exact test on its share of baskets" of shares of the
    customer-product pairs (250 of 3,000 'baskets' at a share of 0.18%), the CLI "the share of baskets
    holding both" of pairs' shares of the product pairs within histories, printed as 0.00%; a log of no
    names printed each code twice ("2525 2525")."""
    from gnnrec_core.baskets.history_shares import share_text
    from gnnrec_core.serving.report import changes_section

    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"f{f}", f"2024-0{1 if side == 'a' else 3}-1{u % 9}") for u in range(300) for side in "ab"
            for f in [*rng.choice(40, 6, replace=False), *([100, 101] if side == "b" and u % 2 == 0 else [])]]
    path = tmp_path / "checkins.csv"
    pd.DataFrame(rows, columns=["user", "item", "when"]).drop_duplicates(["user", "item"]).to_csv(path, index=False)
    done = run_cli(path, "--split", "2024-02-01")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  f100: baskets 0 -> 150, share 0.00% -> 8.24%, q 2.8e-45" in lines  # each code once
    assert any(line.startswith("A pair rises or falls by its share of the product pairs within customers' histories, "
                               "as the log has no orders") for line in lines)
    events = ingest(path.read_bytes(), "checkins.csv", user="user", item="item", time="when").events
    page = "".join(changes_section(compare_sides(split_by_time(events, "2024-02-01"))))
    assert "Fisher's exact test on its share of the period's customer-product pairs" in page
    assert (share_text(0.0), share_text(0.0864), share_text(3.1e-5)) == ("0.00%", "8.64%", "0.0031%")
    from test_app import _app, _open_link

    from gnnrec_core.store import Workspace

    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    Workspace(tmp_path / "ws").save_dataset("checkins", ingest(path.read_bytes(), "checkins.csv", user="user",
                                                               item="item", time="when"))
    at = _app().run()
    at.session_state["active_dataset"] = "checkins"
    _open_link(at, "pages/compare.py", mode="periods", dataset="checkins", split="2024-02-01")
    captions = " ".join(c.value for c in at.caption)
    assert not at.exception and "Each product's and pair's share of the period's customer-product pairs" in captions
    assert "A pair rises or falls by its share of the product pairs within customers' histories" in captions
    # Shown in percent with three figures, where "percent" drew a pair's share of 0.0031% as 0.00%
    pairs = next(frame.value for frame in at.dataframe if "a_name" in frame.value.columns)
    top = pairs[(pairs["a"] == "f100") & (pairs["b"] == "f101")].iloc[0]
    assert round(top["share_b"], 2) == 3.09 and top["share_a"] == 0


def test_segments_of_a_log_of_no_orders_speak_of_customers_histories():
    """Two stores of a ratings log: the sides' 'baskets' are their customers' histories, said so where
    nothing is named (the flag was set for periods alone); shares stay shares of those histories."""
    rows = [(f"u{u}", f"film{(u // 2 + f) % 4}", "north" if u % 2 else "south") for u in range(24) for f in range(3)]
    frame = pd.DataFrame(rows, columns=["user", "item", "store"]).assign(rating=4)
    events = ingest(frame.to_csv(index=False).encode(), "ratings.csv", user="user", item="item").events
    report = compare_sides(split_by_column(events, "store", ("north", "south")))
    assert report.histories and not report.pair_shares
    assert report.nothing_named() == (
        "No product or pair changed by that test (the smaller side holds 12 customers' histories, as the log has no "
        "orders; with few customers only large changes can be told from chance: longer periods or larger segments "
        "may show some).")
    orders = ingest(frame.assign(order=frame["user"]).to_csv(index=False).encode(), "orders.csv", user="user",
                    item="item", basket="order").events
    assert not compare_sides(split_by_column(orders, "store", ("north", "south"))).histories
