
import pandas as pd
import pytest
from conftest import SAMPLE, shared_file

from gnnrec_core.data.ingest import ingest, parse_times, summary
from gnnrec_core.data.mapping import detect_mapping
from gnnrec_core.errors import InputError


@pytest.mark.parametrize("columns,expected", [
    (["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
     {"basket": "InvoiceNo", "item": "StockCode", "item_name": "Description", "quantity": "Quantity",
      "time": "InvoiceDate", "price": "UnitPrice", "user": "CustomerID"}),
    (["order_id", "product_id", "user_id", "add_to_cart_order"],
     {"basket": "order_id", "item": "product_id", "user": "user_id"}),
    (["user_id:token", "item_id:token", "rating:float", "timestamp:float"],
     {"user": "user_id:token", "item": "item_id:token", "rating": "rating:float", "time": "timestamp:float"}),
    (["timestamp", "visitorid", "event", "itemid", "transactionid"],
     {"user": "visitorid", "item": "itemid", "event": "event", "basket": "transactionid", "time": "timestamp"}),
    # A synonym counts only as whole words: Country is not a count of units.
    (["Invoice", "StockCode", "Country", "Customer ID"],
     {"basket": "Invoice", "item": "StockCode", "quantity": None, "user": "Customer ID"}),
])
def test_mapping_detected_from_names(columns, expected):
    frame = pd.DataFrame([["1"] * len(columns)], columns=columns)
    mapping = detect_mapping(frame).as_dict()
    for role, column in expected.items():
        assert mapping[role] == column, role


def test_time_column_detected_from_content_and_overrides_win():
    frame = pd.DataFrame({"who": ["a", "b"], "sku": ["x", "y"], "when": ["2021-01-02 10:00", "2021-01-03 11:00"]})
    mapping = detect_mapping(frame, user="who")
    assert mapping.time == "when" and mapping.user == "who" and mapping.item == "sku"


def test_cleaning_report_counts_every_dropped_row(events_frame):
    data = events_frame.to_csv(index=False).encode()
    result = ingest(data, "log.csv", drop_non_products=True)
    report = result.report
    # Hand count: 1 cancelled (C1002), 1 missing item, 1 POST, 1 negative quantity (1004/C3),
    # 1 exact duplicate (second B2 row of 1001).
    assert report.dropped == {"missing item id": 1, "cancelled invoice": 1,
                              "zero or negative quantity (returns)": 1,
                              "non-product code (postage, fees)": 1, "exact duplicate": 1}
    assert report.rows_read == 10 and report.rows_kept == 5
    assert report.notes["rows without user (kept for baskets only)"] == 1
    events = result.events
    assert set(events["user"].dropna()) == {"17850", "13047"}  # '17850.0' normalised
    # 12/13/2010 proves month-first: every date parsed, none swapped.
    assert events["time"].min() == pd.Timestamp("2010-12-01 08:26") and events["time"].notna().all()
    assert result.catalogue.loc["A1", "name"] == "Red mug"


def test_non_product_codes_are_kept_unless_asked(events_frame):
    result = ingest(events_frame.to_csv(index=False).encode(), "log.csv")
    assert "POST" in set(result.events["item"])


@pytest.mark.parametrize("values,expected", [
    (["1/2/2011 10:00", "13/2/2011 10:00"], ["2011-02-01 10:00", "2011-02-13 10:00"]),  # UK, day first
    (["1/2/2011 10:00", "1/13/2011 10:00"], ["2011-01-02 10:00", "2011-01-13 10:00"]),  # US, month first
    (["2011-01-02T10:00:00", "2011-01-13 10:00"], ["2011-01-02 10:00", "2011-01-13 10:00"]),
    (["1293962400", "1294912800"], ["2011-01-02 10:00", "2011-01-13 10:00"]),  # Unix seconds
])
def test_date_formats(values, expected):
    parsed = parse_times(pd.Series(values))
    assert parsed.tolist() == [pd.Timestamp(v) for v in expected]


def test_catalogue_and_lookup_tables_join(tmp_path):
    lines = pd.DataFrame({"order_id": ["o1", "o1", "o2"], "product_id": ["p1", "p2", "p1"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "user_id": ["alice", "bob"]})
    items = pd.DataFrame({"product_id": ["p1", "p2"], "product_name": ["Lamp", "Shade"],
                          "category": ["lighting", "lighting"], "price": ["10", "4"]})
    for name, frame in (("lines.csv", lines), ("orders.csv", orders), ("items.csv", items)):
        frame.to_csv(tmp_path / name, index=False)
    result = ingest(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", items=tmp_path / "items.csv")
    assert result.events.set_index("basket")["user"].to_dict() == {"o1": "alice", "o2": "bob"}
    assert result.catalogue.loc["p2", "name"] == "Shade" and result.catalogue.loc["p1", "price"] == 10
    # The report says what each file gave.
    assert result.report.catalogue_mapping == {"item": "product_id", "item_name": "product_name",
                                               "category": "category", "price": "price"}
    assert result.report.lookup_mapping == {"events_key": "order_id", "lookup_key": "order_id",
                                            "columns": ["user_id"], "matched_rows": 3}


def test_catalogue_and_lookup_columns_can_be_chosen(tmp_path):
    from gnnrec_core.cli import main

    lines = pd.DataFrame({"order_id": ["o1", "o1", "o2"], "shop": ["s1", "s1", "s2"], "product_id": ["p1", "p2", "p1"]})
    orders = pd.DataFrame({"shop": ["s1", "s2"], "order_id": ["o1", "o2"], "user_id": ["alice", "bob"]})
    # Two name-like columns: detection takes one, the flag picks the other.
    items = pd.DataFrame({"product_id": ["p1", "p2"], "name": ["LAMP-01", "SHADE-02"],
                          "description": ["Brass lamp", "Linen shade"]})
    for name, frame in (("lines.csv", lines), ("orders.csv", orders), ("items.csv", items)):
        frame.to_csv(tmp_path / name, index=False)
    out = tmp_path / "ingest.json"
    code = main(["ingest", str(tmp_path / "lines.csv"), "--items", str(tmp_path / "items.csv"), "--items-name-col",
                 "description", "--lookup", str(tmp_path / "orders.csv"), "--lookup-key", "order_id",
                 "--json", str(out)])
    report = __import__("json").loads(out.read_text())["report"]
    assert code == 0 and report["catalogue_mapping"]["item_name"] == "description"
    assert report["lookup_mapping"]["events_key"] == "order_id" and report["lookup_mapping"]["columns"] == ["user_id"]
    with pytest.raises(InputError, match="lookup key 'till'"):
        ingest(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", lookup_key="till")
    with pytest.raises(InputError, match="catalogue column"):
        ingest(tmp_path / "lines.csv", items=tmp_path / "items.csv", item_columns={"item_name": "title"})


def test_missing_mapped_column_is_a_clear_error():
    with pytest.raises(InputError, match="expected a column 'Nope' for user"):
        ingest(b"user,item\n1,2\n", "a.csv", user="Nope")


def test_nothing_left_after_cleaning_is_a_clear_error():
    data = b"InvoiceNo,StockCode,Quantity,CustomerID\n1,A,-1,5\n2,B,0,6\n"
    with pytest.raises(InputError, match="found none .*2 zero or negative quantity"):
        ingest(data, "returns.csv")


def test_bundled_sample():
    result = ingest(SAMPLE, drop_non_products=True)
    figures = summary(result)
    assert result.report.rows_read == 50999
    assert result.report.dropped["cancelled invoice"] == 926  # as the data README states
    assert figures["users"] > 900 and figures["items"] > 2500


@pytest.mark.parametrize("name,baskets,items", [
    ("online_retail_baskets.csv.gz", 25900, None), ("groceries.csv.gz", 9835, 169),
])
def test_shared_basket_files(name, baskets, items):
    result = ingest(shared_file(name))
    assert result.events["basket"].nunique() == baskets
    assert not result.has_users
    if items:
        assert result.events["item"].nunique() == items


def test_shared_online_retail_slice():
    result = ingest(shared_file("online_retail_dec2010.csv.gz"))
    assert result.mapping.user == "CustomerID" and result.mapping.item == "StockCode"
    assert result.report.notes["rows without user (kept for baskets only)"] > 18000
