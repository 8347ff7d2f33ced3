"""The Train page draws no empty training chart: not for a run made elsewhere of a model with no
epochs, nor while the models beside a GNN fit before it."""

from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli


def test_a_model_without_epochs_says_so_instead_of_an_empty_chart(small_log, tmp_path, monkeypatch):
    """EASE, trained by the CLI and opened on the Train page: one chart (the metrics), and a line
    saying why there is no training curve (a new user read the empty chart as a failed run)."""
    workspace = tmp_path / "ws"
    made = run_cli("train", small_log, "--model", "ease", "--compare-with", "pop", "--split", "time",
                   "--workspace", workspace, "--quiet")
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert any(str(c.value).startswith("No training curve: EASE is fitted in closed form") for c in at.caption)
    assert len(at.get("plotly_chart")) == 1
    # A time split's validation is still a random slice of train: said, so it is not read against the test
    # (a new user's read 0.13 beside a test of 0.035; docs/benchmarks.md, "Validation under a time split")
    assert any("measures gaps in the past, not the period after the cut" in str(m.value) for m in at.markdown)


def test_the_progress_panel_draws_the_curve_only_once_there_is_one(tmp_path, monkeypatch):
    """While the filters fit before the GNN, the curve was an empty chart with axes from -1 to 6
    (read as something broken); a line says where it will appear instead."""
    from gnnrec_core.pipeline.experiment import ExperimentConfig
    from pages.jobs import Job, jobs

    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    job = Job("progress-panel-test", "Online Retail sample", ExperimentConfig(), stage="fitting Graph filter")
    jobs()[job.id] = job
    try:
        at.session_state["training_job"] = job.id
        at.switch_page("pages/train.py").run()
        assert not at.exception and not at.get("plotly_chart")
        assert any("LightGCN's training curve appears here when its training starts" in c.value for c in at.caption)
        job.record({"stage": "fitting LightGCN", "epoch": 1, "epochs": 5, "loss": 5.2})
        at.run()
        assert not at.exception and len(at.get("plotly_chart")) == 1
    finally:
        job.status = "cancelled"
        jobs().pop(job.id, None)


def test_the_curve_says_whose_epochs_it_draws():
    """The saved chart drew the chosen configuration's 30 epochs under 'epochs trained (every
    configuration tried)'; the live one draws the configuration training now."""
    from gnnrec_core.serving.plots import training_curve
    from pages.jobs import Job

    epochs = [{"epoch": e, "loss": 6.0 - e / 10, "valid_ndcg": 0.05 + e / 1000} for e in range(1, 4)]
    saved = training_curve(epochs)
    assert (saved.layout.title.text, saved.layout.xaxis.title.text) == ("Training: the configuration chosen", "epoch")
    job = Job.__new__(Job)  # the progress record alone, no thread
    job.history, job.history_version, job.curve, job.curve_version = epochs, 1, None, -1
    assert job.live_curve().layout.title.text == "Training: the configuration training now"


def test_a_run_serving_a_blend_is_named_as_its_blend():
    """The Train page's heading read "Results: LightGCN on Groceries baskets, validation nDCG 0.209"
    where 0.209 was the blend's and the table's LightGCN row said 0.199: a run is named as it serves,
    its parts and weights in full, "+ blend" in the sidebar's and Compare's pickers."""
    from gnnrec_core.records import DatasetRef, ResultRow, RunInfo
    from pages.widgets import run_label

    def row(blend: dict[str, float], valid: float) -> ResultRow:
        return ResultRow(model="lightgcn", ndcg=0.2, precision=0.1, recall=0.2, map=0.1, hit_rate=0.3, coverage=0.5,
                         train_seconds=1.0, valid_ndcg=valid, blend=blend)

    blended = RunInfo(DatasetRef("groceries"), "lightgcn", results=(row({}, 0.199), row({"filter": 2.0}, 0.209)))
    full = run_label(blended, markdown=True)
    assert full.startswith("LightGCN + graph filter x2 on groceries, validation nDCG 0.209"), full
    assert run_label(blended).startswith("LightGCN + blend · groceries · nDCG 0.209")
    alone = RunInfo(DatasetRef("groceries"), "lightgcn", results=(row({}, 0.199),))
    assert run_label(alone, markdown=True).startswith("LightGCN on groceries, validation nDCG 0.199")
    assert run_label(alone).startswith("LightGCN · groceries · nDCG 0.199")


def test_where_training_fell_behind_a_filter_one_click_makes_that_filter_the_model(small_log, tmp_path, monkeypatch):
    """A run whose verdict says training fell behind RP3beta: the Train page says the verdicts trust
    RP3beta and its button sets the form's Model to it. (The demo's run showed this while the blend
    took GF-CF; with RP3beta in the blend, training is level with the walk on the sample.)"""
    from gnnrec_core import ingest, prepare
    from gnnrec_core.models import LightGCN
    from gnnrec_core.pipeline.table_verdicts import verdicts
    from gnnrec_core.records import DatasetRef, ResultRow, RunInfo
    from gnnrec_core.store import Run, Workspace

    def row(model: str, ndcg: float, valid: float | None = None) -> ResultRow:
        return ResultRow(model, ndcg=ndcg, precision=0.1, recall=0.3, map=0.1, hit_rate=0.5, coverage=0.4,
                         train_seconds=1.0, valid_ndcg=valid)

    store = Workspace(tmp_path / "ws")
    ingested = ingest(small_log)
    store.save_dataset("orders", ingested)
    interactions = prepare(ingested).interactions
    model = LightGCN(epochs=1, dim=8, auto=False, blend=False).fit(interactions.matrix())
    rows = (row("lightgcn", 0.10, 0.05), row("rp3beta", 0.20, 0.1), row("ease", 0.15))
    store.save_run(Run(model, interactions.users, interactions.items,
                       RunInfo(DatasetRef("orders"), "lightgcn", rows, verdicts=verdicts(rows, k=10))))
    monkeypatch.setenv("GNNREC_WORKSPACE", str(store.root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert any("This run serves LightGCN" in str(c.value) and "RP3beta" in str(c.value) for c in at.caption)
    at.button(key="choose-trusted").click().run()  # one click sets the form's Model to it
    assert not at.exception and next(s for s in at.selectbox if s.label == "Model").value == "rp3beta"
    # A baseline trusted where one asked for did not run: the button names the model, not the verdict's aside
    # ("Choose Popularity (the best baseline that ran; EASE did not) as the Model above")
    rows = (row("lightgcn", 0.10, 0.05), row("rp3beta", 0.08, 0.1), row("pop", 0.15))
    store = Workspace(tmp_path / "ws2")
    store.save_dataset("orders", ingested)
    monkeypatch.setenv("GNNREC_WORKSPACE", str(store.root))
    store.save_run(Run(model, interactions.users, interactions.items,
                       RunInfo(DatasetRef("orders"), "lightgcn", rows,
                               verdicts=verdicts(rows, k=10, asked=["pop", "ease", "rp3beta"]))))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert at.button(key="choose-trusted").label == "Choose Popularity as the Model above"


def test_a_basket_list_on_the_train_page_says_how_to_map_it_and_links_the_data_page(tmp_path, monkeypatch):
    """A dataset with no customer column ended the Train page at an error in the CLI's words
    ("--user-col basket") with no way on: the error names the Data page's user role, and a link
    goes there."""
    from conftest import app_on_saved_file

    baskets = "milk,bread,eggs\nbread,butter\nmilk,eggs,jam,tea\n" * 20
    at = app_on_saved_file(tmp_path, monkeypatch, "no_customer", baskets, "pages/train.py")
    assert not at.exception
    (error,) = at.error
    assert "the Data page's user role or --user-col BASKET\\_COLUMN" in error.value
    assert [link.proto.page for link in at.get("page_link")] == ["data"]  # the Data page


def test_ease_is_not_preselected_where_the_catalogue_is_above_its_cap(small_log, tmp_path, monkeypatch):
    """The Data page said "EASE will be skipped" of 35,466 places, and the Train page's Compare with
    offered it ticked, to be skipped with a note after the run."""
    workspace = tmp_path / "ws"
    made = run_cli("train", small_log, "--model", "pop", "--workspace", workspace, "--quiet")
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    chosen = {}
    for cap in ("100000", "50"):  # the small log's products are between the two
        monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", cap)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
        at.switch_page("pages/train.py").run()
        assert not at.exception
        chosen[cap] = next(m for m in at.multiselect if m.label == "Compare with").value
    assert "ease" in chosen["100000"] and chosen["50"] == [m for m in chosen["100000"] if m != "ease"]


def test_the_runs_notes_read_as_sentences(small_log, tmp_path, monkeypatch):
    """EASE's skip note ends in ')' with no full stop: run together with the next note the caption read
    "...on a machine with the memory) LightGCN: ran its default settings"."""
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "50")
    workspace = tmp_path / "ws"
    made = run_cli("train", small_log, "--model", "pop", "--compare-with", "ease,itemknn", "--workspace", workspace,
                   "--quiet")
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    caption = next(c.value for c in at.caption if "EASE skipped" in c.value).replace("\\", "")
    assert "on a machine with the memory)." in caption


def test_repeating_a_run_on_a_split_that_stays_is_not_said_to_draw_a_new_one(small_log, tmp_path, monkeypatch):
    """Under a time split (or a given test set) Repeat over seeds trains again on the same split, where the
    caption said each seed draws its own."""
    workspace = tmp_path / "ws"
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    said = {}
    for method in ("random", "time"):
        made = run_cli("train", small_log, "--model", "gfcf", "--compare-with", "pop", "--split", method,
                       "--workspace", workspace, "--quiet")
        assert made.returncode == 0, made.stderr
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
        at.switch_page("pages/train.py").run()
        said[method] = next(c.value for c in at.caption if c.value.startswith("Each interval is over this run's"))
    assert "each seed draws its split and trains again" in said["random"]
    assert "each seed trains again on the same split (a given test set or a time split stays)" in said["time"]
