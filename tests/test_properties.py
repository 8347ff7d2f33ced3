"""Property-based tests (hypothesis) of ingest and the ranking metrics on generated data."""


import numpy as np
import pandas as pd
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
    assert not items.str.fullmatch(r"-?\d+\.0").any()  # 17850.0 is read as 17850
    assert (result.events["quantity"].dropna() > 0).all()  # returns never count as purchases
    assert set(result.catalogue.index) == set(items)


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
