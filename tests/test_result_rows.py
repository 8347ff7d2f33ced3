"""A table's rows as they are named and scored: a blend as its own row with its parts, a GNN's
two rows, several cut-offs at once, the user's own held-out file, and a model that refuses the
catalogue (issue 21, items 2 and 4)."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_cli import run_cli
from test_verdicts import _row

from gnnrec_core.fit.metrics import evaluate, evaluate_at
from gnnrec_core.matrix.interactions import Split, SplitConfig
from gnnrec_core.models.base import Recommender
from gnnrec_core.models.registry import row_label
from gnnrec_core.pipeline.benchmark import scored_rows
from gnnrec_core.pipeline.table_verdicts import verdicts
from gnnrec_core.records import Tuning


def test_a_blend_is_named_with_its_parts_and_weights():
    assert row_label("lightgcn") == "LightGCN"
    assert row_label("lightgcn", {"filter": 4.0, "popularity": 0.1}) == "LightGCN + graph filter x4 + popularity x0.1"
    assert row_label("lightgcn", {"filter": 2.0, "popularity": 0.0}) == "LightGCN + graph filter x2"


class _Blended(Recommender):
    """A 'GNN' whose own score ranks item 0 first and whose blend adds a part ranking item 1 first."""

    name = "lightgcn"

    def __init__(self, weight=1.0):
        super().__init__(None)
        self.weight = weight

    def fit(self, train, valid=None, progress=None):
        self.train_ = sp.csr_matrix(train)
        return self

    def score_history(self, history):
        n = history.shape[0]
        scores = np.tile(np.array([3.0, 2.0, 1.0, 0.0]), (n, 1))
        scores[:, 1] += 2.0 * self.weight  # the blend's part
        return scores

    def alone_then_blended(self, users):
        history = self.train_[users]
        yield _Blended(weight=0.0).score_history(history)
        yield self.score_history(history)

    def tuning(self):
        return Tuning(chosen={"dim": 8}, valid_ndcg=0.3, blend={"filter": 1.0, "popularity": 0.0},
                      blend_valid_ndcg=0.4, part_valid_ndcg={"gnn": 0.3, "filter": 0.35, "popularity": 0.1})

    def get_state(self):
        return {}

    def set_state(self, state):
        pass


def test_a_gnn_with_a_blend_gets_two_rows_each_scored_as_named():
    train = sp.csr_matrix(np.array([[0, 0, 0, 1], [0, 0, 0, 1]], np.float32))
    test = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32))  # user 0 wants item 0, user 1 item 1
    model = _Blended().fit(train)
    rows = scored_rows("lightgcn", model, 1.0, Split(train, test, SplitConfig()), (1,), valid_ndcg=None)
    (alone, alone_eval), (blend, blend_eval) = rows
    assert (alone.key, alone.blend, alone.valid_ndcg) == ("lightgcn", {}, 0.3)  # the GNN alone ranks item 0 first
    assert (blend.key, blend.blend, blend.valid_ndcg) == ("lightgcn+blend", {"filter": 1.0}, 0.4)  # item 1 first
    assert alone.precision == 0.5 == blend.precision
    assert list(alone_eval.per_user[1]["ndcg"]) == [1.0, 0.0] and list(blend_eval.per_user[1]["ndcg"]) == [0.0, 1.0]
    found = verdicts(rows + [(_row("gfcf", 0.5), alone_eval)], k=1)
    assert found.training is not None and found.training.reference == "gfcf"


def test_a_gnns_two_rows_scored_in_one_pass_match_each_scored_alone():
    """benchmark scores a blended GNN's rows from one product of its vectors (evaluate_variants):
    every test user's figures are those of scoring the GNN alone and the blend each on its own,
    over several batches and two cut-offs."""
    from gnnrec_core.fit.metrics import evaluate_variants
    from gnnrec_core.models.embedding import _log_counts
    from gnnrec_core.models.graph_filter import GraphFilter
    from gnnrec_core.models.lightgcn import LightGCN

    train = sp.random(60, 40, density=0.15, random_state=4, format="csr", dtype=np.float32)
    test = sp.random(60, 40, density=0.08, random_state=5, format="csr", dtype=np.float32)
    model = LightGCN(dim=8, epochs=3, auto=False, blend=False).fit(train)
    model.tuning_ = {"blend": {"filter": 0.7, "popularity": 0.4}}
    model.filter_ = GraphFilter(rank=3, alpha=0.5).fit(train)
    model.popularity_ = _log_counts(train)
    together = evaluate_variants(model.alone_then_blended, 2, train, test, (3, 10), batch_size=7)
    apart = [evaluate_at(scorer.score, train, test, (3, 10), batch_size=7) for scorer in (model.without_blend(), model)]
    for one, other in zip(together, apart):
        assert one.by_k == other.by_k
        for k in (3, 10):
            np.testing.assert_array_equal(one.per_user[k]["ndcg"], other.per_user[k]["ndcg"])
    assert together[0].by_k[10]["ndcg"] != together[1].by_k[10]["ndcg"]  # two different rankings


def test_evaluating_at_several_cut_offs_matches_one_at_a_time():
    rng = np.random.default_rng(3)
    train = sp.random(40, 30, density=0.2, random_state=1, format="csr", dtype=np.float32)
    test = sp.random(40, 30, density=0.1, random_state=2, format="csr", dtype=np.float32)
    test.data[:] = 1
    scores = rng.standard_normal((40, 30))
    found = evaluate_at(lambda users: scores[users], train, test, (5, 10, 20))
    for k in (5, 10, 20):
        one = evaluate(lambda users: scores[users], train, test, k=k)
        assert found.by_k[k] == pytest.approx({m: one[m] for m in found.by_k[k]})
        assert found.per_user[k]["ndcg"].mean() == pytest.approx(one["ndcg"])


def test_benchmark_on_a_held_out_file_at_two_cut_offs(tmp_path):
    """`benchmark DATA --test HELDOUT --k 2,3`: DATA trains; held-out users and items unknown to it,
    and pairs already in train, are counted and skipped; recall and nDCG at each k."""
    rows = [(f"u{u}", f"i{i}") for u in range(6) for i in range(4) if (u + i) % 3]
    pd.DataFrame(rows, columns=["user_id", "item_id"]).to_csv(tmp_path / "train.csv", index=False)
    heldout = [("u0", "i0"), ("u1", "i2"), ("u2", "i1"), ("u9", "i1"), ("u3", "i9"), ("u0", "i1")]
    pd.DataFrame(heldout, columns=["user_id", "item_id"]).to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "bench.json"
    result = run_cli("benchmark", tmp_path / "train.csv", "--test", tmp_path / "test.csv", "--models", "pop,gfcf",
                     "--k", "2,3", "--json", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["ks"] == [2, 3] and data["k"] == 2
    split = data["split"]
    assert split["method"] == "given" and split["test_interactions"] == 3  # u0-i0, u1-i2, u2-i1
    assert (split["skipped_unknown_users"], split["skipped_unknown_items"], split["skipped_in_train"]) == (1, 1, 1)
    assert "skipped 1 with a user train never saw, 1 with an item train never saw, 1 already in train" in result.stdout
    assert "at k=2 (recall and nDCG at every cut-off in the second table):" in result.stdout  # the first table's k
    pop = data["results"][0]
    assert set(pop["at_k"]) == {"2", "3"} and set(pop["at_k"]["3"]) == {"recall", "ndcg"}
    assert pop["at_k"]["2"]["ndcg"] == pop["ndcg"] and pop["at_k"]["3"]["recall"] >= pop["at_k"]["2"]["recall"]


def test_held_out_file_with_nothing_known_is_one_line(tmp_path):
    pd.DataFrame([("u1", "i1"), ("u1", "i2"), ("u2", "i1"), ("u2", "i2")], columns=["user_id", "item_id"]).to_csv(
        tmp_path / "train.csv", index=False)
    pd.DataFrame([("x", "y")], columns=["user_id", "item_id"]).to_csv(tmp_path / "test.csv", index=False)
    result = run_cli("benchmark", tmp_path / "train.csv", "--test", tmp_path / "test.csv", "--models", "pop")
    assert result.returncode == 2 and "expected held-out pairs of users and items that train knows" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_model_that_refuses_the_catalogue_is_noted_and_the_rest_scored(tmp_path, monkeypatch):
    """EASE keeps its dense cap: above it the table says so and which models cover the catalogue."""
    from gnnrec_core import ingest, prepare
    from gnnrec_core.pipeline.benchmark import benchmark

    rows = [(f"u{u}", f"i{i}") for u in range(12) for i in range(8) if (u * i) % 3 != 1]
    pd.DataFrame(rows, columns=["user_id", "item_id"]).to_csv(tmp_path / "log.csv", index=False)
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "4")
    result = benchmark(prepare(ingest(tmp_path / "log.csv")), ["pop", "ease"], SplitConfig(min_user_interactions=2))
    assert [r.key for r in result.results] == ["pop"]
    assert result.notes[0].startswith("EASE skipped: ease: expected at most 4 items") and "gfcf" in result.notes[0]


def test_a_blend_row_is_listed_with_what_its_weights_mean(capsys):
    """'LightGCN + graph filter x4' never said what x4 is: the table says it where a blend is listed."""
    from gnnrec_core.cli.fit import print_table
    from gnnrec_core.models.registry import BLEND_WEIGHTS_WORDS
    from gnnrec_core.records import ResultRow

    def row(blend: dict[str, float]) -> ResultRow:
        return ResultRow(model="lightgcn", ndcg=0.1, precision=0.1, recall=0.1, map=0.1, hit_rate=0.1, coverage=0.1,
                         train_seconds=1.0, blend=blend)

    print_table([row({}), row({"filter": 4.0, "popularity": 0.1})], (10,), {}, [])
    lines = capsys.readouterr().out.splitlines()
    assert "lightgcn+blend: LightGCN + graph filter x4 + popularity x0.1" in lines and BLEND_WEIGHTS_WORDS in lines
    print_table([row({})], (10,), {}, [])
    assert BLEND_WEIGHTS_WORDS not in capsys.readouterr().out
