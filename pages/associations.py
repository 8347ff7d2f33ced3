"""Associations: rules from baskets (no training needed), and for any product its frequently-
bought-together partners beside its most similar products, kept apart and labelled. Every figure
comes with the baskets (or buyers) behind it; lists rank by lift's shrunk lower bound."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from gnnrec_core import (
    LABELS,
    THIN,
    GnnrecError,
    RuleConfig,
    catalogue_stats,
    chance_words,
    display_names,
    frequently_bought_together,
    item_buyers,
    least_baskets,
    min_buyers,
    mine_rules,
    products_by_baskets,
    products_reaching,
    rules_about,
    rules_graph,
    rules_scatter,
    similar_table,
    suggested_min_support,
)
from gnnrec_core.baskets.evidence import PARTNER_BOUND_WORDS
from gnnrec_core.data.catalogue import category_parts
from gnnrec_core.data.charges import log_has_charges
from gnnrec_core.data.log_words import PURCHASES, log_words
from gnnrec_core.serving.safe_text import escape_markdown
from pages.state import load_dataset, load_run, load_saved, product_label, ws
from pages.widgets import (
    chance_marks,
    chart,
    csv_bytes,
    dataset_problem,
    need_saved_dataset,
    table_height,
    thin_anchor_warning,
    thin_column,
    thin_words,
)


@st.cache_resource(show_spinner="Counting baskets...", max_entries=4)
def stats_for(name: str, saved_at: float):
    return catalogue_stats(load_saved(name, saved_at).events)


@st.cache_data(show_spinner=False, max_entries=16)  # the page's own spinner says how long, with the time so far
def rules_for(name: str, saved_at: float, config: RuleConfig) -> pd.DataFrame:
    stats, items = stats_for(name, saved_at)
    return mine_rules(stats, items, replace(config, min_lift=0.0))  # the lift box filters without mining again


st.title("Associations")
name, saved = need_saved_dataset()  # baskets alone: a basket list with no customer column has its rules too
saved_at = next(d["saved_at"] for d in ws().list_datasets() if d["name"] == name)
catalogue = saved.catalogue
names = display_names(catalogue).to_dict()  # a name shared by several codes carries its code
stats, items = stats_for(name, saved_at)
basket_kind = "orders" if saved.events["basket"].notna().any() else "customer histories"
words = log_words(saved.mapping)  # what the log records: a ratings log's rules read "if rated"
IF, TOGETHER = f"if {words.bought}", f"Frequently {words.bought} together"
# Where customers place several orders, the evidence is counted in customers (a customer's repeat orders once)
UNIT, SHOWN_CUSTOMERS = ("customers", ("customers",)) if stats.buyers is not None else ("baskets", ())
# Said only of a log that had charges: a check-in or ratings log read it of codes it never had
st.caption(f"{stats.n_baskets:,} baskets ({basket_kind}) over {len(items):,} products"
           + (" (postage and fee codes are in no basket)." if log_has_charges(saved.events, saved.report.dropped)
              else "."))

controls = st.columns(4)
suggested = suggested_min_support(stats)
min_support = controls[0].number_input(
    "Min. support", 0.0001, 1.0, suggested, step=0.0001, format="%.4f",  # 0.001 could not go below it
    help=f"Share of baskets a pair must be in. The default, {suggested:.4f}, is "
         f"{least_baskets(suggested, stats.n_baskets):,} of the {stats.n_baskets:,} baskets: {THIN:,} (fewer is thin "
         "evidence), raised on large data until at most 20,000 pairs qualify.")
min_confidence = controls[1].slider("Min. confidence", 0.0, 1.0, RuleConfig.min_confidence, 0.05)  # the CLI's too
max_len = controls[2].radio("Itemset size", [2, 3], horizontal=True, help=(  # a new user waited a minute unwarned
    "3 adds rules of three products (FP-growth): many more rules, and slower. On the bundled sample at its "
    "default support, 882,232 rules and about 20 s of mining (`rules --max-len 3`); raise Min. support first."))
min_lift = controls[3].number_input("Min. lift", 0.0, 1000.0, RuleConfig.min_lift, step=0.5)  # the CLI's too
left, right = st.columns([2, 1])
query = left.text_input("Filter by product (name or code)")
# products without a category (a catalogue missing some) are in none: NaN beside text broke the sort
category_of = catalogue["category"].dropna().astype(str).to_dict() if catalogue["category"].notna().any() else {}
genres = sorted({part for label in category_of.values() for part in category_parts(label)})  # Comedy, not Comedy|War
chosen_categories = right.multiselect("Filter by category", genres) if category_of else []
try:
    # Three products take FP-growth tens of seconds: said, with the seconds so far (a new user saw only the
    # old table greyed for 39 s)
    with st.spinner("Mining rules of up to three products (FP-growth): about 20 s on the bundled sample at its "
                    "default support, longer below it..." if max_len == 3 else "Mining rules...", show_time=True):
        rules = rules_for(name, saved_at, RuleConfig(min_support, min_confidence, int(max_len)))
except GnnrecError as exc:
    st.error(escape_markdown(exc))
    st.stop()
def label(codes):
    return " + ".join(names.get(c, c) for c in codes)
catalogue_names = catalogue["name"].dropna().astype(str).to_dict()  # as written: no " (CODE)" display suffix
rules = rules_about(rules[rules["lift"] >= min_lift], catalogue_names, query, category_of, chosen_categories)
table = pd.DataFrame({IF: rules["antecedents"].map(label), "then also": rules["consequents"].map(label),
                      **{c: rules[c] for c in ("count", "customers", "lift_low", "lift", "confidence_low", "confidence",
                                               "thin",
                                               "chance", "chance_q", "support", "leverage", "conviction")}})
st.subheader(f"{len(table):,} rules")
fewest_baskets = least_baskets(min_support, stats.n_baskets)  # as the rules keep them and `rules` says: rounded up
chance = int(table["chance"].sum())
st.caption(f"In at least {fewest_baskets:,} of {stats.n_baskets:,} baskets, ranked by "
           "lift's 95% lower bound (lift shrunk toward 1 where few baskets back it), so that a pair seen twice "
           "never tops one seen fifty times."
           + (f" 'thin': fewer than {THIN:,} {UNIT}." if fewest_baskets < THIN or stats.buyers is not None else "")
           + (f" {chance_words(chance, len(table), products_reaching(stats, min_support), fewest_baskets)}; "
              "marked 'could be'." if chance else ""))
SMALL = None  # auto: as wide as the header and the figures
EVIDENCE = {  # short labels, small columns: every figure on screen at 1400 px; the help says the rest
    "count": st.column_config.NumberColumn("baskets", width=SMALL, help="baskets holding every product of it"),
    "customers": st.column_config.NumberColumn("customers", width=SMALL, help=(
        "distinct customers behind those baskets: the lift's bound and 'thin' count a customer's repeat orders "
        "once")),
    "lift_low": st.column_config.NumberColumn("lift, 95% low", format="%.2f", width=SMALL,
                                              help="lift shrunk toward 1 by the baskets behind it, then its 95% "
                                                   "lower bound: what the list ranks by"),
    "lift": st.column_config.NumberColumn("lift", format="%.2f", width=SMALL,
                                          help="how many times more often than by chance"),
    "confidence_low": st.column_config.NumberColumn("conf., 95% low", format="%.3f", width=SMALL,
                                                    help="Wilson lower bound of the confidence"),
    "confidence": st.column_config.NumberColumn("confidence", format="%.3f", width=SMALL,
                                                help="share of the first side's baskets that hold the other"),
    "thin": thin_column(f"fewer than {THIN:,} {UNIT} behind it"),
    "chance": st.column_config.TextColumn("chance", width=SMALL, help=(
        "'could be': with every pair of products tested, its baskets together are not clearly more than chance "
        "gives (a 5% false discovery rate); chance_q in the download is its q-value")),
    "support": st.column_config.NumberColumn("support", format="%.4f", width=SMALL, help="share of all baskets"),
}
# every column in the download; these on the page
st.dataframe(chance_marks(thin_words(table)), hide_index=True, height=table_height(len(table)), column_order=[
    # confidence's lower bound in the download alone where customers take its place: every column on screen
    IF, "then also", "count", *SHOWN_CUSTOMERS, "lift_low", "lift",
    *(() if SHOWN_CUSTOMERS else ("confidence_low",)), "confidence", "thin", "chance"],
    column_config={
    **EVIDENCE, IF: st.column_config.TextColumn(width=235),  # every column on screen at 1400 px
    "then also": st.column_config.TextColumn(width=235),
    "leverage": st.column_config.NumberColumn(format="%.4f", width=SMALL),
    "conviction": st.column_config.NumberColumn(format="%.2f", width=SMALL, help="infinite when confidence is 1")})
st.download_button("Download rules (CSV)", csv_bytes(table), "rules.csv", "text/csv")
if len(rules):
    # The graph the page's full width: in half of it (~460 px at a 1400 px window) its names sat on one
    # another and its arrows were too short to see.
    chart(rules_graph(rules.head(30), names), None, "rules_graph", key="rules-graph")
    chart(rules_scatter(rules.head(5000).assign(label=table[IF] + " -> " + table["then also"])), None,
          "rules_scatter", key="rules-scatter")
    if len(rules) > 30:
        st.caption(f"The graph draws the 30 strongest of {len(rules):,} rules"
                   + ("; the scatter the first 5,000." if len(rules) > 5000 else "; the scatter draws them all."))
else:
    st.info("No rule reaches these thresholds: lower the minimum support, confidence or lift (or clear the "
            "filters) to see some.")

st.subheader(f"{TOGETHER} vs similar")
RETAIL = words == PURCHASES  # a shop's uses and example; a ratings or check-in log has neither
st.markdown(f"**{TOGETHER}** comes from baskets alone: partners ranked by lift's 95% lower bound, "
            "which shrinks lift toward 1 when few baskets back it." + (" Use it for bundles and cross-selling."
                                                                        if RETAIL else "")
            + " **Similar products** come from the trained model's embedding: they include substitutes"
            + (" (another colour of the same lamp)" if RETAIL else "") + " as well as complements. Use them to "
            "browse and to place new products.")
popular = products_by_baskets(stats)
plain = catalogue["name"].dropna().astype(str).to_dict()  # a product without a name: its code
product = st.selectbox("Product", popular[:5000].tolist(),
                       format_func=lambda i: f"{product_label(plain.get(items[i], items[i]), items[i])}, in "
                                             f"{stats.item_counts[i]:,} baskets")
left = right = st.container()  # one above the other: every figure of both lists on screen
fbt = frequently_bought_together(stats, int(product), k=10)
left.markdown(f"**{TOGETHER}**")
left.dataframe(thin_words(pd.DataFrame({"product": [names.get(items[p], items[p]) for p in fbt["partner"]],
                                        **{c: fbt[c] for c in ("count", *SHOWN_CUSTOMERS, "lift_low", "lift",
                                                               "confidence_low",
                                                               "confidence", "thin")}})),
               hide_index=True, column_config={**EVIDENCE, "product": st.column_config.TextColumn(width=330)})
below = frequently_bought_together(stats, int(product), k=1, min_count=1) if not len(fbt) else fbt
clear = int((fbt["lift_low"] > 1).sum())  # a product nearly everyone buys has partners of lift 1.0 alone
if len(fbt):
    short = ("" if clear == len(fbt) else f" None of them is {words.bought} with it clearly more often than chance "
             "(no 95% low above 1)." if not clear else f" {clear:,} of them clear chance (a 95% low above 1).")
elif len(below):  # "rarely bought with another" of a best-seller whose partners fall just under the floor
    top = below.iloc[0]
    short = (f" None reach it; its strongest partner, {names.get(items[top['partner']], '')}, "
             f"shares {int(top['count']):,} {'basket' if int(top['count']) == 1 else 'baskets'}: too few to list.")
else:
    short = f" It is never {words.bought} with another product."
left.caption(f"Partners in at least {stats.min_count:,} of the {stats.n_baskets:,} baskets (0.2% of them, but never "
             f"fewer than 2 or more than {THIN:,}); {words.said(PARTNER_BOUND_WORDS)}." + escape_markdown(short))
right.markdown("**Similar products (model)**")
runs = [r for r in ws().list_runs() if r.dataset.name == name]
if not runs:
    right.info("Train a run on this dataset to see similar products.")
else:
    run = load_run(runs[0].run_id)
    lookup = {str(i): n for n, i in enumerate(run.items)}
    if dataset_problem(run) is not None:  # replaced since, perhaps by baskets with no customer graph at all
        right.info("The dataset was replaced after its latest run was trained: train a new run to see similar "
                   "products.")
    elif str(items[product]) not in lookup:
        right.info("This product has no customer history in the run, so the model has not placed it.")
    else:
        fewest, data = min_buyers(run.model), load_dataset(name, saved_at)
        similar = similar_table(run.model, data, lookup[str(items[product])], 10, min_buyers=fewest)
        right.dataframe(thin_words(similar[["name", "similarity", "buyers", "shared_buyers", "thin"]]), hide_index=True,
                        column_config={
            "name": st.column_config.TextColumn("product", width=330),
            "similarity": st.column_config.NumberColumn(format="%.3f", width=SMALL),
            "buyers": st.column_config.NumberColumn(words.buyers, width=SMALL, help=f"customers who {words.bought} "
                                                    "it: what the model learned it from"),
            "shared_buyers": st.column_config.NumberColumn(f"{words.bought} both", width=SMALL,
                                                           help=f"customers who {words.bought} both"),
            "thin": thin_column(f"fewer than {THIN:,} {words.buyers}")})
        thin_anchor_warning(int(item_buyers(run.model)[lookup[str(items[product])]]), words, right)
        right.caption(f"From run {escape_markdown(runs[0].run_id)} "
                      f"({escape_markdown(LABELS.get(run.model.name, run.model.name))}); products with fewer than "
                      f"{fewest:,} {words.buyers} are left out (0.2% of the {run.model.n_users:,} customers, at "
                      "least 2).")
