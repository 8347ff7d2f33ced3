"""Comparing two groups of a kept column (countries, stores, channels): which baskets go to each
side, what is left out and said, and the weekly lines per side."""

import pandas as pd
import pytest
from test_changes import order_log

from gnnrec_core import ingest
from gnnrec_core.baskets.changes import split_by_column
from gnnrec_core.baskets.trajectory import weekly_trajectory
from gnnrec_core.errors import InputError


def test_segments_split_by_a_kept_column():
    frame = order_log(3, baskets=600)
    events = ingest(frame.to_csv(index=False).encode(), "log.csv", basket="order", user="customer",
                    item="product", time="when").events
    assert "segment:Country" in events  # low-cardinality columns are kept without asking
    split = split_by_column(events, "Country", ("FR", "DE"))
    by_country = frame.drop_duplicates("order")["Country"].value_counts()
    assert [p["baskets"] for p in split.periods] == [by_country["FR"], by_country["DE"]]
    with pytest.raises(InputError, match=r"found no 'IT' \(values: 'DE', 'FR'\)"):
        split_by_column(events, "Country", ("FR", "IT"))
    with pytest.raises(InputError, match="found no column 'Channel'"):
        split_by_column(events, "Channel", ("a", "b"))


def test_segments_count_what_they_leave_out_and_each_sides_weeks():
    """Baskets with no value, of other values, and of lines that disagree are counted and said; the
    weekly trajectory of a segment split is each side's own share, not the whole data's."""
    from gnnrec_core.baskets.changes import split_words

    frame = order_log(5, baskets=400)
    frame.loc[frame["order"].isin(["O1", "O2"]), "Country"] = None  # two baskets of no country
    frame.loc[frame["order"] == "O4", "Country"] = "IT"  # and one of a third
    mixed = frame.index[frame["order"] == "O3"]
    frame.loc[mixed[1:], "Country"] = "ZZ" if frame.loc[mixed[0], "Country"] != "ZZ" else "YY"  # lines disagree
    events = ingest(frame.to_csv(index=False).encode(), "log.csv", basket="order", user="customer",
                    item="product", time="when").events
    split = split_by_column(events, "Country", ("FR", "DE"))
    first_country = frame.dropna(subset=["Country"]).drop_duplicates("order").set_index("order")["Country"]
    others = int((~first_country.isin(["FR", "DE"])).sum())
    assert split.left_out == {"no_value": 2, "other_values": others, "mixed_values": 1} and others >= 1
    words = split_words(split, "Country")
    assert words[0].startswith("Left out: 2 baskets with no Country value and ") and "first line" in words[1]
    weeks = weekly_trajectory(events, ("P000",), split=split)
    for side, country in (("a", "FR"), ("b", "DE")):
        orders = frame[frame["order"].map(first_country) == country]
        holding = orders.groupby("order")["product"].apply(lambda p: "P000" in set(p))
        mine = weeks[weeks["side"] == side]
        assert mine["baskets"].sum() == len(holding) and mine["holding"].sum() == holding.sum()


def test_a_float_column_of_whole_numbers_is_offered_and_typed_as_integers():
    """Customer IDs read as floats beside blanks were offered as '12347.0', and typing 12347 failed."""
    from gnnrec_core.baskets.changes import segment_text

    assert segment_text(pd.Series([12347.0, None, 17850.0])).tolist() == ["12347", None, "17850"]
    assert segment_text(pd.Series([1.5, 2.0])).tolist() == ["1.5", "2.0"]  # not whole numbers: as they are


def test_a_customer_buying_in_two_stores_is_a_basket_in_each_where_the_log_has_no_orders():
    """With no order column a customer's whole history is one basket, and its first line's store took
    all of it: 40 customers who each bought in both stores left 'south' with no basket ("found no
    'south'"). Each store now holds the customer's lines there, in the split and in the weekly lines."""
    rows = ["customer,product,store,when"]
    for c in range(40):
        rows += [f"c{c},p{c % 5},north,2024-03-0{1 + c % 7}", f"c{c},p{(c + 1) % 5},south,2024-03-1{c % 7}"]
    events = ingest(("\n".join(rows) + "\n").encode(), "stores.csv", user="customer", item="product",
                    time="when").events
    split = split_by_column(events, "store", ("north", "south"))
    assert split.a.shape[0] == split.b.shape[0] == 40 and split.left_out["mixed_values"] == 0
    assert split.a.sum() == split.b.sum() == 40  # each customer's one line in each store
    weeks = weekly_trajectory(events, ("p1",), split=split)
    assert weeks.groupby("side")["baskets"].sum().to_dict() == {"a": 40, "b": 40}



def test_two_segments_within_a_window_of_dates_as_typed(tmp_path):
    """`compare-periods --by Country --groups FR,DE --start --end`: two countries within one month
    (refused before, so the file had to be cut by hand); each side counts the baskets of the window."""
    import json

    from test_cli import run_cli

    frame = order_log(3, baskets=600)
    frame.to_csv(tmp_path / "orders.csv", index=False)
    done = run_cli("compare-periods", tmp_path / "orders.csv", "--by", "Country", "--groups", "FR,DE",
                   "--start", "2024-03-01", "--end", "2024-03-15", "--json", tmp_path / "out.json")
    assert done.returncode == 0, done.stderr
    window = frame[(frame["when"] >= "2024-03-01") & (frame["when"] < "2024-03-15")].drop_duplicates("order")
    periods = json.loads((tmp_path / "out.json").read_text())["periods"]
    assert [p["baskets"] for p in periods] == [(window["Country"] == c).sum() for c in ("FR", "DE")]
    assert all(p["start"] == "2024-03-01 00:00:00" and p["end"] == "2024-03-15 00:00:00" for p in periods)
    assert done.stdout.startswith(f"a: {periods[0]['baskets']:,} baskets")
    assert "where Country = FR, from 2024-03-01 00:00:00 up to (not including) 2024-03-15 00:00:00" in done.stdout
    late = run_cli("compare-periods", tmp_path / "orders.csv", "--by", "Country", "--groups", "FR,DE",
                   "--start", "2030-01-01")
    assert late.returncode == 2 and late.stderr.startswith("error: expected start < end, found 2030-01-01")


def test_a_column_that_differs_within_baskets_is_named_as_such(tmp_path):
    """Instacart's add_to_cart_order is a line's position: every basket's first line holds 1, so
    `--by add_to_cart_order --groups 1,2` said "found no '2' (values: '1')" of a column full of 2s."""
    from test_cli import run_cli

    rows = [(f"o{o}", f"c{o % 50}", f"p{(o * 3 + j) % 20}", j + 1) for o in range(300) for j in range(3)]
    pd.DataFrame(rows, columns=["order_id", "user_id", "product_id", "add_to_cart_order"]).to_csv(
        tmp_path / "lines.csv", index=False)
    done = run_cli("compare-periods", tmp_path / "lines.csv", "--by", "add_to_cart_order", "--groups", "1,2")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().endswith(
        "found no '2' (values: '1'); '2' is on lines, but a basket takes its first line's value, and no basket's "
        "first line holds it: 'add_to_cart_order' differs within baskets, split by a column the same on every line "
        "of a basket"), done.stderr
