"""Product neighbourhood: an ego graph of a product's nearest products by embedding similarity
and by co-purchase, and a table of its neighbours with the numbers behind each link."""

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    THIN,
    GnnrecError,
    find_products,
    min_buyers,
    neighbour_table,
    neighbourhood_figure,
    neighbourhood_graph,
    new_product_scores,
    placement_table,
    similarity_basis,
    text_encoder_note,
)
from gnnrec_core.baskets.evidence import PARTNER_BOUND_WORDS
from gnnrec_core.data.catalogue import describes_products
from gnnrec_core.data.log_words import PURCHASES
from gnnrec_core.serving.explore import TOGETHER
from gnnrec_core.serving.safe_text import escape_markdown
from pages.links import from_link, share
from pages.state import (
    PRODUCT_KEY,
    featurizer_for,
    product_label,
    run_basket_stats,
    run_items,
    run_words,
    search_example,
)
from pages.widgets import chart, csv_bytes, need_run, table_height, thin_anchor_warning, thin_column, thin_words

st.title("Product neighbourhood")
run_id, run = need_run()
items = run_items(run_id)
stats = run_basket_stats(run_id)
words = run_words(run)  # what the log records: "rated together" on a ratings log
together = f"{words.bought} together"

by_buyers = items.sort_values("buyers", ascending=False).index.tolist()
labels = {i: product_label(items.at[i, 'name'], items.at[i, 'item']) for i in by_buyers}
linked = from_link("product", items["item"].astype(str), "the product")
if linked is not None:
    st.session_state[PRODUCT_KEY] = linked
wanted = st.session_state.get(PRODUCT_KEY)
default = next((i for i in by_buyers if items.at[i, "item"] == wanted), by_buyers[0])
query = st.text_input("Find a product by name, code or meaning", placeholder=search_example(items),
                      key="neighbourhood-find")
options = by_buyers
if query.strip():  # the matches, names containing the query first, then the closest in meaning
    hits = find_products(query, items.loc[by_buyers, "name"].reset_index(drop=True),
                         items.loc[by_buyers, "item"].reset_index(drop=True), k=20)
    options = [by_buyers[p] for p in hits["position"]] or by_buyers
    named, close = int((hits["match"] == "name contains").sum()), int((hits["match"] == "close in meaning").sum())
    st.caption(f"{named:,} {'name contains' if named == 1 else 'names contain'} '{escape_markdown(query)}', "
               f"{close:,} more {'is' if close == 1 else 'are'} close in meaning: pick one below."
               + (f" {text_encoder_note()}" if text_encoder_note() else ""))
    default = options[0] if default not in options else default
controls = st.columns([3, 1, 1, 1])
product = controls[0].selectbox("Product (type to search)", options, index=options.index(default),
                                format_func=labels.get)
st.session_state[PRODUCT_KEY] = items.at[product, "item"]
share(run=run_id, product=items.at[product, "item"])
k = controls[1].slider("Neighbours per product", 3, 20, 8)
depth = controls[2].slider("Depth", 1, 2, 1)
min_count = controls[3].number_input("Min. shared baskets", 1, 1000, stats.min_count,
                                     help=f"Default {stats.min_count:,}: 0.2% of the {stats.n_baskets:,} baskets, at "
                                          f"least 2, at most {THIN:,}")
fewest = min_buyers(run.model)
all_similar = st.toggle(f"Also show similar products with fewer than {fewest:,} {words.buyers}", value=False,
                        help="An embedding learned from one or two customers is mostly noise; such products are "
                             "left out of the similar ones by default.")
fewest = 1 if all_similar else fewest

st.markdown(
    ":blue[**Similar**] (solid blue) = close in the model: substitutes as well as complements. "
    f":orange[**{together.capitalize()}**] (dotted orange) = co-{words.purchase.split()[0]} ranked by lift's 95% "
    "lower bound (lift shrunk toward 1 where few baskets back it)"
    + (": what cross-selling acts on" if words == PURCHASES else "") + ". Edge width = strength "
    f"({escape_markdown(words.said(run.model.link_label))}, or that lower bound).")
graph = neighbourhood_graph(run.model, stats, product, k=k, depth=depth, min_count=int(min_count),
                            min_buyers=fewest)
names = {i: items.at[i, "name"] for i in graph.nodes}
edges = [{"from": items.at[a, "item"], "to": items.at[b, "item"], "kind": d["kind"], "strength": d["weight"]}
         for a, b, d in graph.edges(data=True)]
chart(neighbourhood_figure(graph, names, product, together=together), pd.DataFrame(edges),
      f"neighbourhood_{items.at[product, 'item']}", key="ego-graph")
if graph.graph["skipped"]:
    st.caption(f"The graph stops at {graph.number_of_nodes()} products to stay readable; "
               f"{graph.graph['skipped']:,} more neighbours were left out (lower the depth or neighbours to see all).")

st.subheader("Neighbours")
table = neighbour_table(run.model, stats, product, k=k, min_count=int(min_count), min_buyers=fewest)
table.insert(0, "name", items.loc[table["item_index"], "name"].values)
table.insert(1, "item", items.loc[table.pop("item_index"), "item"].values)
table["relation"] = table["relation"].replace({TOGETHER: together})
buyers = int(items.at[product, "buyers"])
thin_anchor_warning(buyers, words)  # as `similar` and the Associations page say it
in_baskets = "" if stats.histories else f", in {int(stats.item_counts[product]):,} of {stats.n_baskets:,} baskets"
baskets_are = ("The log has no order column: each customer's whole history is their one basket, so shared baskets "
               "are shared customers. " if stats.histories else
               f"Baskets count every order in the data, with a known customer or not; {words.buyers} count customers. ")
st.caption(f"{escape_markdown(items.at[product, 'name'])}: {words.bought} by {buyers:,} "
           f"customer{'' if buyers == 1 else 's'}{in_baskets}. Confidence = share of its baskets "
           f"that also hold the neighbour; lift > 1 = {together} more than chance; the 95% lows shrink both "
           f"where few baskets back them, and {words.said(PARTNER_BOUND_WORDS)}. Thin: fewer than {THIN:,} "
           f"{words.buyers} (similar) or customers of the shared baskets"
           + ("" if stats.histories else ", a customer's repeat orders once") + f" ({together}). {baskets_are}"
           f"Similarity: {escape_markdown(words.said(run.model.link_scale))}."
           + (f" Note: {escape_markdown(similarity_basis(run.model))}." if similarity_basis(run.model) else ""))
top = run.model.link_top or float(max(table["similarity"].max() if len(table) else 0.0, 1e-9))  # else the largest
similarity_help = f"{words.said(run.model.link_label)}: {words.said(run.model.link_scale)}"
SMALL = None  # auto width: header and figures; the columns shown fit 1400 px, the CSV holds the rest
any_thin = bool(table["thin"].any())  # else its column goes, and the names get its width (they were cut off)
st.dataframe(thin_words(table), hide_index=True, height=table_height(len(table), 800), column_order=[  # the rest: CSV
    "name", "relation", "similarity", "buyers", *(["thin"] if any_thin else []), "shared_buyers", "baskets_together",
    "confidence", "lift", "lift_low"], column_config={  # "thin" beside the buyers it counts: at the end it was cut off
    "name": st.column_config.TextColumn(width=220 if any_thin else 270),
    "item": st.column_config.TextColumn(width=SMALL),
    "relation": st.column_config.TextColumn("relation", width=SMALL),
    # A bar from zero draws nothing for a negative similarity: then the figures alone
    "similarity": st.column_config.NumberColumn(format="%.3f", width=120, help=similarity_help)
    if (table["similarity"] < 0).any() else st.column_config.ProgressColumn(
        min_value=0, max_value=top, format="%.3f", width=120, help=similarity_help),
    "buyers": st.column_config.NumberColumn(words.buyers, width=SMALL,
                                            help=f"customers who {words.bought} the neighbour"),
    "shared_buyers": st.column_config.NumberColumn(f"{words.bought} both", width=SMALL,
                                                 help=f"customers who {words.bought} both"),
    "baskets_together": st.column_config.NumberColumn("baskets, both", width=SMALL,
                                                     help="baskets holding both"),
    "confidence": st.column_config.NumberColumn("conf.", format="%.3f", width=SMALL,
                                                help="share of this product's baskets that hold the neighbour"),
    "confidence_low": st.column_config.NumberColumn("conf., 95% low", format="%.3f", width=SMALL,
                                                    help="Wilson lower bound of the confidence"),
    "lift": st.column_config.NumberColumn(format="%.2f", width=SMALL),
    "lift_low": st.column_config.NumberColumn("lift, 95% low", format="%.2f", width=SMALL,
                                              help="lift shrunk toward 1 by the baskets behind it: the ranking"),
    "thin": thin_column(f"fewer than {THIN:,} {words.buyers} (similar) or shared baskets")})
st.download_button("Download neighbours (CSV)", csv_bytes(table), "neighbours.csv", "text/csv")

st.subheader("Place a new product")
if not describes_products(items.set_index("item")):  # a log of codes alone: no row to place a product from
    st.info(f"A product with no {words.sales} yet is placed by the feature-aware GCN from its catalogue row (name, "
            "category, price), and this data gives none: upload a catalogue with the log on the Data page to use this.")
    st.stop()
if not hasattr(run.model, "embed_new_items"):
    st.info(f"A product with no {words.sales} yet is placed by the feature-aware GCN from its catalogue row. "
            "Train a run with the model 'Feature-aware GCN' to use this.")
    st.stop()
with st.form("new-product"):
    left, middle, right = st.columns([3, 2, 1])
    new_name = left.text_input("Name", placeholder="e.g. PINK HANGING HEART T-LIGHT HOLDER")
    known_categories = sorted(items["category"].dropna().astype(str).unique())
    new_category = middle.selectbox("Category", ["(none)", *known_categories])
    new_price = right.number_input("Price", 0.0, 100_000.0, 0.0)
    placed = st.form_submit_button("Place it")
if placed and new_name.strip():
    featurizer = featurizer_for(run_id)
    row = pd.DataFrame({"name": [new_name.strip()], "category": [None if new_category == "(none)" else new_category],
                        "price": [new_price or None]}, index=["new"])
    try:
        scores = new_product_scores(run.model, featurizer.transform(row), items["name"].astype(str).to_numpy(),
                                    np.array([new_name.strip()]))
    except GnnrecError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    st.dataframe(placement_table(scores, items["name"], stats, k), hide_index=True)
    st.caption(f"Placed from its name, category and price alone (no {words.sales}): the feature-aware GCN embeds it, "
               "and its embedding similarity is mixed half and half with name similarity (the mix chosen most often "
               "on validation: docs/benchmarks.md)."
               + (" The neighbours' bundle partners are the first cross-sells to try." if words == PURCHASES else ""))
