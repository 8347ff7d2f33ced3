"""The words beside a list of recommendations: how each path reads its evidence, and what the
caption says of where the scores come from, for a customer, a hand-built basket and a log of no orders."""

import pandas as pd
from conftest import communities
from test_recommend import _blended_lightgcn, _communities

from gnnrec_core.baskets.associations import basket_stats
from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import ItemKNN, LightGCN
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.serving.recommend import recommend_for_basket, recommend_table


def test_a_pair_bought_together_no_more_than_chance_is_not_called_often(tmp_path):
    """Staples share many baskets by popularity alone: 269 baskets at lift 1.1 (at least 1.0) read
    "often bought with it" to a grocery merchandiser. Only a lift bound above 1 is called often."""
    from gnnrec_core.baskets.associations import BasketStats
    from gnnrec_core.serving.purchase_links import path_words as _path

    class Stats:
        histories, together = False, BasketStats.together  # an order log's words

        def __init__(self, lift_low, lift=1.1):
            self.lift_low, self.lift = lift_low, lift

        def pair(self, source, target):
            return {"count": 269, "lift": self.lift, "lift_low": self.lift_low}

    # A lift above 1 whose bound touches 1 was said "no more often than chance, lift 1.7": not clearly more
    assert _path("soda", 0, 1, 0.5, "", Stats(1.0)) == \
        "bought soda -> bought with it in 269 baskets, not clearly more often than chance, lift 1.1 (at least 1.0)"
    assert _path("soda", 0, 1, 0.5, "", Stats(0.8, lift=0.9)) == \
        "bought soda -> bought with it in 269 baskets, no more often than chance, lift 0.9 (at least 0.8)"
    assert _path("soda", 0, 1, 0.5, "", Stats(1.05)).startswith("bought soda -> often bought with it: 269 baskets")
    # A link the model sets apart (a cosine below zero) is not called a link
    assert _path("soda", 0, 1, -0.323, "embedding similarity", None) == (
        "bought soda -> the nearest of the purchases in the model, though not alike: embedding similarity -0.323")
    assert _path("soda", 0, 1, 0.4, "embedding similarity", None) == (
        "bought soda -> linked in the model: embedding similarity 0.4")


def test_the_caption_says_how_a_path_picks_a_purchase_only_where_a_path_names_one(tmp_path):
    """Where every row's path is "popular overall" (the blend's popularity part largest on each),
    the caption said how a path names the purchase nearest the product: a path no row had."""
    from gnnrec_core.models.embedding import _log_counts

    dataset = _communities(tmp_path)
    train = dataset.interactions.matrix()
    model = LightGCN(dim=8, epochs=3, auto=False, blend=False).fit(train)
    model.popularity_ = _log_counts(train)
    said = "the purchase nearest the product in the model"
    model.tuning_ = {"blend": {"popularity": 50.0}}
    table = recommend_table(model, dataset, 3, k=5)
    assert set(table["path"]) == {"popular overall"} and said not in table.attrs["explained"]
    model.tuning_ = {"blend": {"popularity": 0.01}}
    table = recommend_table(model, dataset, 3, k=5)
    assert any(path.startswith("nearest purchase in the model: ") for path in table["path"])
    assert said in table.attrs["explained"]


def test_a_hand_built_baskets_shares_are_of_its_products_not_a_customers_purchases(tmp_path):
    """`recommend --basket a,b` has no customer: its caption read '98% from the customer's purchases'."""
    dataset = _communities(tmp_path)
    model = _blended_lightgcn(dataset.interactions.matrix())
    basket = recommend_for_basket(model, dataset, [0, 1], k=4).attrs["explained"]
    assert "% from the basket's products" in basket and "customer's purchases" not in basket
    own = recommend_table(model, dataset, 3, k=4).attrs["explained"]
    assert "% from the customer's purchases" in own


def test_a_log_without_orders_counts_shared_customers_not_baskets(tmp_path):
    """A check-in or ratings log has no order column: each customer's history is their one basket,
    and a path read 'bought with it in only 3 baskets' of a log that has none."""
    matrix = communities(users_each=8, items_each=6, bought=3).tocoo()
    for orders in (True, False):
        rows = [(f"o{u}", f"u{u:02d}", f"v{i:02d}") for u, i in zip(matrix.row, matrix.col)]
        frame = pd.DataFrame(rows, columns=["order_id", "user_id", "venue_id"])
        path = tmp_path / f"log{orders}.csv"
        (frame if orders else frame.drop(columns="order_id")).to_csv(path, index=False)
        dataset = prepare(ingest(path))
        model = ItemKNN().fit(dataset.interactions.matrix())
        stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
        assert stats.histories is not orders
        paths = " ".join(recommend_table(model, dataset, 3, k=5, stats=stats)["path"])
        if orders:
            assert "(bought with it in only " in paths and " customer" not in paths
        else:
            # a log whose product column names a place records visits (data/log_words.py)
            assert "(visited with it by only " in paths and "basket" not in paths and "bought" not in paths
