"""Product map: a 2-D projection of the run's item embeddings. PCA is drawn at once; UMAP
replaces it when computed (cached per run and parameters)."""

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    MIN_LAID_OUT,
    THIN,
    cluster_centres,
    env_name,
    find_products,
    limits,
    map_points,
    map_regions,
    place_labels,
    product_map,
    region_labels,
    text_encoder_note,
    umap_seconds,
)
from gnnrec_core.data.log_words import PURCHASES
from gnnrec_core.serving.merchandising import MULTI_SEPARATOR, first_categories
from gnnrec_core.serving.safe_text import escape_markdown
from pages.routes import PAGES
from pages.state import PRODUCT_KEY, product_label, projection, run_items, run_words, search_example
from pages.widgets import chart, need_run

st.title("Product map")
run_id, run = need_run(with_vectors=True)
items = run_items(run_id)
words = run_words(run)  # what the log records: raters of a ratings log

controls = st.columns([1, 1, 1, 2])
method = controls[0].radio("Projection", ["UMAP", "PCA"], horizontal=True)
priced = "price" in items and int(pd.to_numeric(items["price"], errors="coerce").notna().sum()) >= 4  # 4 bands
colour_options = ["cluster", "popularity", *(["price band"] if priced else []),
                  *(["category"] if items["category"].notna().any() else [])]
colour = controls[1].selectbox("Colour by", colour_options)
neighbours = controls[2].slider("UMAP neighbours", 5, 50, 15, disabled=method == "PCA")
query = controls[3].text_input("Find products (name, code or meaning)", placeholder=search_example(items))

cap = limits().map_points
buyers = items["buyers"].to_numpy()
thin_count = int((buyers < THIN).sum())
# Below MIN_LAID_OUT well-evidenced products, all are drawn and laid out (thin ones in grey).
include_thin = thin_count == 0 or len(items) - thin_count < MIN_LAID_OUT or st.toggle(
    f"Show the {thin_count:,} products with fewer than {THIN} {words.buyers} (in grey)", value=False,
    help=f"A product {words.bought} by a handful of customers gets an embedding from those few: its place on "
         "the map is mostly noise, and hundreds of them turn a sparse catalogue's map into one blob. Shown, "
         "each sits beside the product it is most like among those known from many customers; the map and its "
         "regions stay as they are.")
min_buyers = 0 if include_thin else THIN
shown = map_points(buyers, cap, min_buyers)
if not include_thin:
    st.caption(f"{thin_count:,} of the run's {len(items):,} products (those {words.bought} by a known customer) have "
               f"fewer than {THIN} {words.buyers} and are left out: their places would be noise. The toggle draws "
               "them in grey.")
elif thin_count and len(items) - thin_count < MIN_LAID_OUT:
    st.caption(f"{thin_count:,} of {len(items):,} products have fewer than {THIN} {words.buyers} (grey): too few are "
               "well evidenced to leave the rest out, so read their places loosely.")
if len(shown) < int((buyers >= min_buyers).sum()):
    st.info(f"Showing the {cap:,} most-bought of {int((buyers >= min_buyers).sum()):,} products: more would make "
            f"the map slow to draw and UMAP slow to compute (raise {env_name('map_points')} to draw more).")
points = items.iloc[shown].reset_index(drop=True)
thin = points["buyers"].to_numpy() < THIN
categories = points["category"].copy()  # before "uncategorised" fills the gaps: no region is named by it
multi = categories.dropna().astype(str).str.contains(MULTI_SEPARATOR, regex=False).any()
if multi:  # a region of films named by a genre, not by its best seller ("07 First Secret Life (1934)")
    categories = first_categories(categories)


@st.cache_data(show_spinner=False, max_entries=16)
def regions_of(xy: np.ndarray, well: np.ndarray) -> np.ndarray:
    """map_regions, once per drawn map (a search or a click reruns the page; k-means took 1-3 s on a busy
    2-core machine)."""
    return map_regions(xy, well, 12)


def name_regions(xy: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    """Regions of the map as drawn, each named by its category, its products' words or its best seller
    (`cluster` colour; serving.search.region_labels)."""
    regions = regions_of(np.asarray(xy, np.float64), ~thin)
    named = ~thin if (~thin).sum() >= MIN_LAID_OUT else np.ones(len(thin), bool)  # the thin shown change no name
    words = region_labels(points["name"][named], regions[named], points["buyers"].to_numpy()[named],
                          categories[named])
    points["cluster"] = [f"{c + 1:02d} {words.get(int(c), '')}".strip() for c in regions]
    return regions, words


points["muted"] = thin
points["popularity"] = np.log1p(points["buyers"])
prices = pd.to_numeric(points["price"], errors="coerce")
bands = pd.qcut(prices.rank(method="first"), 4, labels=["low", "mid", "high",
                                                        "premium"]) if prices.notna().sum() >= 4 else None
points["price band"] = (bands.astype(object).where(prices.notna(), "unknown") if bands is not None else "unknown")
points["category"] = points["category"].fillna("uncategorised").astype(str)
if colour == "category" and multi:
    # "Comedy|Romance" coloured as its first, Comedy: 806 whole labels of films, twelve hues shared among them
    colour = "first category"
    points[colour] = categories.fillna("uncategorised")
points["size"] = points["sales"].clip(lower=0)
points["hover"] = (points["item"] + " · " + points["buyers"].astype(str) + f" {words.buyers}"
                   + (" · sales " + points["sales"].round().astype(int).astype(str) if words == PURCHASES else "")
                   + np.where(prices.notna(), " · £" + prices.round(2).astype(str), ""))
highlight = []
if query.strip():
    hits = find_products(query, points["name"], points["item"], k=10, categories=points["category"])
    contains = hits[hits["match"] == "name contains"]
    filed = hits[hits["match"] == "in a category"]
    meaning = hits[hits["match"] == "close in meaning"]
    highlight = (contains["position"].head(25).tolist() + filed["position"].head(max(0, 25 - len(contains))).tolist()
                 + meaning["position"].tolist())
    st.caption(f"{len(contains):,} {'product matches' if len(contains) == 1 else 'products match'} "
               f"'{escape_markdown(query)}'"
               + (f", {len(filed):,} more in a category named so" if len(filed) else "")
               + (" (first 25 highlighted)" if len(contains) + len(filed) > 25 else "")
               + (f"; ringed too, the {len(meaning)} closest in meaning: "
                  + ", ".join(escape_markdown(n) for n in meaning["name"].head(5)) + "..." if len(meaning) else ""))
    if not include_thin:  # "0 products match" of a product the Neighbourhood page shows: it was only hidden
        hidden = items[items["buyers"] < THIN]
        also = int((find_products(query, hidden["name"], hidden["item"], k=0)["match"] == "name contains").sum())
        if also:
            st.caption(f"{also:,} more {'matches' if also == 1 else 'match'} among the products with fewer than "
                       f"{THIN} {words.buyers}, left out of the map: the toggle above draws them.")
    if text_encoder_note():
        st.caption(text_encoder_note())

pca = projection(run_id, "PCA", limit=cap, min_buyers=min_buyers)
points[["x", "y"]] = pca
cluster_ids, words = name_regions(pca)
if method == "UMAP":  # PCA drawn while UMAP computes, then taken away (drawn for PCA itself it was there twice)
    placeholder = st.empty()
    with placeholder.container():
        chart(product_map(points, colour, highlight, "PCA (UMAP computing...)",
                          muted_label=f"fewer than {THIN} buyers"), None, "product_map_pca", key="map-pca")
    with st.spinner(f"Computing UMAP of {len(points):,} products: about {umap_seconds(len(points)):.0f} s the first "
                    "time (once per run and setting); the PCA map above meanwhile..."):
        points[["x", "y"]] = projection(run_id, "UMAP", neighbours, limit=cap, min_buyers=min_buyers)
        cluster_ids, words = name_regions(points[["x", "y"]].to_numpy())
    placeholder.empty()
export = points[["item", "name", "category", "price", "buyers", "sales", "x", "y"]].assign(colour=points[colour])
well = ~thin  # a cluster's words sit at the middle of its well-evidenced products, largest cluster first
centres = cluster_centres(points[well], cluster_ids[well])
centres = centres.loc[pd.Series(cluster_ids[well]).value_counts().index.intersection(centres.index)]
labels = place_labels(centres, pd.Series(words))
event = chart(product_map(points, colour, highlight, f"{method} of {len(points):,} products", labels,
                          muted_label=f"fewer than {THIN} buyers"), export,
              f"product_map_{method.lower()}", key=f"map-{method}", on_select="rerun",
              selection_mode=("points", "box", "lasso"))

selected = sorted({int(p["customdata"][0]) for p in (event.selection.points if event else []) if p.get("customdata")})
if selected:
    st.subheader(f"{len(selected):,} selected products")
    chosen = points.loc[selected, ["item", "name", "category", "price", "buyers", "sales"]]
    st.dataframe(chosen, hide_index=True)
    target = st.selectbox("Open the neighbourhood of", selected,
                          format_func=lambda i: product_label(points.at[i, 'name'], points.at[i, 'item']))
    if st.button("Open neighbourhood", icon=":material/hub:"):
        st.session_state[PRODUCT_KEY] = points.at[target, "item"]
        st.switch_page(PAGES["neighbourhood"])
else:
    st.caption("Click a product, or draw a box or lasso, to list products and open a neighbourhood.")
