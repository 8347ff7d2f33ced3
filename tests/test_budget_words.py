"""What a trained row's budget went on, said beside the verdict: the blend's filter searches run inside
the GNN's time budget, and a run of one validation figure is no trend."""

import numpy as np
from test_verdicts import _Evaluated, _row

from gnnrec_core.pipeline.table_verdicts import verdicts
from gnnrec_core.records import Tuning
from gnnrec_core.serving.verdicts import training_sentence


def test_a_budget_spent_on_the_blends_filter_searches_is_said_and_one_epoch_is_no_trend():
    """`benchmark --models pop,lightgcn --time-budget 20` on 35k check-in places: the blend's filter
    searches took 31 s of the budget, training ran 17% of an epoch, and the verdict said "while still
    improving" of one validation figure, with no word of where the time went."""
    from dataclasses import replace

    users = np.linspace(0.0, 0.4, 200)
    starved = Tuning(chosen={"dim": 64}, valid_ndcg=0.03, epochs=1, best_epoch=1, stopped="deadline", budget=20.0,
                     candidates=1, last_epoch_share=0.171, filter_seconds=31.2)
    gnn, graph_filter = replace(_row("lightgcn", 0.16), tuning=starved), _row("gfcf", 0.17)
    found = verdicts([(gnn, _Evaluated(users)), (graph_filter, _Evaluated(users + 0.01))])
    assert found.cut is not None and found.cut.filter_seconds == 31.2
    assert training_sentence(found.training, found.graph, found.cut).endswith(
        "LightGCN's training was stopped by its 20 s time budget after 17% of an epoch before a second validation "
        "could show whether it was improving; the blend's filter searches took 31 s of the 20 s budget (gfcf and "
        "rp3beta rows fitted before it share their searches with it): a longer time budget may change this.")
    assert starved.unsearched_reason.endswith("the blend's filter searches took 31 s of the 20 s budget (gfcf and "
                                              "rp3beta rows fitted before it share their searches with it)")
    assert Tuning.from_json(starved.to_json()) == starved
    one = replace(starved, stopped="", filter_seconds=None)  # --epochs 1: its most epochs, one figure
    ran = verdicts([(replace(gnn, tuning=one), _Evaluated(users)), (graph_filter, _Evaluated(users + 0.01))])
    assert training_sentence(ran.training, ran.graph, ran.cut).endswith(
        "LightGCN's training ran its most epochs (1) before a second validation could show whether it was improving: "
        "more epochs (--epochs, or the Train page's Epochs) may change this.")
    assert "filter searches" not in replace(starved, filter_seconds=9.0).unsearched_reason  # under half
