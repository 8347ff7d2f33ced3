import numpy as np
import pandas as pd

from gnnrec_core.baskets.associations import basket_stats
from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import ItemKNN
from gnnrec_core.serving.recommend import contributions, customer_history, recommend_table
from gnnrec_core.training.pipeline import prepare


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
    assert "bought lamp -> often bought with it: 3 baskets" in table.loc[0, "path"]
    shares = contributions(model, np.array([0, 1]), np.array([2]))
    assert np.all(shares >= 0) and shares.sum() <= 1 + 1e-9
