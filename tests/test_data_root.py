"""Opening a log by its path on the server (GNNREC_DATA_ROOT): the Data page offers it only when the
root is set, reads a file or a folder of Parquet files inside it, and answers everything else (outside
the root, through a link, missing, not a file, over the limits) with one line, as an upload would."""

import os
import shutil

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE
from streamlit.testing.v1 import AppTest

from gnnrec_core.data.server_files import server_path
from gnnrec_core.errors import InputError

SERVER = "A file on the server"


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A data root holding the sample, a folder of Parquet parts and a link leading out of it."""
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    data = tmp_path / "data"
    (data / "parts").mkdir(parents=True)
    shutil.copy(SAMPLE, data / "orders.csv.gz")
    frame = pd.read_csv(SAMPLE, dtype=str, nrows=3000)
    for i in range(2):
        frame.iloc[i * 1500:(i + 1) * 1500].to_parquet(data / "parts" / f"part-{i}.parquet", index=False)
    (tmp_path / "secret.csv").write_text("order_id,product_id\n1,2\n")
    (data / "link.csv").symlink_to(tmp_path / "secret.csv")
    os.mkfifo(data / "pipe.csv")
    monkeypatch.setenv("GNNREC_DATA_ROOT", str(data))
    return data


def _data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    return at


@pytest.mark.parametrize("typed,message", [
    ("../secret.csv", r"expected a path inside GNNREC_DATA_ROOT .*found '../secret.csv', which leads outside it"),
    ("link.csv", r"found 'link.csv', which leads outside it"),
    ("missing.csv", r"expected a data file or a folder of Parquet files at 'missing.csv' inside GNNREC_DATA_ROOT, "
                    r"found nothing there"),
    ("pipe.csv", r"found something else \(a device, pipe or socket\)"),
])
def test_paths_that_may_not_be_read_get_one_line(root, typed, message):
    with pytest.raises(InputError, match=message):
        server_path(typed)


def test_an_absolute_path_must_lead_inside_the_root_too(root):
    assert server_path(str(root / "orders.csv.gz")) == (root / "orders.csv.gz").resolve()
    with pytest.raises(InputError, match="leads outside it"):
        server_path(str(root.parent / "secret.csv"))


def test_the_page_offers_server_files_only_with_a_root(root, monkeypatch):
    monkeypatch.delenv("GNNREC_DATA_ROOT")
    at = _data_page()
    assert SERVER not in at.radio[0].options


def test_the_page_opens_a_server_file_and_a_parquet_folder_and_refuses_the_rest(root, monkeypatch):
    at = _data_page()
    at.radio[0].set_value(SERVER).run()
    assert not at.exception and any("GNNREC_DATA_ROOT" in i.value for i in at.info)
    path = at.text_input[0]
    for typed, expected in (("../secret.csv", "leads outside it"), ("link.csv", "leads outside it"),
                            ("missing.csv", "found nothing there"), ("pipe.csv", "found something else")):
        path.set_value(typed).run()
        assert not at.exception and [e.value for e in at.error] and expected in at.error[0].value.replace("\\", "")
    path.set_value("orders.csv.gz").run()
    assert not at.exception and not at.error
    assert next(s for s in at.selectbox if s.label == "user").value == "CustomerID"
    kept = next(m for m in at.metric if m.label == "Rows kept")  # the cleaning report of the whole file
    assert int(kept.value.replace(",", "")) > 45_000
    path.set_value("parts").run()  # a folder of Parquet files: read by DuckDB
    assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Save dataset").click().run()
    assert not at.exception and (root.parent / "workspace" / "datasets" / "parts" / "meta.json").is_file()


def test_a_server_file_over_the_upload_limit_gets_the_uploads_message(root, monkeypatch):
    monkeypatch.setenv("GNNREC_MAX_UPLOAD_MB", "1")
    big = root / "big.csv"
    big.write_bytes(b"order_id,product_id\n" + b"o1,p1\n" * 300_000)
    at = _data_page()
    at.radio[0].set_value(SERVER).run()
    at.text_input[0].set_value("big.csv").run()
    assert not at.exception
    assert "expected a file of at most 1 MB" in at.error[0].value.replace("\\", "")
