"""Recommendations: a customer's history, their top-k with the reason for each, the same
customer under a second model, and a hand-built basket for a new customer."""

import streamlit as st

from gnnrec_core import (
    LABELS,
    MODELS,
    SPECS,
    THIN,
    GnnrecError,
    Merchandising,
    chosen_settings,
    customer_history,
    customers_by_activity,
    example_customers,
    parse_boosts,
    recommend_for_basket,
    recommend_table,
    resolve,
)
from gnnrec_core.data.charges import log_has_charges
from gnnrec_core.models.registry import served_label
from gnnrec_core.serving.merchandising import category_labels
from gnnrec_core.serving.recommend import headings
from gnnrec_core.serving.safe_text import escape_markdown, markdown_cells
from gnnrec_core.serving.verdicts import advice_verdicts, trusted_model
from gnnrec_core.setting_words import chosen_words
from pages.links import from_link, from_link_list, share
from pages.rules_link import follow_rules_link, rules_link
from pages.state import dataset_meta, product_label, run_basket_stats, run_items, side_model
from pages.widgets import csv_bytes, need_run, run_dataset, table_height

st.title("Recommendations")
run_id, run = need_run()
items = run_items(run_id)
dataset_name = run.info.dataset.name
model_label = served_label(run.info)  # "LightGCN + graph filter x2" where the run serves a blend


BASKET_MODE = "New customer (build a basket)"


def show_recommendations(table, of_basket: bool = False) -> None:
    """The list ranked by the model's score, each score written out as its parts (wrapped, whole)."""
    st.caption(escape_markdown(table.attrs.get("explained", "")))
    listed = table[["rank", "item", "name", "buyers", "score", "because", "path"]]
    listed = listed.rename(columns=headings(words, of_basket))
    st.table(markdown_cells(listed))  # st.table renders its cells as Markdown
    if table.attrs.get("evidence"):  # half the list or more known from a handful of buyers
        st.warning(escape_markdown(table.attrs["evidence"]) + f" '{FEWEST}' under Merchandising rules, set "
                   f"to {THIN}, leaves out products with fewer {words.buyers}.")


data = run_dataset(run)  # need_run checked it is there and the run's own
words = data.words  # what the log records: "raters" and "rated" on a ratings log
FEWEST = f"Fewest {words.buyers}"
meta = dataset_meta(dataset_name) or {"saved_at": 0.0}
# each category once, as the rules match them: a label naming several ("Comedy|Romance") is each of them
categories = sorted({name for own in category_labels(items["category"].dropna().astype(str).to_numpy())
                     for name in own})
labels = {code: product_label(name, code) for code, name in zip(items["item"], items["name"])}
follow_rules_link(labels, categories)
k = st.sidebar.slider("Recommendations (k)", 3, 30, key="recs-k")
with st.sidebar.expander("Merchandising rules"):
    excluded = st.multiselect("Never recommend these products", list(labels), format_func=labels.get,
                              key="recs-exclude")
    excluded_categories = st.multiselect("Never recommend these categories", categories, key="recs-exclude-cat")
    # Only where the log has charge codes: a ratings or check-in log has none to leave out
    non_products = (st.checkbox("Never recommend postage or fees", key="recs-no-fees")
                    if log_has_charges(data.ingest.events, data.ingest.report.dropped) else False)
    boosted = st.multiselect("Boost or bury categories", categories, key="recs-boosted")
    factors = [st.slider(f"{escape_markdown(c)}: standard deviations", -3.0, 3.0, step=0.5, key=f"boost-{c}")
               for c in boosted]
    cap = st.number_input("At most this many from one category (0 = no cap)", 0, 30, key="recs-cap",
                          disabled=not categories,
                          help=None if categories else "This data has no product categories to cap.")
    fewest = st.number_input(f"{FEWEST}: never recommend a product fewer customers {words.bought}", 1, 1000,
                             key="recs-fewest",
                             help="1 keeps every product. A floor costs accuracy on long-tailed logs "
                                  "(docs/benchmarks.md, 'Products with few buyers'); the list marks thin ones.")
try:
    rules = Merchandising(tuple(excluded), tuple(excluded_categories), non_products,
                          parse_boosts([f"{c}={f}" for c, f in zip(boosted, factors)]), int(cap) or None,
                          int(fewest))
except GnnrecError as exc:
    st.error(escape_markdown(exc))
    st.stop()
stats = run_basket_stats(run_id)
policy = resolve(rules, run.items, data.ingest.catalogue, items["buyers"].to_numpy()) if rules.active else None
for rule, note in (policy.unmatched if policy is not None else {}).items():
    if rule != "exclude_non_products" or not non_products:  # the page's default rule: no word where it is moot
        st.sidebar.caption(escape_markdown(f"This rule does nothing: {note}."))
users = [str(u) for u in run.users]
# Each mode's widget is undrawn in the other, and Streamlit drops an undrawn widget's value: set them again
# on every run. Back from the basket, the customer box showed the most active customer while the list
# below it was the opening customer's (a new user read one customer's list as another's).
for kept in ("recs-customer", f"recs-basket-{run_id}"):
    if kept in st.session_state:
        st.session_state[kept] = st.session_state[kept]
linked_customer = from_link("customer", users, "the customer")
if linked_customer is not None:
    st.session_state["recs-mode"] = "Existing customer"
    st.session_state["recs-customer"] = users.index(linked_customer)
codes = items["item"].astype(str)
linked_basket = from_link_list("basket", codes, "the products", separator="|")
if linked_basket is not None:
    st.session_state["recs-mode"] = BASKET_MODE
    st.session_state[f"recs-basket-{run_id}"] = [int(codes.index[codes == code][0])
                                                 for code in dict.fromkeys(linked_basket)]
mode = st.radio("Mode", ["Existing customer", BASKET_MODE], horizontal=True, key="recs-mode")

if mode == BASKET_MODE:
    by_buyers = items.sort_values("buyers", ascending=False).index.tolist()
    # Keyed by run: the basket holds this run's product positions (another run's were other products).
    # No "Select N matches": Enter picks the highlighted option, and with it first, typing "hanging
    # heart" and Enter put all twelve matches in the basket (a new user's report)
    basket = st.multiselect("Products in the basket (type to search)", by_buyers, key=f"recs-basket-{run_id}",
                            format_func=lambda i: product_label(items.at[i, 'name'], items.at[i, 'item']),
                            select_all=False)
    # The basket is the link (a customer's stayed in it): "basket=85123A|22423".
    share(run=run_id, **({"basket": "|".join(codes[i] for i in basket)} if basket else {}), **rules_link())
    if not basket:
        st.info("Add products to the basket to see what goes with them.")
        st.stop()
    table = recommend_for_basket(run.model, data, basket, k, policy=policy, stats=stats)
    st.subheader(f"Top {len(table):,} from {escape_markdown(model_label)} for this basket")  # as for a customer
    show_recommendations(table, of_basket=True)
    if table.attrs.get("note"):  # fewer than k left: say what was excluded, as `recommend --basket` does
        st.info(escape_markdown(table.attrs["note"]))
    st.download_button("Download (CSV)", csv_bytes(table), "basket_recommendations.csv", "text/csv")
    st.stop()

order, activity = customers_by_activity(run.model)
if "recs-customer" not in st.session_state:  # opens on an active customer, as the report's first example
    st.session_state["recs-customer"] = int(example_customers(run.model, 1)[0])
user = st.selectbox("Customer (type to search; most active first)", order.tolist(), key="recs-customer",
                    format_func=lambda u: f"{users[u]} ({activity[u]} products)",
                    help=f"Opens on a customer 5% down the list: the very most active {words.bought} hundreds of "
                         "products, and their lists resemble no one else's.")
share(run=run_id, customer=users[user], **rules_link())

history = customer_history(data, users[user])
table = recommend_table(run.model, data, user, k, policy=policy, stats=stats)
st.subheader(f"Top {len(table):,} from {escape_markdown(model_label)} for customer {escape_markdown(users[user])}")
show_recommendations(table)
if table.attrs.get("note"):  # fewer than k left: say what was excluded
    st.info(escape_markdown(table.attrs["note"]))
st.download_button("Download (CSV)", csv_bytes(table), f"recommendations_{users[user]}.csv", "text/csv")
with st.expander(f"What customer {escape_markdown(users[user])} {words.bought}: {len(history):,} products"):
    st.dataframe(history, hide_index=True, height=table_height(len(history)))

st.subheader("Same customer, second model")
others = [m for m in MODELS if m != run.model.name]
trusted = trusted_model(advice_verdicts(run.info)[0], run.model.name)  # the model the verdicts trust, if another
# Else the run's best other row on validation: Popularity, first in the list, was a new user's default.
scored = [r for r in run.info.results if r.model in others and r.valid_ndcg is not None]
runner_up = max(scored, key=lambda r: r.valid_ndcg).model if scored else None
default = trusted[0] if trusted is not None and trusted[0] in others else runner_up
other = st.selectbox("Compare with", others, format_func=LABELS.get,
                     index=others.index(default) if default in others else 0)
if trusted is not None and other == trusted[0]:
    st.caption(f"{escape_markdown(LABELS.get(trusted[0], trusted[0]))} ranked better than this run's model on "
               "its test customers (the Train page's verdict), so it is the one compared by default.")
elif other == runner_up == default:
    st.caption(f"{escape_markdown(LABELS.get(other, other))} is this run's best other model on validation, so it "
               "is the one compared by default.")
# At the settings this run chose for it on validation, as its table row scored it: no second search.
other_row = next((r for r in run.info.results if r.model == other and not r.blend), None)
chosen = {} if other_row is None or SPECS[other].is_gnn else chosen_settings(other, other_row.tuning)
second, changed = side_model(dataset_name, meta["saved_at"], other, tuple(sorted(chosen.items())), run.info.seed)
if chosen:  # what the fitted model holds: a setting may not carry over to every interaction (`changed` says)
    served = second.tuning().chosen if second.tuning() is not None else chosen
    st.caption(f"{escape_markdown(LABELS.get(other, other))} is fitted on every interaction at the settings this "
               f"run chose for it on validation: {escape_markdown(chosen_words(served))}."
               + (f" {escape_markdown(changed)}." if changed else ""))
other_table = recommend_table(second, data, user, k, policy=policy, stats=stats)
shared = set(table["item"]) & set(other_table["item"])
st.caption(f"{len(shared)} of {min(len(table), len(other_table))} recommendations in common.")
a, b = st.columns(2)
for column, label, listed in ((a, model_label, table), (b, LABELS.get(other, other), other_table)):
    column.caption(escape_markdown(label))  # "in both" beside the rank: at the end a long name pushed it out of view
    column.dataframe(listed[["rank"]].assign(**{"in both": listed["item"].isin(shared)})
                     .join(listed[["name", "buyers", "score"]].rename(columns={"buyers": words.buyers})),
                     hide_index=True,
                     column_config={"name": st.column_config.TextColumn(width=210),
                                    "score": st.column_config.NumberColumn(format="%.3f")})
st.caption("Each model's scores are on its own scale; the parts of the second model's scores are in its "
           "download.")
if other_table.attrs.get("evidence"):  # the second list on thin evidence: said as for the first
    st.warning(escape_markdown(LABELS.get(other, other)) + ": " + escape_markdown(other_table.attrs["evidence"]))
st.download_button("Download the second model's list (CSV)", csv_bytes(other_table),
                   f"recommendations_{users[user]}_{other}.csv", "text/csv")
