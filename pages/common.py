"""Streamlit glue shared by the pages: the workspace, cached loaders keyed by dataset/run id,
session keys, the sidebar, guard clauses, chart downloads and background training jobs.
No ML logic lives here: everything is a call into gnnrec_core.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    BasketStats,
    Cancelled,
    Dataset,
    ExperimentConfig,
    GnnrecError,
    Run,
    Workspace,
    basket_stats,
    clusters,
    ingest,
    make_model,
    map_sample,
    pca_2d,
    prepare,
    train_and_save,
    umap_2d,
)
from pages.routes import PAGES  # noqa: F401  (re-exported for the pages)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
SAMPLE_NAME = "Online Retail sample"
DATASET_KEY, RUN_KEY, JOB_KEY, PRODUCT_KEY = "active_dataset", "active_run", "training_job", "active_product"



# -- workspace and cached loaders ------------------------------------------------------------
@st.cache_resource
def workspace(root: str | None = None) -> Workspace:
    return Workspace(root or os.environ.get("GNNREC_WORKSPACE", ROOT / "workspace"))


def ws() -> Workspace:
    return workspace(os.environ.get("GNNREC_WORKSPACE"))


def ensure_sample() -> None:
    """A fresh checkout opens with the bundled sample ingested and ready to train."""
    if not ws().list_datasets():
        result = ingest(SAMPLE, drop_non_products=True)
        ws().save_dataset(SAMPLE_NAME, result, source=SAMPLE.name)


@st.cache_resource(show_spinner="Preparing the dataset...", max_entries=8)
def load_dataset(name: str, saved_at: float) -> Dataset:
    return prepare(ws().load_dataset(name))


@st.cache_resource(show_spinner="Loading the run...", max_entries=8)
def load_run(run_id: str) -> Run:
    return ws().load_run(run_id)


@st.cache_resource(show_spinner="Counting baskets...", max_entries=8)
def run_basket_stats(run_id: str) -> BasketStats:
    run = load_run(run_id)
    dataset = ws().load_dataset(run.info["dataset"])
    return basket_stats(dataset.events, {str(item): i for i, item in enumerate(run.items)})


@st.cache_resource(show_spinner="Fitting the comparison model...", max_entries=8)
def side_model(dataset_name: str, saved_at: float, model: str):
    data = load_dataset(dataset_name, saved_at)
    return make_model(model, data).fit(data.interactions.matrix())


@st.cache_data(show_spinner=False, max_entries=32)
def projection(run_id: str, method: str, n_neighbors: int = 15, min_dist: float = 0.1,
               limit: int | None = None) -> np.ndarray:
    """2-D coordinates of the items map_sample(buyers, limit) picks, in that order."""
    model = load_run(run_id).model
    vectors = model.item_vectors()
    if limit is not None:
        vectors = vectors[map_sample(np.diff(model.train_.tocsc().indptr), limit)]
    return pca_2d(vectors) if method == "PCA" else umap_2d(vectors, n_neighbors, min_dist)


@st.cache_data(show_spinner=False, max_entries=16)
def item_clusters(run_id: str, n: int) -> np.ndarray:
    return clusters(load_run(run_id).model.item_vectors(), n)


def dataset_meta(name: str) -> dict[str, Any] | None:
    return next((d for d in ws().list_datasets() if d["name"] == name), None)


def active_dataset() -> tuple[str, Dataset] | None:
    name = st.session_state.get(DATASET_KEY)
    meta = dataset_meta(name) if name else None
    if meta is None:
        return None
    return name, load_dataset(name, meta["saved_at"])


def active_run() -> tuple[str, Run] | None:
    run_id = st.session_state.get(RUN_KEY)
    if not run_id or not any(r.get("run_id") == run_id for r in ws().list_runs()):
        return None
    return run_id, load_run(run_id)


def item_labels(items: np.ndarray, catalogue: pd.DataFrame) -> list[str]:
    """'NAME (code)' for selectors; names alone repeat across codes in real catalogues."""
    names = catalogue["name"].reindex([str(i) for i in items]).fillna(pd.Series([str(i) for i in items],
                                                                                index=[str(i) for i in items]))
    return [f"{name} ({code})" if str(name) != str(code) else str(code) for name, code in zip(names, items)]


# -- layout helpers --------------------------------------------------------------------------
def sidebar() -> None:
    """Active dataset and run. The source of truth is a plain session key that pages may set at
    any time; the selectors get their own keys, synced before they are drawn."""
    datasets = ws().list_datasets()
    if datasets and st.session_state.get(DATASET_KEY) not in {d["name"] for d in datasets}:
        st.session_state[DATASET_KEY] = datasets[0]["name"]
    runs = ws().list_runs()
    if runs and st.session_state.get(RUN_KEY) not in {r["run_id"] for r in runs}:
        st.session_state[RUN_KEY] = runs[0]["run_id"]
    with st.sidebar:
        st.markdown("### Active")
        if datasets:
            _synced_select("Dataset", [d["name"] for d in datasets], DATASET_KEY)
        else:
            st.caption("No dataset yet.")
        if runs:
            labels = {r["run_id"]: run_label(r) for r in runs}
            _synced_select("Run", list(labels), RUN_KEY, labels.get)
        else:
            st.caption("No run yet: train one on the Train page.")


def _synced_select(label: str, options: list[str], state_key: str, format_func=str) -> None:
    widget_key = f"sidebar-{state_key}"
    st.session_state[widget_key] = st.session_state[state_key]
    st.selectbox(label, options, key=widget_key, format_func=format_func,
                 on_change=lambda: st.session_state.update({state_key: st.session_state[widget_key]}))


def run_label(info: dict[str, Any]) -> str:
    main = next((r for r in info.get("results", []) if r["model"] == info.get("model")), None)
    score = f", nDCG {main['ndcg']:.3f}" if main else ""
    saved = time.strftime("%d %b %H:%M", time.localtime(info.get("saved_at", 0)))
    return f"{info.get('model')} on {info.get('dataset')}{score} ({saved})"


def need_dataset() -> tuple[str, Dataset]:
    try:
        found = active_dataset()
    except GnnrecError as exc:
        st.error(str(exc))
        st.stop()
    if found is None:
        st.info("This page needs a dataset. Load the sample or upload a log on the Data page.")
        st.page_link(PAGES["data"], label="Go to Data", icon=":material/upload:")
        st.stop()
    return found


def need_run(with_vectors: bool = False) -> tuple[str, Run]:
    found = active_run()
    if found is None:
        st.info("This page needs a trained run. Train one (one click on the sample) on the Train page.")
        st.page_link(PAGES["train"], label="Go to Train", icon=":material/model_training:")
        st.stop()
    if with_vectors and found[1].model.item_vectors() is None:
        st.info(f"The active run's model ({found[1].model.name}) has no item embeddings to map. "
                "Pick or train a LightGCN or feature GCN run.")
        st.stop()
    return found


def chart(fig, data: pd.DataFrame | None, name: str, key: str | None = None, **kwargs) -> Any:
    """A plotly chart with PNG download (the chart's camera button) and a CSV of its data."""
    config = {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}, "displaylogo": False}
    event = st.plotly_chart(fig, config=config, key=key, **kwargs)
    if data is not None:
        st.download_button("Download data (CSV)", csv_bytes(data), f"{name}.csv", "text/csv",
                           key=f"csv-{key or name}")
    return event


def csv_bytes(frame: pd.DataFrame) -> bytes:
    from gnnrec_core import neutralised

    return neutralised(frame).to_csv(index=False).encode()


# -- background training -----------------------------------------------------------------------
@dataclass
class Job:
    id: str
    dataset: str
    config: ExperimentConfig
    status: str = "running"  # running, done, failed, cancelled
    stage: str = "starting"
    history: list[dict[str, Any]] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    run_id: str | None = None
    started: float = field(default_factory=time.time)
    model_index: int = 0  # which of the run's models is fitting, for the overall progress
    model_total: int = 1
    cancel: threading.Event = field(default_factory=threading.Event)


@st.cache_resource
def jobs() -> dict[str, Job]:
    return {}


def start_training(dataset_name: str, data: Dataset, config: ExperimentConfig) -> Job:
    """Train in a thread so the page stays live; the run is saved only when it completes."""
    job = Job(uuid.uuid4().hex[:8], dataset_name, config)
    jobs()[job.id] = job
    workspace_ = ws()

    def progress(event: dict[str, Any]) -> bool:
        if event.get("stage") != "search":
            job.stage = event.get("stage", job.stage)
        if "index" in event:
            job.model_index, job.model_total = event["index"], event["total"]
        job.last = event
        if "epoch" in event:
            # A new list, never one changed in place: the page reads it from another thread.
            # The search moving to another configuration starts a new curve.
            restart = bool(job.history) and event["epoch"] <= job.history[-1]["epoch"]
            job.history = [event] if restart else [*job.history, event]
        return not job.cancel.is_set()

    def work() -> None:
        try:
            job.run_id = train_and_save(workspace_, dataset_name, data, config, progress)
            job.status = "done"
        except Cancelled as exc:
            job.status, job.error = "cancelled", str(exc)
        except GnnrecError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # shown as one line on the page; never a traceback
            job.status, job.error = "failed", f"unexpected failure: {type(exc).__name__}: {exc}"

    threading.Thread(target=work, name=f"train-{job.id}", daemon=True).start()
    return job


@st.cache_data(show_spinner=False, max_entries=8)
def run_items(run_id: str) -> pd.DataFrame:
    """One row per item of a run, in the run's index order: code, name, category, price, buyers, sales."""
    run = load_run(run_id)
    dataset = ws().load_dataset(run.info["dataset"])
    codes = [str(i) for i in run.items]
    table = dataset.catalogue.reindex(codes)
    events = dataset.events
    sales = (events.assign(q=events["quantity"].fillna(1)).groupby("item")["q"].sum()
             if events["quantity"].notna().any() else events.groupby("item").size())
    frame = pd.DataFrame({"item": codes, "name": table["name"].fillna(pd.Series(codes, index=codes)).values,
                          "category": table["category"].values, "price": table["price"].values,
                          "buyers": np.diff(run.model.train_.tocsc().indptr),
                          "sales": sales.reindex(codes).fillna(0).values})
    return frame


@st.cache_resource(show_spinner=False, max_entries=4)
def featurizer_for(run_id: str):
    """The feature transform a run's feature GCN was trained with, rebuilt from its dataset."""
    from gnnrec_core import fit_featurizer

    run = load_run(run_id)
    return fit_featurizer(ws().load_dataset(run.info["dataset"]).catalogue, run.items)
