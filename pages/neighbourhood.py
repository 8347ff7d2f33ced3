"""Product neighbourhood: an ego graph of a product's nearest products by embedding similarity
and by co-purchase, and a table of its neighbours with the numbers behind each link."""

import pandas as pd
import streamlit as st

from gnnrec_core.explore import neighbour_table, neighbourhood_graph
from gnnrec_core.plots import neighbourhood_figure
from pages.common import PRODUCT_KEY, chart, csv_bytes, need_run, run_basket_stats, run_items

st.title("Product neighbourhood")
run_id, run = need_run()
items = run_items(run_id)
stats = run_basket_stats(run_id)

by_buyers = items.sort_values("buyers", ascending=False).index.tolist()
labels = {i: f"{items.at[i, 'name']} ({items.at[i, 'item']})" for i in by_buyers}
wanted = st.session_state.get(PRODUCT_KEY)
default = next((i for i in by_buyers if items.at[i, "item"] == wanted), by_buyers[0])
controls = st.columns([3, 1, 1, 1])
product = controls[0].selectbox("Product (type to search)", by_buyers, index=by_buyers.index(default),
                                format_func=labels.get)
st.session_state[PRODUCT_KEY] = items.at[product, "item"]
k = controls[1].slider("Neighbours per product", 3, 20, 8)
depth = controls[2].slider("Depth", 1, 2, 1)
min_count = controls[3].number_input("Min. shared baskets", 1, 50, 2)

st.markdown(
    ":blue[**Similar**] (solid blue) = close in the model's embedding: substitutes as well as complements. "
    ":orange[**Bought together**] (dotted orange) = co-purchase ranked by lift: what cross-selling acts on. "
    "Edge width = strength (cosine similarity, or lift).")
graph = neighbourhood_graph(run.model, stats, product, k=k, depth=depth, min_count=int(min_count))
names = {i: items.at[i, "name"] for i in graph.nodes}
edges = [{"from": items.at[a, "item"], "to": items.at[b, "item"], "kind": d["kind"], "strength": d["weight"]}
         for a, b, d in graph.edges(data=True)]
chart(neighbourhood_figure(graph, names, product), pd.DataFrame(edges), f"neighbourhood_{items.at[product, 'item']}",
      key="ego-graph")

st.subheader("Neighbours")
table = neighbour_table(run.model, stats, product, k=k, min_count=int(min_count))
table.insert(0, "name", items.loc[table["item_index"], "name"].values)
table.insert(1, "item", items.loc[table.pop("item_index"), "item"].values)
st.caption(f"{items.at[product, 'name']}: bought by {items.at[product, 'buyers']:,} customers, in "
           f"{int(stats.item_counts[product]):,} of {stats.n_baskets:,} baskets. Confidence = share of its baskets "
           "that also hold the neighbour; lift > 1 = bought together more than chance.")
st.dataframe(table, hide_index=True, column_config={
    "similarity": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.3f"),
    "support": st.column_config.NumberColumn(format="%.4f"),
    "confidence": st.column_config.NumberColumn(format="%.3f"),
    "lift": st.column_config.NumberColumn(format="%.2f")})
st.download_button("Download neighbours (CSV)", csv_bytes(table), "neighbours.csv", "text/csv")
