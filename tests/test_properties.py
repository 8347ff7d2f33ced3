"""Property-based tests (hypothesis) of ingest and the ranking metrics on generated data."""


import csv
import io
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnnrec_core.data.ingest import ingest
from gnnrec_core.errors import InputError
from gnnrec_core.fit.metrics import ranking_metrics, top_k

ID_TEXT = st.one_of(
    st.integers(0, 40).map(str), st.integers(0, 40).map(lambda i: f"{i}.0"), st.integers(0, 40).map(lambda i: f" {i} "),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=6), st.just(""))
QUANTITY = st.one_of(st.integers(-3, 5).map(str), st.just(""), st.just("n/a"), st.floats(-2,
                                                                                         9).map(lambda f: f"{f:.2f}"))
ROWS = st.lists(st.tuples(ID_TEXT, ID_TEXT, ID_TEXT, QUANTITY), min_size=1, max_size=60)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ROWS)
def test_ingest_accounts_for_every_row_or_says_why(rows):
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id", "quantity"])
    data = frame.to_csv(index=False).encode()
    try:
        result = ingest((data, "orders.csv"))
    except InputError as error:
        assert str(error).startswith("expected") and "\n" not in str(error)
        return
    report = result.report
    assert report.rows_kept + sum(report.dropped.values()) == report.rows_read
    items = result.events["item"]
    assert items.notna().all() and (items == items.str.strip()).all() and (items != "").all()
    # 17850.0 is read as 17850, unless the column spells 17850 too: then they are two products
    spelled = set(frame["product_id"].str.strip())
    floated = items[items.str.fullmatch(r"-?[0-9]+\.0")]
    assert all(item[:-2] in spelled for item in floated), list(floated)
    assert (result.events["quantity"].dropna() > 0).all()  # returns never count as purchases
    assert set(result.catalogue.index) == set(items)


# Hostile CSV files: any encoding, separator and quoting; line separators inside names; times with
# zones, Unix seconds or milliseconds and years no datetime64[ns] holds; inf, nan, 1e308 and -0.
DATES = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
HOSTILE_TIME = st.one_of(
    DATES.map(lambda d: d.isoformat(sep=" ")), DATES.map(lambda d: d.isoformat() + "Z"),
    st.tuples(DATES, st.integers(-14, 14)).map(lambda t: f"{t[0].isoformat()}{t[1]:+03d}:00"),
    st.integers(0, 2 ** 45).map(str), st.floats().map(str), DATES.map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
    DATES.map(lambda d: f"{d.year:04d}{d:%m%d%H%M%S}"), DATES.map(lambda d: f"{d.year:04d}{d:%m%d}"),  # digits alone
    DATES.map(lambda d: d.strftime("%d-%m-%Y %H:%M")), DATES.map(lambda d: f"{d.year:04d}/{d:%m/%d}"),
    st.sampled_from(["", "garbage", "0000-00-00", "1709290800", "1709290800000", "2024-03-01T10:00:00+02:00",
                     "22991231", "2010-12-01 08:26:00.1234567", "1/2/2010\nx", "32/13/2010 25:61"]))
HOSTILE_NUMBER = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "NaN", "1e308", "-1e308", "1e400", "-0", "-0.0", "0", "", "2", "n/a"]),
    st.floats().map(repr), st.integers(-3, 5).map(str))
HOSTILE_NAME = st.text(st.sampled_from([*"ab Z\u00e9\u20ac,;|\t\"'", "\u2028", "\u0085", "\r", "\n"]), max_size=8)
HOSTILE_ID = st.one_of(st.integers(0, 20).map(str), st.sampled_from(["1e20", "17850.0", " 7 ", "", "inf"]),
                       HOSTILE_NAME)
HEADERS = (["order_id", "customer_id", "product_id", "description", "quantity", "price", "timestamp"],
           ["order_id", "customer_id", "product_id", "customer_id", "qty", "unit price", "date"],
           ["InvoiceNo", "CustomerID", "StockCode", "Descr\u2028iption", "Quantity", "UnitPrice", "InvoiceDate"])


@st.composite
def hostile_csv(draw):
    rows = draw(st.lists(st.tuples(HOSTILE_ID, HOSTILE_ID, HOSTILE_ID, HOSTILE_NAME, HOSTILE_NUMBER, HOSTILE_NUMBER,
                                   HOSTILE_TIME), min_size=1, max_size=40))
    sep, end = draw(st.sampled_from([",", ";", "\t", "|"])), draw(st.sampled_from(["\n", "\r\n", "\r"]))
    table = [draw(st.sampled_from(HEADERS)), *rows]
    if draw(st.booleans()):  # quoted where needed (or everywhere), as a spreadsheet saves
        buffer = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        csv.writer(buffer, delimiter=sep, lineterminator=end, quoting=quoting).writerows(table)
        text = buffer.getvalue()
    else:  # unquoted, as a hand-rolled export writes: a separator inside a name breaks the row
        text = end.join(sep.join(row) for row in table) + end
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace"), draw(st.sampled_from(["orders.csv", "orders.txt", "orders.tsv"]))


@pytest.mark.filterwarnings("error::RuntimeWarning")  # a warning would reach the user's terminal
@FAST
@given(hostile_csv())
def test_hostile_csv_files_are_read_or_refused_in_one_line(upload):
    """ingest returns or raises InputError, never another exception: a refusal is one `expected`
    line, and what it reads accounts for every row, with no inf, nan or 1e308 left in the numbers."""
    try:
        result = ingest(upload)
    except InputError as error:
        assert str(error).startswith("expected") and len(str(error).splitlines()) == 1, str(error)
        return
    report = result.report
    assert report.rows_kept + sum(report.dropped.values()) == report.rows_read
    assert all(len(note.splitlines()) == 1 for note in report.warnings), report.warnings
    for column in ("quantity", "price", "rating"):
        values = result.events[column].dropna().to_numpy()
        assert np.isfinite(values).all() and (np.abs(values) <= 1e15).all(), column
    assert str(result.events["time"].dtype) == "datetime64[ns]"


@st.composite
def rankings(draw):
    n_items = draw(st.integers(2, 30))
    n_users = draw(st.integers(1, 8))
    k = draw(st.integers(1, n_items))
    relevant = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n_items, max_size=n_items),
                                      min_size=n_users, max_size=n_users)))
    relevant[:, 0] |= ~relevant.any(1)  # metrics are defined over users with at least one held-out item
    scores = np.array(draw(st.lists(st.lists(st.floats(-5, 5), min_size=n_items, max_size=n_items),
                                    min_size=n_users, max_size=n_users)))
    return scores, sp.csr_matrix(relevant.astype(np.float32)), k


@FAST
@given(rankings())
def test_metrics_stay_in_range_and_perfect_rankings_score_one(case):
    scores, relevant, k = case
    top = top_k(scores, k)
    assert all(len(set(row)) == k for row in top)
    values = ranking_metrics(top, relevant, k)
    for name, per_user in values.items():
        assert np.all((per_user >= -1e-9) & (per_user <= 1 + 1e-9)), name
    hits = np.asarray(relevant[np.repeat(np.arange(len(top)), k), top.ravel()]).reshape(top.shape).sum(1)
    np.testing.assert_allclose(values["recall"], hits / np.diff(relevant.indptr))
    np.testing.assert_allclose(values["precision"], hits / k)

    perfect = top_k(relevant.toarray() + 1e-3 * np.random.default_rng(0).random(relevant.shape), k)
    np.testing.assert_allclose(ranking_metrics(perfect, relevant, k)["ndcg"], 1.0)


@FAST
@given(rankings(), st.integers(0, 2**31))
def test_top_k_never_returns_an_excluded_item(case, seed):
    scores, _, k = case
    rng = np.random.default_rng(seed)
    exclude = sp.csr_matrix(rng.random(scores.shape) < 0.3)
    allowed = scores.shape[1] - np.diff(exclude.indptr)
    top = top_k(scores, int(min(k, allowed.min())), exclude)
    for row, items in enumerate(top):
        assert not exclude[row, items].toarray().any()
