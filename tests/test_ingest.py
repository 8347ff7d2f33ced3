
import pandas as pd
import pytest
from conftest import SAMPLE, shared_file

from gnnrec_core.data.charges import CHARGES_KEPT, DROP_REASON
from gnnrec_core.data.ingest import baskets_of, ingest
from gnnrec_core.data.mapping import detect_mapping
from gnnrec_core.data.summary import summary
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
    # InvoiceDate is the time's own name: without InvoiceNo it was the basket for the 'invoice' it holds.
    (["StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
     {"basket": None, "time": "InvoiceDate", "user": "CustomerID"}),
    (["userId", "movieId", "rating", "timestamp", "title", "genres"],  # MovieLens's own layout
     {"user": "userId", "item": "movieId", "category": "genres", "item_name": "title"}),
    # ERP exports a new user tried: each customer column went unrecognised and the advice was to
    # train with each order as its customer.
    (["Order ID", "Customer Number", "SKU", "Qty"], {"basket": "Order ID", "user": "Customer Number", "item": "SKU"}),
    (["Invoice Number", "Customer No", "Product Number"],
     {"basket": "Invoice Number", "user": "Customer No", "item": "Product Number"}),
    (["order", "Cust ID", "Product Key"], {"basket": "order", "user": "Cust ID", "item": "Product Key"}),
    (["customer_number", "article_number"], {"user": "customer_number", "item": "article_number"}),
    # A new user's exports: symbols in the names, and German, French and Spanish headers.
    (["Order Ref.", "SKU (variant)", "Cust #", "Qty"],
     {"basket": "Order Ref.", "item": "SKU (variant)", "user": "Cust #", "quantity": "Qty"}),
    (["Rechnungsnr", "Artikelnr", "Bezeichnung", "Menge", "Einzelpreis", "Kundennr", "Land"],
     {"basket": "Rechnungsnr", "item": "Artikelnr", "item_name": "Bezeichnung", "quantity": "Menge",
      "price": "Einzelpreis", "user": "Kundennr"}),
    (["Numéro de commande", "Code article", "Désignation", "Quantité", "Prix unitaire", "N° client"],
     {"basket": "Numéro de commande", "item": "Code article", "item_name": "Désignation", "quantity": "Quantité",
      "price": "Prix unitaire", "user": "N° client"}),
    # A French export names customer and product twice, as code and as name: the code is the ID (the name
    # won, merging namesakes), and an EBP line's "Commandé"/"Facturé" are quantities, not the order.
    (["N° client", "Client", "Numéro de commande", "Code article", "Article", "Quantité", "Prix"],
     {"user": "N° client", "item": "Code article", "basket": "Numéro de commande"}),
    (["N° pièce", "Date", "Code client", "Code article", "Désignation", "Commandé", "Livré", "Facturé"],
     {"basket": "N° pièce", "user": "Code client", "item": "Code article", "item_name": "Désignation",
      "quantity": None}),
    (["Stückpreis", "Artikelnr", "Kundennr"], {"price": "Stückpreis"}),  # ü folds to u, not ue
    (["Pedido", "Producto", "Cantidad", "Precio", "Fecha", "Cliente"],
     {"basket": "Pedido", "item": "Producto", "quantity": "Cantidad", "price": "Precio", "time": "Fecha",
      "user": "Cliente"}),
    # Check-in logs: the place is the item ("venue_id" was refused as no product column, a new user's log)
    (["user_id", "venue_id", "utc_time"], {"user": "user_id", "item": "venue_id", "time": "utc_time"}),
    (["userId", "locationId", "checkinTime"], {"user": "userId", "item": "locationId", "time": "checkinTime"}),
    (["Product", "Location ID", "Customer"], {"item": "Product"}),  # a store's location is no product
    # Not taken (an adversarial review): an SAP order's line position, a ledger's account
    (["Sales Doc.", "Item No", "Material"], {"item": None}),
    (["Document No", "Account Number", "Item No", "Amount"], {"user": None, "item": None}),
    # Amazon's review dumps: the review's text is no rating ("reviewText" was refused as one)
    (["reviewerID", "asin", "reviewText", "overall", "summary", "unixReviewTime", "reviewTime"],
     {"user": "reviewerID", "item": "asin", "rating": "overall", "time": "unixReviewTime"}),
])
def test_mapping_detected_from_names(columns, expected):
    frame = pd.DataFrame([["1"] * len(columns)], columns=columns)
    mapping = detect_mapping(frame).as_dict()
    for role, column in expected.items():
        assert mapping[role] == column, role


def test_a_log_with_products_and_nothing_to_group_them_names_its_columns():
    """Mapping only the item said 'found neither; map one of them' with no columns and no flags."""
    frame = pd.DataFrame({"Artikel Code": ["a", "b"], "Wert": ["1", "2"]})
    with pytest.raises(InputError) as caught:
        ingest(frame.to_csv(index=False).encode(), "log.csv", item="Artikel Code")
    assert str(caught.value) == (
        "expected a column of customers or of baskets/orders to group products by, found neither among: "
        "Artikel Code, Wert; map one (the Data page's user or basket role, or --user-col NAME / --basket-col NAME)")


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
                              DROP_REASON: 1, "exact duplicate": 1}
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


CHARGES_AND_LOOKALIKES = pd.DataFrame({  # (code, name, a charge?): the right answer by hand
    "order_id": [f"o{n}" for n in range(13)],
    "customer_id": ["u1", "u1", "u2", "u2", "u3", "u3", "u4", "u4", "u5", "u5", "u6", "u6", "u7"],
    "StockCode": ["85168B", "C2", "22501", "23355", "M", "DCGS0003", "POST", "B", "D", "23400", "S", "23500",
                  "23501"],
    "Description": ["BLACK BAROQUE CARRIAGE CLOCK", "CARRIAGE", "reverse 21/5/10 adjustment", "ADJUSTABLE LAMP",
                    "Manual", "BOXED GLASS ASHTRAY", "POSTAGE", "Blue mug", "Discount", "BRA STRAP ADJUSTMENT CLIPS",
                    "Adjust bad debt", "ADJUSTMENT SPANNER", "Adjust-a-bed pillow"],
})


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_charges_go_by_code_and_whole_name_not_by_a_word_inside_a_product(engine):
    """A product whose name holds a charge's word (a carriage clock, an adjustable lamp, adjustment
    clips, an adjustment spanner, an adjust-a-bed pillow), a lettered product with a product's name
    (B, a blue mug) and the online shop's DCGS products are kept; postage, carriage, an adjustment,
    Manual, Discount and a bad debt go, on both engines."""
    result = ingest(CHARGES_AND_LOOKALIKES.to_csv(index=False).encode(), "log.csv", drop_non_products=True,
                    engine=engine)
    assert sorted(result.events["item"]) == ["23355", "23400", "23500", "23501", "85168B", "B", "DCGS0003"]
    assert result.report.dropped == {DROP_REASON: 6}
    twice = pd.concat([CHARGES_AND_LOOKALIKES, CHARGES_AND_LOOKALIKES.iloc[[6]]])  # POSTAGE's line twice
    kept = ingest(twice.to_csv(index=False).encode(), "log.csv", engine=engine)
    assert len(kept.events) == 13 and kept.report.dropped == {"exact duplicate": 1}
    assert kept.report.notes[CHARGES_KEPT] == 6  # kept as asked, and counted: the six lines kept, not seven


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_lettered_catalogue_keeps_its_letters(engine):
    """One-letter codes without a name are Online Retail's charges (M, D, S, B) only as a stray few
    among the log's codes, counted over every row before any drop, the same on both engines: a log
    lettered A to Z keeps every letter; 80 products, 40 codes seen only in returns and an M lose the M."""
    def ingested(frame: pd.DataFrame):
        return ingest(frame.to_csv(index=False).encode(), "log.csv", drop_non_products=True, engine=engine)

    letters = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    kept = ingested(pd.DataFrame({"user": [f"u{n % 5}" for n in range(26)], "item": letters, "quantity": 1}))
    assert sorted(kept.events["item"]) == letters and not kept.report.dropped
    codes = [str(20000 + n) for n in range(80)] + [str(30000 + n) for n in range(40)] + ["M"]
    quantity = [1] * 80 + [-1] * 40 + [1]  # the 40 only in returns: dropped before the charges, still counted
    stray = ingested(pd.DataFrame({"user": [f"u{n % 7}" for n in range(121)], "item": codes, "quantity": quantity}))
    assert sorted(stray.events["item"]) == codes[:80]
    assert stray.report.dropped == {"zero or negative quantity (returns)": 40, DROP_REASON: 1}


def test_baskets_leave_out_a_charges_own_code_only():
    """Baskets go by code alone (events carry no names): postage is in no basket whether or not
    ingest dropped it; a one-letter code stays in its basket (kept by the user's choice, or a product)."""
    events = pd.DataFrame({"item": ["85123A", "POST", "M", "22423"], "basket": ["o1", "o1", "o2", "o2"],
                           "user": ["u1", "u1", "u2", "u2"]})
    keys = baskets_of(events)
    assert keys.isna().tolist() == [False, True, False, False] and keys[2] == keys[3] == "o2"


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
    assert not [w for w in result.report.warnings if "several rows" in w]
    # A catalogue naming p1 twice, differently, was joined on its first row without a word; a row
    # repeated alike is not a conflict.
    pd.concat([items, items.assign(product_name=["Lantern", "Shade"])]).to_csv(tmp_path / "twice.csv", index=False)
    for engine in ("pandas", "duckdb"):
        twice = ingest(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", items=tmp_path / "twice.csv",
                       engine=engine)
        assert twice.catalogue.loc["p1", "name"] == "Lamp" and "lookup:" not in " ".join(twice.report.warnings)
    # A lookup giving order o1 to two customers: the first row, said; o2 repeated alike is no conflict.
    orders_twice = pd.DataFrame({"order_id": ["o1", "o2", "o1", "o2"], "user_id": ["alice", "bob", "carol", "bob"]})
    orders_twice.to_csv(tmp_path / "orders_twice.csv", index=False)
    for engine in ("pandas", "duckdb"):
        looked = ingest(tmp_path / "lines.csv", lookup=tmp_path / "orders_twice.csv", engine=engine)
        assert looked.events.set_index("basket")["user"].to_dict() == {"o1": "alice", "o2": "bob"}
        assert [w for w in looked.report.warnings if w.startswith("lookup:")] == [
            "lookup: 1 key is on several rows that bring different values (such as 'o1'): the first row of each "
            "was used"], engine
        assert [w for w in twice.report.warnings if "several rows" in w] == [
            "catalogue: 1 product ID is on several rows that differ (such as 'p1'): the first row of each was used"]


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


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_catalogue_naming_none_of_the_products_is_refused(tmp_path, engine):
    """Another shop's catalogue joined nothing and was accepted without a word (the products kept
    their codes for names). Refused in one line, with examples of both sides' IDs."""
    (tmp_path / "lines.csv").write_text("user_id,product_id\n" + "".join(f"u{i % 7},p{i % 5}\n" for i in range(40)))
    (tmp_path / "items.csv").write_text("product_id,name\nmilk,Whole milk\nbread,Rye bread\n")
    with pytest.raises(InputError, match=r"expected the catalogue's IDs \(column 'product_id'\) to name the log's "
                                         r"products, found none of its 2 among the log's 5 \(catalogue IDs like "
                                         r"'milk', 'bread'; the log's like 'p0'"):
        ingest(tmp_path / "lines.csv", items=tmp_path / "items.csv", engine=engine)
    (tmp_path / "items.csv").write_text("product_id,name\np1,Lamp\nmilk,Whole milk\n")  # one matches: joined
    result = ingest(tmp_path / "lines.csv", items=tmp_path / "items.csv", engine=engine)
    assert result.catalogue.loc["p1", "name"] == "Lamp" and result.catalogue.loc["p2", "name"] == "p2"


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
    assert figures.users > 900 and figures.items > 2500


@pytest.mark.parametrize("name,baskets,items", [
    ("online_retail_baskets.csv.gz", 25900, None), ("groceries.csv.gz", 9835, 169),
])
def test_shared_basket_files(name, baskets, items):
    result = ingest(shared_file(name))
    assert result.events["basket"].nunique() == baskets
    assert not result.has_users
    if items:
        assert result.events["item"].nunique() == items


def test_a_basket_list_read_with_its_basket_as_customer_keeps_the_basket(tmp_path):
    """`--user-col basket`, the way `train` suggests for a basket list, dropped the basket role: the
    Associations page then counted customer histories, and the same file saved from the Data page
    (user = basket = basket) differed from the CLI's, so Compare called them other data."""
    path = tmp_path / "baskets.csv"
    path.write_text("citrus fruit,semi-finished bread,margarine,ready soups\ntropical fruit,yogurt,coffee\n"
                    "whole milk\npip fruit,yogurt,cream cheese,meat spreads\nwhole milk,rolls/buns\n")
    assert ingest(path).mapping.basket == "basket"  # read as a basket list
    result = ingest(path, user="basket")
    assert result.mapping.user == "basket" and result.mapping.basket == "basket" and result.has_users
    assert result.events["basket"].nunique() == 5


def test_shared_online_retail_slice():
    result = ingest(shared_file("online_retail_dec2010.csv.gz"))
    assert result.mapping.user == "CustomerID" and result.mapping.item == "StockCode"
    assert result.report.notes["rows without user (kept for baskets only)"] > 18000


def test_a_catalogue_or_lookup_that_cannot_be_read_is_refused_and_repairs_are_named(tmp_path):
    lines = tmp_path / "lines.csv"
    lines.write_text("order_id,user_id,product_id\no1,u1,p1\no2,u2,p2\n")
    deep = tmp_path / "items.jsonl"
    deep.write_bytes(b'{"product_id": "p1", "name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n")
    with pytest.raises(InputError, match="nested too deeply"):
        ingest(lines, items=deep)
    items = tmp_path / "items.csv"
    items.write_bytes("product_id,name\np1,Lamp\np2,Shade\n".encode("utf-16"))
    result = ingest(lines, items=items)
    assert result.catalogue.loc["p2", "name"] == "Shade"
    assert any(w.startswith("catalogue: 'items.csv' is UTF-16 text") for w in result.report.warnings)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_names_are_shown_without_the_padding_exports_add(tmp_path, engine):
    path = tmp_path / "padded.csv"
    pd.DataFrame({"order_id": ["1", "1", "2"], "product_id": ["A", "B", "C"],
                  "description": ["Red mug ", "   ", " Tea towel"],
                  "customer_id": ["u1", "u1", "u2"]}).to_csv(path, index=False)
    catalogue = ingest(path, engine=engine).catalogue
    assert catalogue.loc[["A", "B", "C"], "name"].tolist() == ["Red mug", "B", "Tea towel"]  # blank: named by its ID


def test_summary_counts_the_products_the_models_rank():
    """A product bought only without a customer ID is a product of the log but not of the models'
    catalogue: the summary names both counts, the second the one `benchmark` reports."""
    from gnnrec_core.pipeline.benchmark import prepare

    frame = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3", "o3"], "customer_id": ["u1", "u1", "u2", None, None],
                          "product_id": ["a", "b", "a", "a", "c"]})
    result = ingest(frame.to_csv(index=False).encode(), "log.csv")
    figures = summary(result)
    assert figures.items == 3 and figures.items_with_users == 2
    assert prepare(result).interactions.matrix().shape[1] == figures.items_with_users


def test_fee_only_baskets_are_named_only_where_they_were_kept():
    """Charges dropped, their baskets are the cleaning report's 'baskets whose every line was dropped',
    and 'baskets of postage or fees alone 0' beside it read as a contradiction; kept, they are counted."""
    dropped, kept = ingest(SAMPLE, drop_non_products=True), ingest(SAMPLE, drop_non_products=False)
    assert "Baskets of postage or fees alone" not in dict(summary(dropped).lines())
    assert dict(summary(kept).lines())["Baskets of postage or fees alone"] == "5"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_customers_cleaning_leaves_with_nothing_are_counted(engine):
    """The sample's 1,051 customers became 984 with no word of the 67 whose every line was a return or
    a cancellation: the report counts them, the same on both engines."""
    from gnnrec_core.data.ingest import BASKETS_GONE, CUSTOMERS_GONE

    frame = pd.DataFrame({"InvoiceNo": ["1", "2", "C3", "4", "4", "5", "6"],
                          "CustomerID": ["u1", "u2", "u3", "u4", "u4", "u1", "u4"],
                          "StockCode": ["p1", "p2", "p1", "p1", "p2", "POST", "p2"],
                          "Quantity": [1, -2, 1, 1, 1, 1, 1]})
    result = ingest(frame.to_csv(index=False).encode(), "log.csv", engine=engine, drop_non_products=True)
    assert sorted(result.events["user"].unique()) == ["u1", "u4"]
    assert result.report.notes[CUSTOMERS_GONE] == 2  # u2 only returned, u3 only cancelled
    # Baskets too: 2 a return, C3 cancelled, 5 postage alone; 1, 4 and 6 stay.
    assert sorted(result.events["basket"].unique()) == ["1", "4", "6"] and result.report.notes[BASKETS_GONE] == 3
    # The returned lines' customers and products are kept apart: their lists leave those products out.
    assert sorted(map(tuple, result.returns.values.tolist())) == [("u2", "p2"), ("u3", "p1")]


def test_a_ratings_log_says_that_every_rating_counts_as_an_interaction():
    """A 1-star film was a purchase in every list, and the Data page, `ingest` and the report said
    nothing of it; an order log has no such line."""
    frame = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "x"], "rating": [1, 5, 3]})
    lines = dict(summary(ingest(frame.to_csv(index=False).encode(), "ratings.csv")).lines())
    assert lines["Ratings"].startswith("every rated product counts as an interaction, a rating of 1 as much as")
    assert "Ratings" not in dict(summary(ingest(SAMPLE)).lines())
    # "Baskets 2" beside 2 customers: no basket column, so each customer's history is one basket, said so.
    assert lines["Baskets"] == "2 (no basket column: one per customer)"
    assert dict(summary(ingest(SAMPLE)).lines())["Baskets"].replace(",", "").isdigit()  # invoices: a count alone


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_missing_values_spelling_in_an_id_column_is_missing_not_a_customer(engine):
    """An export wrote its blank customer cells as 'NaN', 'null', 'N/A': each became a customer who
    bought a share of everything (and a column of 'NaN' one customer who bought it all), with no note.
    They are missing, on both engines; an item written so is a row with no product; 'NAN2' and 'n.a.'
    are IDs."""
    users = ["u1", "NaN", "null", " N/A ", "None", "#N/A", "NAN2", "n.a.", "u1"]
    frame = pd.DataFrame({"CustomerID": users, "InvoiceNo": [str(i) for i in range(9)],
                          "StockCode": ["p1", "p2", "p1", "p2", "p1", "p2", "p1", "p2", "nan"]})
    frame["Description"] = frame["StockCode"].map({"p1": "Mug", "p2": "NaN"})  # a name too: p2 is named by its code
    result = ingest(frame.to_csv(index=False).encode(), "log.csv", engine=engine)
    assert result.catalogue["name"].to_dict() == {"p1": "Mug", "p2": "p2"}
    assert sorted(result.events["user"].dropna().unique()) == ["NAN2", "n.a.", "u1"]
    assert result.report.notes["rows without user (kept for baskets only)"] == 5
    assert result.report.dropped["missing item id"] == 1 and "nan" not in set(result.events["item"])


def test_a_column_name_typed_with_a_slip_is_answered_with_the_real_one():
    """'did you mean' caught only case and separators ('customer number'); a slip of a letter
    ('Customer Numbr', --by 'Countyr') got the list alone."""
    from gnnrec_core.baskets.changes import split_by_column
    from gnnrec_core.data.mapping import ColumnMapping, column_hint

    columns = ["Order ID", "Customer Number", "SKU", "Country", "Qty"]
    assert column_hint("customer number", columns) == " (did you mean 'Customer Number'? names are matched exactly)"
    assert "'Customer Number'" in column_hint("Customer Numbr", columns)
    assert column_hint("Store", columns) == ""  # nothing close: the list alone
    with pytest.raises(InputError, match=r"found only: .* \(did you mean 'SKU'\?"):
        ColumnMapping(item="SKUU", user="Customer Number").validate(columns)
    events = pd.DataFrame({"basket": ["1", "2"], "item": ["a", "b"], "segment:Country": ["UK", "France"]})
    with pytest.raises(InputError, match=r"no column 'Countyr' \(columns with groups: Country\) \(did you mean "
                                         r"'Country'\?"):
        split_by_column(events, "Countyr", ("UK", "France"))
