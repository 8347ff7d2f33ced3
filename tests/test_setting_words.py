"""A model's chosen settings reach the reader in words: a new user read "form exact", "variant rk4"
and "neighbours 0" in the run's notes, a maintainer's names for BSPM's and GF-CF's choices."""

import pytest

from gnnrec_core.fit.tuning import SEARCH_SPACE
from gnnrec_core.setting_words import WORDS, blend_words, chosen_words, epochs_words


@pytest.mark.parametrize("name", ["gfcf", "bspm", "turbocf", "rp3beta", "ease"])
def test_every_setting_a_model_chooses_has_words(name, planted):
    """Every key a fitted model's tuning record holds is one the words know (a new key would print
    as 'key value' and fail here)."""
    from gnnrec_core.models import MODELS

    chosen = MODELS[name]().fit(planted).tuning().chosen
    assert chosen and set(chosen) <= set(WORDS)


def test_every_setting_the_gnn_search_chooses_has_words():
    assert set(SEARCH_SPACE) <= set(WORDS)


def test_choices_read_as_sentences():
    assert chosen_words({"variant": "rk4", "rank": 512, "form": "exact"}) == (
        "the paper's Gowalla steps (one RK4 step to time 2.5), low-pass rank 512, the exact (unpruned) item graph")
    assert chosen_words({"rank": 256, "alpha": 0.3, "neighbours": 0}) == (
        "low-pass rank 256, low-pass weight 0.3, every neighbour kept")
    assert chosen_words({"neighbours": 200, "weight_decay": 0.0, "item_bias": False, "layers": 1}) == (
        "200 neighbours kept per product, no weight decay, no item bias, 1 propagation layer")
    assert chosen_words({"exponent": 0.6, "power": 0.7, "filter": 2}) == (
        "degree normalisation 0.6, edge weights to the power 0.7, second-order low-pass filter")
    assert chosen_words({"exponent": 0.25, "power": 1.0, "filter": 0, "item_exponent": 0.5, "sharpen": 0.75}) == (
        "customer degree normalisation 0.25, edge weights to the power 1, second-order filter on the graph scaled "
        "to its top eigenvalue, product degree normalisation 0.5, second-order weight -0.75")
    assert chosen_words({"something_new": 3.5}) == "something_new 3.5"  # never dropped
    assert blend_words({"filter": 0.5, "popularity": 0.0}) == "graph filter x0.5"


def test_a_run_stopped_after_one_epoch_says_one_epoch():
    """The notes of a 1M-line run read '1 epochs, stopped by the time budget'."""
    from gnnrec_core.pipeline.experiment import _tuning_notes
    from gnnrec_core.records import Tuning

    tuning = Tuning(chosen={"dim": 128}, valid_ndcg=0.07, epochs=1, stopped="deadline", budget=90.0)
    (note,) = _tuning_notes("lightgcn", tuning)
    assert "1 epoch, stopped by the time budget" in note
    assert epochs_words(1) == "1 epoch" and epochs_words(1200) == "1,200 epochs"


def test_a_run_that_kept_an_earlier_epoch_says_which_beside_the_epochs_it_ran():
    """The Train page said '30 epochs' where Compare said 'weights kept from epoch 15': both facts of one
    run, read as a contradiction. The note now says both; a run kept at its last epoch says one."""
    from gnnrec_core.pipeline.experiment import _tuning_notes
    from gnnrec_core.records import Tuning

    (note,) = _tuning_notes("lightgcn", Tuning(chosen={"dim": 128}, valid_ndcg=0.09, epochs=30, best_epoch=15))
    assert "(validation nDCG@10 0.0900, 30 epochs, the weights of epoch 15 kept as the best on validation)" in note
    (last,) = _tuning_notes("lightgcn", Tuning(chosen={"dim": 128}, valid_ndcg=0.09, epochs=30, best_epoch=30))
    assert "30 epochs)" in last and "kept" not in last
