"""Data: pick the sample, upload a log or open one on the server (inside GNNREC_DATA_ROOT; + optional
catalogue and lookup), map its columns, read the cleaning report and the summary, then save it by
name in the workspace."""

from pathlib import Path

import pandas as pd
import streamlit as st

from gnnrec_core import (
    ROLES,
    GnnrecError,
    catalogue_columns,
    detect_mapping,
    env_name,
    has_product_names,
    ingest,
    interactions_per_item,
    limits,
    long_tail,
    summary,
)
from gnnrec_core.data import DATE_ORDER_WORDS, DATE_ORDERS
from gnnrec_core.data.headerless import guessed_note, is_headerless
from gnnrec_core.data.ingest import preview_frame
from gnnrec_core.data.server_files import ROOT_ENV, data_root, server_path, version_of
from gnnrec_core.matrix.text_encoder import names_note
from gnnrec_core.serving.safe_text import escape_markdown
from gnnrec_core.store import fingerprint
from gnnrec_core.store_active import mark_active
from pages.state import DATASET_KEY, SAMPLE, SAMPLE_NAME, dataset_meta, load_saved, ws
from pages.widgets import UPLOAD_TYPES, chart, follow_dataset

NONE = "(none)"


# `version` (a server file's size and time) keys the caches: the same path may hold a new file.
@st.cache_data(show_spinner="Reading the file...", max_entries=8)
def read_raw(events: tuple[bytes | str, str], lookup: tuple[bytes, str] | None, version=None):
    frame = preview_frame(events, lookup=lookup)  # a large file: its first rows only
    return frame, detect_mapping(frame).as_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def catalogue_roles(items: tuple[bytes, str]) -> dict:
    return catalogue_columns(items)


@st.cache_data(show_spinner="Cleaning...", max_entries=8)
def clean(events, items, lookup, mapping: tuple, drop_non_products: bool, version=None, category_names=None,
          min_rating=None, date_order="auto"):
    return ingest(events, items=items, lookup=lookup, drop_non_products=drop_non_products,
                  category_names=category_names, min_rating=min_rating, date_order=date_order, **dict(mapping))


def show_cleaning(result, basket_column: str | None) -> None:
    """The cleaning report, the summary and the long tail of a cleaned log: the upload being read,
    or the active dataset as saved."""
    report, figures = result.report, summary(result)
    st.subheader("Cleaning report")
    left, right = st.columns([1, 2])
    left.metric("Rows kept", f"{report.rows_kept:,}", f"{report.rows_read - report.rows_kept:,} dropped",
                delta_color="off", delta_arrow="off")
    # "count": rows for every reason but the notes on customers and baskets gone whole (their words say which).
    # A note of zero is not news (`ingest` prints none either): a lone "0 baskets ... dropped" read as a finding.
    reasons = pd.DataFrame([{"reason": r, "count": n, "kind": "rows dropped"} for r, n in report.dropped.items()]
                           + [{"reason": r, "count": n, "kind": "noted"} for r, n in report.notes.items() if n])
    if reasons.empty:
        right.caption("No line dropped, and nothing to note.")
    else:
        right.dataframe(reasons, hide_index=True,
                        column_config={"count": st.column_config.NumberColumn(format="localized")})

    st.subheader("Summary")
    cards = st.columns(6)
    cards[0].metric("Customers", f"{figures.users:,}")
    cards[1].metric("Products", f"{figures.items:,}", help=(
        f"{figures.items_with_users:,} of them {figures.words.bought} by a known customer: the catalogue the models "
        "rank; "
        "the rest appear in baskets without a customer only"
        if figures.items_with_users != figures.items else None))
    cards[2].metric("Customer-product pairs", f"{figures.user_item_pairs:,}")
    cards[3].metric("Baskets", f"{figures.baskets:,}", help=(
        "No basket column is mapped: each customer's whole history counts as one basket (rules and the "
        "Associations page read them so)" if figures.baskets_are_customers else
        f"{figures.fee_only_baskets:,} more held only postage or fees and count as no basket"
        if figures.fee_only_baskets else None))
    cards[4].metric("Density", figures.density_words, help=(  # its divisor, where it is not the tile beside it
        f"Customer-product pairs over customers x the {figures.items_with_users:,} products {figures.words.bought} "
        "by a known "
        "customer (the catalogue the models rank)" if figures.items_with_users != figures.items else
        "Customer-product pairs over customers x products"))
    if figures.first_time and figures.last_time:  # the whole range, written out below: a metric card cuts it short
        first, last = figures.first_time[:10], figures.last_time[:10]
        cards[5].metric("Days", f"{(pd.Timestamp(last) - pd.Timestamp(first)).days + 1:,}")
        st.caption(f"Dates: {escape_markdown(first)} to {escape_markdown(last)}.")
    else:
        cards[5].metric("Dates", "none")
    if figures.ratings_words:
        st.caption(f"Ratings: {escape_markdown(figures.ratings_words)}.")
    if has_product_names(result.catalogue):  # a log of codes alone has none to read
        st.caption(escape_markdown(names_note()))  # which encoder reads product names: search, new products, GCN
    else:
        st.caption("No product names: products are shown by their codes, and search by meaning, new products "
                   "from their text and the feature GCN's text have nothing to read.")

    counts = interactions_per_item(result.events)
    chart(long_tail(counts), counts.rename("interactions").reset_index(), "long_tail")

    warning = figures.training_warning(basket_column, lookup=" (the lookup table, under Optional above)")
    if warning is not None:
        st.warning(escape_markdown(warning))
    elif figures.items > limits().dense_items:
        st.warning(f"{figures.items:,} products: EASE will be skipped (its dense items x items inverse would "
                   f"exceed {limits().dense_items:,} items; {env_name('dense_items')} sets the limit).")


def _runs_it_closes(name: str) -> str:
    """What replacing the dataset `name` does to its runs: they are kept, but no page opens them
    (each says the data was replaced; "will no longer match their data" understated it)."""
    count = sum(run.dataset.name == name for run in ws().list_runs())
    if not count:
        return ""
    return (f" (its {count:,} saved run{'' if count == 1 else 's'} will be kept but stop opening: every page of "
            f"{'it' if count == 1 else 'them'} will ask for a new run on the new data)")


def show_joins(report) -> None:
    """What the catalogue, the category names and the lookup table brought: the upload being read, or
    the active dataset as saved."""
    if report.catalogue_mapping:
        used = report.catalogue_mapping
        roles = [f"{role.replace('_', ' ')} = {escape_markdown(used[role] or 'none')}" for role in used]
        st.caption("Catalogue columns used: " + ", ".join(roles) + ".")
    if report.category_names:
        named = report.category_names
        unnamed = named["unnamed_items"]
        st.caption(f"Category names joined on {escape_markdown(named['key'])}, named by "
                   f"{escape_markdown(named['name'])}: {named['named_items']:,} products named"
                   + (f", {unnamed:,} with a code the file does not name (kept as the code)." if unnamed else "."))
    if report.lookup_mapping:
        join = report.lookup_mapping
        st.caption(f"Lookup table joined on {escape_markdown(join['events_key'])} = "
                   f"{escape_markdown(join['lookup_key'])}, bringing {escape_markdown(', '.join(join['columns']))}; "
                   f"{join['matched_rows']:,} of {report.rows_read:,} rows matched.")


def mapping_words(mapping: dict, catalogue: dict | None = None) -> str:
    """A saved dataset's column mapping in one line: the roles mapped, then those left unmapped; a
    role the catalogue gives (`catalogue`: its columns by role) is not called unmapped beside the line
    that names its catalogue column."""
    mapped = [f"{role.replace('_', ' ')} = {escape_markdown(mapping[role])}" for role in ROLES if mapping.get(role)]
    unmapped = [role.replace("_", " ") for role in ROLES  # the dropdowns' order
                if not mapping.get(role) and not (catalogue or {}).get(role)]
    return ("Columns as mapped when saved: " + ", ".join(mapped)
            + (f"; not mapped: {', '.join(unmapped)}." if unmapped else "."))


st.title("Data")
SAMPLE_LABEL, SERVER_LABEL = "Bundled sample (Online Retail, 2010-12-01 to 2011-01-10)", "A file on the server"
root = data_root()  # set by the operator: files already on the server, of any size the limits allow
SAVED_KEY = "data-saved-message"  # said after the rerun that redraws the sidebar with the new active dataset
SOURCE_KEY, SHOW_ACTIVE = "data-source", "data-show-active"
active = st.session_state.get(DATASET_KEY)
active_meta = dataset_meta(active) if active else None
if st.session_state.pop(SHOW_ACTIVE, False) and active_meta is not None:  # just saved or made active: shown
    st.session_state[SOURCE_KEY] = "active"
# The active dataset first: the page showed the bundled sample's report beside a sidebar naming another dataset,
# and offered to make the sample active.
sources = (["active"] if active_meta is not None else []) + [SAMPLE_LABEL, "Upload files",
                                                             *([SERVER_LABEL] if root else [])]
source = st.radio("Source", sources, horizontal=True, key=SOURCE_KEY,
                  format_func=lambda s: f"The active dataset ({escape_markdown(active)})" if s == "active" else s)
version = None
if source == "active":
    if SAVED_KEY in st.session_state:  # (what was done, the dataset's name)
        done, saved_name = st.session_state.pop(SAVED_KEY)
        st.success(("Made" if done == "Made" else "Replaced" if done == "Replaced" else "Saved")
                   + f" '{escape_markdown(saved_name)}'"
                   + (" the active dataset." if done == "Made" else " and made it the active dataset."))
    try:
        saved_result = load_saved(active, active_meta["saved_at"])
    except GnnrecError as exc:  # damaged since it was listed: said, and the other sources stay
        st.error(escape_markdown(exc))
        st.stop()
    st.caption(f"Saved from {escape_markdown(active_meta.get('source') or 'an upload')}, as cleaned then. Another "
               "source above reads a new file to save.")
    report = saved_result.report  # which column is the customer: asked after a save
    st.caption(mapping_words(report.mapping, report.catalogue_mapping))
    show_joins(saved_result.report)
    show_cleaning(saved_result, saved_result.report.mapping.get("basket"))
    st.stop()
if source == SAMPLE_LABEL:
    events, items, lookup, default_name = (SAMPLE.read_bytes(), SAMPLE.name), None, None, SAMPLE_NAME
    category_names = None
else:
    if source == SERVER_LABEL:
        typed = st.text_input(f"Path of a CSV, TSV or Parquet file, or a folder of Parquet files, inside "
                              f"{escape_markdown(root)}", placeholder="orders.csv.gz")
    else:
        upload = st.file_uploader("Interaction log (orders, order lines, views or ratings)", type=UPLOAD_TYPES)
    with st.expander("Optional: item catalogue, category names and lookup table"):
        catalogue = st.file_uploader("Item catalogue (names, categories, prices), joined on the item column",
                                     type=UPLOAD_TYPES)
        lookup_file = st.file_uploader("Lookup table bringing a missing column through a shared key "
                                       "(e.g. orders.csv: order_id -> user_id)", type=UPLOAD_TYPES)
        names_file = st.file_uploader("Category names for a catalogue that gives codes (e.g. departments.csv: "
                                      "department_id -> department)", type=UPLOAD_TYPES)
    if source == SERVER_LABEL:
        if not typed.strip():
            st.info(f"Type the path of a log inside {escape_markdown(root)} ({ROOT_ENV}); large files are read by "
                    "DuckDB, a few seconds for a million lines.")
            st.stop()
        try:
            path = server_path(typed)
        except GnnrecError as exc:
            st.error(escape_markdown(exc))
            st.stop()
        events, version = (str(path), typed.strip()), version_of(path)
    elif upload is None:
        st.info("Upload a CSV, TSV, Excel, Parquet or JSON-lines file (optionally .gz, .zst or .zip).")
        st.stop()
    else:
        events = (upload.getvalue(), upload.name)
    items = (catalogue.getvalue(), catalogue.name) if catalogue else None
    lookup = (lookup_file.getvalue(), lookup_file.name) if lookup_file else None
    category_names = (names_file.getvalue(), names_file.name) if names_file else None
    default_name = Path(events[1]).name.split(".")[0][:60] or "dataset"

try:
    frame, detected = read_raw(events, lookup, version)
except GnnrecError as exc:
    st.error(escape_markdown(exc))
    st.stop()

try:  # what the catalogue brings: said in the dropdowns it fills, never "(none)"
    from_catalogue = {role: column for role, column in catalogue_roles(items).items() if column} if items else {}
except GnnrecError:
    from_catalogue = {}  # the catalogue's own error is said when the data is cleaned below
joined = set((frame.attrs.get("lookup") or {}).get("columns", []))

st.subheader("Column mapping")
# A file with no header: the page says what the CLI's ingest says of it (one note), and the columns left unread
headers = [str(c) for c in frame.columns]
guessed = guessed_note(headers, detected, {})
unread = [c for c in headers if c not in detected.values()]
said = f"{guessed[:1].upper()}{guessed[1:]}." + (f" Not read: {', '.join(unread)}." if unread else "")
st.caption((escape_markdown(said) if guessed else "No header: map each role below." if is_headerless(headers)
            else "Detected from names and content; change any role.")
           + (" '(catalogue)': the catalogue file's column fills the role." if from_catalogue else "")
           + (" '(lookup)': the column came through the lookup table's join." if joined else ""))
options = [NONE, *frame.columns]
# Keyed by every file: a lookup or catalogue added later detects again (a kept "(none)" misled after a join).
files = "|".join(f[1] for f in (events, lookup, items) if f)
mapping = {}
columns = st.columns(5)
for position, role in enumerate(ROLES):
    guess = detected.get(role)
    empty = f"{from_catalogue[role]} (catalogue)" if role in from_catalogue and role != "item" else NONE
    choice = columns[position % 5].selectbox(
        role.replace("_", " "), options, key=f"map-{role}-{files}",
        index=options.index(guess) if guess in options else 0,
        format_func=lambda c, empty=empty: empty if c == NONE else f"{c} (lookup)" if c in joined else c)
    mapping[role] = None if choice == NONE else choice
drop_non_products = st.checkbox("Drop non-product codes (postage, fees, manual adjustments)", value=True)
min_rating = None
if mapping.get("rating"):  # a 1-star rating is not a like: the user may say so (the CLI's --min-rating)
    min_rating = st.number_input("Minimum rating (lower ratings are dropped; empty keeps them all)", value=None,
                                 step=1.0, format="%g", key=f"min-rating-{files}",
                                 help="Rated lines below this are read as not liked and dropped, as `--min-rating` "
                                      "does; a held-out file on the Train page is read with the same floor.")
date_order = "auto"
if mapping.get("time"):  # nothing in a European export of the 1st to the 12th tells day from month
    date_order = st.selectbox("Dates written", DATE_ORDERS, key=f"date-order-{files}", format_func=DATE_ORDER_WORDS.get,
                              help="How a date such as 01/02/2024 is read. Told by the data: by a day past 12 where "
                                   "one is written, else as a note below says; a held-out file is read the same way.")

# Before the cleaning: where the mapping is refused, the columns must still be seen to map them.
with st.expander("Preview (first 50 rows as read)", expanded=False):
    st.dataframe(frame.head(50), hide_index=True)

try:
    result = clean(events, items, lookup, tuple(sorted(mapping.items())), drop_non_products, version, category_names,
                   min_rating, date_order)
except GnnrecError as exc:
    st.error(escape_markdown(exc))
    st.stop()

for warning in result.report.warnings:  # repairs made while reading: another encoding, sheet or header row
    st.warning(escape_markdown(warning))
show_joins(result.report)

show_cleaning(result, mapping["basket"])

st.subheader("Save")
same = next((d for d in ws().list_datasets() if d.get("fingerprint") == fingerprint(result)), None)
if same is not None:  # e.g. the bundled sample, or a file the CLI's train already saved
    st.info(f"This data is already saved as '{escape_markdown(same['name'])}'; save it again only to keep a "
            "copy under another name.")
    default_name = same["name"] if default_name == same["name"] else f"{default_name}-copy"
name = st.text_input("Dataset name", value=default_name, max_chars=64)
replace = False
# Replacing is a choice made here, never what Save does by default.
if ws().has_dataset(name) and (same is None or name.strip() != same["name"]):
    kept = next((d for d in ws().list_datasets() if d["name"] == name.strip()), None)
    st.warning(f"A dataset named '{escape_markdown(name.strip())}' is already saved"
               + (f" ({kept['report']['rows_kept']:,} rows from {escape_markdown(kept.get('source') or 'an upload')})"
                  if kept else "")
               + ". Choose another name to keep it, or tick the box to replace it"
               + _runs_it_closes(name.strip()) + ".")
    # Keyed by name, file and save count: a new upload, or the next save, asks again, unticked.
    replace = st.checkbox(f"Replace the saved dataset '{escape_markdown(name.strip())}'", value=False,
                          key=f"replace-{name.strip()}-{events[1]}-{st.session_state.get('data-saves', 0)}")
already = same is not None and name.strip() == same["name"]  # this very data, saved under this name
# This data saved before (under this name or another): made active by a button of its own, beside a Save
# that would keep a copy; Save under its own name was refused and left another dataset active.
if same is not None and st.button(f"Make '{escape_markdown(same['name'])}' the active dataset",
                                  type="primary" if already else "secondary", icon=":material/check:",
                                  disabled=st.session_state.get(DATASET_KEY) == same["name"]):
    # A new user's Save was refused there and they trained on the sample believing it was this file.
    follow_dataset(same["name"], ws().list_runs())  # its newest run with it, as a pick in the sidebar
    st.session_state[DATASET_KEY] = same["name"]
    mark_active(ws().root, same["name"])  # a new tab or a reload opens on it too
    st.session_state[SAVED_KEY] = ("Made", same["name"])
    st.session_state[SHOW_ACTIVE] = True
    st.rerun()
if not already and st.button("Save dataset", type="primary", icon=":material/save:"):
    try:
        saved = ws().save_dataset(name, result, source=events[1], replace=replace)
    except GnnrecError as exc:
        st.error(escape_markdown(exc))
    else:
        st.session_state["data-saves"] = st.session_state.get("data-saves", 0) + 1
        st.session_state[DATASET_KEY] = saved.name
        mark_active(ws().root, saved.name)
        st.session_state[SAVED_KEY] = ("Replaced" if replace else "Saved", saved.name)
        st.session_state[SHOW_ACTIVE] = True
        st.rerun()  # the sidebar, drawn before this page, then shows it

saved = ws().list_datasets()
if saved:
    st.caption("Saved datasets")
    st.dataframe(pd.DataFrame([{"name": d["name"], "source": d.get("source", ""), "rows": d["report"]["rows_kept"]}
                               for d in saved]), hide_index=True,
                 column_config={"rows": st.column_config.NumberColumn(format="localized")})
