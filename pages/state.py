"""Dashboard state: the workspace, the session keys that say what is active, and cached loaders
keyed by dataset name / run id. No ML logic: every loader is a call into gnnrec_core."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    THIN,
    BasketStats,
    Dataset,
    GnnrecError,
    IngestResult,
    Run,
    Workspace,
    basket_stats,
    ingest,
    item_buyers,
    item_facts,
    laid_out_points,
    map_points,
    pca_2d,
    placed_beside,
    prepare,
    product_label,
    refit_on_everything,
    umap_2d,
)
from gnnrec_core.data.log_words import PURCHASES, LogWords, log_words
from gnnrec_core.data.mapping import ColumnMapping

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
SAMPLE_NAME = "Online Retail sample"
# Session keys: pages set them at any time; the sidebar and the pages' selectors follow them.
DATASET_KEY, RUN_KEY, JOB_KEY, PRODUCT_KEY = "active_dataset", "active_run", "training_job", "active_product"


@st.cache_resource
def workspace(root: str | None = None) -> Workspace:
    return Workspace(root or os.environ.get("GNNREC_WORKSPACE", ROOT / "workspace"))


def ws() -> Workspace:
    """The workspace; one that cannot be opened for writing (read-only, full) is opened read-only,
    saving nothing and saying why (`Workspace.problem`), so that every page keeps working."""
    root = os.environ.get("GNNREC_WORKSPACE")
    try:
        return workspace(root)  # a failure is not cached: the next call tries again
    except GnnrecError as exc:
        return Workspace.read_only(root or ROOT / "workspace", str(exc))


SAMPLE_PROBLEM = "sample_problem"  # session key: why the sample could not be saved (tried once per session)


def ensure_sample() -> None:
    """A fresh checkout opens with the bundled sample ingested and ready to train. A workspace that
    cannot be written is said at the top of every page, and the pages go on."""
    store = ws()
    if store.problem is not None:
        st.error(store.problem)
        return
    if store.list_datasets() or store.has_dataset(SAMPLE_NAME):
        return
    problem = st.session_state.get(SAMPLE_PROBLEM)
    if problem is None:  # tried once per session: a workspace that refused it is not asked again
        try:
            store.save_dataset(SAMPLE_NAME, ingest(SAMPLE, drop_non_products=True), source=SAMPLE.name)
            return
        except GnnrecError as exc:
            problem = st.session_state[SAMPLE_PROBLEM] = str(exc)
    st.error(problem)


def sample_dataset() -> str:
    """The name the bundled sample is saved under: SAMPLE_NAME where that entry came from the sample's
    file, else the entry of the same content (the CLI's `train` names it by the file); saved now
    (under SAMPLE_NAME, or SAMPLE_NAME-2 where that name holds other data) when neither exists."""
    meta = dataset_meta(SAMPLE_NAME)
    if meta is not None and meta.get("source") == SAMPLE.name:  # a person's own data saved under the sample's
        return SAMPLE_NAME  # name trained as the demo: keep_dataset finds (or saves, as "... sample-2") the sample
    return ws().keep_dataset(SAMPLE_NAME, ingest(SAMPLE, drop_non_products=True), source=SAMPLE.name).name


@st.cache_resource(show_spinner="Reading the dataset...", max_entries=8)
def load_saved(name: str, saved_at: float) -> IngestResult:
    """A saved dataset as cleaned, without the user-item graph: what the basket pages (Associations,
    Compare's periods, segments and datasets) read. A basket list with no customer column has
    baskets and no graph: through load_dataset those pages stopped on "expected events with a user
    column", where the Data page had said association rules work."""
    return ws().load_dataset(name)


@st.cache_resource(show_spinner="Preparing the dataset...", max_entries=8)
def load_dataset(name: str, saved_at: float) -> Dataset:
    return prepare(load_saved(name, saved_at))


@st.cache_resource(show_spinner="Loading the run...", max_entries=8)
def load_run(run_id: str) -> Run:
    return ws().load_run(run_id)


@st.cache_resource(show_spinner="Counting baskets...", max_entries=8)
def run_basket_stats(run_id: str) -> BasketStats:
    run = load_run(run_id)
    dataset = ws().load_dataset(run.info.dataset.name)
    return basket_stats(dataset.events, {str(item): i for i, item in enumerate(run.items)})


@st.cache_resource(show_spinner="Fitting the comparison model on every interaction...", max_entries=8)
def side_model(dataset_name: str, saved_at: float, model: str, chosen: tuple[tuple[str, Any], ...] = (),
               seed: int = 0):
    """`model` on every interaction at the settings `chosen` on the run's validation (a tuple, so
    the cache keys on it): the model the run's table scored, without its search; and the sentence
    where a setting could not carry over (BSPM's exact form past its work bound), else None."""
    data = load_dataset(dataset_name, saved_at)
    return refit_on_everything(model, data, dict(chosen), seed=seed)


@st.cache_data(show_spinner=False, max_entries=32)
def layout(run_id: str, method: str, n_neighbors: int, min_dist: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The map's layout: the items laid_out_points picks (the well-evidenced ones) and their 2-D
    coordinates. Cached apart from the thin products' places, so showing those computes no UMAP."""
    model = load_run(run_id).model
    rows = laid_out_points(item_buyers(model), limit, THIN)
    vectors = model.item_vectors()[rows]
    return rows, pca_2d(vectors) if method == "PCA" else umap_2d(vectors, n_neighbors, min_dist)


@st.cache_data(show_spinner=False, max_entries=32)  # placing 30,000 thin products beside 20,000 takes seconds
def projection(run_id: str, method: str, n_neighbors: int = 15, min_dist: float = 0.1,
               limit: int = 10**9, min_buyers: int = 0) -> np.ndarray:
    """2-D coordinates of the items map_points(buyers, limit, min_buyers) picks, in that order: the
    layout's items where it placed them, the others beside their most similar ones."""
    model = load_run(run_id).model
    picked = map_points(item_buyers(model), limit, min_buyers)
    rows, xy = layout(run_id, method, n_neighbors, min_dist, limit)
    position = np.searchsorted(picked, rows)  # both in index order; every laid-out item is picked
    return placed_beside(model.item_vectors()[picked], position, xy)


def dataset_meta(name: str) -> dict[str, Any] | None:
    return next((d for d in ws().list_datasets() if d["name"] == name), None)


def run_words(run: Run) -> LogWords:
    """What the run's data records (purchases, ratings, visits), in the words every list uses; a run
    whose dataset is gone keeps the product's own words."""
    meta = dataset_meta(run.info.dataset.name)
    return log_words(ColumnMapping(**meta["mapping"])) if meta else PURCHASES


def active_dataset() -> tuple[str, Dataset] | None:
    name = st.session_state.get(DATASET_KEY)
    meta = dataset_meta(name) if name else None
    if meta is None:
        return None
    return name, load_dataset(name, meta["saved_at"])


def active_saved() -> tuple[str, IngestResult] | None:
    """The active dataset as cleaned (load_saved), for the pages that read baskets alone."""
    name = st.session_state.get(DATASET_KEY)
    meta = dataset_meta(name) if name else None
    return None if meta is None else (name, load_saved(name, meta["saved_at"]))


def active_run() -> tuple[str, Run] | None:
    run_id = st.session_state.get(RUN_KEY)
    if not run_id or not any(r.run_id == run_id for r in ws().list_runs()):
        return None
    return run_id, load_run(run_id)


def item_labels(items: np.ndarray, catalogue: pd.DataFrame) -> list[str]:
    """'NAME (code)' for selectors; names alone repeat across codes in real catalogues."""
    names = catalogue["name"].reindex([str(i) for i in items]).fillna(pd.Series([str(i) for i in items],
                                                                                index=[str(i) for i in items]))
    return [product_label(name, code) for name, code in zip(names, items)]


@st.cache_data(show_spinner=False, max_entries=8)
def run_items(run_id: str) -> pd.DataFrame:
    """One row per item of a run, in the run's index order: code, name, category, price, buyers, sales."""
    run = load_run(run_id)
    return item_facts(run.model, run.items, ws().load_dataset(run.info.dataset.name))


@st.cache_resource(show_spinner=False, max_entries=4)
def featurizer_for(run_id: str):
    """The feature transform a run's feature GCN was trained with, rebuilt from its dataset."""
    from gnnrec_core import fit_featurizer

    run = load_run(run_id)
    return fit_featurizer(ws().load_dataset(run.info.dataset.name).catalogue, run.items)


def search_example(items) -> str:
    """A search box's example from the run's own products: a word of its best seller's name and its
    code ("garden party, or 85123A" named retail products on a grocery or film log)."""
    top = items.sort_values("buyers", ascending=False).iloc[0] if len(items) else None
    if top is None:
        return ""
    code, name = str(top["item"]), str(top["name"] or "")
    word = next((w.lower() for w in name.split() if len(w) > 3 and w.isalpha()), "") if name != code else ""
    return f"e.g. {word}, or {code}" if word else f"e.g. {code}"
