import re

import pandas as pd

from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, ResultRow, RunInfo
from gnnrec_core.serving.report import html_report

HOSTILE = "<script>alert('x')</script>"


def test_report_is_self_contained_and_escapes_names(tmp_path):
    rows = [(f"o{n}", f"p{(n * 3 + j) % 12}", f"u{n % 15}") for n in range(90) for j in range(3)]
    frame = pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"])
    frame["product_name"] = frame["product_id"].map(lambda p: HOSTILE if p == "p1" else f"Product {p}")
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=3, dim=8).fit(dataset.interactions.matrix())
    results = (ResultRow("lightgcn", ndcg=0.2, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                         train_seconds=1.0),
               ResultRow("gfcf", ndcg=0.22, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                         train_seconds=1.0),
               ResultRow("ease", ndcg=0.25, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                         train_seconds=1.2345))
    split = {"method": "random", "test_size": 0.25, "seed": 0}
    page = html_report(dataset, model, RunInfo(DatasetRef("log"), "lightgcn", results=results, k=10, split=split))
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "<td>1.2</td>" in page and "1.2345" not in page  # fit seconds to a tenth, the metrics to 4 places
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js inline: no network needed
    # The run's own model first, then the best graph model against the best baseline; one model trusted.
    training = page.index("What training added: Training added nothing on this data")
    graph = page.index("Graph filter (GF-CF, no training) is behind EASE on nDCG@10: 0.2200 vs 0.2500, -12.0%")
    assert training < graph
    assert "Of the graph models, trust the filter; EASE, not a graph model, ranks better still" in page
    assert "Split: per-customer random holdout, test share 0.25" in page  # the Train form's words
    assert "Example customers" in page and "Product map" in page
    examples = page[page.index("Example customers"):]  # whose lists these are, where the verdicts trust another
    assert "These lists come from the run's model. This run serves LightGCN; the verdicts trust EASE." in examples
    # Every strongest pair says its evidence in words: 90 baskets of 3 products repeat each pair often.
    assert "enough (10 customers or more)" in page  # the sample's customers repeat: counted once


def test_example_lists_show_buyers_and_say_when_most_rest_on_few(tmp_path):
    """40 customers, 3 of 24 products each: every product has a handful of buyers, as on a long tail."""
    page = _lightgcn_report(tmp_path, [(f"o{u}", f"p{(u * 5 + j * 7) % 24}", f"u{u}") for u in range(40)
                                       for j in range(3)], epochs=3)
    examples = page[page.index("Example customers"):]
    assert "This run serves" not in examples  # one row: no verdict trusts another model
    assert "<th>buyers in the data</th>" in examples
    assert "were bought by fewer than 10 customers in the data" in examples


def test_a_periods_open_end_keeps_its_time():
    """Period b's open end is the data's last time plus a second; cut to its day, the report said
    '2011-01-10 (end excluded)' while that day's baskets were in b."""
    from gnnrec_core.serving.report import _side

    assert _side({"start": "2010-12-15 00:00:00", "end": "2011-01-10 11:38:01"}) == (
        "2010-12-15 to 2011-01-10 11:38:01 (end excluded)")
    assert _side({"start": "2010-12-01", "end": "2010-12-15 00:00:00"}) == "2010-12-01 to 2010-12-15 (end excluded)"


def test_the_report_map_places_the_products_with_enough_buyers_and_says_what_it_left_out(tmp_path):
    """The map drew all 2,479 products, 1,577 of them bought by fewer than 10 customers, along an axis
    of popularity under 'products close together are bought by the same customers'."""
    rows = [(f"o{u}", f"p{(u + step) % 30:02d}", f"u{u}") for u in range(120) for step in (0, 7, 13)]
    rows += [(f"t{u}", f"rare{u // 2}", f"u{u}") for u in range(20)]  # 10 products of 2 buyers each
    page = _lightgcn_report(tmp_path, rows, epochs=2)
    section = page[page.index("<h2>Product map</h2>"):]
    assert "The 30 products bought by at least 10 customers, placed by the model's product vectors" in section
    assert "10 others are left out: known from too few customers" in section
    assert "rare" not in section.split("<h2>")[1]  # none of the thin products is drawn
    assert "bought by the same customers" not in section


def _lightgcn_report(tmp_path, rows, epochs):
    """The report of a LightGCN run (one result row) on a log of (order, product, customer) rows."""
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=epochs, dim=8).fit(dataset.interactions.matrix())
    results = (ResultRow("lightgcn", ndcg=0.2, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                         train_seconds=1.0),)
    return html_report(dataset, model, RunInfo(DatasetRef("log"), "lightgcn", results=results, k=10,
                                               split={"method": "random", "test_size": 0.25, "seed": 0}))
