"""The Data page: uploads mapped (a lookup and a catalogue joined, a basket list's baskets as its
customers), and Save: a new upload becomes the active dataset at once (the sidebar too), and data
already saved is made active rather than refused."""

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from gnnrec_core.store import Workspace

LOG = b"customer,product\n" + b"".join(f"c{n % 30},p{(n * 7) % 23}\n".encode() for n in range(200))


def _upload(at: AppTest) -> AppTest:
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("shop.csv", LOG, "text/csv").run()
    return at


def test_saved_data_is_made_active_not_refused(small_log, tmp_path, monkeypatch):
    """A new user uploaded a file saved before: the page said "already saved as 'groceries'", Save then
    refused the name, the sample stayed active, and the next run trained on the sample. The Train page
    now names the dataset its form trains on, and shows no other dataset's results as this one's."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    assert run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--workspace", tmp_path / "ws",
                   "--quiet").returncode == 0
    at = _upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run())
    next(b for b in at.button if b.label == "Save dataset").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["active_dataset"] == "shop"
    assert [s.value for s in at.success] == ["Saved 'shop' and made it the active dataset."]  # said after the rerun
    # The page then shows the saved dataset's own report, where it showed the bundled sample's beside a
    # sidebar naming another dataset (and offered to make the sample active).
    assert at.radio[0].value == "active" and at.radio[0].options[0] == "The active dataset (shop)"
    kept = Workspace(tmp_path / "ws").list_datasets()
    rows = next(d["report"]["rows_kept"] for d in kept if d["name"] == "shop")
    assert next(m.value for m in at.metric if m.label == "Rows kept") == f"{rows:,}"
    mapped = next(c.value for c in at.caption if c.value.startswith("Columns as mapped when saved: "))
    assert mapped.startswith("Columns as mapped when saved: user = customer, item = product; not mapped: basket, ")
    captions = [c.value for c in at.caption]  # codes alone: no word of an encoder reading names it does not have
    assert any(c.startswith("No product names: ") for c in captions)
    assert not any(c.startswith("Product names are read by") for c in captions)
    assert not [b for b in at.button if b.label.startswith("Make ")] and not at.file_uploader
    tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()  # a second tab opens on it too
    assert {s.label: s.value for s in tab.sidebar.selectbox}["Dataset"] == "shop"

    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()  # a new session: the sample active
    again.session_state["active_dataset"] = "Online Retail sample"
    _upload(again)
    assert any("already saved as 'shop'" in i.value for i in again.info)
    assert not [b for b in again.button if b.label == "Save dataset"]  # it would refuse the name
    next(b for b in again.button if b.label == "Make 'shop' the active dataset").click().run()
    assert not again.exception and not again.error
    assert again.session_state["active_dataset"] == "shop"
    assert [s.value for s in again.success] == ["Made 'shop' the active dataset."]
    again.switch_page("pages/train.py").run()
    assert "Trains on the dataset 'shop' (the sidebar's Dataset)." in [c.value for c in again.caption]
    # 'shop' has no run yet: the sidebar keeps no run of another dataset active (its results were shown
    # here under a warning, and the run pages showed its products beside this dataset's rules)
    assert again.session_state["active_run"] is None
    assert not [s for s in again.subheader if s.value.startswith("Results")]


def test_making_saved_data_active_brings_its_newest_run(small_log, tmp_path, monkeypatch):
    """As a pick in the sidebar does: the run stayed another dataset's, and the Train page then said the
    dataset made active had no run."""
    workspace = tmp_path / "ws"
    shop = tmp_path / "shop.csv"
    shop.write_bytes(LOG)
    for log in (small_log, shop):  # 'small' first, so the newest run is on 'shop'
        assert run_cli("train", log, "--model", "pop", "--compare-with", "itemknn", "--workspace", workspace,
                       "--quiet").returncode == 0
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    runs = {r.dataset.name: r.run_id for r in Workspace(workspace).list_runs()}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["active_run"], at.session_state["active_dataset"] = runs["shop"], "shop"
    at.run().switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("small.csv", small_log.read_bytes(), "text/csv").run()
    next(b for b in at.button if b.label == "Make 'small' the active dataset").click().run()
    assert not at.exception and at.session_state["active_dataset"] == "small"
    assert at.session_state["active_run"] == runs["small"]
    # The page then shows the dataset made active, as the sidebar names it (it showed the file just read).
    assert at.radio[0].value == "active" and any("Made 'small' the active dataset" in s.value for s in at.success)
    # The same data under another file name: made active by the same button, beside a Save of a copy.
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("small_again.csv", small_log.read_bytes(), "text/csv").run()
    assert any("already saved as 'small'" in i.value for i in at.info)
    assert {"Make 'small' the active dataset", "Save dataset"} <= {b.label for b in at.button}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path / "workspace"


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


def test_three_file_upload_shows_what_the_join_and_the_catalogue_bring(workspace):
    """Order lines, an orders lookup (order -> customer) and a product catalogue, uploaded one by one:
    the mapping shows the joined customer column and the catalogue's columns, never "(none)"."""
    lines = b"order_id,product_id\n" + b"".join(f"o{n},p{(n * 5 + j) % 17}\n".encode()
                                                for n in range(40) for j in range(3))
    orders = b"order_id,user_id\n" + b"".join(f"o{n},u{n % 9}\n".encode() for n in range(40))
    products = b"product_id,product_name,department_id\n" + b"".join(f"p{i},Product {i},{i % 4}\n".encode()
                                                                     for i in range(17))
    at = _app().run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("order_lines.csv", lines, "text/csv").run()
    assert next(s for s in at.selectbox if s.label == "user").value == "(none)"  # no customer column yet
    at.file_uploader[1].upload("products.csv", products, "text/csv").run()
    at.file_uploader[2].upload("orders.csv", orders, "text/csv").run()
    assert not at.exception and not at.error
    boxes = {s.label: s for s in at.selectbox}
    assert boxes["user"].value == "user_id"  # detected again once the lookup joined it
    assert boxes["item name"].options[0] == "product_name (catalogue)"  # what fills it, not "(none)"
    assert boxes["category"].options[0] == "department_id (catalogue)"
    assert next(m for m in at.metric if m.label == "Customers").value == "9"
    # The catalogue gives department codes; a departments file names them (code 3 it leaves unnamed).
    departments = b"department_id,department\n0,produce\n1,dairy eggs\n2,bakery\n"
    next(u for u in at.file_uploader if u.label.startswith("Category names")).upload(
        "departments.csv", departments, "text/csv").run()
    assert not at.exception and not at.error
    captions = " ".join(str(c.value) for c in at.caption)
    assert ("Category names joined on department\\_id, named by department: 13 products named, 4 with a code "
            "the file does not name (kept as the code)." in captions), captions
    at.text_input[0].set_value("grocery").run()
    next(b for b in at.button if b.label == "Save dataset").click().run()
    categories = Workspace(workspace).load_dataset("grocery").catalogue["category"]
    assert categories.loc["p4"] == "produce" and categories.loc["p6"] == "bakery" and categories.loc["p3"] == "3"


def test_a_basket_list_maps_each_basket_as_its_customer(workspace):
    """A basket list has no customers; `train` says to map the customer role to the basket column, and
    the Data page takes that mapping (it refused one column in two roles). Any other pair stays refused."""
    lines = b"".join(f"{','.join(f'food {(n + j) % 7}' for j in range(1 + n % 3))}\n".encode() for n in range(30))
    at = _app().run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("groceries.csv", lines, "text/csv").run()
    assert next(m for m in at.metric if m.label == "Customers").value == "0"
    # No basket lost a line: the report says nothing dropped, not "0 baskets whose every line was dropped"
    assert "No line dropped, and nothing to note." in [c.value for c in at.caption]
    assert not any("reason" in frame.value.columns for frame in at.dataframe)
    next(s for s in at.selectbox if s.label == "user").set_value("basket").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert next(m for m in at.metric if m.label == "Customers").value == "30"
    assert next(m for m in at.metric if m.label == "Baskets").value == "30"
    next(s for s in at.selectbox if s.label == "time").set_value("item").run()
    assert "expected each column in one role, found 'item' in several" in [e.value for e in at.error]


def test_a_new_session_opens_on_the_dataset_last_made_active(workspace):
    """A new user saved and made active the groceries baskets, opened the Train page in a new tab,
    and trained the invoices (the newest run's dataset). A run trained after the mark still wins."""
    import time

    from conftest import SAMPLE

    from gnnrec_core import ingest
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save
    from gnnrec_core.records import DatasetRef
    from gnnrec_core.store import Workspace
    from gnnrec_core.store_active import mark_active

    store = Workspace(workspace)
    result = ingest(SAMPLE, drop_non_products=True)
    store.save_dataset("invoices", result)
    train_and_save(store, DatasetRef("invoices"), prepare(result), ExperimentConfig(model="pop", baselines=()))
    time.sleep(0.05)
    store.save_dataset("groceries", ingest(SAMPLE))
    mark_active(store.root, "groceries")  # what the Data page's Save and "Make ... active" do
    boxes = {s.label: s.value for s in _app().run().sidebar.selectbox}
    assert boxes["Dataset"] == "groceries"
    time.sleep(0.05)
    train_and_save(store, DatasetRef("invoices"), prepare(result), ExperimentConfig(model="pop", baselines=()))
    boxes = {s.label: s.value for s in _app().run().sidebar.selectbox}
    assert boxes["Dataset"] == "invoices" and boxes["Run"] == store.list_runs()[0].run_id


def test_the_demo_trains_the_sample_even_where_other_data_holds_its_name(workspace):
    """A person's own data saved as 'Online Retail sample' was trained by Train the demo (the name
    was checked, not where it came from): the demo saves the sample beside it and trains that."""
    import time

    from conftest import SAMPLE

    from gnnrec_core import ingest
    from gnnrec_core.store import Workspace, fingerprint
    from pages.jobs import jobs
    from pages.state import JOB_KEY

    store = Workspace(workspace)
    small = ingest(SAMPLE, drop_non_products=True).events.head(3000)
    mine = workspace.parent / "mine.csv"
    small.rename(columns={"user": "customer_id", "item": "product_id", "basket": "order_id"})[
        ["order_id", "customer_id", "product_id"]].dropna().to_csv(mine, index=False)
    store.save_dataset("Online Retail sample", ingest(mine), source="mine.csv")
    at = _app().run()
    next(b for b in at.button if b.label == "Train the demo").click().run()
    trained = at.session_state["active_dataset"]
    assert trained != "Online Retail sample"
    meta = next(d for d in store.list_datasets() if d["name"] == trained)
    assert meta["fingerprint"] == fingerprint(ingest(SAMPLE, drop_non_products=True))
    # The run it started trains that dataset (its data and name checked above); cancelled rather than
    # waited for, as its saving is the demo journey's (tests/test_app.py).
    job = jobs()[at.session_state[JOB_KEY]]
    assert job.dataset == trained
    job.cancel.set()
    deadline = time.time() + 60  # the thread ends before the workspace goes
    while time.time() < deadline and job.status == "running":
        time.sleep(0.2)
    assert job.status == "cancelled" and not store.list_runs()


def test_a_mapping_refused_keeps_the_preview_to_map_from(tmp_path, monkeypatch):
    """Columns the detection cannot place: the page said what was missing and hid the preview, so the
    columns had to be mapped blind."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    log = b"shopper,ticket,each,label\n" + b"".join(f"s{n % 9},t{n % 40},1.5,thing {n % 13}\n".encode()
                                                     for n in range(120))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("odd.csv", log, "text/csv").run()
    assert not at.exception and at.error, "the mapping was expected to be refused"
    assert "Preview (first 50 rows as read)" in [e.label for e in at.expander]


def test_a_basket_list_of_names_is_not_said_to_have_no_product_names(tmp_path, monkeypatch):
    """groceries' products are their names ("citrus fruit"): the page said "No product names ... search
    by meaning has nothing to read", though search and the encoders read those names."""
    from conftest import app_on_saved_file

    from gnnrec_core import ingest

    at = app_on_saved_file(tmp_path, monkeypatch, "groceries", "citrus fruit,whole milk,semi-finished bread\n"
                           "tropical fruit,yogurt\nwhole milk,butter\n" * 20, "pages/data.py")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert not any(c.startswith("No product names: ") for c in captions)
    assert any(c.startswith("Product names are read by") for c in captions), captions
    skus = tmp_path / "skus.csv"  # codes with letters in them are still codes
    skus.write_text("order,sku\n" + "".join(f"o{i % 12},SKU{i % 7:05d}\n" for i in range(60)))
    Workspace(tmp_path / "ws").save_dataset("skus", ingest(skus))
    at.session_state["active_dataset"] = "skus"
    at.run()
    assert any(str(c.value).startswith("No product names: ") for c in at.caption)


def test_which_catalogues_have_names_to_read():
    """Names apart from their codes, or codes that are words; never codes with letters in them."""
    import pandas as pd

    from gnnrec_core import has_product_names

    def catalogue(codes, names=None):
        return pd.DataFrame({"name": names or codes}, index=pd.Index(codes, name="item"))

    assert has_product_names(catalogue(["85123A", "71053"], ["WHITE HANGING HEART", "WHITE METAL LANTERN"]))
    assert has_product_names(catalogue(["citrus fruit", "yogurt", "whole milk"]))
    assert not has_product_names(catalogue(["SKU00123", "ABC-001", "85123A"]))
    assert not has_product_names(catalogue([]))


def test_a_file_with_no_header_says_its_roles_were_read_from_values(tmp_path, monkeypatch):
    """SNAP's check-ins (user, time, latitude, longitude, place; no header) uploaded: the CLI said its
    roles were read from values, the page said nothing, and the coordinates went unread without a word."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    rows = "".join(f"u{n % 40}\t2010-10-{1 + n % 28:02d}T12:00:00Z\t30.2{n % 9}\t-97.7{n % 7}\t{1000 + n % 61}\n"
                   for n in range(400))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("Upload files").run()
    at.file_uploader[0].upload("checkins.txt", rows.encode(), "text/plain").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = ("No header: the columns' roles were read from their values (user column_1, item column_5, time "
            "column_2); map them where they are not. Not read: column_3, column_4.")  # the CLI's ingest note
    assert said in [c.value.replace("\\", "") for c in at.caption]
    assert {s.label: s.value for s in at.selectbox if s.label in ("user", "item", "time")} == {
        "user": "column_1", "item": "column_5", "time": "column_2"}
    # A wider headerless export is not read as a log by its values: no customer or product is said to be read
    wide = "".join(f"{line.rstrip()}\tx\t1\n" for line in rows.splitlines())
    at.file_uploader[0].upload("wide.txt", wide.encode(), "text/plain").run()
    caption = next(c.value.replace("\\", "") for c in at.caption if c.value.startswith("No header"))
    assert not at.exception and "user column_1" not in caption and "item column_5" not in caption, caption
