"""One basket, one product count and evidence beside every association: the pages' serving
functions, the CLI's JSON and the report agree on a log whose answer is counted by hand; lists of
partners rank by the shrunk lift and mark thin evidence; similar products carry their buyers."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from gnnrec_core.baskets.associations import basket_stats, catalogue_stats
from gnnrec_core.baskets.evidence import THIN
from gnnrec_core.baskets.rules import default_min_count, frequently_bought_together
from gnnrec_core.cli import main
from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.summary import summary
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.models import ItemKNN, Popularity
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.serving.explore import neighbour_table, top_pairs
from gnnrec_core.serving.recommend import similar_table
from gnnrec_core.serving.report import html_report

# o1: A, K and postage (u1); o2: A and C with no customer; o3: postage alone (u2); o4: K, A (u2);
# o5: G (u3). Baskets: o1, o2, o4, o5 = 4 (o3 holds no product). A in 3, K in 2, C in 1, G in 1.
# C has no customer, so a run does not know it; o2 still counts as a basket everywhere.
MESSY = [("o1", "A", "u1"), ("o1", "K", "u1"), ("o1", "POST", "u1"), ("o2", "A", None), ("o2", "C", None),
         ("o3", "POST", "u2"), ("o4", "K", "u2"), ("o4", "A", "u2"), ("o5", "G", "u3")]
COUNTS = {"A": 3, "K": 2, "C": 1, "G": 1}


@pytest.mark.parametrize("drop", [False, True], ids=["charges kept", "charges dropped (the default)"])
def test_baskets_and_product_counts_agree_across_pages_cli_and_report(tmp_path, capsys, drop):
    path = tmp_path / "orders.csv"
    pd.DataFrame(MESSY, columns=["order_id", "product_id", "customer_id"]).to_csv(path, index=False)
    result = ingest(path, drop_non_products=drop)
    dataset = prepare(result)
    catalogue, items = catalogue_stats(result.events)  # the Associations page
    run = basket_stats(result.events, dataset.interactions.item_lookup())  # Neighbourhood, Recommendations
    assert catalogue.n_baskets == run.n_baskets == summary(result).baskets == 4  # the Data page's card
    # o3, postage alone, is said beside the count (with its lines dropped by ingest, it is gone)
    assert summary(result).fee_only_baskets == (0 if drop else 1)
    assert dict(zip(items, catalogue.item_counts.tolist())) == COUNTS
    known = {str(i): int(run.item_counts[n]) for n, i in enumerate(dataset.interactions.items)}
    assert known == {"A": 3, "K": 2, "G": 1, **({} if drop else {"POST": 0})}  # postage: a code in no basket

    keep = [] if drop else ["--keep-non-products"]
    assert main(["rules", str(path), "--min-support", "0.25", "--min-confidence", "0", "--json",
                 str(tmp_path / "rules.json"), *keep]) == 0
    assert main(["ingest", str(path), "--json", str(tmp_path / "ingest.json"), *keep]) == 0
    capsys.readouterr()
    rules = json.loads((tmp_path / "rules.json").read_text())
    ingested = json.loads((tmp_path / "ingest.json").read_text())["summary"]
    assert rules["baskets"] == 4 and ingested["baskets"] == 4 and ingested["fee_only_baskets"] == (0 if drop else 1)
    pairs = {(r["antecedents"][0], r["consequents"][0]): r["count"] for r in rules["rules"]}
    assert pairs == {("A", "K"): 2, ("K", "A"): 2, ("A", "C"): 1, ("C", "A"): 1}  # no postage in any rule

    model = Popularity().fit(dataset.interactions.matrix())
    page = html_report(dataset, model, RunInfo(DatasetRef("orders"), "pop", results=(), k=10))
    assert re.search(r"Baskets<b>4</b>", page)
    # C, bought only without a customer, is a product of the log but not of the models' catalogue
    assert (f"{3 if drop else 4} of the {4 if drop else 5} products were bought by a known customer") in page


def test_top_partners_of_best_sellers_are_well_evidenced_on_a_sparse_grocery_log():
    """The bar: a grocery-shaped log (3,200 orders, 32,000 lines, a long tail of 5,300 products):
    the top 5 bought-together partners of the 10 best-sellers each have at least 10 shared baskets
    or are marked thin; ranked by the shrunk lift, 48 of the 50 have 10 or more (raw lift: 32; 43 with
    each pair's own bound, before the bounds held for every candidate at once; 47 with the candidates
    counted at the list's minimum rather than every product bought with it)."""
    log = generate(SyntheticConfig(interactions=32_000, users=2_000, items=9_300, categories=130, basket_mean=10,
                                   popularity_exponent=1.0, affinity=0.5, days=30, seed=3))
    stats, _ = catalogue_stats(ingest(log.to_csv(index=False).encode(), "grocery.csv").events)
    assert stats.n_baskets == 3_200 and stats.min_count == 7  # 0.2% of the baskets
    best = np.argsort(-stats.item_counts, kind="stable")[:10]
    shrunk = pd.concat([frequently_bought_together(stats, int(i), k=5) for i in best])
    raw = pd.concat([stats.partners(int(i), stats.min_count).nlargest(5, "lift") for i in best])
    assert len(shrunk) == 50 and ((shrunk["count"] >= THIN) | shrunk["thin"]).all()
    # thin counts customers, a customer's repeat orders once: 42 of the 50 pairs have fewer customers than baskets
    assert (shrunk["thin"] == (shrunk["customers"] < THIN)).all() and (shrunk["customers"] < shrunk["count"]).any()
    assert (shrunk["count"] >= THIN).sum() == 48 and (raw["count"] >= THIN).sum() == 32
    assert (shrunk["customers"] >= THIN).sum() == 47
    assert default_min_count(stats) == THIN  # rules: no thin rule by default on data this size


def _similar_dataset(tmp_path):
    """lamp and shade share 4 buyers; rare (1 buyer, who also bought the lamp) is the lamp's
    closest product by cosine, on one customer's evidence."""
    rows = [(f"o{u}", p, f"u{u}") for u in range(4) for p in ("lamp", "shade")]
    rows += [("o9", "lamp", "u9"), ("o9", "rare", "u9"), ("o5", "mug", "u5"), ("o6", "mug", "u6")]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "customer_id"]).to_csv(path, index=False)
    return prepare(ingest(path))


def test_similar_products_carry_their_buyers_and_thin_ones_can_be_left_out(tmp_path):
    dataset = _similar_dataset(tmp_path)
    model = ItemKNN().fit(dataset.interactions.matrix())
    lamp = dataset.item_index("lamp")
    every = similar_table(model, dataset, lamp, k=2)
    assert every["item"].tolist() == ["shade", "rare"] and every["buyers"].tolist() == [4, 1]
    assert every["thin"].tolist() == [True, True]  # under 10 buyers each
    kept = similar_table(model, dataset, lamp, k=5, min_buyers=2)
    assert kept["item"].tolist() == ["shade", "mug"]  # mug: similarity 0, but 2 buyers
    assert "1 of them with fewer than 2 buyers" in kept.attrs["note"]
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    table = neighbour_table(model, stats, lamp, k=3, min_count=1, min_buyers=2)
    row = table.set_index("item_index").loc[dataset.item_index("shade")]
    assert row["relation"] == "both" and row["buyers"] == 4 and row["baskets_together"] == 4 and row["thin"]
    assert dataset.item_index("rare") in table.loc[table["relation"] == "bought together", "item_index"].tolist()


def test_variants_of_one_product_are_never_a_pair(tmp_path):
    """Two codes named alike (colours of one candle) bought together are no cross-sell: top pairs
    leave them out and say how many; the report never shows "X -> X"."""
    rows = [(f"o{n}", code, f"u{n}", name) for n in range(30) for code, name in
            (("CANDLE-R", "CANDLE ROUND"), ("CANDLE-B", "CANDLE ROUND"), ("HOLDER", "CANDLE HOLDER"))]
    frame = pd.DataFrame(rows, columns=["order_id", "product_id", "customer_id", "product_name"])
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    dataset = prepare(ingest(path))
    stats, items = catalogue_stats(dataset.ingest.events)
    pairs = top_pairs(stats, items, min_count=2, names=dataset.ingest.catalogue["name"])
    assert pairs.attrs["variants"] == 1 and len(pairs) == 2 and not pairs["thin"].any()
    assert all("HOLDER" in pair for pair in zip(pairs["a"], pairs["b"]))  # each candle with the holder
    page = html_report(dataset, Popularity().fit(dataset.interactions.matrix()),
                       RunInfo(DatasetRef("candles"), "pop", results=(), k=10))
    shown = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>30</td>", page)
    assert len(shown) == 2 and all(a != b for a, b in shown), shown
    assert "1 pair of two codes with one name" in page


def test_lifts_lower_bound_is_never_above_the_lift():
    """Shrunk toward 1, a pair never bought together (lift 0) showed "lift 0.00, 95% low 0.05" on the
    Neighbourhood page: a lower bound above the figure it bounds. Above the lift it is the lift."""
    from gnnrec_core.baskets.evidence import lift_low

    both = np.array([0, 1, 2, 30, 5])
    count_a, count_b = np.array([50, 40, 400, 60, 10]), np.array([60, 300, 500, 70, 10])
    low = lift_low(both, count_a, count_b, 1000)
    lift = both * 1000 / (count_a * count_b)
    assert low[0] == 0.0 and (low <= lift).all()
    assert low[3] > 1 and low[3] < lift[3]  # a well-evidenced pair keeps its shrunk bound below its lift


@pytest.mark.parametrize("planted", [False, True])
def test_the_reports_strongest_associations_say_where_none_clears_chance(planted):
    """Baskets drawn at random: the report's "strongest associations" were pairs of lift 1.0-1.2,
    bounds under 1, each marked "enough" evidence. Where no bound clears 1 it says so; with a pair
    bought together on purpose, that pair's bound clears 1 and the verdict is not said."""
    from gnnrec_core.serving.report import _associations_section

    rng = np.random.default_rng(0)
    rows = [(f"o{b}", f"c{b % 700}", f"p{i}") for b in range(3000) for i in rng.choice(20, 3, replace=False)]
    if planted:
        rows += [(f"o{b}", f"c{b % 700}", p) for b in range(0, 3000, 10) for p in ("p20", "p21")]
    frame = pd.DataFrame(rows, columns=["order", "customer", "product"])
    dataset = prepare(ingest(frame.to_csv(index=False).encode(), "log.csv"))
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    section = "".join(_associations_section(dataset, stats))
    assert ("No pair here is bought together clearly more often than chance" in section) == (not planted)


def test_a_partner_bought_together_less_than_by_chance_is_no_bought_together_neighbour(tmp_path):
    """A product bought with the anchor less often than chance gives (lift 0.97 on a new user's
    grocery log) was drawn as a "bought together" edge and listed as one on the Neighbourhood page."""
    from gnnrec_core.models import MODELS
    from gnnrec_core.serving.explore import TOGETHER, neighbour_table, neighbourhood_graph

    # A in half the baskets; B with A in 10 of its 30 (lift 0.67); C always with A (lift 2)
    rows = [(f"o{n}", "A") for n in range(0, 100, 2)] + [(f"o{n}", "C") for n in range(0, 40, 2)]
    rows += [(f"o{n}", "B") for n in list(range(0, 20, 2)) + list(range(1, 41, 2))]
    rows += [(f"o{n}", f"F{n % 7}") for n in range(100)]
    frame = pd.DataFrame(rows, columns=["order", "product"]).assign(customer=lambda f: "u" + f["order"])
    dataset = prepare(ingest(frame.to_csv(index=False).encode(), "log.csv"))
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    index = {str(code): i for i, code in enumerate(dataset.interactions.items)}
    assert stats.pair(index["A"], index["B"])["lift"] < 1 < stats.pair(index["A"], index["C"])["lift"]
    model = MODELS["pop"]().fit(dataset.interactions.matrix())
    graph = neighbourhood_graph(model, stats, index["A"], k=10, min_count=2)
    together = {other for _, other, d in graph.edges(index["A"], data=True) if d["kind"] == TOGETHER}
    assert index["C"] in together and index["B"] not in together
    table = neighbour_table(model, stats, index["A"], k=10, min_count=2)
    listed = set(table.loc[table["relation"] != "similar", "item_index"])
    assert index["C"] in listed and index["B"] not in listed


def test_a_partners_bound_is_one_figure_on_every_page(tmp_path):
    """The Associations page read a pair's bound over the partners it listed (its minimum of baskets),
    the Neighbourhood table at 95% for that pair alone: War Summer -> Star Night was "95% low 0.89" on
    one and 0.96 on the other, both said to hold for every candidate partner at once."""
    from gnnrec_core.models import MODELS
    from gnnrec_core.serving.explore import TOGETHER

    rng = np.random.default_rng(3)  # A in most baskets, partners of every strength beside it
    rows = [(f"o{n}", p) for n in range(400) for p in ["A"] * (rng.random() < 0.9) +
            [f"P{j}" for j in range(30) if rng.random() < 0.05 + 0.01 * j]]
    frame = pd.DataFrame(rows, columns=["order", "product"]).assign(customer=lambda f: "u" + f["order"])
    # Guest orders (no customer) of products only guests buy: in no run, still candidates on every page
    guests = pd.DataFrame([(f"g{n}", p) for n in range(20) for p in ("A", f"G{n % 5}")], columns=["order", "product"])
    dataset = prepare(ingest(pd.concat([frame, guests]).to_csv(index=False).encode(), "log.csv"))
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())  # the run's products
    anchor = {str(code): i for i, code in enumerate(dataset.interactions.items)}["A"]
    catalogue, codes = catalogue_stats(dataset.ingest.events)  # every product: the Associations page's
    on_page = catalogue.partners(list(codes).index("A"), 1).assign(partner=lambda f: codes[f["partner"]])
    assert set(on_page["partner"]) - {str(code) for code in dataset.interactions.items} == {f"G{n}" for n in range(5)}
    every, listed = stats.partners(anchor, 1), stats.partners(anchor, 40)
    run_codes = np.asarray(dataset.interactions.items).astype(str)
    assert every["lift_low"].tolist() == on_page.set_index("partner").loc[run_codes[every["partner"]], "lift_low"
                                                                            ].tolist()
    assert len(listed) < len(every)  # a higher minimum lists fewer partners, each with the same bound
    assert listed.set_index("partner")["lift_low"].equals(every.set_index("partner").loc[listed["partner"], "lift_low"])
    model = MODELS["pop"]().fit(dataset.interactions.matrix())
    table = neighbour_table(model, stats, anchor, k=10, min_count=2)
    together = table[table["relation"] == TOGETHER].set_index("item_index")
    assert len(together) and together["lift_low"].equals(every.set_index("partner").loc[together.index, "lift_low"]
                                                         .rename_axis("item_index"))
