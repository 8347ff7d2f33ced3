"""The Compare page's two modes that need no run, through AppTest: two periods of the sample, by
link, and two segments of a dataset with a country column (split from test_app.py, past 400 lines)."""

import pytest
from test_app import _app, _open_link, _texts


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path / "workspace"


def test_compare_periods_and_segments_of_one_dataset(workspace):
    """No training needed: the sample's weeks before and after 15 December, by link, then segments of
    a dataset with a country column. Hand warmers stop selling after Christmas."""
    at = _app().run()
    # No run yet, so "Two runs" stops early; the first click on another mode is the mode shown (the
    # address bar's own mode=runs, read back as a link, undid it: a new user's report)
    at.switch_page("pages/compare.py").run()
    next(r for r in at.radio if r.label == "Compare").set_value("Two periods").run()
    assert at.radio[0].value == "Two periods" and at.query_params["mode"] == "periods", at.query_params
    for bad in ({"start": "-1"}, {"split": "nan", "end": "-5"}, {"split": "2011-02-01"}, {"min": "²"}):  # hand-edited
        _open_link(at, "pages/compare.py", mode="periods", **bad)
        assert not at.exception, [e.value for e in at.exception]  # the defaults, no traceback, and said:
        said = [w.value.replace("\\", "") for w in at.warning]  # as shown: Markdown's escapes dropped
        assert all(any(f"'{value}', which is not here" in w for w in said) for value in bad.values()), said
    _open_link(at, "pages/compare.py", mode="periods", start="2010-12-01", split="2010-12-15")
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio[0].value == "Two periods" and not at.warning
    baskets = {m.label: m.value for m in at.metric if m.label.startswith(("a:", "b:"))}
    # each period's last day, as the date boxes show days (b's end box says "day excluded")
    assert baskets == {"a: 2010-12-01 to 2010-12-14": "1,170 baskets", "b: 2010-12-15 to 2011-01-10": "715 baskets"}
    products = at.dataframe[0].value
    assert set(products["status"]) <= {"rising", "new", "falling", "gone"}  # named changes shown by default
    assert (products["q_value"] <= 0.05).all() and "22633" in set(products["item"])
    assert "q-value is at most 0.05" in _texts(at)
    assert at.query_params["split"] == "2010-12-15" and at.query_params["mode"] == "periods"
    partner = next(s for s in at.selectbox if s.label == "Product")  # opens on the busiest product, not a new one
    assert partner.value == "85123A"  # WHITE HANGING HEART T-LIGHT HOLDER, in 271 of the 1,885 baskets
    # The link holds every choice that changes what is counted: a colleague opening it sees these figures.
    _open_link(at, "pages/compare.py", mode="periods", start="2010-12-01", split="2010-12-15", min="5", q="0.1",
               item="22633")
    assert not at.exception and not at.warning
    assert next(n for n in at.number_input if n.label.startswith("Test only")).value == 5
    assert next(s for s in at.select_slider if s.label.startswith("False discovery")).value == 0.1
    assert next(s for s in at.selectbox if s.label == "Product").value == "22633"
    assert {k: at.query_params[k] for k in ("min", "q", "item")} == {"min": "5", "q": "0.1", "item": "22633"}
    assert (at.dataframe[0].value["q_value"] <= 0.1).all()
    months = next(r for r in at.radio if r.label == "Periods")
    months.set_value("A month against the month before").run()  # January 2011: 10 of its 31 days in the sample
    assert not at.exception and "Period b holds 10 of its 31 days in this data" in _texts(at)

    from test_changes import order_log

    from gnnrec_core import Workspace, ingest

    frame = order_log(0, baskets=600, triple="P020")
    frame.loc[frame["order"].isin(["O1", "O2", "O3"]), "Country"] = None  # three orders of no known country
    # A line's place in its order, first in the file: it differs within baskets, so it is offered after
    # Country (a basket takes its first line's value: split by it, first lines would be refused)
    frame.insert(0, "line_no", frame.groupby("order").cumcount().clip(upper=4) + 1)
    Workspace(workspace).save_dataset("Two countries", ingest(frame.to_csv(index=False).encode(), "log.csv"))
    at.session_state["active_dataset"] = "Two countries"  # what the sidebar does with a link's `dataset`
    _open_link(at, "pages/compare.py", mode="segments", dataset="Two countries")
    split_by = next(s for s in at.selectbox if s.label == "Split by")
    assert split_by.value == "Country" and split_by.options == ["Country", "line_no (differs within baskets)"]
    _open_link(at, "pages/compare.py", mode="segments", dataset="Two countries", by="Country", a="DE", b="FR")
    assert not at.exception, [e.value for e in at.exception]
    boxes = {s.label: s.value for s in at.selectbox}
    assert boxes["Split by"] == "Country" and boxes["Segment a"] == "DE" and boxes["Segment b"] == "FR"
    assert any(m.label == "a: Country = DE" for m in at.metric)
    # Between segments nothing rises or is gone: a difference between a and b, in the counts' words
    assert {m.label for m in at.metric} >= {"More in b", "Only in b", "Less in b", "Only in a"}
    others = int((~frame.drop_duplicates("order")["Country"].isin(["DE", "FR", None])).sum())
    said = "Left out: 3 baskets with no Country value" + (f" and {others:,} of other values." if others else ".")
    assert said in _texts(at).replace("\\", "")
    # Within a window of dates, as `compare-periods --by --start --end` (a link carries it as from/until)
    _open_link(at, "pages/compare.py", mode="segments", dataset="Two countries", by="Country", a="DE", b="FR",
               **{"from": "2024-03-01", "until": "2024-03-15"})
    assert not at.exception, [e.value for e in at.exception]
    window = frame[(frame["when"] >= "2024-03-01") & (frame["when"] < "2024-03-15")].drop_duplicates("order")
    shown = {m.label: m.value for m in at.metric}
    assert shown["a: Country = DE, 2024-03-01 to 2024-03-14"] == f"{(window['Country'] == 'DE').sum():,} baskets"
    assert at.query_params["from"] == "2024-03-01" and at.query_params["until"] == "2024-03-15"
    at.radio[0].set_value("Two runs").run()  # no runs: the mode stops before a link of its own
    assert dict(at.query_params) == {"mode": "runs"}  # the segments' link went with them (it stayed, stale)
