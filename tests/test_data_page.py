"""The Data page's Save: a new upload becomes the active dataset at once (the sidebar too), and data
already saved is made active rather than refused."""

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
    now names the dataset its form trains on, and says where the results shown are another's."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    assert run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--workspace", tmp_path / "ws",
                   "--quiet").returncode == 0
    at = _upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run())
    next(b for b in at.button if b.label == "Save dataset").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["active_dataset"] == "shop"
    assert [s.value for s in at.success] == ["Saved 'shop' and made it the active dataset."]  # said after the rerun

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
    assert any(w.value.startswith("These results are of a run on 'small'; the form above trains on 'shop'")
               for w in again.warning)


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
    # The same data under another file name: made active by the same button, beside a Save of a copy.
    at.file_uploader[0].upload("small_again.csv", small_log.read_bytes(), "text/csv").run()
    assert any("already saved as 'small'" in i.value for i in at.info)
    assert {"Make 'small' the active dataset", "Save dataset"} <= {b.label for b in at.button}
