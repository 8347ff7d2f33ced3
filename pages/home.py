"""Overview: what gnnrec does, and the one-click demo on the bundled sample."""

import streamlit as st

from gnnrec_core import ExperimentConfig, GnnrecError
from gnnrec_core.serving.safe_text import escape_markdown
from pages.jobs import jobs, start_training
from pages.routes import PAGES
from pages.state import DATASET_KEY, JOB_KEY, SAMPLE_NAME, dataset_meta, load_dataset, sample_dataset, ws

st.title("Product associations, learned from the purchase graph")
st.markdown(
    "gnnrec trains a graph neural network on who bought what, and sets it beside strong classical "
    "baselines on the same split, so every claim is measured. Explore a **map of products**, the "
    "**neighbourhood** of any product, and **recommendations** for any customer, each with its reason.")

runs = ws().list_runs()
job = jobs().get(st.session_state.get(JOB_KEY, ""))
left, right = st.columns([2, 3])
with left:
    st.subheader("Demo in one click")
    st.caption(f"Trains LightGCN beside four baselines and four closed-form graph filters on the bundled sample "
               f"({SAMPLE_NAME}: a UK gift retailer, 1 December 2010 to 10 January 2011). About 20 s "
               "on two quiet CPU cores (the GNN's settings search included); the Train page shows the time left.")
    busy = job is not None and job.status == "running"
    if st.button("Train the demo", type="primary", disabled=busy, icon=":material/play_arrow:"):
        try:
            name = sample_dataset()  # also when the CLI saved it under its file's name
        except GnnrecError as exc:
            st.error(escape_markdown(exc))
            st.stop()
        data = load_dataset(name, dataset_meta(name)["saved_at"])
        st.session_state[DATASET_KEY] = name
        st.session_state[JOB_KEY] = start_training(name, data, ExperimentConfig()).id
        st.switch_page(PAGES["train"])
with right:
    st.subheader("Where to go")
    st.page_link(PAGES["data"], label="Data: upload a log, map its columns, read the cleaning report",
                 icon=":material/upload:")
    st.page_link(PAGES["train"], label="Train: GNN beside baselines, live progress, honest table",
                 icon=":material/model_training:")
    st.page_link(PAGES["associations"], label="Associations: rules, and bought together against similar",
                 icon=":material/shopping_basket:")
    st.page_link(PAGES["map"], label="Product map: UMAP of what the model learned", icon=":material/scatter_plot:")
    st.page_link(PAGES["neighbourhood"], label="Neighbourhood: similar vs bought together", icon=":material/hub:")
    st.page_link(PAGES["recommend"], label="Recommendations: per customer, with reasons", icon=":material/recommend:")
    st.page_link(PAGES["compare"], label="Compare: two runs, two datasets, two periods or two segments",
                 icon=":material/compare_arrows:")

st.divider()
c1, c2 = st.columns(2)
c1.metric("Saved datasets", len(ws().list_datasets()))
c2.metric("Saved runs", len(runs))
