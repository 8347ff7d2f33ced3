"""Associations: rules from baskets (no training needed), and for any product its frequently-
bought-together partners beside its most similar products, kept apart and labelled."""

import numpy as np
import pandas as pd
import streamlit as st

from gnnrec_core import (
    GnnrecError,
    RuleConfig,
    catalogue_stats,
    frequently_bought_together,
    mine_rules,
    products_by_baskets,
    rules_graph,
    rules_scatter,
)
from gnnrec_core.serving.safe_text import escape_markdown
from pages.state import load_dataset, load_run, ws
from pages.widgets import chart, csv_bytes, need_dataset


@st.cache_resource(show_spinner="Counting baskets...", max_entries=4)
def stats_for(name: str, saved_at: float):
    return catalogue_stats(load_dataset(name, saved_at).ingest.events)


@st.cache_data(show_spinner="Mining rules...", max_entries=16)
def rules_for(name: str, saved_at: float, config: RuleConfig) -> pd.DataFrame:
    stats, items = stats_for(name, saved_at)
    return mine_rules(stats, items, config)


st.title("Associations")
name, data = need_dataset()
saved_at = next(d["saved_at"] for d in ws().list_datasets() if d["name"] == name)
catalogue = data.ingest.catalogue
names = catalogue["name"].astype(str).to_dict()
stats, items = stats_for(name, saved_at)
basket_kind = "orders" if data.ingest.events["basket"].notna().any() else "customer histories"
st.caption(f"{stats.n_baskets:,} baskets ({basket_kind}) "
           f"over {len(items):,} products.")

controls = st.columns(4)
min_support = controls[0].number_input("Min. support", 0.0005, 0.5, 0.01, step=0.001, format="%.4f")
min_confidence = controls[1].slider("Min. confidence", 0.0, 1.0, 0.2, 0.05)
max_len = controls[2].radio("Itemset size", [2, 3], horizontal=True, help="3 uses FP-growth; slower")
min_lift = controls[3].number_input("Min. lift", 0.0, 1000.0, 1.0, step=0.5)
left, right = st.columns([2, 1])
query = left.text_input("Filter by product (name or code)")
category_of = catalogue["category"].astype(str).to_dict() if catalogue["category"].notna().any() else {}
chosen_categories = right.multiselect("Filter by category", sorted(set(category_of.values()))) if category_of else []
try:
    rules = rules_for(name, saved_at, RuleConfig(min_support, min_confidence, int(max_len)))
except GnnrecError as exc:
    st.error(escape_markdown(exc))
    st.stop()
def label(codes):
    return " + ".join(names.get(c, c) for c in codes)
rules = rules[rules["lift"] >= min_lift]
if query.strip():
    text = query.strip().lower()
    def hit(codes):
        return any(text in c.lower() or text in names.get(c, "").lower() for c in codes)
    rules = rules[rules["antecedents"].map(hit) | rules["consequents"].map(hit)]
if chosen_categories:
    def in_category(codes):
        return any(category_of.get(c) in chosen_categories for c in codes)
    rules = rules[rules["antecedents"].map(in_category) | rules["consequents"].map(in_category)]
table = pd.DataFrame({"if bought": rules["antecedents"].map(label), "then also": rules["consequents"].map(label),
                      **{c: rules[c] for c in ("support", "confidence", "lift", "leverage", "conviction", "count")}})
st.subheader(f"{len(table):,} rules")
st.dataframe(table, hide_index=True, height=360, column_config={
    "support": st.column_config.NumberColumn(format="%.4f"), "confidence": st.column_config.NumberColumn(format="%.3f"),
    "lift": st.column_config.NumberColumn(format="%.2f"), "leverage": st.column_config.NumberColumn(format="%.4f"),
    "conviction": st.column_config.NumberColumn(format="%.2f", help="infinite when confidence is 1")})
st.download_button("Download rules (CSV)", csv_bytes(table), "rules.csv", "text/csv")
if len(rules):
    left, right = st.columns(2)
    with left:
        chart(rules_scatter(rules.head(5000).assign(label=table["if bought"] + " -> " + table["then also"])), None,
              "rules_scatter", key="rules-scatter")
    with right:
        chart(rules_graph(rules.head(30), names), None, "rules_graph", key="rules-graph")
    if len(rules) > 30:
        st.caption(f"The graph draws the 30 strongest of {len(rules):,} rules"
                   + ("; the scatter the first 5,000." if len(rules) > 5000 else "; the scatter draws them all."))

st.subheader("Frequently bought together vs similar")
st.markdown("**Frequently bought together** comes from baskets alone: partners ranked by lift, shrunk toward 1 "
            "when few baskets back it. Use it for bundles and cross-selling. **Similar products** come from the "
            "trained model's embedding: they include substitutes (another colour of the same lamp) as well as "
            "complements. Use them to browse and to place new products.")
popular = products_by_baskets(stats)
product = st.selectbox("Product", popular[:5000].tolist(),
                       format_func=lambda i: f"{names.get(items[i], items[i])} ({items[i]})")
left, right = st.columns(2)
fbt = frequently_bought_together(stats, int(product), k=10, min_count=2)
left.markdown("**Frequently bought together**")
left.dataframe(pd.DataFrame({"product": [names.get(items[p], items[p]) for p in fbt["partner"]],
                             "baskets together": fbt["co_purchases"], "confidence": fbt["confidence"].round(3),
                             "lift": fbt["lift"].round(2)}), hide_index=True)
right.markdown("**Similar products (model)**")
runs = [r for r in ws().list_runs() if r.dataset.name == name]
if not runs:
    right.info("Train a run on this dataset to see similar products.")
else:
    run = load_run(runs[0].run_id)
    lookup = {str(i): n for n, i in enumerate(run.items)}
    if str(items[product]) not in lookup:
        right.info("This product has no customer history in the run, so the model has not placed it.")
    else:
        similar, scores = run.model.similar_items(np.array([lookup[str(items[product])]]), 10)
        right.dataframe(pd.DataFrame({"product": [names.get(str(run.items[j]), str(run.items[j])) for j in similar[0]],
                                      "similarity": np.round(scores[0], 3)}), hide_index=True)
        right.caption(f"From run {escape_markdown(runs[0].run_id)} ({run.model.name}).")
