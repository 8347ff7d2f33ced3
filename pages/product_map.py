"""Product map: a 2-D projection of the run's item embeddings. PCA is drawn at once; UMAP
replaces it when computed (cached per run and parameters)."""

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    cluster_centres,
    cluster_labels,
    env_name,
    find_products,
    limits,
    map_sample,
    product_map,
    text_encoder_note,
)
from gnnrec_core.serving.safe_text import escape_markdown
from pages.routes import PAGES
from pages.state import PRODUCT_KEY, item_clusters, projection, run_items
from pages.widgets import chart, need_run

st.title("Product map")
run_id, run = need_run(with_vectors=True)
items = run_items(run_id)

controls = st.columns([1, 1, 1, 2])
method = controls[0].radio("Projection", ["UMAP", "PCA"], horizontal=True)
colour_options = ["cluster", "popularity", "price band"] + (["category"] if items["category"].notna().any() else [])
colour = controls[1].selectbox("Colour by", colour_options)
neighbours = controls[2].slider("UMAP neighbours", 5, 50, 15, disabled=method == "PCA")
query = controls[3].text_input("Find products (name, code or meaning)", placeholder="e.g. garden party, or 85123A")

cap = limits().map_points
shown = map_sample(items["buyers"].to_numpy(), cap)
if len(shown) < len(items):
    st.info(f"Showing the {cap:,} most-bought of {len(items):,} products: more would make the map slow to draw "
            f"and UMAP slow to compute (raise {env_name('map_points')} to draw more).")
points = items.iloc[shown].reset_index(drop=True)
cluster_ids = item_clusters(run_id, 12)[shown]
words = cluster_labels(points["name"], cluster_ids)  # a few words per cluster, from its products' names
points["cluster"] = [f"{c + 1:02d} {words.get(int(c), '')}".strip() for c in cluster_ids]
points["popularity"] = np.log1p(points["buyers"])
prices = pd.to_numeric(points["price"], errors="coerce")
bands = pd.qcut(prices.rank(method="first"), 4, labels=["low", "mid", "high",
                                                        "premium"]) if prices.notna().sum() >= 4 else None
points["price band"] = (bands.astype(object).where(prices.notna(), "unknown") if bands is not None else "unknown")
points["category"] = points["category"].fillna("uncategorised").astype(str)
points["size"] = points["sales"].clip(lower=0)
points["hover"] = (points["item"] + " · " + points["buyers"].astype(str) + " buyers · sales "
                   + points["sales"].round().astype(int).astype(str)
                   + np.where(prices.notna(), " · £" + prices.round(2).astype(str), ""))
highlight = []
if query.strip():
    hits = find_products(query, points["name"], points["item"], k=10)
    contains = hits[hits["match"] == "name contains"]
    meaning = hits[hits["match"] == "close in meaning"]
    highlight = contains["position"].head(25).tolist() + meaning["position"].tolist()
    st.caption(f"{len(contains):,} products match '{escape_markdown(query)}'"
               + (" (first 25 highlighted)" if len(contains) > 25 else "")
               + (f"; ringed too, the {len(meaning)} closest in meaning: "
                  + ", ".join(escape_markdown(n) for n in meaning["name"].head(5)) + "..." if len(meaning) else ""))
    if text_encoder_note():
        st.caption(text_encoder_note())

placeholder = st.empty()
pca = projection(run_id, "PCA", limit=cap)
points[["x", "y"]] = pca
with placeholder.container():
    chart(product_map(points, colour, highlight, "PCA (UMAP computing...)" if method == "UMAP" else "PCA"),
          None, "product_map_pca", key="map-pca")
if method == "UMAP":
    with st.spinner("Computing UMAP (the first time takes longer)..."):
        points[["x", "y"]] = projection(run_id, "UMAP", neighbours, limit=cap)
    placeholder.empty()
export = points[["item", "name", "category", "price", "buyers", "sales", "x", "y"]].assign(colour=points[colour])
centres = cluster_centres(points, cluster_ids)  # each cluster's words drawn at its middle
labels = centres.assign(text=[words.get(int(c), "") for c in centres.index])
event = chart(product_map(points, colour, highlight, f"{method} of {len(points):,} products", labels), export,
              f"product_map_{method.lower()}", key=f"map-{method}", on_select="rerun",
              selection_mode=("points", "box", "lasso"))

selected = sorted({int(p["customdata"][0]) for p in (event.selection.points if event else []) if p.get("customdata")})
if selected:
    st.subheader(f"{len(selected):,} selected products")
    chosen = points.loc[selected, ["item", "name", "category", "price", "buyers", "sales"]]
    st.dataframe(chosen, hide_index=True)
    target = st.selectbox("Open the neighbourhood of", selected,
                          format_func=lambda i: f"{points.at[i, 'name']} ({points.at[i, 'item']})")
    if st.button("Open neighbourhood", icon=":material/hub:"):
        st.session_state[PRODUCT_KEY] = points.at[target, "item"]
        st.switch_page(PAGES["neighbourhood"])
else:
    st.caption("Click a product, or draw a box or lasso, to list products and open a neighbourhood.")
