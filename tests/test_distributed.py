"""Training under torchrun (gloo, 2 processes) matches one process on the same small graph."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import SyntheticConfig, generate
from gnnrec_core.matrix.interactions import split
from gnnrec_core.pipeline.benchmark import prepare


def _run(args):
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("full_softmax_items", [20000, 50], ids=["full-softmax", "sampled-softmax"])
def test_two_processes_converge_to_the_one_process_result(tmp_path, full_softmax_items):
    source = tmp_path / "orders.csv"
    generate(SyntheticConfig(interactions=3000, users=300, items=150, categories=8, seed=3)).to_csv(source, index=False)
    # Batches of all users but one: the last batch holds one user, so process 1's share is empty
    # and it must still draw the same random numbers as process 0.
    users = int((np.diff(split(prepare(ingest(source)).interactions).train.indptr) > 0).sum())
    common = ["-m", "gnnrec_core.pipeline.distributed", str(source), "--epochs", "12",
              "--full-softmax-items", str(full_softmax_items), "--batch-size", str(users - 1)]
    _run([*common, "--out", str(tmp_path / "one")])
    _run(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          *common, "--out", str(tmp_path / "two")])

    one = np.load(tmp_path / "one" / "rank0.npz")
    ranks = [np.load(tmp_path / "two" / f"rank{r}.npz") for r in (0, 1)]
    for key in ("state__item_vectors", "state__user_vectors", "state__item_bias"):
        np.testing.assert_allclose(ranks[0][key], ranks[1][key], atol=1e-6)  # the processes agree
        np.testing.assert_allclose(ranks[0][key], one[key], atol=2e-3)  # and match one process
    metrics_one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    metrics_two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics_two["world_size"] == 2 and metrics_one["world_size"] == 1
    assert metrics_two["loss"][-1] < metrics_two["loss"][0] * 0.95  # it learned
    np.testing.assert_allclose(metrics_two["loss"], metrics_one["loss"], rtol=1e-4)
    assert abs(metrics_two["ndcg"] - metrics_one["ndcg"]) < 1e-3
