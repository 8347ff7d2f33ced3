"""Pages on data with gaps a new user's upload had: a log without dates compared by segments, and a
catalogue that names a category for only some products (review logs whose meta file misses some)."""

import pytest
from conftest import SAMPLE
from test_app import _app, _open_link, _texts
from test_changes import order_log

from gnnrec_core import Workspace, ingest


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path / "workspace"


def test_segments_of_a_log_without_dates_say_there_is_no_trajectory(workspace):
    """Compare > Two segments on orders with no time column drew its tables, then a traceback
    ("expected a time column for a weekly trajectory") in the trajectory tab."""
    frame = order_log(0, baskets=600).drop(columns="when")
    Workspace(workspace).save_dataset("No dates", ingest(frame.to_csv(index=False).encode(), "log.csv"))
    at = _app().run()
    at.session_state["active_dataset"] = "No dates"
    _open_link(at, "pages/compare.py", mode="segments", dataset="No dates", by="Country", a="DE", b="FR")
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "a: Country = DE" for m in at.metric)
    assert "This dataset has no dates, so no week-by-week trajectory" in _texts(at)


def test_associations_with_products_of_no_category(workspace):
    """Some products without a category: sorting the category filter's choices met NaN beside text
    (TypeError on the Associations page). Products of two categories ("Dept 0|Dept 9", as MovieLens
    writes genres) are offered by each, and found under either."""
    frame = order_log(1, baskets=600)
    # P..0 products are in two departments at once, written as MovieLens writes genres
    frame["category"] = frame["product"].map(lambda p: None if p.endswith(("1", "2")) else "Dept 0|Dept 9"
                                             if p.endswith("0") else f"Dept {p[-1]}")
    Workspace(workspace).save_dataset("Some categories", ingest(frame.to_csv(index=False).encode(), "log.csv"))
    at = _app().run()
    at.session_state["active_dataset"] = "Some categories"
    at.switch_page("pages/associations.py").run()
    assert not at.exception, [e.value for e in at.exception]
    choices = next(m for m in at.multiselect if m.label == "Filter by category").options
    assert choices == sorted(f"Dept {d}" for d in "03456789")  # each department once, not "Dept 0|Dept 9"
    rules = at.dataframe[0].value
    digit = next(p[-1] for p in rules["if bought"] if p[-1] not in "12")  # a rule with a categorised product
    next(m for m in at.multiselect if m.label == "Filter by category").set_value([f"Dept {digit}"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert 0 < len(shown) <= len(rules)
    assert (shown["if bought"].str.endswith(digit) | shown["then also"].str.endswith(digit)).all()
    next(m for m in at.multiselect if m.label == "Filter by category").set_value(["Dept 9"]).run()
    nines = at.dataframe[0].value  # Dept 9's rules hold its own products and the two-department ones
    assert (nines["if bought"].str[-1].isin(["0", "9"]) | nines["then also"].str[-1].isin(["0", "9"])).all()
    assert (nines["if bought"].str.endswith("0") | nines["then also"].str.endswith("0")).any()


def test_partners_of_a_product_in_every_basket_are_said_to_clear_no_chance(workspace):
    """A film nearly every customer rated: each partner is "bought together" at lift 1.0 (95% low
    0.9), listed under Frequently bought together with no word that none is an association."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [(f"o{n}", p) for n in range(300) for p in ["EVERY", *rng.choice([f"P{j}" for j in range(12)], 3, False)]]
    frame = pd.DataFrame(rows, columns=["order", "product"]).assign(customer=lambda f: "u" + f["order"])
    Workspace(workspace).save_dataset("Everyone", ingest(frame.to_csv(index=False).encode(), "log.csv"))
    at = _app().run()
    at.session_state["active_dataset"] = "Everyone"
    at.switch_page("pages/associations.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Product").value is not None
    assert "None of them is bought with it clearly more often than chance (no 95% low above 1)." in _texts(
        at).replace("\\", "")  # as shown: Markdown's escapes dropped
    # A log of no postage or fee codes is not told they are in no basket; the sample's log is
    assert "300 baskets (orders) over 13 products." in [c.value for c in at.caption]
    Workspace(workspace).save_dataset("Sample", ingest(SAMPLE))
    at.session_state["active_dataset"] = "Sample"
    at.switch_page("pages/associations.py").run()
    assert any(c.value.endswith("products (postage and fee codes are in no basket).") for c in at.caption)
