"""Nothing lost: a session killed mid-training or mid-write, and two sessions training at once, leave
every saved dataset and run loadable, and a restart lists them all."""

import json
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, SAMPLE

from gnnrec_core.data.ingest import ingest
from gnnrec_core.models import MODELS, Recommender
from gnnrec_core.pipeline.benchmark import prepare
from gnnrec_core.records import DatasetRef, RunInfo
from gnnrec_core.store import Run, Workspace

WORKER = ROOT / "tests" / "workers" / "session.py"


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "workspace"
    store = Workspace(root)
    result = ingest(SAMPLE, drop_non_products=True)
    store.save_dataset("kept", result)
    dataset = prepare(result)
    run_id = store.save_run(Run(MODELS["pop"]().fit(dataset.interactions.matrix()), dataset.interactions.users,
                                dataset.interactions.items, RunInfo(DatasetRef("kept"), "pop", results=())))
    return root, run_id


def _session(root, *args):
    return subprocess.Popen([sys.executable, str(WORKER), str(root), "kept", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(process, prefix, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            raise AssertionError(process.stderr.read()[-2000:])
    raise AssertionError(f"no '{prefix}' within {seconds} s")


def _everything_loads(root):
    store = Workspace(root)  # a fresh instance: what a restarted app would see
    assert store.unreadable() == []  # nothing listed that cannot open (a replace cut short is finished on open)
    datasets, runs = store.list_datasets(), store.list_runs()
    for meta in datasets:
        assert len(store.load_dataset(meta["name"]).events) > 0
    for meta in runs:
        run = store.load_run(meta.run_id)
        assert run.model.n_items == len(run.items)
    return {d["name"] for d in datasets}, {r.run_id for r in runs}


def test_killing_a_session_mid_training_keeps_everything(workspace):
    root, run_id = workspace
    session = _session(root, "lightgcn", 500, 0)
    _wait_for(session, "epoch 2")
    session.send_signal(signal.SIGKILL)
    session.wait(timeout=30)
    assert _everything_loads(root) == ({"kept"}, {run_id})

    restarted = _session(root, "lightgcn", 3, 0)  # the next session trains and saves normally
    new_run = _wait_for(restarted, "saved ").split()[1]
    restarted.wait(timeout=60)
    assert _everything_loads(root) == ({"kept"}, {run_id, new_run})


def _half_written(root) -> int:
    """Staging folders a killed write left behind (the store sweeps them later)."""
    return sum(p.name.startswith(".tmp-") for kind in ("datasets", "runs") for p in (root / kind).iterdir())


def test_killing_a_session_mid_write_never_leaves_a_half_entry(workspace):
    root, run_id = workspace
    rng = random.Random(0)
    hit = 0
    for _ in range(6):
        before = _half_written(root)  # counted before the session starts writing
        session = _session(root, "pop", 1, 0, "--loop-saves")
        _wait_for(session, "looping")
        time.sleep(rng.uniform(0.05, 1.0))  # somewhere inside a write, at a different point each time
        session.send_signal(signal.SIGKILL)
        session.wait(timeout=30)
        hit += _half_written(root) > before  # this kill landed inside a write
        datasets, runs = _everything_loads(root)
        assert "kept" in datasets and run_id in runs
    assert hit >= 1, "no kill landed inside a write: the test did not test what it says"


def test_a_cancelled_training_saves_nothing(workspace):
    from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save
    from gnnrec_core.progress import Cancelled

    root, run_id = workspace
    store = Workspace(root)
    dataset = prepare(store.load_dataset("kept"))
    epochs_seen = []

    def cancel_at_epoch_3(event):
        if "epoch" in event:
            epochs_seen.append(event["epoch"])
        return len(epochs_seen) < 3

    with pytest.raises(Cancelled):
        train_and_save(store, DatasetRef("kept"), dataset, ExperimentConfig(model="lightgcn", baselines=("pop",)),
                       cancel_at_epoch_3)
    assert len(epochs_seen) == 3  # training had started when the user cancelled
    assert _everything_loads(root) == ({"kept"}, {run_id}) and _half_written(root) == 0


def test_two_sessions_training_at_once_do_not_corrupt_each_other(workspace):
    root, run_id = workspace
    first = _session(root, "lightgcn", 4, 1, "--save-as", "shared")
    second = _session(root, "itemknn", 1, 2, "--save-as", "shared")
    ids = {_wait_for(first, "saved ").split()[1]: ("lightgcn", 1),
           _wait_for(second, "saved ").split()[1]: ("itemknn", 2)}
    for process in (first, second):
        assert process.wait(timeout=60) == 0, process.stderr.read()[-2000:]
    datasets, runs = _everything_loads(root)
    assert datasets == {"kept", "shared"} and runs == {run_id, *ids}
    for new_id, (model, seed) in ids.items():
        info = json.loads((root / "runs" / new_id / "run.json").read_text())
        assert (info["model"], info["seed"]) == (model, seed)  # each run holds its own session's work
        assert Recommender.load(root / "runs" / new_id / "model.npz").name == model
    lightgcn = next(i for i, (m, _) in ids.items() if m == "lightgcn")
    alone = Workspace(root).load_run(lightgcn)
    assert np.isfinite(alone.model.item_vectors()).all()


def test_a_run_whose_dataset_is_replaced_while_it_trains_is_refused_not_saved(workspace):
    """A run saved after its dataset was replaced could never be opened (its products no longer
    match): the save is refused in one line, and both the new dataset and the earlier runs stay."""
    from gnnrec_core.errors import InputError
    from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save

    root, run_id = workspace
    store = Workspace(root)
    dataset = prepare(store.load_dataset("kept"))
    other = ingest(SAMPLE, drop_non_products=False)  # other data under the same name

    def replace_once(event):
        if "epoch" in event and not replaced:
            store.save_dataset("kept", other, replace=True)
            replaced.append(True)
        return True

    replaced: list[bool] = []
    with pytest.raises(InputError, match="found it replaced while the run trained: the run was not saved"):
        train_and_save(store, DatasetRef("kept"), dataset, ExperimentConfig(model="lightgcn", baselines=("pop",),
                                                                            settings={"epochs": 2}), replace_once)
    assert replaced and _everything_loads(root) == ({"kept"}, {run_id})
    # unchanged data saves as before
    fresh = prepare(store.load_dataset("kept"))
    saved = train_and_save(store, DatasetRef("kept"), fresh, ExperimentConfig(model="pop", baselines=()))
    assert _everything_loads(root) == ({"kept"}, {run_id, saved})


@pytest.mark.parametrize("replacement", ["other products", "baskets without customers"])
def test_every_page_of_a_run_says_its_dataset_was_replaced(replacement, tmp_path, monkeypatch):
    """After its dataset was replaced, the Neighbourhood page drew the old run's neighbours as bare
    codes against the new data's baskets, with no word; every page of a run now stops with the reason
    (the Recommendations page said it already), and the run is kept. Replaced by baskets with no
    customer column, every page of the run showed a traceback (the new data has no user graph)."""
    from streamlit.testing.v1 import AppTest

    from gnnrec_core.cli import main

    root = tmp_path / "ws"
    monkeypatch.setenv("GNNREC_WORKSPACE", str(root))
    rows = "".join(f"o{n},p{(n * 7 + j) % 20},u{n % 12}\n" for n in range(60) for j in range(3))
    (tmp_path / "log.csv").write_text("order_id,product_id,user_id\n" + rows)
    (tmp_path / "log2.csv").write_text("order_id,product_id,user_id\n" + rows.replace(",p", ",r"))
    for name in ("log", "log2"):
        assert main(["train", str(tmp_path / f"{name}.csv"), "--model", "itemknn", "--compare-with", "pop",
                     "--quiet"]) == 0
    store = Workspace(root)
    run_id, other_id = [info.run_id for info in sorted(store.list_runs(), key=lambda r: r.dataset.name)]
    baskets_only = "".join(line.rsplit(",", 1)[0] + "\n" for line in rows.splitlines())
    other = ingest(("order_id,product_id,user_id\n" + rows.replace(",p", ",q")).encode(), "log.csv") \
        if replacement == "other products" else ingest(("order_id,product_id\n" + baskets_only).encode(), "log.csv")
    for name in ("log", "log2"):  # both now hold one log: Compare called them "two names for the same data"
        store.save_dataset(name, other, replace=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["active_dataset"], at.session_state["active_run"] = "log", run_id
    at.run()
    at.switch_page("pages/associations.py").run()  # the rules of the new data; no similar products of the old run
    assert not at.exception, [e.value for e in at.exception]
    for page in ("neighbourhood", "recommendations"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert [str(e.value) for e in at.error] == [
            "The dataset 'log' was replaced after this run was trained; train a new run on it."], page
    at.switch_page("pages/train.py").run()  # its report would put the new data's products under this run
    assert not at.exception, [e.value for e in at.exception]
    if replacement == "baskets without customers":  # the page trains the sidebar's dataset: it says why it cannot
        assert [str(e.value) for e in at.error][0].startswith("expected events with a user column")
    else:
        assert "No HTML report: The dataset 'log' was replaced after this run was trained; train a new run on it." \
            in [str(c.value) for c in at.caption]
    assert not [b for b in at.get("download_button") if "HTML report" in str(b.proto.label)]
    at.switch_page("pages/compare.py")
    at.query_params.update({"mode": "runs", "a": run_id, "b": other_id})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [str(c.value) for c in at.caption]
    assert not [c for c in captions if "two names for the same data" in c], captions
    assert "Run B: The dataset 'log2' was replaced after this run was trained; train a new run on it." in captions
    assert sorted(info.run_id for info in store.list_runs()) == sorted([run_id, other_id])  # kept
