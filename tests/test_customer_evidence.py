"""Evidence counted in customers: one customer's standing order of two products puts twenty baskets
behind the pair, one customer's habit (lift 859, "95% low 13.8", from a single shopper topped a
new user's rules and a product's bought-together list). The bound and the thin mark count a
customer's repeat orders once; the baskets are still shown."""

import json

import numpy as np
import pandas as pd
from test_cli import run_cli

from gnnrec_core import ingest
from gnnrec_core.baskets.associations import catalogue_stats
from gnnrec_core.baskets.evidence import THIN
from gnnrec_core.baskets.rules import frequently_bought_together


def _standing_order(path):
    """2,000 orders of 4 of 40 products by 400 customers, and one customer's 20 orders of RARE1 + RARE2;
    P1 + P2 bought together by 30 customers once each."""
    rng = np.random.default_rng(0)
    rows = [(f"o{o}", f"c{o % 400}", f"F{p}") for o in range(2_000) for p in rng.choice(40, 4, replace=False)]
    rows += [(f"w{o}", "whale", product) for o in range(20) for product in ("RARE1", "RARE2")]
    rows += [(f"p{o}", f"shopper{o}", product) for o in range(30) for product in ("P1", "P2")]
    pd.DataFrame(rows, columns=["order", "customer", "product"]).to_csv(path, index=False)


def test_one_customers_repeat_orders_are_one_customers_evidence(tmp_path):
    log = tmp_path / "orders.csv"
    _standing_order(log)
    out = tmp_path / "rules.json"
    done = run_cli("rules", log, "--min-support", "0.005", "--top", "500", "--json", out)
    assert done.returncode == 0, done.stderr
    rules = {(r["antecedents"][0], r["consequents"][0]): r for r in json.loads(out.read_text())["rules"]}
    whale, planted = rules[("RARE1", "RARE2")], rules[("P1", "P2")]
    assert (whale["count"], whale["customers"]) == (20, 1) and whale["thin"] and whale["lift_low"] < 1
    assert (planted["count"], planted["customers"]) == (30, 30) and not planted["thin"] and planted["lift_low"] > 10
    order = list(rules)
    assert order.index(("P1", "P2")) < 2 and order.index(("RARE1", "RARE2")) > 10  # the habit sinks, listed
    assert "RARE1 -> RARE2  baskets 20 of 1 customer (thin)" in done.stdout
    assert f"thin = fewer than {THIN} customers" in done.stdout.splitlines()[0]

    stats, items = catalogue_stats(ingest(log).events)
    partners = frequently_bought_together(stats, int(np.flatnonzero(items == "RARE1")[0]), k=5, min_count=2)
    rare2 = partners.set_index(items[partners["partner"]]).loc["RARE2"]
    assert (rare2["count"], rare2["customers"]) == (20, 1) and rare2["thin"] and rare2["lift_low"] < 1


def test_the_neighbourhood_table_marks_one_customers_habit_thin(tmp_path):
    """Its bought-together rows marked thin by baskets: twenty of one shopper's read as enough."""
    from gnnrec_core.baskets.associations import basket_stats
    from gnnrec_core.models import MODELS
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.explore import neighbour_table

    log = tmp_path / "orders.csv"
    _standing_order(log)
    dataset = prepare(ingest(log))
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    model = MODELS["pop"]().fit(dataset.interactions.matrix())
    table = neighbour_table(model, stats, dataset.item_index("RARE1"), k=5, min_count=2).set_index("item_index")
    rare2 = table.loc[dataset.item_index("RARE2")]
    assert rare2["baskets_together"] == 20 and rare2["thin"]
