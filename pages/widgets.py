"""Widgets and guards shared by the pages: the sidebar's active dataset and run, the guards that
stop a page with a way forward when it lacks a dataset or run, charts with downloads, and forms
built from the engine's own dataclasses (a new model setting appears on the Train page without
page code)."""

from __future__ import annotations

import dataclasses
import time
import typing
from typing import Any

import pandas as pd
import streamlit as st

from gnnrec_core import (
    KNOWN_SUFFIXES,
    LABELS,
    MODELS,
    SPECS,
    Dataset,
    GnnrecError,
    IngestResult,
    Run,
    RunInfo,
    thin_anchor_words,
)
from gnnrec_core.data.log_words import LogWords
from gnnrec_core.models.registry import served_label
from gnnrec_core.serving.safe_text import csv_bytes, escape_markdown  # every download; every shown value
from gnnrec_core.store_active import active_mark, mark_active
from pages.jobs import adopt_finished_run
from pages.links import follow_active_link
from pages.routes import PAGES
from pages.state import DATASET_KEY, RUN_KEY, active_dataset, active_run, active_saved, dataset_meta, load_dataset, ws

UPLOAD_TYPES = sorted({s.lstrip(".") for s in KNOWN_SUFFIXES} | {"gz", "zst", "zip"})  # every file uploader's

# Shown first, with words; every other plain setting goes under "More settings".
MAIN = {"time_budget": "Time budget (seconds, search included)", "auto": "Choose settings on validation",
        "blend": "Blend with filter and popularity",
        "epochs": "Epochs (most; early stopping picks the best)", "dim": "Embedding size", "layers": "Graph layers",
        "temperature": "Softmax temperature", "lr": "Learning rate", "neighbours": "Neighbours per product",
        "similarity": "Similarity"}
HELP = {"blend": "The trained GNN's scores plus a closed-form filter's (GF-CF or RP3beta, whichever scores higher on "
                 "validation) and a popularity prior, each with the weight validation chose; kept only where "
                 "validation says the blend beats the GNN alone."}
HIDDEN = {"device", "seed"}  # run options, chosen beside the form


ROW_PX = 35  # Streamlit's dataframe row (and header) height
MISSING = "–"  # what a table shows for a figure a row does not have (Streamlit's default is "None")


def thin_words(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame to show, its True/False `thin` column as the word "thin" or a blank: a read-only
    checkbox looked like a control to click (a new user's report). Where no row is thin the column
    goes: an always-empty column under a cryptic header was read as broken. Downloads keep True/False."""
    if not frame["thin"].any():
        return frame.drop(columns="thin")
    return frame.assign(thin=frame["thin"].map({True: "thin", False: ""}))


def chance_marks(frame: pd.DataFrame) -> pd.DataFrame:
    """The rules to show, their True/False `chance` column as "could be" or a blank (gone where no
    rule could be chance), as thin_words shows `thin`; chance_q stays for the download alone."""
    if not frame["chance"].any():
        return frame.drop(columns="chance")
    return frame.assign(chance=frame["chance"].map({True: "could be", False: ""}))


def thin_column(help_text: str) -> Any:
    return st.column_config.TextColumn("thin", width=None, help=help_text)


def table_height(rows: int, most: int = 360) -> int:
    """A dataframe's height in pixels for `rows` rows, at most `most`: a fixed height drew two rules
    over ten empty rows."""
    return min(ROW_PX * (rows + 1) + 3, most)


def config_form(model: str, start: dict[str, Any] | None = None) -> dict[str, Any]:
    """Widgets for the model's config fields, each starting at `start`'s value where it names one (the
    last run's settings) else the default; returns the settings that differ from the defaults."""
    config_class = MODELS[model].config_class
    fields = [f for f in dataclasses.fields(config_class) if f.name not in HIDDEN]
    hints = typing.get_type_hints(config_class)
    defaults = config_class()
    begin = {f.name: (start or {}).get(f.name, getattr(defaults, f.name)) for f in fields}
    main = [f for f in fields if f.name in MAIN]
    rest = [f for f in fields if f.name not in MAIN]
    chosen = {f.name: _widget(f.name, hints[f.name], begin[f.name], model) for f in main}
    if rest:
        with st.expander("More settings"):
            chosen |= {f.name: _widget(f.name, hints[f.name], begin[f.name], model) for f in rest}
    if not fields:
        st.caption("This model has no settings.")
    if chosen.get("auto"):
        st.caption("Settings are chosen on a validation slice within the time budget; the values above are "
                   "where the search starts. The winner is reported with the results.")
    return {k: v for k, v in chosen.items() if v is not None and v != getattr(defaults, k)}


def _widget(name: str, hint: Any, default: Any, model: str) -> Any:
    label, key = MAIN.get(name, name.replace("_", " ").capitalize()), f"setting-{model}-{name}"
    if hint is bool:  # a long label was cut at the form column's width: the rest of what it means is its help
        return st.checkbox(label, value=default, key=key, help=HELP.get(name))
    if hint is int:
        return int(st.number_input(label, min_value=0, value=int(default), step=1, key=key))
    if hint is float:
        return float(st.number_input(label, min_value=0.0, value=float(default), format="%g", key=key))
    if hint is str:
        return st.text_input(label, value=default, key=key)
    return None  # optional or composite settings (e.g. EASE's lambda, chosen on validation) keep their default


def sidebar() -> None:
    """Active dataset and run. The source of truth is a plain session key that pages may set at
    any time; the selectors get their own keys, synced before they are drawn."""
    adopt_finished_run()  # a run this session started, finished while another page was open (before the listing)
    datasets = ws().list_datasets()
    runs = ws().list_runs()
    follow_active_link(datasets, runs)
    names = {d["name"] for d in datasets}
    if st.session_state.get(DATASET_KEY) not in names:  # a new session: the dataset last made active, if
        mark = active_mark(ws().root)  # no run is newer than that (store_active.py)
        if mark is not None and mark.dataset in names and (not runs or mark.at > runs[0].saved_at):
            st.session_state[DATASET_KEY] = mark.dataset
            own = next((r.run_id for r in runs if r.dataset.name == mark.dataset), None)
            if own is not None:
                st.session_state[RUN_KEY] = own
    if runs and RUN_KEY not in st.session_state:  # a new session: the newest run
        st.session_state[RUN_KEY] = runs[0].run_id
    if datasets and st.session_state.get(DATASET_KEY) not in names:  # the run's own dataset beside it, else the newest
        held = next((r.dataset.name for r in runs if r.run_id == st.session_state.get(RUN_KEY)), None)
        st.session_state[DATASET_KEY] = held if held in names else datasets[0]["name"]
    _keep_run_of_dataset(runs)
    with st.sidebar:
        st.markdown("### Active")
        # Picked here, a run brings its dataset and a dataset its newest run: a page reading both (a
        # customer picker from the dataset, lists from the run) never shows one dataset's customer
        # beside another's products.
        dataset_of = {r.run_id: r.dataset.name for r in runs}
        if datasets:
            _synced_select("Dataset", [d["name"] for d in datasets], DATASET_KEY,
                           follow=lambda name: (follow_dataset(name, runs), mark_active(ws().root, name)))
        else:
            st.caption("No dataset yet.")
        if runs:
            labels = {r.run_id: run_label(r) for r in runs}
            _synced_select("Run", list(labels), RUN_KEY, labels.get, placeholder="No run of this dataset yet",
                           follow=lambda run_id: (_follow(DATASET_KEY, dataset_of.get(run_id), names),
                                                  mark_active(ws().root, st.session_state[DATASET_KEY])))
            active = next((r for r in runs if r.run_id == st.session_state.get(RUN_KEY)), None)
            if active is not None:  # the selector is cut at the sidebar's width: the name in full, wrapped
                st.caption(run_label(active, markdown=True))
        else:
            st.caption("No run yet: train one on the Train page.")
        unreadable = ws().unreadable()
        if unreadable:
            st.caption(f"{len(unreadable)} saved entr{'y' if len(unreadable) == 1 else 'ies'} could not be opened "
                       f"and {'is' if len(unreadable) == 1 else 'are'} left out:",
                       help="\n\n".join(escape_markdown(f"{u.name}: {u.reason}") for u in unreadable))


def _keep_run_of_dataset(runs: list[RunInfo]) -> None:
    """The active run is one of the active dataset's (its newest where the one held is another's or
    gone), or none where that dataset has no run yet: a dataset made active by the demo or a save
    left another dataset's run active, and the run's pages showed its products beside the new
    dataset's rules. (A run whose dataset is gone is not listed: Workspace.list_runs counts it
    among the unreadable entries.)"""
    active = next((r for r in runs if r.run_id == st.session_state.get(RUN_KEY)), None)
    dataset = st.session_state.get(DATASET_KEY)
    if active is None or active.dataset.name != dataset:
        st.session_state[RUN_KEY] = next((r.run_id for r in runs if r.dataset.name == dataset), None)


def _synced_select(label: str, options: list[str], state_key: str, format_func=str, follow=None,
                   placeholder: str | None = None) -> None:
    widget_key = f"sidebar-{state_key}"
    st.session_state[widget_key] = st.session_state.get(state_key)  # None: nothing picked, the placeholder shown

    def picked() -> None:
        st.session_state[state_key] = st.session_state[widget_key]
        if follow is not None:
            follow(st.session_state[widget_key])
    st.selectbox(label, options, key=widget_key, format_func=format_func, on_change=picked, placeholder=placeholder)


def _follow(state_key: str, value: str | None, allowed: set[str]) -> None:
    if value in allowed:
        st.session_state[state_key] = value


def follow_dataset(name: str, runs: list[RunInfo]) -> None:
    """A dataset picked: its newest run becomes the active one, where the active run is another
    dataset's (the runs come newest first)."""
    active = next((r for r in runs if r.run_id == st.session_state.get(RUN_KEY)), None)
    if active is not None and active.dataset.name != name:
        _follow(RUN_KEY, next((r.run_id for r in runs if r.dataset.name == name), None), {r.run_id for r in runs})


def run_valid_ndcg(info: RunInfo) -> float | None:
    main = info.main_result
    return main.valid_ndcg if main is not None else None


def run_label(info: RunInfo, markdown: bool = False) -> str:
    """How a run is named: in selectors, short enough for the sidebar ("LightGCN · retail · nDCG 0.090 ·
    02 Dec 13:54"), with the validation score to compare runs on; `markdown`: in full for headers and
    messages, with the dataset's name escaped. The model is named as the run serves it: a run whose
    validation chose a blend is "LightGCN + blend" in a selector, its parts and weights in full (the
    score beside "LightGCN" was the blend's, above the table's LightGCN row)."""
    valid = run_valid_ndcg(info)
    main = info.main_result
    blend = dict(main.blend) if main is not None else {}
    saved = time.strftime("%d %b %H:%M", time.localtime(info.saved_at))
    dataset = escape_markdown(info.dataset.name) if markdown else info.dataset.name
    if not markdown:  # a selector: short enough for the sidebar, the model and dataset first
        made = (LABELS.get(info.model, info.model) + (" + blend" if blend else "")
                + (" (CLI)" if info.made_by == "cli" else ""))  # told apart early
        parts = [made, dataset, f"nDCG {valid:.3f}" if valid is not None else "", saved]
        return " · ".join(part for part in parts if part)
    score = f", validation nDCG {valid:.3f}" if valid is not None else ""
    via = ", from the CLI" if info.made_by == "cli" else ""
    return f"{served_label(info)} on {dataset}{score} ({saved}{via})"












def runs_table(runs: list[RunInfo]) -> pd.DataFrame:
    """Every run by dataset, best validation first within each (two datasets' figures do not compare: a
    groceries run sat above a retail one), named as it serves (its blend's parts); the test score beside
    it as the final figure."""
    frame = pd.DataFrame([{"run": r.run_id, "dataset": r.dataset.name, "model": served_label(r),
                           "made by": r.made_by, "validation nDCG": run_valid_ndcg(r),
                           "test nDCG (final)": r.main_result.ndcg if r.main_result else None} for r in runs])
    return frame.sort_values(["dataset", "validation nDCG"], ascending=[True, False], na_position="last",
                             ignore_index=True) if len(frame) else frame


def need_dataset() -> tuple[str, Dataset]:
    """The active dataset with its user-item graph; the page stops with the way forward without one."""
    return _need(active_dataset)


def need_saved_dataset() -> tuple[str, IngestResult]:
    """need_dataset for the pages that read baskets alone: the cleaned events, no user-item graph
    (a basket list with no customer column has none)."""
    return _need(active_saved)


def _need(load: typing.Callable[[], typing.Any]) -> typing.Any:
    try:
        found = load()
    except GnnrecError as exc:
        st.error(escape_markdown(exc))
        if "the Data page's" in str(exc):  # a mapping to change there (a basket list's customer), not a broken file
            st.page_link(PAGES["data"], label="Map the dataset's columns on the Data page", icon=":material/upload:")
        st.stop()
    if found is None:
        st.info("This page needs a dataset. Load the sample or upload a log on the Data page.")
        st.page_link(PAGES["data"], label="Go to Data", icon=":material/upload:")
        st.stop()
    return found


def need_run(with_vectors: bool = False) -> tuple[str, Run]:
    found = active_run()
    if found is None:
        dataset = st.session_state.get(DATASET_KEY)
        st.info(f"This page needs a trained run, and '{escape_markdown(dataset)}' has none yet. Train one on the Train "
                "page, or pick another dataset's run in the sidebar." if dataset else
                "This page needs a trained run. Train one (one click on the sample) on the Train page.")
        st.page_link(PAGES["train"], label="Go to Train", icon=":material/model_training:")
        st.stop()
    if with_vectors and found[1].model.item_vectors() is None:
        _offer_run_with_vectors(found[1])
    run_dataset(found[1])  # every page of a run reads its dataset beside it: stopped here if replaced
    return found


def _offer_run_with_vectors(run: Run) -> typing.NoReturn:
    """The page stops: the active run has no product vectors (a filter or a baseline). Where the
    same dataset has a GNN run, one click makes it active; a run made by `train --model gfcf` left
    the map a dead end that named no way out."""
    data_saved = float((dataset_meta(run.info.dataset.name) or {}).get("saved_at", 0.0))
    mapped = [r for r in ws().list_runs() if r.dataset.name == run.info.dataset.name and r.model in SPECS
              and SPECS[r.model].is_gnn and r.saved_at >= data_saved]  # not a run of data replaced since
    st.info(f"The active run's model ({escape_markdown(LABELS.get(run.model.name, run.model.name))}) has no "
            "product vectors to map: only the trained GNNs (LightGCN, the feature-aware GCN) place products in a "
            "space. " + ("This dataset has such a run:" if mapped else "Train one on the Train page."))
    if mapped:
        info = mapped[0]  # the newest
        st.button(f"Use {run_label(info, markdown=True)}", key="use-run-with-vectors",
                  on_click=lambda: st.session_state.__setitem__(RUN_KEY, info.run_id))
    else:
        st.page_link(PAGES["train"], label="Go to Train", icon=":material/model_training:")
    st.stop()


def run_dataset(run: Run) -> Dataset:
    """The run's dataset as saved now; the page stops with the reason where it is gone or was replaced
    after the run (the Neighbourhood page drew the old run's neighbours against the new data's baskets)."""
    problem = dataset_problem(run)
    if problem is not None:
        st.error(problem)
        st.stop()
    return load_dataset(run.info.dataset.name, dataset_meta(run.info.dataset.name)["saved_at"])


def dataset_problem(run: Run) -> str | None:
    """Why the run's dataset cannot be read beside it (gone, or replaced after the run), else None."""
    name = run.info.dataset.name
    meta = dataset_meta(name)
    if meta is None:
        return f"The run's dataset '{escape_markdown(name)}' is no longer in the workspace."
    try:
        items = list(map(str, load_dataset(name, meta["saved_at"]).interactions.items))
    except GnnrecError:  # replaced by data with no customer graph (a basket list): a traceback on every page
        items = None
    if items != list(map(str, run.items)):
        return f"The dataset '{escape_markdown(name)}' was replaced after this run was trained; train a new run on it."
    return None


def chart(fig, data: pd.DataFrame | None, name: str, key: str | None = None, **kwargs) -> Any:
    """A plotly chart with PNG download (the chart's camera button) and a CSV of its data."""
    config = {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}, "displaylogo": False}
    event = st.plotly_chart(fig, config=config, key=key, **kwargs)
    if data is not None:
        st.download_button("Download data (CSV)", csv_bytes(data), f"{name}.csv", "text/csv",
                           key=f"csv-{key or name}")
    return event



def thin_anchor_warning(buyers: int, log: LogWords, where: Any = st) -> None:
    """A product's list resting on fewer than THIN buyers, said as `similar` says it (Associations,
    Neighbourhood), in the log's words; nothing for a product with enough."""
    words = thin_anchor_words(buyers, log)
    if words:
        where.warning(escape_markdown(words[0].upper() + words[1:] + "."))
