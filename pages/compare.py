"""Compare: two runs (metrics, neighbourhoods that changed), two datasets (summary figures,
shared top associations), or two periods or segments of one dataset (what changed, tested)."""

import pandas as pd
import streamlit as st

from gnnrec_core import (
    DataSummary,
    catalogue_stats,
    compare_neighbours,
    comparison_bars,
    pair_overlap,
    summary,
    top_pairs,
)
from gnnrec_core.baskets.evidence import THIN
from gnnrec_core.serving.explore import overlap_words
from gnnrec_core.serving.run_diff import (
    CHANGE_COLUMNS,
    as_printed,
    blend_weights,
    blends_by_parts,
    run_settings,
    runs_side_by_side,
    same_interactions,
    unlike_products,
)
from gnnrec_core.serving.safe_text import escape_markdown, markdown_cells
from pages.changes_view import show_changes
from pages.links import from_link, in_link, int_from_link, share
from pages.state import RUN_KEY, dataset_meta, load_run, load_saved, run_items, run_words, ws
from pages.widgets import (
    MISSING,
    chart,
    csv_bytes,
    dataset_problem,
    run_label,
    run_valid_ndcg,
    thin_column,
    thin_words,
)


@st.cache_data(show_spinner="Comparing neighbourhoods...", max_entries=8)
def neighbour_changes(run_a: str, run_b: str, k: int) -> pd.DataFrame:
    a, b = load_run(run_a), load_run(run_b)
    return compare_neighbours(a.model, a.items, b.model, b.items, k)


@st.cache_data(show_spinner="Counting baskets...", max_entries=8)
def dataset_pairs(name: str, saved_at: float, n: int) -> tuple[DataSummary, pd.DataFrame]:
    data = load_saved(name, saved_at)  # baskets alone: a basket list has no user-item graph
    stats, items = catalogue_stats(data.events)
    names = data.catalogue["name"]
    pairs = top_pairs(stats, items, n, names=names)
    pairs.insert(1, "a_name", pairs["a"].map(names))
    pairs.insert(3, "b_name", pairs["b"].map(names))
    return summary(data), pairs


PAIR_COLUMNS = {"a": "product A", "a_name": "name A", "b": "product B", "b_name": "name B", "count": "shared baskets",
                "lift": "lift", "lift_low": "lift, 95% low", "thin": "thin evidence"}


st.title("Compare")
MODES = {"runs": "Two runs", "datasets": "Two datasets", "periods": "Two periods", "segments": "Two segments"}
linked_mode = from_link("mode", MODES, "the comparison")
if linked_mode is not None:
    st.session_state["compare-mode"] = MODES[linked_mode]
mode = st.radio("Compare", list(MODES.values()), horizontal=True, key="compare-mode")
kind_shown = next(kind for kind, label in MODES.items() if label == mode)
if st.query_params.get("mode") != kind_shown:  # another mode picked: the last mode's link goes (a mode that
    in_link(mode=kind_shown)  # stops before its own link left the other's in the bar)


def pick_pair(kind: str, options: list[str], labels: dict[str, str],
              fallbacks: tuple[str, str] | None = None, **also: str) -> tuple[str, str]:
    """Selectors for sides A and B (by default `fallbacks`, else the second option and the first);
    a link's `a` and `b` set them. `also`: the mode's other choices, for its link."""
    keys = {side: f"compare-{kind}-{side}" for side in ("a", "b")}
    for side, fallback in zip(("a", "b"), fallbacks or (options[1], options[0])):
        value = from_link(side, options, f"the {kind[:-1]}")
        if value is not None or st.session_state.get(keys[side]) not in options:
            st.session_state[keys[side]] = value or fallback
    left, right = st.columns(2)
    a = left.selectbox(f"{kind[:-1].capitalize()} A", options, format_func=labels.get, key=keys["a"])
    b = right.selectbox(f"{kind[:-1].capitalize()} B", options, format_func=labels.get, key=keys["b"])
    share(mode=kind, a=a, b=b, **also)
    return a, b


@st.cache_data(show_spinner="Reading both runs' interactions...", max_entries=16)
def one_data(run_a: str, run_b: str) -> bool:
    """Both runs on the same customers, products and interactions (datasets saved apart, one with
    a column more): their figures compare."""
    return same_interactions(load_run(run_a), load_run(run_b))


def default_runs(runs: list) -> tuple[str, str]:
    """(A, B) before anyone picks: B the active run (else the best on validation), A the best other
    run on B's dataset. Where B's dataset has no other run, the best two runs of another dataset
    that has two (a new user's page opened on one dataset's run against another's); two datasets'
    runs only where no dataset has two."""
    active = st.session_state.get(RUN_KEY)
    b = next((r for r in runs if r.run_id == active), runs[0])
    others = [r for r in runs if r.run_id != b.run_id]
    a = next((r for r in others if r.dataset.name == b.dataset.name), None)
    if a is not None:
        return a.run_id, b.run_id
    for dataset in dict.fromkeys(r.dataset.name for r in others):  # best validation first
        pair = [r for r in others if r.dataset.name == dataset][:2]
        if len(pair) == 2:
            return pair[1].run_id, pair[0].run_id
    return others[0].run_id, b.run_id


if mode in (MODES["periods"], MODES["segments"]):
    show_changes("periods" if mode == MODES["periods"] else "segments")
elif mode == "Two runs":
    runs = ws().list_runs()
    if len(runs) < 2:
        st.info("Comparing runs needs two saved runs: train another on the Train page "
                "(another model, seed or dataset).")
        st.stop()
    runs = sorted(runs, key=lambda r: -(run_valid_ndcg(r) or -1.0))  # best on validation first
    labels = {r.run_id: run_label(r) for r in runs}
    st.caption("Runs are listed and compared by validation nDCG (a slice of train); the test columns are the "
               "final figures, not for choosing between runs.")
    int_from_link("k", 5, 30, "the neighbours compared", "compare-runs-k")
    st.session_state.setdefault("compare-runs-k", 10)
    k_shown = int(st.session_state["compare-runs-k"])
    run_a, run_b = pick_pair("runs", list(labels), labels, fallbacks=default_runs(runs), k=str(k_shown))
    info_a, info_b = load_run(run_a).info, load_run(run_b).info
    marks = [(dataset_meta(info.dataset.name) or {}).get("fingerprint") for info in (info_a, info_b)]
    stale = [dataset_problem(load_run(run)) for run in (run_a, run_b)]  # a dataset now is not the run's then
    for side, problem in zip("AB", stale):
        if problem is not None:
            st.caption(f"Run {side}: {problem}")
    same_data = marks[0] is not None and marks[0] == marks[1] and stale == [None, None]  # one upload, two names
    other_data = info_a.dataset.name != info_b.dataset.name
    if other_data and same_data:
        st.caption(f"Runs A and B are on {escape_markdown(info_a.dataset.name)} and "
                   f"{escape_markdown(info_b.dataset.name)}, two names for the same data: their figures compare.")
    elif other_data and one_data(run_a, run_b):
        st.caption(f"Runs A and B are on {escape_markdown(info_a.dataset.name)} and "
                   f"{escape_markdown(info_b.dataset.name)}, which hold the same customers, products and "
                   "interactions (they differ in other columns): their figures compare.")
    elif other_data:
        st.warning(f"Run A is on the dataset {escape_markdown(info_a.dataset.name)}, run B on "
                   f"{escape_markdown(info_b.dataset.name)}: other customers and products, so their figures say "
                   "nothing of which model is better. Pick two runs on one dataset, or compare the data under "
                   "Two datasets.")
    settings = run_settings(info_a, info_b)
    comparable = not other_data or same_data or one_data(run_a, run_b)  # what the page says compares
    other_split = bool(settings.set_index("setting").loc["split", "differs"])
    if comparable and other_split:
        st.warning("Runs A and B were scored on different splits (see the settings below): their test figures are "
                   "on other customers' held-out purchases, so a change between them is not a change of model alone.")
    if info_a.k != info_b.k:  # nDCG@5 beside nDCG@10 read as a change of model (`compare-runs` says it too)
        st.warning(f"Run A is scored at nDCG@{info_a.k}, run B at nDCG@{info_b.k}: their figures are not the same "
                   "measure, so their changes say nothing of the models.")
    differs = settings[settings["differs"]].drop(columns="differs")
    if differs.empty:
        st.caption("The two runs were asked for the same settings.")
    else:
        st.caption("What each run was asked to do, where the two differ (a run's id names its folder in the "
                   "workspace):")
        st.table(markdown_cells(differs.set_index("setting")))
    with st.expander("Every setting of both runs"):
        st.table(markdown_cells(settings.drop(columns="differs").set_index("setting")))
    # Each run's figures as printed, so that a change is the difference of the two figures shown
    metrics_a, metrics_b = (as_printed(blends_by_parts(info), ["valid_ndcg", "ndcg", "recall", "coverage"])
                            for info in (info_a, info_b))
    merged = runs_side_by_side(metrics_a, metrics_b)
    cols = list(merged.columns)
    # nDCG on the page, recall and coverage below it, short headers (the long name in each one's help):
    # eleven columns under full headers ran off the page's right edge (a new user's report)
    short = {"validation change": "val. change", "test nDCG change": "test change"} | {
        f"{long} {side}": f"{word} {side}" for long, word in (("validation nDCG", "val."), ("test nDCG", "test"),
                                                              ("test recall", "recall"), ("test coverage", "coverage"))
        for side in "AB"}
    # Wide enough for a blend's parts ("LightGCN + random-walk filter + popularity" was cut at "popularit")
    config = {"model": st.column_config.TextColumn(width=340, pinned=True),
              **{c: st.column_config.NumberColumn(short[c], format="%.4f", width=80, help=c) for c in cols[1:]}}
    shown = as_printed(merged, cols[1:])
    # A change is the model's alone on one data, one split and one measure (compare-runs' "comparable");
    # elsewhere each run's figures stand, not their difference
    why_not = ("on different data" if not comparable else "on different splits" if other_split else
               "at different cut-offs" if info_a.k != info_b.k else None)
    changes = CHANGE_COLUMNS if why_not else ()
    # Every row in sight: at the default height the eleventh row (a second blend) hid below a scroll
    st.dataframe(shown, hide_index=True, placeholder=MISSING, column_config=config, height=35 * (len(shown) + 1) + 3,
                 column_order=[c for c in cols if "recall" not in c and "coverage" not in c and c not in changes])
    with st.expander("Test recall and catalogue coverage"):
        st.dataframe(shown, hide_index=True, placeholder=MISSING, column_config=config,
                     column_order=[c for c in cols if c == "model" or "recall" in c or "coverage" in c])
    weights = [f"run {side}, {'; '.join(blend_weights(info))}" for side, info in (("A", info_a), ("B", info_b))
               if blend_weights(info)]
    if weights:  # the blend rows' weights, chosen on each run's own validation
        st.caption("Blend weights, chosen on each run's validation: " + escape_markdown("; ".join(weights)) + ".")
    if merged[cols[1:]].isna().any().any():
        st.caption(f"A '{MISSING}' cell: that run has no such row (a blend is a row only where validation chose "
                   "one, and two runs' blends of different filters are two rows; a model may have been left out "
                   "of a run).")
    by = "valid_ndcg" if metrics_a["valid_ndcg"].notna().any() and metrics_b["valid_ndcg"].notna().any() else "ndcg"
    same_k = info_a.k if info_a.k == info_b.k else None  # two cut-offs: the title says @k
    if why_not is None:
        chart(comparison_bars(metrics_a, metrics_b, "A", "B", metric=by, k=same_k), merged[cols], "run_comparison",
              key="runs-bars")
    else:  # bars side by side read as "which is better", which the warning above says they cannot tell
        st.caption(f"No chart of A against B and no change columns: the two runs' figures are {why_not}.")

    st.subheader("Neighbourhoods that changed")
    k = st.slider("Neighbours compared per product", 5, 30, key="compare-runs-k")
    words = run_words(load_run(run_b))  # what run B's log records: raters of a ratings log
    unlike = unlike_products(run_words(load_run(run_a)), words)
    if unlike is not None:  # a film's code and a place's matched by chance
        st.info(escape_markdown(unlike[0].upper() + unlike[1:] + "."))
        st.stop()
    changes = neighbour_changes(run_a, run_b, k)
    floor_a, floor_b = changes.attrs.get("min_buyers", (1, 1))
    if changes.empty:
        st.info(f"The two runs share no product with at least {max(floor_a, floor_b):d} {words.buyers} (A's floor "
                f"{floor_a:d}, B's {floor_b:d}, as on the Product neighbourhood page).")
        st.stop()
    if stale[1] is not None:  # run B's names and buyers come from its dataset: gone or replaced (said above)
        st.stop()
    items_b = run_items(run_b).set_index("item")["name"]
    st.metric("Mean overlap of top neighbours (Jaccard)", overlap_words(float(changes["overlap"].mean())),
              help=f"Over {len(changes):,} products both runs know with at least {max(floor_a, floor_b):d} "
                   f"{words.buyers} (A's floor {floor_a:d}, B's {floor_b:d}, as on the Product neighbourhood page): "
                   f"fewer {words.buyers} "
                   "give neighbours by chance")
    facts_b = run_items(run_b).set_index("item")
    changes = changes.assign(name=changes["item"].map(items_b), buyers=changes["item"].map(facts_b["buyers"]),
                             **{"neighbours gained": changes["gained"].map(len)},
                             **{"neighbours lost": changes["lost"].map(len)})
    # Products of few buyers change neighbours by chance: the thin last (marked, as on every list), the
    # most bought first among equal overlaps. Sorted by overlap alone, products of 2-3 buyers led the list.
    changes = changes.assign(thin=changes["buyers"] < THIN).sort_values(["thin", "overlap", "buyers"],
                                                                         ascending=[True, True, False])
    changes["gained"] = changes["gained"].map(lambda c: ", ".join(str(items_b.get(i, i)) for i in c[:5]))
    changes["lost"] = changes["lost"].map(lambda c: ", ".join(str(items_b.get(i, i)) for i in c[:5]))
    shown = changes[["item", "name", "buyers", "thin", "overlap", "neighbours gained", "neighbours lost", "gained",
                     "lost"]]
    st.dataframe(thin_words(shown.head(200)), hide_index=True, column_config={
        "overlap": st.column_config.ProgressColumn("overlap (Jaccard)", format="%.2f", min_value=0, max_value=1),
        "buyers": st.column_config.NumberColumn(f"{words.buyers} (run B)",
                                                help=f"customers who {words.bought} it, in run B's data"),
        "thin": thin_column(f"fewer than {THIN} {words.buyers}: its neighbours change by chance; listed after the "
                            "rest"),
        # "gained 10, lost 5" at k = 10 read as a miscount: each side counts only products both runs know
        "neighbours gained": st.column_config.NumberColumn(help=f"of B's top {k}, those not in A's, among the products "
                                                                "both runs know (so gained and lost can differ)"),
        "neighbours lost": st.column_config.NumberColumn(help=f"of A's top {k}, those not in B's, among the products "
                                                              "both runs know (so gained and lost can differ)")})
    st.download_button("Download (CSV)", csv_bytes(shown), "neighbour_changes.csv", "text/csv")
else:
    datasets = ws().list_datasets()
    if len(datasets) < 2:
        st.info("Comparing datasets needs two saved datasets: upload another on the Data page.")
        st.stop()
    names = [d["name"] for d in datasets]
    saved = {d["name"]: d["saved_at"] for d in datasets}
    int_from_link("n", 50, 1000, "the top pairs compared", "compare-datasets-n")
    st.session_state.setdefault("compare-datasets-n", 200)
    a, b = pick_pair("datasets", names, {n: n for n in names}, n=str(st.session_state["compare-datasets-n"]))
    n = st.slider("Top association pairs compared (by shrunk lift, >= 3 shared baskets)", 50, 1000, step=50,
                  key="compare-datasets-n")
    summary_a, pairs_a = dataset_pairs(a, saved[a], n)
    summary_b, pairs_b = dataset_pairs(b, saved[b], n)
    lines_a, lines_b = dict(summary_a.lines()), dict(summary_b.lines())  # dates only where a dataset has them
    figures = pd.DataFrame({"figure": list(lines_a | lines_b), "A": [lines_a.get(f, "none") for f in lines_a | lines_b],
                            "B": [lines_b.get(f, "none") for f in lines_a | lines_b]})
    st.dataframe(figures.rename(columns={"A": f"A: {a}", "B": f"B: {b}"}), hide_index=True)
    overlap = pair_overlap(pairs_a, pairs_b)
    st.metric(f"Top pairs in both (of {overlap['pairs_a']:,} in A and {overlap['pairs_b']:,} in B)",
              f"{overlap['shared']:,}",  # "44 of 200 / 200" read as a riddle
              help=f"Jaccard {overlap['jaccard']:.2f}: the pairs in both tops over the pairs in either")
    c1 = c2 = st.container()  # one above the other: side by side, the names were cut off
    c1.caption(f"Top pairs in {escape_markdown(a)}")
    c1.dataframe(pairs_a.rename(columns=PAIR_COLUMNS), hide_index=True)
    c2.caption(f"Top pairs in {escape_markdown(b)}")
    c2.dataframe(pairs_b.rename(columns=PAIR_COLUMNS), hide_index=True)
