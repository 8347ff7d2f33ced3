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
    assert "enough (10 baskets or more)" in page


def test_example_lists_show_buyers_and_say_when_most_rest_on_few(tmp_path):
    """40 customers, 3 of 24 products each: every product has a handful of buyers, as on a long tail."""
    rows = [(f"o{u}", f"p{(u * 5 + j * 7) % 24}", f"u{u}") for u in range(40) for j in range(3)]
    path = tmp_path / "tail.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=3, dim=8).fit(dataset.interactions.matrix())
    results = (ResultRow("lightgcn", ndcg=0.2, precision=0.1, recall=0.1, map=0.1, hit_rate=0.5, coverage=0.3,
                         train_seconds=1.0),)
    page = html_report(dataset, model, RunInfo(DatasetRef("tail"), "lightgcn", results=results, k=10,
                                               split={"method": "random", "test_size": 0.25, "seed": 0}))
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
