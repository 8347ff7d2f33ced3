import numpy as np
import pandas as pd
import pytest
from conftest import communities

from gnnrec_core.baskets.associations import basket_stats
from gnnrec_core.data.ingest import ingest
from gnnrec_core.matrix.interactions import InteractionConfig
from gnnrec_core.models import EASE, GFCF, Cooccurrence, ItemKNN, LightGCN, Popularity
from gnnrec_core.models.bspm import BSPM
from gnnrec_core.models.rp3beta import RP3beta
from gnnrec_core.models.turbocf import TurboCF
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.serving.explore import customer_history
from gnnrec_core.serving.export import all_recommendations
from gnnrec_core.serving.merchandising import Merchandising, resolve
from gnnrec_core.serving.purchase_links import FILTER_LINKS
from gnnrec_core.serving.recommend import (
    BOOST,
    BUYERS,
    ITEM_BIAS,
    LEARNED,
    POPULARITY,
    UNSPLIT,
    recommend_for_basket,
    recommend_table,
    thin_note,
    whole_percents,
)


def _dataset(tmp_path):
    rows = [("o1", "lamp", "ann", 2), ("o1", "shade", "ann", 1), ("o2", "lamp", "bob", 1), ("o2", "shade", "bob", 1),
            ("o3", "lamp", "cy", 1), ("o3", "shade", "cy", 1), ("o4", "lamp", "dee", 1), ("o5", "lamp", "ann", 3),
            ("o6", "mug", "eve", 1), ("o6", "tea", "eve", 1), ("o7", "mug", "fay", 1), ("o7", "tea", "fay", 1)]
    frame = pd.DataFrame(rows, columns=["order_id", "product_id", "user_id", "quantity"])
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    return prepare(ingest(path))


def test_customer_history_adds_up(tmp_path):
    history = customer_history(_dataset(tmp_path), "ann").set_index("item")
    assert history.loc["lamp", "quantity"] == 5 and history.loc["lamp", "orders"] == 2
    assert set(history.index) == {"lamp", "shade"} and "rating" not in history
    path = tmp_path / "ratings.csv"  # no orders: no orders column ("orders 0" on every film), the ratings given
    pd.DataFrame({"user": ["ann", "ann", "bob", "bob"], "item": ["a", "b", "a", "b"], "rating": [5, 2, 4, 4]}).to_csv(
        path, index=False)
    rated = customer_history(prepare(ingest(path)), "ann").set_index("item")
    assert "orders" not in rated and rated["rating"].to_dict() == {"a": 5.0, "b": 2.0}


def test_reason_names_the_purchase_and_the_basket_path(tmp_path):
    dataset = _dataset(tmp_path)
    model = ItemKNN().fit(dataset.interactions.matrix())
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    table = recommend_table(model, dataset, dataset.user_index("dee"), k=1, stats=stats)
    # dee bought only the lamp (buyers ann, bob, cy, dee); the shade's buyers are ann, bob, cy:
    # cosine 3 / sqrt(4 * 3) = 0.866, all of the shade's score.
    assert table.loc[0, "item"] == "shade" and table.loc[0, "score"] == pytest.approx(0.866, abs=1e-3)
    assert table.attrs["parts"][0] == [("lamp", pytest.approx(0.8660, abs=1e-4))]
    assert table.loc[0, "because"] == "lamp +0.866"
    # The shade is in 3 of the lamp's 5 orders: thin evidence, so the model's link leads the reason (a lift
    # of 1.4 "at least 0.3" read as a reason against it).
    path = table.loc[0, "path"]
    assert path.startswith("bought lamp -> linked in the model: ")
    assert path.endswith("0.866 (bought with it in only 3 baskets)") and "lift" not in path


def test_popularity_reason_counts_buyers_not_made_up_shares(tmp_path):
    dataset = _dataset(tmp_path)
    model = Popularity().fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("eve"), k=2)
    # eve bought mug and tea; lamp has 4 buyers (ann, bob, cy, dee), shade 3.
    assert list(table["item"]) == ["lamp", "shade"]
    assert list(table["because"]) == ["bought by 4 customers", "bought by 3 customers"]
    assert "%" not in " ".join(table["because"]) and "similarity" not in " ".join(table["path"])
    assert "history plays no part" in table.attrs["explained"] and "boost" not in table.attrs["explained"]
    # A boost moves popularity's score too: the sentence under the list says so.
    category = dataset.ingest.catalogue.assign(category="home")
    policy = resolve(Merchandising(boost=(("home", 1.0),)), dataset.interactions.items, category)
    boosted = recommend_table(model, dataset, dataset.user_index("eve"), k=2, policy=policy)
    assert "moved by the merchandising boost" in boosted.attrs["explained"]


def test_each_product_carries_its_buyers_and_a_list_on_thin_evidence_says_so(tmp_path):
    dataset = _dataset(tmp_path)
    model = Popularity().fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("eve"), k=2)
    assert list(table["buyers"]) == [4, 3] and table["thin"].all()  # lamp: ann, bob, cy, dee; shade: ann, bob, cy
    assert table.attrs["evidence"].startswith("2 of these 2 products were bought by fewer than 10 customers "
                                              "in the data (3 to 4 each)")
    assert "--min-buyers" not in table.attrs["evidence"]  # each front end names its own control
    # Only where half the list or more is thin.
    assert thin_note(np.array([12, 30, 4])) is None
    assert thin_note(np.array([12, 3, 3])).startswith("2 of these 3 products") and "(3 each)" in thin_note(
        np.array([12, 3, 3]))


def test_a_floor_on_buyers_leaves_the_thinly_bought_out(tmp_path):
    dataset = _dataset(tmp_path)
    model = Popularity().fit(dataset.interactions.matrix())
    buyers = np.diff(model.train_.tocsc().indptr)
    policy = resolve(Merchandising(min_buyers=4), dataset.interactions.items, dataset.ingest.catalogue, buyers)
    table = recommend_table(model, dataset, dataset.user_index("eve"), k=2, policy=policy)
    assert list(table["item"]) == ["lamp"]  # the shade (3 buyers) is below the floor
    assert "ruled out by the merchandising rules" in table.attrs["note"]


def test_parts_follow_the_strength_of_each_purchase(tmp_path):
    # c is bought with a by two customers and with b by two others. t bought a in 7 units
    # (strength log2(8) = 3) and b once (strength 1); with counts as similarity, c scores
    # 3 * 2 + 1 * 2 = 8: a brings 6 and b 2.
    rows = [("o1", "a", "u1", 1), ("o1", "c", "u1", 1), ("o2", "a", "u2", 1), ("o2", "c", "u2", 1),
            ("o3", "b", "u3", 1), ("o3", "c", "u3", 1), ("o4", "b", "u4", 1), ("o4", "c", "u4", 1),
            ("o5", "a", "t", 7), ("o5", "b", "t", 1)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id", "quantity"]).to_csv(path, index=False)
    dataset = prepare(ingest(path), InteractionConfig(weighting="quantity"))
    model = Cooccurrence(similarity="count").fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("t"), k=1)
    assert table.loc[0, "item"] == "c" and table.loc[0, "score"] == pytest.approx(8.0)
    assert table.loc[0, "because"] == "a +6 · b +2"
    # a and b are each bought with c by two customers: the strength decides which purchase c links to,
    # in the page's path and in the export's columns alike.
    assert table.loc[0, "path"] == "bought a -> linked in the model: count similarity 2"
    exported = all_recommendations(model, dataset, k=1).set_index("user").loc["t"]
    assert (exported["item"], exported["linked_purchase"], exported["linked_purchase_name"]) == ("c", "a", "a")
    assert (exported["link"], exported["link_measure"]) == (2.0, model.link_label)


def test_pair_weights_are_the_item_item_rows_entries_for_every_model_kind(tmp_path):
    """The export links each customer's list through pair_weights; it must be item_item's number."""
    train = _communities(tmp_path).interactions.matrix()
    kinds = KINDS | {"bspm": lambda t: BSPM().fit(t), "turbocf": lambda t: TurboCF().fit(t)}
    rng = np.random.default_rng(0)
    sources, targets = rng.integers(0, train.shape[1], 40), rng.integers(0, train.shape[1], 40)
    for kind, make in kinds.items():
        model = make(train)
        rows = np.asarray(model.item_item(sources), np.float64)
        assert model.pair_weights(sources, targets) == pytest.approx(rows[np.arange(40), targets], abs=1e-5), kind


def _communities(tmp_path):
    """Two groups of 8 customers, each buying 3 of its group's 6 products (conftest.communities)."""
    matrix = communities(users_each=8, items_each=6, bought=3).tocoo()
    rows = [(f"o{u}", f"p{i:02d}", f"u{u:02d}") for u, i in zip(matrix.row, matrix.col)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    return prepare(ingest(path))


def _blended_lightgcn(train, partner="filter"):
    """LightGCN with the blend a fit chooses when validation favours it, set by hand here: the
    filter (GF-CF, or RP3beta's walk) and the popularity prior beside the trained score
    (models/embedding.py)."""
    from gnnrec_core.models.embedding import _log_counts
    from gnnrec_core.models.graph_filter import GraphFilter
    from gnnrec_core.models.rp3beta import WalkFilter

    model = LightGCN(dim=8, epochs=3, auto=False, blend=False).fit(train)
    model.tuning_ = {"blend": {partner: 0.7, "popularity": 0.4}}
    model.filter_ = (GraphFilter(rank=3, alpha=0.5) if partner == "filter" else WalkFilter(0.75, 0.3, 0)).fit(train)
    model.popularity_ = _log_counts(train)
    return model


KINDS = {
    "pop": lambda train: Popularity().fit(train),
    "itemknn": lambda train: ItemKNN().fit(train),
    "cooc": lambda train: Cooccurrence().fit(train),
    "ease": lambda train: EASE(l2=10.0).fit(train),
    "gfcf": lambda train: GFCF(rank=3, alpha=0.5).fit(train),
    "lightgcn": lambda train: LightGCN(dim=8, epochs=3, auto=False, blend=False).fit(train),
    "lightgcn blended": _blended_lightgcn,
    "lightgcn blended with rp3beta": lambda train: _blended_lightgcn(train, "rp3beta"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_reason_adds_up_to_the_score_beside_it_and_the_list_keeps_the_models_order(tmp_path, kind):
    dataset = _communities(tmp_path)
    train = dataset.interactions.matrix()
    model = KINDS[kind](train)
    user = dataset.user_index("u03")
    boost = resolve(Merchandising(boost=(("", 0.0),)), dataset.interactions.items, dataset.ingest.catalogue)
    for table, expected in ((recommend_table(model, dataset, user, k=5), model.recommend(np.array([user]), 5)),
                            (recommend_table(model, dataset, user, k=5, policy=boost), None),
                            (recommend_for_basket(model, dataset, [0, 1], k=4), None)):
        assert len(table) >= 4
        sums = [sum(value for _, value in row) for row in table.attrs["parts"]]
        assert sums == pytest.approx(table["score"].tolist(), abs=2e-4)  # the score shown is its parts' sum
        assert all(label != UNSPLIT for row in table.attrs["parts"] for label, _ in row)  # really split
        if expected is not None:  # ranked by the model's own score: its recommend() order
            assert [dataset.item_index(i) for i in table["item"]] == expected[0][0].tolist()
    known = table.attrs["parts"]  # the basket [p00, p01]: parts per purchase, by name
    assert not any("other purchase" in label for row in known for label, _ in row)  # two: both named, never "1 other"
    if kind == "itemknn":  # cosine of p00 and p01 with each listed product, exactly
        weights = model.item_item(np.array([0, 1]))
        listed = [dataset.item_index(i) for i in table["item"]]
        by_hand = [{name: weights[j, item] for j, name in enumerate(("p00", "p01")) if weights[j, item] > 0}
                   for item in listed]
        assert [{n: v for n, v in row if n in ("p00", "p01")} for row in known] == pytest.approx(by_hand)
    if kind.startswith("lightgcn"):
        labels = {label for row in recommend_table(model, dataset, user, k=5).attrs["parts"] for label, _ in row}
        assert LEARNED in labels  # a known customer's own vector: not from the history, said in words
        assert (POPULARITY in labels) == kind.startswith("lightgcn blended")
    # The words below the table name only the kinds of part these scores have.
    own = recommend_table(model, dataset, user, k=5)
    not_history = (LEARNED, ITEM_BIAS, POPULARITY, BOOST, BUYERS)
    from_purchases = any(label not in not_history for row in own.attrs["parts"] for label, _ in row)
    assert ("what each purchase brings" in own.attrs["explained"]) == from_purchases


@pytest.mark.parametrize("partner", ["filter", "rp3beta"])
def test_a_blended_gnns_path_names_the_purchase_its_filter_part_comes_from(tmp_path, partner):
    """A blended LightGCN's reason read 'GLASS CHALICE +0.955' beside 'linked in the model: embedding
    similarity -0.261': the part came from the blend's graph filter, the number from the embedding.
    The path now names the purchase of the largest positive part with the filter's own weight, and the
    export links each row to the same purchase."""
    dataset = _communities(tmp_path)
    model = _blended_lightgcn(dataset.interactions.matrix(), partner)
    exported = all_recommendations(model, dataset, k=5)
    measure = FILTER_LINKS[partner]
    named = 0
    for user in range(model.n_users):
        table = recommend_table(model, dataset, user, k=5)
        bought = set(dataset.item_names(model.train_[user].indices))
        rows = exported[exported["user"] == dataset.interactions.users[user]]
        assert rows["item"].tolist() == table["item"].tolist()
        for parts, path, (_, row) in zip(table.attrs["parts"], table["path"], rows.iterrows()):
            purchases = [(label, value) for label, value in parts if label in bought and value > 0]
            if purchases:  # a part of the score came from a purchase, through the filter
                most = max(value for _, value in purchases)
                tops = {label for label, value in purchases if value > most - 1e-6}  # a tie to rounding: either
                top = path.removeprefix("bought ").split(f" -> linked in the model: {measure} ")[0]
                assert top in tops and path.startswith(f"bought {top} -> linked in the model: {measure} ")
                assert float(path.split(f"{measure} ")[1].split()[0]) > 0
                assert (row["linked_purchase_name"], row["link_measure"]) == (top, measure)
                named += 1
            elif row["linked_purchase"]:  # no filter part: the nearest purchase, a positive cosine
                assert row["link_measure"] == "embedding similarity" and row["link"] > 0
    assert named >= model.n_users  # every customer has products their purchases' filter parts lift
    # the blend's filter named as its own rows name it
    assert FILTER_LINKS == {"filter": GFCF.link_label, "rp3beta": RP3beta.link_label}
    # The caption's shares of the score, each a whole percent, add to 100 ("57%, 6% and 38%" did not)
    import re

    shares = [int(p) for p in re.findall(r"(\d+)% from ", recommend_table(model, dataset, 0, k=5).attrs["explained"])]
    assert len(shares) >= 2 and sum(shares) == 100, shares
    assert whole_percents([57.4, 5.6, 37.9]) == [57, 5, 38] and whole_percents([1.0, 1.0, 1.0]) == [34, 33, 33]


def test_a_baskets_path_names_the_purchase_of_its_largest_part(tmp_path):
    """A BPR GNN scores a basket by dot products, so the purchase nearest by cosine (the link a
    known customer's learned profile gets) named another purchase than the 'because' column's
    largest in 14 of 40 baskets. A basket's path reads its exact parts."""
    rng = np.random.default_rng(0)
    popular = rng.zipf(1.6, 2000) % 50  # skewed: BPR's vector lengths then differ by product
    rows = [(f"o{n // 3}", f"P{p:02d}", f"c{n // 9}") for n, p in enumerate(popular)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = LightGCN(epochs=1, auto=False, blend=False, loss="bpr").fit(dataset.interactions.matrix())
    checked = 0
    for start in range(20):
        basket = [start, start + 1, start + 7]
        table = recommend_for_basket(model, dataset, basket, k=4)
        bought = set(dataset.item_names(np.array(basket)))
        for parts, path in zip(table.attrs["parts"], table["path"]):
            purchases = [(label, value) for label, value in parts if label in bought and value > 0]
            if purchases:
                most = max(value for _, value in purchases)
                tops = {label for label, value in purchases if value > most - 1e-6}
                assert any(path.startswith(f"bought {top} -> ") for top in tops), (parts, path)
                checked += 1
    assert checked > 20


def test_a_returned_product_is_not_offered_again_and_the_saved_dataset_keeps_the_returns(tmp_path):
    """A customer was offered the REGENCY CAKESTAND they had returned (C538632): returns were dropped
    before training, so nothing knew they had it."""
    from gnnrec_core.store import RETURNS_FILE, Workspace

    rows = [(f"o{n}", "lamp" if n % 2 else "shade", f"u{n % 6}", 1) for n in range(24)]
    rows += [("o90", "mug", "u0", 1), ("o91", "mug", "u1", 1), ("C92", "mug", "u2", 1), ("o93", "tea", "u3", -1)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id", "quantity"]).to_csv(path, index=False)
    result = ingest(path)
    dataset = prepare(result)
    model = Popularity().fit(dataset.interactions.matrix())  # the mug is popular: every list would lead with it
    listed = recommend_table(model, dataset, dataset.user_index("u2"), k=3)
    assert "mug" not in set(listed["item"]) and "mug" in set(recommend_table(model, dataset,
                                                                             dataset.user_index("u4"), k=3)["item"])
    exported = all_recommendations(model, dataset, k=3)
    assert "mug" not in set(exported.loc[exported["user"] == "u2", "item"])
    workspace = Workspace(tmp_path / "ws")
    workspace.save_dataset("shop", result)
    assert sorted(map(tuple, workspace.load_dataset("shop").returns.values.tolist())) == [("u2", "mug"), ("u3", "tea")]
    (tmp_path / "ws" / "datasets" / "shop" / RETURNS_FILE).unlink()  # a dataset saved before returns were kept
    assert workspace.load_dataset("shop").returns.empty


def test_a_boost_is_a_part_of_its_own(tmp_path):
    dataset = _communities(tmp_path)
    model = ItemKNN().fit(dataset.interactions.matrix())
    user = dataset.user_index("u03")
    category = dataset.ingest.catalogue.assign(category=["x"] * 6 + ["y"] * 6)
    policy = resolve(Merchandising(boost=(("y", 2.0),)), dataset.interactions.items, category)
    table = recommend_table(model, dataset, user, k=8, policy=policy)
    rows = [dict(row) for row in table.attrs["parts"]]
    boosted = [row for row in rows if BOOST in row]
    assert boosted and all(row[BOOST] > 0 for row in boosted)
    assert [sum(row.values()) for row in rows] == pytest.approx(table["score"].tolist(), abs=2e-4)


def test_example_customers_are_active_and_each_named_once():
    """The Recommendations page opens on the first; the report shows them all: with fewer customers
    than examples one customer was shown three times."""
    import scipy.sparse as sp

    from gnnrec_core.models.baselines import Popularity
    from gnnrec_core.serving.explore import example_customers

    three = Popularity().fit(sp.csr_matrix(np.array([[1, 1, 1], [1, 1, 0], [0, 1, 0]], np.float32)))
    assert example_customers(three, 3).tolist() == [0, 1]  # 5%, 27.5% and 50% down: 0, 0, 1
    many = Popularity().fit(sp.csr_matrix(np.tril(np.ones((100, 100), np.float32))))  # customer i bought i + 1
    assert example_customers(many, 1).tolist() == [95]  # 5% down the list, most products first: 99, 98, ... 95
