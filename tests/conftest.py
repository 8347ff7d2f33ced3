import os
from pathlib import Path

if os.environ.get("PYTEST_XDIST_WORKER"):
    # In parallel (pytest.ini) each worker and the commands it starts compute on one thread: three
    # workers each spinning two BLAS/OpenMP threads on two cores ran the suite 3x slower per test.
    # Set before numpy or torch load, which read these once.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
SHARED_DATA = Path(os.environ.get("GNNREC_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"shared data file {name} is not present beside the project")
    return path


def app_on_saved_file(tmp_path: Path, monkeypatch, name: str, text: str, page: str):
    """The dashboard (streamlit's AppTest) on `page`, with the file `text` ingested, saved in a fresh
    workspace as the dataset `name` and made active, as a user who saved it on the Data page has it."""
    from streamlit.testing.v1 import AppTest

    from gnnrec_core import Workspace, ingest

    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    Workspace(tmp_path / "ws").save_dataset(name, ingest(path))
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["active_dataset"] = name
    return at.run().switch_page(page).run()


@pytest.fixture
def planted() -> sp.csr_matrix:
    """Two communities with a known answer: users 0-19 buy from items 0-9, users 20-39 from items
    10-19. Each user bought 6 of their community's 10 items, so every right recommendation is one
    of the 4 remaining items of the user's own community."""
    return communities(users_each=20, items_each=10, bought=6)


def communities(users_each: int, items_each: int, bought: int, groups: int = 2, seed: int = 0) -> sp.csr_matrix:
    """Users of group g buy `bought` of group g's `items_each` items, chosen at random."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for user in range(groups * users_each):
        base = user // users_each * items_each
        for item in rng.choice(items_each, bought, replace=False):
            rows.append(user)
            cols.append(base + item)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                         shape=(groups * users_each, groups * items_each))


@pytest.fixture
def events_frame() -> pd.DataFrame:
    """A small Online-Retail-shaped log whose cleaning counts are known by hand."""
    return pd.DataFrame({
        "InvoiceNo": ["1001", "1001", "1001", "C1002", "1003", "1003", "1003", "1004", "1004", "1005"],
        "StockCode": ["A1", "B2", "B2", "A1", "C3", None, "POST", "A1", "C3", "B2"],
        "Description": ["Red mug", "Blue mug", "Blue mug", "Red mug", "Tea towel", "x", "POSTAGE",
                        "Red mug", "Tea towel", "Blue mug"],
        "Quantity": ["2", "1", "1", "-2", "3", "1", "1", "1", "-1", "4"],
        "InvoiceDate": ["12/1/2010 8:26", "12/1/2010 8:26", "12/1/2010 8:26", "12/2/2010 9:00",
                        "12/3/2010 10:00", "12/3/2010 10:00", "12/3/2010 10:00", "12/13/2010 11:00",
                        "12/13/2010 11:00", "12/14/2010 12:00"],
        "UnitPrice": ["2.5", "3.0", "3.0", "2.5", "1.0", "1.0", "15.0", "2.5", "1.0", "3.0"],
        "CustomerID": ["17850.0", "17850.0", "17850.0", "17850.0", "13047", "13047", "13047", None, None, "13047"],
    })


# The longest tests first, so that in parallel (pytest.ini) they start at once and overlap the rest
# instead of running last: the real browser, the Ray tests (one worker), the README's saved run.
LONG_GROUPS = ("ray", "readme-run")


def pytest_collection_modifyitems(config, items):
    def start(item) -> int:
        if item.get_closest_marker("browser"):
            return 0
        group = item.get_closest_marker("xdist_group")
        return 1 if group is not None and group.args and group.args[0] in LONG_GROUPS else 2
    items.sort(key=start)  # stable: within each, the files' own order


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    """The first customers of the sample, enough for every command to run in seconds."""
    frame = pd.read_csv(SAMPLE, dtype=str)
    keep = frame["CustomerID"].dropna().unique()[:150]
    path = tmp_path_factory.mktemp("cli") / "small.csv"
    frame[frame["CustomerID"].isin(keep)].to_csv(path, index=False)
    return path
