"""A ratings or check-in log is spoken of as what it records: a film-ratings log read "bought by 268
customers", "nearest purchase in the model" and "Frequently bought together", and a check-in log
"bought Cafe Nero". The words come from the column mapping (data/log_words.py), one producer for the
CLI, the pages and the report; a retail export keeps its own."""

import re

import pandas as pd
import pytest
from conftest import communities
from test_cli import run_cli

from gnnrec_core.data.log_words import PURCHASES, RATINGS, VISITS, log_words
from gnnrec_core.data.mapping import ColumnMapping

RETAIL_WORDS = re.compile(r"\bbought\b|\bbuyers?\b|\bpurchases?\b|\bpurchased\b", re.IGNORECASE)


def test_the_mapping_says_what_the_log_records():
    assert log_words(ColumnMapping(user="u", item="StockCode", basket="InvoiceNo")) == PURCHASES
    assert log_words(ColumnMapping(user="u", item="movie_id", rating="rating")) == RATINGS
    assert log_words(ColumnMapping(user="u", item="venue_id", time="utc")) == VISITS
    assert log_words(ColumnMapping(user="u", item="Business ID")) == VISITS
    assert log_words(ColumnMapping(user="u", item="item_id")) == PURCHASES  # a bare list: the product's words
    # an order export that also holds a rating or a store's place is still purchases
    assert log_words(ColumnMapping(user="u", item="placeid", basket="order", rating="stars")) == PURCHASES
    assert log_words(ColumnMapping(user="u", item="sku", quantity="qty", rating="stars")) == PURCHASES


def _ratings_log(tmp_path):
    """Two communities of film-raters, each film named, rated 1-5."""
    matrix = communities(users_each=12, items_each=8, bought=5).tocoo()
    frame = pd.DataFrame({"user_id": [f"u{u:02d}" for u in matrix.row], "movie_id": [f"m{i:02d}" for i in matrix.col],
                          "rating": [1 + (u + i) % 5 for u, i in zip(matrix.row, matrix.col)],
                          "title": [f"Film {i:02d}" for i in matrix.col]})
    path = tmp_path / "ratings.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_ratings_logs_lists_say_rated_not_bought_as_typed_and_on_the_pages(tmp_path, small_log, monkeypatch):
    path, ws = _ratings_log(tmp_path), tmp_path / "ws"
    trained = run_cli("train", path, "--model", "itemknn", "--compare-with", "pop", "--workspace", ws, "--quiet")
    assert trained.returncode == 0, trained.stderr
    run_id = re.search(r"saved run (\S+)", trained.stdout).group(1)
    listed = run_cli("recommend", "--run", run_id, "--workspace", ws, "--user", "u03")
    assert listed.returncode == 0, listed.stderr
    assert "raters" in listed.stdout and "rated Film" in listed.stdout, listed.stdout
    assert "what each rated product brings" in listed.stdout
    alike = run_cli("similar", "--run", run_id, "--workspace", ws, "--item", "m01", "--min-buyers", "2")
    assert alike.returncode == 0, alike.stderr
    assert "among products with 2+ raters" in alike.stdout and "shared_raters" in alike.stdout
    for done in (listed, alike):
        assert not RETAIL_WORDS.search(done.stdout.replace("--min-buyers", "")), done.stdout
    # The report's words too (its text, not the chart library inlined in it)
    reported = run_cli("report", "--run", run_id, "--workspace", ws, "--out", tmp_path / "report.html")
    assert reported.returncode == 0, reported.stderr
    html = re.sub(r"<script.*?</script>", "", (tmp_path / "report.html").read_text(), flags=re.DOTALL)
    assert "Rated, among others" in html and not RETAIL_WORDS.search(html), RETAIL_WORDS.findall(html)
    # The JSON keeps its keys, whatever the log records: scripts read one contract
    as_json = run_cli("recommend", "--run", run_id, "--workspace", ws, "--user", "u03", "--json", tmp_path / "r.json")
    assert as_json.returncode == 0 and '"buyers"' in (tmp_path / "r.json").read_text()
    # A retail export keeps its words
    retail = run_cli("train", small_log, "--model", "itemknn", "--compare-with", "pop", "--workspace", ws, "--quiet")
    retail_id = re.search(r"saved run (\S+)", retail.stdout).group(1)
    bought = run_cli("recommend", "--run", retail_id, "--workspace", ws, "--user", "12431")
    assert bought.returncode == 0 and " buyers" in bought.stdout and "bought " in bought.stdout, bought.stderr

    from test_app import _app, _open_link

    monkeypatch.setenv("GNNREC_WORKSPACE", str(ws))
    at = _app().run()
    at.session_state["active_run"], at.session_state["active_dataset"] = run_id, "ratings"
    _open_link(at, "pages/recommendations.py", customer="u03")
    assert not at.exception
    table = at.table[0].value
    assert "raters in the data" in table.columns and "how it links to the customer's rated products" in table.columns
    assert any(e.label.startswith("What customer u03 rated") for e in at.expander)
    assert any(n.label.startswith("Fewest raters") for n in at.number_input)
    at.switch_page("pages/associations.py").run()
    assert not at.exception
    assert any(s.value == "Frequently rated together vs similar" for s in at.subheader)
    similar = next(frame.value for frame in at.dataframe if "shared_buyers" in frame.value.columns)
    assert len(similar)
    at.switch_page("pages/train.py").run()
    assert not at.exception
    share = next(s for s in at.slider if s.label == "Test share")
    assert "of each customer's rated products (random)" in share.help and "purchase" not in share.help
    _open_link(at, "pages/neighbourhood.py", product="m01")
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "Film 01: rated by " in caption and "bought" not in caption
    legend = at.get("plotly_chart")[0].proto.spec
    assert '"name":"rated together"' in legend and '"name":"bought together"' not in legend


@pytest.mark.parametrize("column, words", [("venue_id", "visited"), ("item_id", "bought")])
def test_a_check_in_logs_reasons_say_visited(tmp_path, column, words):
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.models.baselines import ItemKNN
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.recommend import recommend_table

    matrix = communities(users_each=8, items_each=6, bought=3).tocoo()
    path = tmp_path / "checkins.csv"
    pd.DataFrame({"user_id": [f"u{u:02d}" for u in matrix.row],
                  column: [f"v{i:02d}" for i in matrix.col]}).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    table = recommend_table(ItemKNN().fit(dataset.interactions.matrix()), dataset, 3, k=5)
    assert all(p.startswith(f"{words} v") or p.startswith("no ") for p in table["path"]), table["path"].tolist()
    act = "visited place" if words == "visited" else "purchase"
    assert f"Each score is exactly the sum of what each {act} brings" in table.attrs["explained"]
    # A hand-built basket's products are no customer's visits or purchases
    from gnnrec_core.serving.recommend import recommend_for_basket

    basket = recommend_for_basket(ItemKNN().fit(dataset.interactions.matrix()), dataset, [0, 1], k=3)
    assert "what each product of the basket brings" in basket.attrs["explained"], basket.attrs["explained"]


def test_ingest_says_what_the_log_records(tmp_path, small_log):
    """`ingest` as typed: its summary line and JSON say what the log records."""
    import json

    for path, kind, line in ((_ratings_log(tmp_path), "ratings", "products with a known customer"),
                             (small_log, "purchases", "products with a known customer")):
        done = run_cli("ingest", path, "--json", tmp_path / "ingest.json")
        assert done.returncode == 0 and line in done.stdout, done.stderr
        assert json.loads((tmp_path / "ingest.json").read_text())["summary"]["records"] == kind


def test_compare_periods_of_a_ratings_log_says_rated_together(tmp_path):
    """Pairs rising on a ratings log read "(bought together more or less often)"."""
    import numpy as np
    from test_changes import run_cli as compare_periods

    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"f{f}", f"2024-0{1 if side == 'a' else 3}-1{u % 9}") for u in range(300) for side in "ab"
            for f in [*rng.choice(40, 6, replace=False), *([100, 101] if side == "b" and u % 2 == 0 else [])]]
    path = tmp_path / "ratings.csv"
    frame = pd.DataFrame(rows, columns=["user", "item", "when"]).drop_duplicates(["user", "item"])
    frame.assign(rating=4).to_csv(path, index=False)
    done = compare_periods(path, "--split", "2024-02-01")
    assert done.returncode == 0, done.stderr
    assert "(rated together more or less often)" in done.stdout, done.stdout
    assert not RETAIL_WORDS.search(done.stdout) and not re.search(r"\bsales\b|\bsold\b", done.stdout), done.stdout
    # the report's "What changed" section too
    reported = run_cli("report", path, "--model", "pop", "--compare-with", "itemknn", "--split", "2024-02-01",
                       "--out", tmp_path / "r.html")
    assert reported.returncode == 0, reported.stderr
    assert "Pairs rated together" in (tmp_path / "r.html").read_text()


def test_two_logs_of_different_kinds_line_their_figures_up(tmp_path, small_log):
    """Compare › Two datasets lines the figures up by label: "Products rated by a known customer"
    beside "Products bought by ..." left each log's count under a row the other read as "none"."""
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.data.summary import summary

    ratings, retail = (dict(summary(ingest(path)).lines()) for path in (_ratings_log(tmp_path), small_log))
    assert ratings["Products with a known customer"] and retail["Products with a known customer"]
    assert set(ratings) - {"Ratings"} <= set(retail)


def test_the_default_support_says_the_baskets_it_asks_for(tmp_path, monkeypatch):
    """Raised on a dense log (every pair of 300 films in 10 of 200 histories), the default support's
    help still said "is 10 baskets" where the rules below it said "at least 48"."""
    import numpy as np
    from test_app import _app

    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.store import Workspace

    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"m{m}", 4) for u in range(200) for m in rng.choice(300, 120, replace=False)]
    path = tmp_path / "dense.csv"
    pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"]).to_csv(path, index=False)
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    Workspace(tmp_path / "ws").save_dataset("dense", ingest(path))
    at = _app().run()
    at.session_state["active_dataset"] = "dense"
    at.switch_page("pages/associations.py").run()
    assert not at.exception
    support = next(n for n in at.number_input if n.label == "Min. support")
    fewest = int(np.ceil(support.value * 200 - 1e-9))
    assert fewest > 10 and f"is {fewest:,} of the 200 baskets" in support.help
    assert any(f"In at least {fewest:,} of 200 baskets" in c.value for c in at.caption)


def test_runs_on_logs_of_different_kinds_do_not_compare_neighbourhoods(tmp_path, monkeypatch):
    """A film-ratings run against a check-in run: their codes (m01, ...) matched by chance, and both
    front ends printed a mean neighbour overlap of 0.007 over "products both runs know"."""
    import json

    from test_app import _app

    ratings = _ratings_log(tmp_path)
    visits = tmp_path / "checkins.csv"
    pd.read_csv(ratings).rename(columns={"movie_id": "venue_id"})[["user_id", "venue_id"]].to_csv(visits, index=False)
    ws = tmp_path / "ws"
    for path in (ratings, visits):
        made = run_cli("train", path, "--model", "itemknn", "--compare-with", "pop", "--workspace", ws, "--quiet")
        assert made.returncode == 0, made.stderr
    from gnnrec_core.store import Workspace

    newest, older = (r.run_id for r in Workspace(ws).list_runs())
    done = run_cli("compare-runs", older, newest, "--workspace", ws, "--json", tmp_path / "c.json")
    assert done.returncode == 0, done.stderr
    assert "run A's log records ratings, run B's visits: their products are other things" in done.stdout
    assert "mean overlap" not in done.stdout
    assert json.loads((tmp_path / "c.json").read_text())["neighbour_overlap"] is None
    monkeypatch.setenv("GNNREC_WORKSPACE", str(ws))
    at = _app().run()
    at.switch_page("pages/compare.py").run()
    next(s for s in at.selectbox if s.label == "Run A").set_value(older).run()
    assert not at.exception
    assert any("log records ratings, run B's visits" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "overlap" in d.value.columns]
