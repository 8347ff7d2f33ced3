import numpy as np
import pandas as pd

from gnnrec_core.baskets.associations import basket_stats
from gnnrec_core.data.ingest import ingest
from gnnrec_core.matrix.interactions import InteractionConfig
from gnnrec_core.models import Cooccurrence, ItemKNN, LightGCN, Popularity
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.serving.recommend import contributions, customer_history, recommend_table


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
    assert set(history.index) == {"lamp", "shade"}


def test_reason_names_the_purchase_and_the_basket_path(tmp_path):
    dataset = _dataset(tmp_path)
    model = ItemKNN().fit(dataset.interactions.matrix())
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    table = recommend_table(model, dataset, dataset.user_index("dee"), k=1, stats=stats)
    # dee bought only the lamp; the shade is bought with the lamp in 3 of 5 lamp orders.
    assert table.loc[0, "item"] == "shade"
    assert table.loc[0, "because"] == "lamp (100%)"
    assert "bought lamp -> bought with it: 3 baskets" in table.loc[0, "path"]  # "often" from 10 baskets
    shares = contributions(model, np.array([0, 1]), np.array([2]))
    assert np.all(shares >= 0) and shares.sum() <= 1 + 1e-9


def test_popularity_reason_counts_buyers_not_made_up_shares(tmp_path):
    dataset = _dataset(tmp_path)
    model = Popularity().fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("eve"), k=2)
    # eve bought mug and tea; lamp has 4 buyers (ann, bob, cy, dee), shade 3.
    assert list(table["item"]) == ["lamp", "shade"]
    assert list(table["because"]) == ["bought by 4 customers", "bought by 3 customers"]
    assert "%" not in " ".join(table["because"]) and "similarity" not in " ".join(table["path"])


def test_shares_follow_the_strength_of_each_purchase(tmp_path):
    # c is bought with a by two customers and with b by two others: equal links. t bought a in
    # 7 units (strength log2(8) = 3) and b once (strength 1), so a brings 3/4 of c's score.
    rows = [("o1", "a", "u1", 1), ("o1", "c", "u1", 1), ("o2", "a", "u2", 1), ("o2", "c", "u2", 1),
            ("o3", "b", "u3", 1), ("o3", "c", "u3", 1), ("o4", "b", "u4", 1), ("o4", "c", "u4", 1),
            ("o5", "a", "t", 7), ("o5", "b", "t", 1)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id", "quantity"]).to_csv(path, index=False)
    dataset = prepare(ingest(path), InteractionConfig(weighting="quantity"))
    model = Cooccurrence(similarity="count").fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("t"), k=1)
    assert table.loc[0, "item"] == "c" and table.loc[0, "because"] == "a (75%); b (25%)"


def test_gnn_reasons_say_how_far_they_agree_with_the_ranking(tmp_path):
    dataset = _dataset(tmp_path)
    model = LightGCN(dim=8, epochs=5, auto=False, blend=False).fit(dataset.interactions.matrix())
    table = recommend_table(model, dataset, dataset.user_index("dee"), k=2)  # dee: lamp only
    shared, k = table.attrs["reasons_agree"]
    assert k == 2 and 0 <= shared <= 2
    # The explained score is the history mean of item similarities: rank it by hand.
    seen = model.train_[[dataset.user_index("dee")]]
    explained = seen.data @ model.item_item(seen.indices) / seen.data.sum()
    explained[seen.indices] = -np.inf
    by_hand = set(np.argsort(-explained)[:2])
    assert shared == len(by_hand & {dataset.item_index(i) for i in table["item"]})
