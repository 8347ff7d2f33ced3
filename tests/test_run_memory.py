"""A run that would not fit in memory is refused before it starts, with the estimate and the limit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from gnnrec_core.errors import ConfigError
from gnnrec_core.pipeline.run_clock import shape_of
from gnnrec_core.pipeline.run_memory import plan_memory, stage_memory

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    rows = [(f"o{i}", f"p{(i * 7 + j) % 300}", f"u{i % 200}") for i in range(2000) for j in range(3)]
    path = tmp_path_factory.mktemp("memory") / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    return path


def _cli(*args, limit_mb):
    env = {**os.environ, "GNNREC_MAX_RUN_MB": str(limit_mb)}
    return subprocess.run([sys.executable, "-m", "gnnrec_core", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_train_over_the_limit_is_refused_in_one_line_and_nothing_is_kept(log, tmp_path):
    workspace = tmp_path / "ws"
    result = _cli("train", log, "--workspace", workspace, limit_mb=1)
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    # The estimate, the limit and where the limit comes from, in the one line.
    assert "expected LightGCN to fit in 1 MB of memory (GNNREC_MAX_RUN_MB)" in message
    assert "needs about" in message and "200 customers x 300 products" in message
    assert not list(workspace.glob("runs/*"))  # refused before anything ran, so no run was saved


def test_a_comparison_model_over_the_limit_is_left_out_with_a_note(log, tmp_path):
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.matrix.interactions import SplitConfig, split
    from gnnrec_core.pipeline.benchmark import prepare

    shape = shape_of(split(prepare(ingest(log)).interactions, SplitConfig()).train)
    between = (stage_memory("pop", shape).bytes + stage_memory("ease", shape).bytes) / 2 / 2 ** 20
    out = tmp_path / "results.json"
    result = _cli("benchmark", log, "--models", "pop,ease", "--json", out, limit_mb=int(between))
    assert result.returncode == 0, result.stderr
    found = json.loads(out.read_text())
    assert [row["model"] for row in found["results"]] == ["pop"]
    assert any(note.startswith("EASE left out: expected EASE to fit in") for note in found["notes"])


def test_a_benchmark_with_every_model_over_the_limit_is_refused_and_writes_no_results(log, tmp_path):
    """It exited 0 with an empty table and "results": [] where `train` refuses the same case."""
    out = tmp_path / "results.json"
    result = _cli("benchmark", log, "--models", "pop,ease", "--json", out, limit_mb=1)
    assert result.returncode == 2, result.stderr
    assert "EASE left out: expected EASE to fit in 1 MB" in result.stdout + result.stderr  # each model's reason
    assert result.stderr.strip().splitlines()[-1].startswith("error: expected at least one model scored, found "
                                                             "every one of the 2 asked for left out")
    assert not out.exists()


def test_the_run_model_over_the_limit_raises_and_others_are_named(monkeypatch):
    train = sp.random(400, 500, density=0.05, format="csr", random_state=0)
    shape = shape_of(train)
    monkeypatch.setenv("GNNREC_MAX_RUN_MB", "1")
    with pytest.raises(ConfigError, match=r"expected EASE to fit in 1 MB .* found it needs about .* MB for 400 "
                                          r"customers x 500 products \(largest: EASE's dense 500 x 500 weights\)"):
        plan_memory(["ease", "pop"], shape, {}, required=frozenset(["ease"]))
    monkeypatch.setenv("GNNREC_MAX_RUN_MB", "100000")
    assert plan_memory(["ease", "pop", "lightgcn"], shape, {}, required=frozenset(["ease"])) == {}
    monkeypatch.setenv("GNNREC_MAX_RUN_MB", "many")
    with pytest.raises(ConfigError, match=r"GNNREC_MAX_RUN_MB: expected a whole number of MB, found 'many'"):
        plan_memory(["pop"], shape, {})


def _peak_mb_of(work) -> float:
    """Peak resident memory the call adds (Linux: the peak is reset first)."""
    def status(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    before = status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    work()
    return status("VmHWM") - before


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak-memory reset")
def test_the_dense_estimate_covers_what_ease_takes_and_is_not_wildly_above():
    rng = np.random.default_rng(0)
    train = sp.csr_matrix((rng.random((3000, 2500)) < 0.01).astype(np.float32))
    # In a fresh process: a test worker that freed memory earlier reuses it without raising its peak,
    # so the same fit measured 22 MB there after other tests and ~100 MB alone.
    script = ("import numpy as np, scipy.sparse as sp, sys; sys.path.insert(0, 'tests'); "
              "from test_run_memory import _peak_mb_of; from gnnrec_core.models.ease import EASE; "
              "rng = np.random.default_rng(0); "
              "train = sp.csr_matrix((rng.random((3000, 2500)) < 0.01).astype(np.float32)); "
              "print(_peak_mb_of(lambda: EASE(l2=50.0).fit(train).score_history(train[:500])))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    measured = float(done.stdout.split()[-1])
    estimated = stage_memory("ease", shape_of(train)).bytes / 2 ** 20
    assert measured <= estimated <= 6 * measured, (measured, estimated)


def test_the_search_starts_no_candidate_that_memory_cannot_hold(monkeypatch, planted):
    from gnnrec_core.fit import tuning
    from gnnrec_core.models.lightgcn import LightGCN

    monkeypatch.setattr(tuning, "available_bytes", lambda: 1.0)
    model = LightGCN(time_budget=20.0, epochs=10, seed=0).fit(planted)
    tried = {tuple(sorted((k, v) for k, v in t.items() if k in tuning.SEARCH_SPACE))
             for t in model.tuning_["search"]}
    assert len(tried) == 1  # the default candidate alone: no other was started
