"""What training added is read against what the trained row is made of without training. A blend
leaning on a filter the table has no row of is not read at all: `benchmark --models
pop,itemknn,lightgcn` on the sample credited training with +223% over Popularity, mostly the work
of the blend's random-walk filter. And which model the words trust follows the test's figures."""

import json

import numpy as np
from test_cli import run_cli
from test_verdicts import _Evaluated, _row

from gnnrec_core.pipeline.table_verdicts import verdicts
from gnnrec_core.records import DatasetRef, RunInfo, Verdicts
from gnnrec_core.serving.verdicts import run_verdicts, training_sentence


def test_a_blend_whose_filter_has_no_row_is_not_read_against_popularity():
    blended = _row("lightgcn", 0.19, {"rp3beta": 1.0, "popularity": 0.25}, valid=0.10)
    rows = [_row("pop", 0.06), _row("itemknn", 0.10), _row("lightgcn", 0.12, valid=0.08), blended]
    found = verdicts(rows)
    assert found.training is None and found.graph is not None  # the graph row is still read against Item-kNN
    assert found.training_unread.startswith("not read: LightGCN + random-walk filter x1 + popularity x0.25 leans "
                                            "on random-walk filter x1")
    assert "add rp3beta to the models run" in found.training_unread
    with_walk = verdicts([*rows, _row("rp3beta", 0.18)])  # its filter beside it: read against that
    assert with_walk.training.reference == "rp3beta" and not with_walk.training_unread
    prior_alone = verdicts([rows[0], _row("lightgcn", 0.09, {"popularity": 0.5}, valid=0.1)])
    assert prior_alone.training.reference == "pop"  # a blend of the prior alone is read against Popularity
    assert Verdicts.from_json(json.loads(json.dumps(found.to_json()))) == found


def test_a_run_saved_with_the_old_reading_has_it_taken_back():
    blended = _row("lightgcn", 0.19, {"filter": 2.0, "popularity": 0.1}, valid=0.10)
    rows = (_row("pop", 0.06), _row("itemknn", 0.10), blended)
    old = verdicts(rows[:2] + (_row("gfcf", 0.05),) + rows[2:])  # read against a filter, then saved without it
    taken = run_verdicts(RunInfo(DatasetRef("log"), "lightgcn", results=rows, k=10, verdicts=old))
    assert taken.training is None and "graph filter x2" in taken.training_unread


def test_the_benchmark_command_says_why_it_does_not_read_what_training_added(small_log, tmp_path):
    out = tmp_path / "results.json"
    done = run_cli("benchmark", small_log, "--models", "pop,itemknn,lightgcn", "--time-budget", "2", "--json", out)
    assert done.returncode == 0, done.stderr
    written = json.loads(out.read_text())
    blend = next((row["blend"] for row in written["results"] if row.get("blend")), {})
    leans = any(blend.get(part, 0) > 0 for part in ("filter", "rp3beta"))
    assert (written["verdicts"]["training"] is None) == leans
    line = next(line for line in done.stdout.splitlines() if line.startswith("what training added: "))
    assert line.startswith("what training added: not read: ") == leans, line
    assert "over its blend's popularity prior alone" not in line or not leans
    assert leans  # this log's blend takes a filter: the case the test is for


def test_a_baseline_is_not_said_to_rank_better_than_a_filter_it_does_not_beat():
    """Popularity 0.30895 was "better still" than GF-CF at 0.30896: it beat the graph row validation
    chose (a LightGCN blend), not the filter. The words and the model to trust follow the figures."""
    from gnnrec_core.serving.verdicts import trusted_model

    rows = [_row("pop", 0.30895), _row("gfcf", 0.30896, valid=0.20), _row("lightgcn", 0.25, valid=0.21),
            _row("lightgcn", 0.26, {"filter": 0.5}, valid=0.22)]
    users = np.linspace(0.0, 0.6, 400)
    per_user = {"pop": users, "gfcf": users + 1e-5, "lightgcn": users - 0.06, "lightgcn+blend": users - 0.05}
    found = verdicts([(row, _Evaluated(per_user[row.key])) for row in rows])
    assert found.training.verdict == "behind" and found.graph.verdict == "behind"
    said = training_sentence(found.training, found.graph)
    assert "ranks better still" not in said
    assert said.endswith("Trust the filter for ranking: Popularity, not a graph model, ranks better than LightGCN + "
                         "graph filter x0.5 but not than the filter (0.3090).")
    assert trusted_model(found, "lightgcn")[0] == "gfcf"
    rows[0] = _row("pop", 0.32)  # the baseline above the filter too: it is the one to trust
    per_user["pop"] = users + 0.012
    found = verdicts([(row, _Evaluated(per_user[row.key])) for row in rows])
    assert "ranks better still" in training_sentence(found.training, found.graph)
    assert trusted_model(found, "lightgcn")[0] == "pop"
