"""Train: the GNN beside the baselines on one split, live progress with cancel, the honest table."""

import time

import pandas as pd
import streamlit as st

from gnnrec_core import (
    BASELINES,
    DEFAULT_MODEL,
    LABELS,
    METRICS,
    MODELS,
    SPECS,
    ExperimentConfig,
    GnnrecError,
    SplitConfig,
    available_weightings,
    device_report,
    given_split,
    html_report,
    metrics_bars,
    prepare,
    training_curve,
)
from gnnrec_core import split as split_interactions
from gnnrec_core.data.heldout import heldout_notes, read_like
from gnnrec_core.data.limits import limits
from gnnrec_core.fit.metrics import VALIDATION_K
from gnnrec_core.matrix.interactions import SPLIT_WORDS
from gnnrec_core.models.registry import BLEND_WEIGHTS_WORDS, served_label
from gnnrec_core.pipeline.experiment import MAX_REPEAT
from gnnrec_core.record_fields import METRIC_LABELS
from gnnrec_core.serving.run_diff import as_printed, results_frame
from gnnrec_core.serving.safe_text import escape_markdown
from gnnrec_core.serving.verdicts import (
    advice_verdicts,
    first_split_words,
    graph_sentence,
    run_verdicts,
    seeds_caption,
    seeds_words,
    serving_note,
    split_sentence,
    training_sentence,
    trusted_model,
)
from pages.jobs import Job, adopt_finished_run, jobs, start_training
from pages.state import DATASET_KEY, JOB_KEY, RUN_KEY, active_run, dataset_meta, load_run, ws
from pages.widgets import (
    MISSING,
    UPLOAD_TYPES,
    chart,
    config_form,
    dataset_problem,
    need_dataset,
    run_label,
    runs_table,
)

MODEL_KEY = "train-model"
# The form's starting values: the settings of the last run started here. A plain key, not the widgets'
# own state: the form is not drawn while a run trains, and Streamlit drops an undrawn widget's value,
# so a typed 12 s budget came back as 90 after the run (seen in a real browser; AppTest keeps it).
FORM_START_KEY = "train-form-start"

st.title("Train")
dataset_name, data = need_dataset()
TEST_SHARE_HELP = data.words.said(  # in the log's words: "each customer's rated products"
    "Share held out for testing: of each customer's purchases (random) or of all purchases, the latest (time). "
    "Leave-last-out holds out each customer's latest purchase, whatever the share.")
job = jobs().get(st.session_state.get(JOB_KEY, ""))
running = job is not None and job.status == "running"


@st.fragment(run_every=1.0 if running else None)
def progress_panel() -> None:
    current = jobs().get(st.session_state.get(JOB_KEY, ""))
    if current is None:
        return
    if current.status == "running":
        last = current.last
        text = f"{current.stage} ({time.time() - current.started:.0f} s so far"
        if last.get("run_eta_seconds") is not None:  # the whole run: every model, validation, scoring
            text += (f", {'at most' if last.get('run_eta_bound') else 'about'} {_duration(last['run_eta_seconds'])} "
                     "left in the whole run")
        text += ")"
        if "epoch" in last:
            most = dict(current.config.settings).get("epochs") or getattr(
                MODELS[current.config.model].config_class(), "epochs", last["epochs"])  # the form's Epochs
            # A search trial trains a few epochs ("epoch 2/5" read as contradicting the form's 120)
            trial = "settings search, a trial's " if last["epochs"] < most else ""
            text += f" - {trial}epoch {last['epoch']}/{last['epochs']}, loss {last['loss']:.4f}"
            if last.get("valid_ndcg") is not None:
                text += f", validation nDCG@{VALIDATION_K} {last['valid_ndcg']:.4f}"
        elif last.get("stage") == "search":
            text += f" - searching settings: configuration {last['candidate']} scored {last['score']:.4f}"
        st.progress(min(float(last.get("run_done", 0.0)), 1.0), text=text)
        if current.history:
            st.plotly_chart(current.live_curve(), key="live-curve")
        elif SPECS[current.config.model].is_gnn:  # empty axes from -1 to 6 read as something broken
            st.caption(f"{escape_markdown(LABELS.get(current.config.model, current.config.model))}'s training "
                       "curve appears here when its training starts; the models beside it fit first.")
        st.button("Cancel training", on_click=current.cancel.set, icon=":material/stop:")
    elif adopt_finished_run():
        # The page around this fragment stopped at "running": drawn again, the run's results (or the form
        # and the previous results, below a failure's message) come back without leaving the page.
        st.rerun(scope="app")
    elif current.status in ("failed", "cancelled"):
        (st.warning if current.status == "cancelled" else st.error)(escape_markdown(current.error))


def _follow(job: Job) -> None:
    """Follow another tab's run: its dataset becomes this session's, so the run is shown when saved."""
    st.session_state[JOB_KEY] = job.id
    if dataset_meta(job.dataset) is not None:
        st.session_state[DATASET_KEY] = job.dataset


def _choose_model(model: str, label: str) -> None:
    st.session_state[MODEL_KEY] = model
    st.toast(f"Model set to {label}: press Train above to serve it.")


def _index(options: list[str], value: str) -> int:
    return options.index(value) if value in options else 0


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


# The Model box is not drawn while a run trains, and Streamlit drops an undrawn widget's value: set
# it again on every run, or after training the box showed the first model (Popularity) while the
# form below it was still LightGCN's.
if MODEL_KEY in st.session_state:
    st.session_state[MODEL_KEY] = st.session_state[MODEL_KEY]
if running:  # progress first, where the click lands; the form and the previous results come back after
    progress_panel()
    st.caption("The settings form and the previous run's results are hidden while this run trains.")
    st.stop()
progress_panel()  # a failed or cancelled run says so above the form
if job is not None and job.status == "done" and job.finished and job.run_id == st.session_state.get(RUN_KEY):
    # The form comes first on the page: after the demo's click its results were out of sight below it
    st.success(f"Trained and saved in {_duration(job.finished - job.started)}. "
               "[Go to its results and verdicts](#results), below the settings.")
# A run this session does not follow: another tab's, or this one's before a reload (a new session).
# Said, with a way to follow it: a user saw the previous results and no progress, and trained again.
elsewhere = sorted((j for j in list(jobs().values()) if j.status == "running"), key=lambda j: -j.started)
if elsewhere:
    other = elsewhere[0]
    st.info(f"A run of {escape_markdown(LABELS.get(other.config.model, other.config.model))} on "
            f"'{escape_markdown(other.dataset)}' started {time.time() - other.started:.0f} s ago on this server "
            "(in another tab, or in this one before a reload). It is saved when it ends, and then listed in the "
            "sidebar's Run box.")
    st.button("Follow its progress", icon=":material/monitoring:", key="follow-run", on_click=_follow, args=(other,))

st.session_state.setdefault(MODEL_KEY, DEFAULT_MODEL)  # a key, so the results' button can choose it
model = st.selectbox("Model", list(SPECS), format_func=LABELS.get, key=MODEL_KEY)
start: ExperimentConfig = st.session_state.get(FORM_START_KEY, ExperimentConfig())
devices, weightings = ["auto", "cpu", "cuda"], available_weightings(data.ingest.events)
st.caption(f"Trains on the dataset '{escape_markdown(dataset_name)}' (the sidebar's Dataset).")
# Enter in a number box does not start a run: a new user's Enter after typing a budget trained twice.
with st.form("train-form", enter_to_submit=False):
    # Full width: in a third of the page the chips of seven models hid the last ones (EASE among them).
    # EASE preselected where the Data page said it will be skipped (above its dense cap) read as a contradiction
    wide = FORM_START_KEY not in st.session_state and data.interactions.n_items > limits().dense_items
    offered = [name for name in start.baselines if not (wide and name == "ease")]
    baselines = st.multiselect("Compare with", list(BASELINES), default=offered, format_func=LABELS.get)
    settings_column, left, right = st.columns(3)
    with settings_column:
        settings = config_form(model, dict(start.settings) if start.model == model else None)
    device = left.radio("Device", devices, index=_index(devices, start.device), horizontal=True)
    left.caption(device_report())
    method = left.selectbox("Split", list(SPLIT_WORDS), index=_index(list(SPLIT_WORDS), start.split.method),
                            format_func=SPLIT_WORDS.get)
    test_size = left.slider("Test share", 0.1, 0.5, start.split.test_size, 0.05,
                            help=TEST_SHARE_HELP)
    weighting = right.selectbox(
        "Interaction weighting", weightings, index=_index(weightings, start.weighting),
        help="How strongly each customer-product pair counts in training (log2(1 + weight)): binary counts each "
             "pair once; count by purchases, quantity by units, rating by stars. Binary is the default: on "
             "validation slices of the real retail data, quantity and count were level or worse "
             "(docs/benchmarks.md). Test relevance is binary whatever is chosen.")
    seed = right.number_input("Seed", 0, 10_000, start.seed)
    repeat = right.number_input(
        "Repeat over seeds", 1, MAX_REPEAT, start.repeat,
        help="Run again with the next seeds (each draws its own split, or keeps your own test set, and trains "
             "again) and read the verdicts "
             "over the seeds: the interval then holds the split's noise and training's, not only the test set's. "
             "Each seed costs a whole run's time; the table and the model served stay the first seed's.")
    heldout_file = right.file_uploader(
        "Your own test set (optional)", type=UPLOAD_TYPES,
        help="A held-out file with the same customer and product columns as this dataset, such as a published "
             "split's test file: every row of the dataset then trains and this file is scored (the split and test "
             "share beside it are not used). Its customers and products the dataset never saw are counted and skipped.")
    submitted = st.form_submit_button("Train", type="primary", disabled=running, icon=":material/play_arrow:")

if submitted:
    try:
        config = ExperimentConfig(model=model, baselines=tuple(baselines), settings=tuple(settings.items()),
                                  device=device, seed=int(seed), weighting=weighting, repeat=int(repeat),
                                  split=SplitConfig(method=method, test_size=test_size, seed=int(seed)))
        heldout, notes = None, ()
        if heldout_file is not None:  # read with the dataset's customer and product columns
            read = read_like(data.ingest, (heldout_file.getvalue(), heldout_file.name))
            heldout, notes = read.events, heldout_notes(heldout_file.name, read)
            given_split(data.interactions, heldout)  # refuse here, in words, not in a background job
        else:
            split_interactions(data.interactions, config.split)
    except GnnrecError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    job = start_training(dataset_name, data, config, heldout, notes)
    st.session_state[JOB_KEY], st.session_state[FORM_START_KEY] = job.id, config
    st.rerun()



found = active_run()
if found is None:
    st.info("No run yet. Press Train: the defaults are a good start on any dataset.")
    st.stop()
run_id, run = found
info = run.info
st.subheader(f"Results: {run_label(info, markdown=True)}", anchor="results")
if not info.results:
    st.info("This run holds no results table (a run migrated from an older release). Train again to score it.")
    st.stop()
results = results_frame(info)
split_method = info.split.get("method")
st.markdown("**Validation**: a random slice of the train split"  # under a time split too (docs/benchmarks.md)
            + (": under this split it measures gaps in the past, not the period after the cut, so compare runs on "
               "it, not with the test figures" if split_method in ("time", "last") else
               ". Compare and tune runs on these numbers, not against the test figures: the slice holds a tenth of "
               "train, fewer of each customer's products than the test split, so its figures run lower (read "
               "models against each other within a table)" if split_method == "random" else
               ". Compare and tune runs on these numbers") + ".")
if results["valid_ndcg"].notna().any():
    valid_table = results[["model", "valid_ndcg", "train_seconds"]].rename(
        columns={"valid_ndcg": f"validation nDCG@{VALIDATION_K}", "train_seconds": "fit seconds"})
    st.dataframe(as_printed(valid_table, [valid_table.columns[1]]).sort_values(valid_table.columns[1], ascending=False),
                 hide_index=True, placeholder=MISSING,
                 column_config={valid_table.columns[1]: st.column_config.NumberColumn(format="%.4f"),
                                "fit seconds": st.column_config.NumberColumn(format="%.2f")})  # as the test table
    st.caption("Each baseline is refitted on train less the slice and scored on it. The graph filters chose "
               "their settings on this slice, and the GNN its settings and epochs, so their numbers lean "
               "slightly optimistic, the more settings tried the more.")
else:
    st.caption("This run was saved before validation figures were recorded.")
st.markdown("**Final test figures**: the held-out test split, scored once per run (per seed where the run was "
            "repeated; the table is the first seed's). Report these; do not tune on "
            "them (a setting picked for its test score makes the test score a guess).")
judged = run_verdicts(info)
if judged.training is not None:  # the run's own model first: what training added
    say = st.info if judged.training.verdict == "ahead" else st.warning
    say(f"**What training added{first_split_words(info.seeds, info.split)}**: "
        + escape_markdown(training_sentence(judged.training, judged.graph, judged.cut)))
elif judged.training_unread:
    st.warning(f"**What training added{first_split_words(info.seeds, info.split)}**: "
               + escape_markdown(judged.training_unread))
if judged.graph is not None:
    (st.warning if judged.graph.verdict == "behind" else st.success)(
        f"**Best graph model against the best baseline{first_split_words(info.seeds, info.split)}**: "
        + escape_markdown(graph_sentence(judged.graph, judged.training)))
over = info.over_seeds
if over.training is not None:
    (st.info if over.training.verdict == "ahead" else st.warning)(
        f"**What training added, {seeds_words(info.seeds, over.training)}**: "
        + escape_markdown(training_sentence(over.training, over.graph, over.cut)))
if over.graph is not None:
    (st.warning if over.graph.verdict == "behind" else st.success)(
        f"**Best graph model against the best baseline, {seeds_words(info.seeds, over.graph)}**: "
        + escape_markdown(graph_sentence(over.graph, over.training)))
if judged.training is not None or judged.graph is not None:
    st.caption(seeds_caption(info.split, info.seeds) if info.seeds and (over.training or over.graph) else
               "Each interval is over this run's test users: the test set's noise, not training's. For the "
               "spread over seeds, set Repeat over seeds above (or `gnnrec benchmark DATA --repeat 5`): each seed "
               + ("trains again on the same split (a given test set or a time split stays)"
                  if info.split.get("method") in ("given", "time") else "draws its split and trains again")
               + ", and both verdicts are read over them.")
advice, whose = advice_verdicts(info)  # over the seeds where the run was repeated
serving, trusted = serving_note(advice, info.model, whose, served_label(info)), trusted_model(advice, info.model)
if serving and trusted:  # the other pages serve this run's model; say which model the verdicts trust instead
    st.caption(escape_markdown(serving))
    # the model's own label: the verdict's ("Popularity (the best baseline that ran; EASE did not)") read oddly here
    st.button(f"Choose {escape_markdown(LABELS.get(trusted[0], trusted[1]))} as the Model above", key="choose-trusted",
              on_click=_choose_model, args=trusted,  # before the script runs: the Model widget takes it
              help="Sets the form's Model; its other settings stay. Press Train to serve it.")
shown = results.drop(columns=["valid_ndcg", "row", "kind"])  # the GNN's choice: in words below
shown = shown.rename(columns={"train_seconds": "fit seconds"})
# Headers in words with what each measures (a merchandiser read "ndcg", "map", "hit_rate" as jargon)
# Said of the held-out products, whatever the log records (bought, rated, visited)
METRIC_HELP = {"ndcg": "how high each test customer's held-out products sit in the list (1: all first)",
               "precision": "share of the list that is among the customer's held-out products",
               "recall": "share of the customer's held-out products that the list holds",
               "map": "mean average precision: precision read at each held-out product in the list, averaged",
               "hit_rate": "share of test customers with at least one held-out product in the list",
               "coverage": "share of the catalogue in anyone's list"}
# "test" said once above the table, not in each header: seven "test precision@10" headers pushed the fit
# seconds out of a 1400 px window
st.caption(f"Each model on the test customers, scored on its top {info.k}:")
st.dataframe(as_printed(shown, list(METRICS)), hide_index=True, placeholder=MISSING, column_config={
    metric: st.column_config.NumberColumn(f"{METRIC_LABELS[metric]}@{info.k}", format="%.4f",
                                          help=f"On the test customers: {METRIC_HELP[metric]}, in the top {info.k}")
    for metric in METRICS}
    | {"fit seconds": st.column_config.NumberColumn(format="%.2f")})
if any(r.blend for r in info.results):
    st.caption(BLEND_WEIGHTS_WORDS)
left, right = st.columns(2)
with left:
    chart(metrics_bars(results, k=info.k), results, "metrics", key="metrics-chart")
with right:
    history = pd.DataFrame(list(info.history))
    if history.empty:  # an empty chart read as a failed run
        st.caption("No training curve: this run recorded no epochs." if SPECS[info.model].kind == "gnn" else
                   f"No training curve: {escape_markdown(LABELS.get(info.model, info.model))} is fitted in "
                   "closed form or by counting, with no epochs to draw.")
    else:
        chart(training_curve(list(info.history)), history, "training_curve", key="curve-chart")
# Notes are one-line messages with no full stop of their own: run together they read as one ("...) LightGCN: ran")
st.caption(split_sentence(info.split, info.k) + " " + " ".join(
    escape_markdown(note if note.endswith((".", "?", "!")) else f"{note}.") for note in info.notes))

@st.cache_data(show_spinner="Writing the report...", max_entries=4)
def report_html(run_id: str, saved_at: float, dataset_saved_at: float) -> bytes:
    dataset = ws().load_dataset(info.dataset.name)
    return html_report(prepare(dataset), load_run(run_id).model, info).encode("utf-8")


report_problem = dataset_problem(load_run(run_id))  # a replaced dataset's products under this run's heading
if report_problem is None:
    dataset_saved = dataset_meta(info.dataset.name)["saved_at"]
    st.download_button("Download the HTML report (opens offline)",
                       lambda: report_html(run_id, info.saved_at, dataset_saved),
                       f"gnnrec-report-{run_id}.html", "text/html", icon=":material/description:")
else:
    st.caption(f"No HTML report: {report_problem}")

with st.expander("All runs"):
    st.dataframe(runs_table(ws().list_runs()), hide_index=True, placeholder=MISSING)
