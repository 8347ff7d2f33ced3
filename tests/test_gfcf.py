"""The graph filter as a model of its own: closed form, settings chosen on validation, reasons exact."""

import numpy as np
import scipy.sparse as sp

from gnnrec_core.models import GFCF, Recommender


def test_ranks_within_the_planted_community_and_chooses_on_validation(planted):
    model = GFCF(seed=0).fit(planted)
    top, _ = model.recommend(np.arange(40), k=4)
    assert ((top < 10) == (np.arange(40)[:, None] < 20)).all()  # every pick from the user's own community
    tuning = model.tuning()
    assert set(tuning.chosen) == {"rank", "alpha", "neighbours"} and 0 < tuning.valid_ndcg <= 1


def test_fixed_settings_skip_the_search():
    train = sp.random(30, 25, density=0.3, random_state=1, format="csr", dtype=np.float32)
    train.data[:] = 1
    model = GFCF(rank=4, alpha=0.5, neighbours=200).fit(train)
    assert model.tuning().chosen == {"rank": 4, "alpha": 0.5, "neighbours": 200} and model.tuning().valid_ndcg is None


def test_a_score_is_exactly_the_sum_of_its_history_items_contributions(planted):
    """score_history(h) = h @ item_item(all items): each purchase's share in a reason sums to the score."""
    model = GFCF(seed=0).fit(planted)
    history = planted[:5]
    by_parts = history @ model.item_item(np.arange(planted.shape[1]))
    assert np.allclose(model.score_history(history), by_parts, atol=1e-4)


def test_save_and_load_give_the_same_scores(planted, tmp_path):
    model = GFCF(seed=0).fit(planted)
    loaded = Recommender.load(model.save(tmp_path / "gfcf.npz"))
    assert np.allclose(loaded.score(np.arange(10)), model.score(np.arange(10)), atol=1e-5)
