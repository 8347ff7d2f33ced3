"""Compare page, period and segment modes: what changed within one dataset, tested.

Period mode splits the baskets at a date (or takes one month against the month before); segment
mode splits them by a column such as country or channel. Every product and pair is tested by the
engine (gnnrec_core.baskets.changes); this module only picks the sides and shows the result, in
words that follow the q-values.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from gnnrec_core import (
    STATUS_WORDS,
    ChangeConfig,
    GnnrecError,
    change_volcano,
    changes_html,
    compare_sides,
    month_starts,
    partners_by_side,
    segment_columns,
    segment_text,
    split_by_column,
    split_by_time,
    split_words,
    trajectory_figure,
    volcano_words,
    weekly_trajectory,
)
from gnnrec_core.baskets.history_shares import pair_share_words, share_of
from gnnrec_core.baskets.segment_order import basket_level_first
from gnnrec_core.baskets.split_dates import parse_date
from gnnrec_core.data.log_words import PURCHASES, LogWords, log_words
from gnnrec_core.serving.safe_text import escape_markdown
from pages.links import from_link, int_from_link, new_in_link, not_here, share
from pages.state import load_saved, ws
from pages.widgets import chart, csv_bytes, need_saved_dataset

NAMED = ("rising", "new", "falling", "gone")
Q_CHOICES = (0.01, 0.05, 0.1)
PARTNER_COLUMNS = {"partner": "partner", "name": "name", "together_a": "baskets together in a",
                   "together_b": "baskets together in b", "score_a": "lift bound in a", "score_b": "lift bound in b",
                   "in_top": "in the top 10 of"}


@st.cache_resource(show_spinner="Splitting baskets...", max_entries=8)
def sides(name: str, saved_at: float, how: tuple):
    events = load_saved(name, saved_at).events
    return split_by_time(events, *how[1:]) if how[0] == "time" else split_by_column(events, *how[1:])


@st.cache_data(show_spinner="Testing every product and pair...", max_entries=8)
def changes(name: str, saved_at: float, how: tuple, min_baskets: int, q: float):
    names = load_saved(name, saved_at).catalogue["name"]
    return compare_sides(sides(name, saved_at, how), names, ChangeConfig(min_baskets=min_baskets, q_threshold=q))


DATE_WORDS = {"start": "period a's start", "split": "the split", "end": "period b's end",
              "from": "the segments' first", "until": "the day after the segments' last"}


@st.cache_data(show_spinner="Counting weeks...", max_entries=16)
def weeks_of(name: str, saved_at: float, how: tuple, items: tuple[str, ...]) -> pd.DataFrame:
    """The weekly trajectory, kept: every tab's code runs on each rerun (7.6 s at 1M lines of ratings)."""
    split = sides(name, saved_at, how) if how[0] == "column" else None
    return weekly_trajectory(load_saved(name, saved_at).events, items, split=split)


def _date(param: str, fallback: dt.date, first: dt.date, last: dt.date) -> dt.date:
    """The link's date for `param` when it is a date within the data, else the fallback, with a
    warning the first time the link's value is read: a colleague's link showing another split than
    the one sent, without a word, reads as other figures for the same view."""
    text = st.query_params.get(param)
    if not text:
        return fallback
    try:
        value: dt.date | None = parse_date(text, param).date()  # the CLI's one reader of a date
    except GnnrecError:  # '-1', 'nan' or 12/05/2010 in a hand-edited link: the default, not a traceback
        value = None
    if value is not None and first <= value <= last:
        return value
    if new_in_link(param) is not None:
        not_here(f"{DATE_WORDS[param]} date (a date from {first} to {last})", text, str(fallback))
    return fallback


def pick_periods(events: pd.DataFrame) -> tuple:
    """Two periods: split at a date, or one month against the month before."""
    months = month_starts(events)
    times = events["time"].dropna()
    how = st.radio("Periods", ["Split at a date", "A month against the month before"], horizontal=True,
                   key="periods-how", disabled=len(months) < 2)
    if how == "Split at a date" or len(months) < 2:
        first, last = times.min().date(), times.max().date()
        middle = (times.min() + (times.max() - times.min()) / 2).date()
        c1, c2, c3 = st.columns(3)
        after = last + dt.timedelta(days=1)
        start = c1.date_input("Period a starts", _date("start", first, first, last), first, last)
        split = c2.date_input("Period b starts (split)", _date("split", middle, first, last), first, last)
        end = c3.date_input("Period b ends (day excluded)", _date("end", after, first, after), first, after)
        return ("time", str(split), str(start), str(end))
    month = st.selectbox("Month", months[1:], index=len(months) - 2, format_func=lambda m: f"{m:%B %Y}")
    position = months.index(month)
    after = months[position + 1] if position + 1 < len(months) else month + pd.offsets.MonthBegin(1)
    first, last = times.min(), times.max()
    for start, stop, side in ((months[position - 1], month, "a"), (month, after, "b")):
        covered = (min(stop, last + pd.Timedelta(days=1)) - max(start, first.normalize())).days
        whole = (stop - start).days
        if covered < whole:  # 10 days of January against a whole December read as a like-for-like month
            st.caption(f"Period {side:s} holds {max(covered, 0):d} of its {whole:d} days in this data (it runs "
                       f"{first:%Y-%m-%d} to {last:%Y-%m-%d}): shares of baskets compare fairly, counts do not.")
    return ("time", str(month.date()), str(months[position - 1].date()), str(after.date()))


def pick_segments(events: pd.DataFrame) -> tuple | None:
    columns = segment_columns(events)
    if not columns:
        st.info("This dataset has no column to split by: upload a log with a column such as country, channel or "
                "store (2 to 50 values), or compare periods.")
        return None
    columns, within_baskets = basket_level_first(events, columns)
    linked = from_link("by", columns, "the column")
    column = st.selectbox("Split by", columns, index=columns.index(linked) if linked else 0, key="segments-by",
                          format_func=lambda c: f"{c} (differs within baskets)" if c in within_baskets else c)
    values = segment_text(events[column if column == "event" else f"segment:{column}"]).value_counts().index.tolist()
    if len(values) < 2:
        st.info(f"'{escape_markdown(column)}' has one value only.")
        return None
    for side in ("a", "b"):
        value = from_link(side, values, f"the {column} value")
        other = st.session_state.get(f"segment-a-{column}") if side == "b" else None
        fallback = next(v for v in values if v != other)  # b never falls back onto a's value
        if value is not None or st.session_state.get(f"segment-{side}-{column}") not in values:
            st.session_state[f"segment-{side}-{column}"] = value or fallback
    c1, c2 = st.columns(2)
    group_a = c1.selectbox("Segment a", values, key=f"segment-a-{column}")
    group_b = c2.selectbox("Segment b", values, key=f"segment-b-{column}")
    if group_a == group_b:
        st.info("Pick two different values.")
        return None
    return ("column", column, (group_a, group_b), *_segment_window(events))


def _segment_window(events: pd.DataFrame) -> tuple[str | None, str | None]:
    """The dates both segments are compared within (two countries in December); None for an end
    left at the data's own."""
    times = events["time"].dropna()
    if times.empty:
        return None, None
    first, last = times.min().date(), times.max().date()
    after = last + dt.timedelta(days=1)
    c1, c2 = st.columns(2)
    # Unkeyed, as the periods' dates: a link's dates make a new widget rather than lose to the last one's state
    since = c1.date_input("Baskets from", _date("from", first, first, last), first, last)
    until = c2.date_input("Until (day excluded)", _date("until", after, first, after), first, after)
    return (str(since) if since != first else None), (str(until) if until != after else None)


def show_changes(kind: str) -> None:
    name, dataset = need_saved_dataset()  # the active one (a link's `dataset` makes it active); baskets alone
    saved = {d["name"]: d["saved_at"] for d in ws().list_datasets()}
    st.caption(f"Within the active dataset, {escape_markdown(name)} (change it in the sidebar).")
    events, words = dataset.events, log_words(dataset.mapping)  # "rated together" on a ratings log
    if kind == "periods" and events["time"].isna().all():
        st.info("This dataset has no dates: map a time column on the Data page, or compare segments.")
        return
    how = pick_periods(events) if kind == "periods" else pick_segments(events)
    if how is None:
        return
    c1, c2 = st.columns(2)
    int_from_link("min", 2, 10_000, "the fewest baskets tested", "changes-min")
    q_linked = from_link("q", [str(v) for v in Q_CHOICES], "the q threshold")
    if q_linked is not None:
        st.session_state["changes-q"] = float(q_linked)
    st.session_state.setdefault("changes-min", 10)
    st.session_state.setdefault("changes-q", 0.05)
    min_baskets = int(c1.number_input("Test only products and pairs in at least this many baskets", 2, 10_000,
                                      key="changes-min"))
    q = c2.select_slider("False discovery rate (q threshold)", list(Q_CHOICES), key="changes-q")
    try:
        report = changes(name, saved[name], how, min_baskets, q)
    except GnnrecError as exc:
        st.error(escape_markdown(exc))
        return
    options = report.items["item"].tolist()
    partner = _partner_choice(report, options)
    link = {"mode": kind, "dataset": name} | ({"start": how[2], "split": how[1], "end": how[3]} if how[0] == "time" else
                                             {"by": how[1], "a": how[2][0], "b": how[2][1]} |
                                             {key: day for key, day in zip(("from", "until"), how[3:]) if day})
    share(**link, min=str(min_baskets), q=str(q), **({"item": partner} if partner is not None else {}))
    a, b = report.periods
    describe = _segment_words if how[0] == "column" else _period_words
    m1, m2 = st.columns(2)
    m1.metric(f"a: {describe(a)}", f"{a['baskets']:,} baskets")
    m2.metric(f"b: {describe(b)}", f"{b['baskets']:,} baskets")
    for sentence in split_words(sides(name, saved[name], how), how[1] if how[0] == "column" else None):
        st.caption(escape_markdown(sentence))
    status_words = ", ".join(report.word(status) for status in NAMED[:-1]) + f" or {report.word(NAMED[-1])}"
    buyers = (f" on buyers, not baskets (a customer's repeat orders are one buyer: a holds {a['buyers']:,}, "
              f"b {b['buyers']:,})") if report.repeat_buyers else ""
    st.caption(f"Each product's and pair's {share_of(report.pair_shares)}, tested with Fisher's exact test{buyers}; a "
               "change is "
               f"named ({status_words}) only when its Benjamini-Hochberg q-value is at most {q} "
               f"({len(report.items):,} products and {len(report.pairs):,} pairs in at least {min_baskets} "
               "baskets were tested; the rest are not listed).")
    if report.pair_floor_words() is not None:
        st.caption(escape_markdown(report.pair_floor_words()))
    nothing = report.nothing_named("lower 'Test only products and pairs in at least this many baskets' above")
    if nothing is not None:  # a chart flat at zero and tables saying "empty" said nothing of why
        st.info(escape_markdown(nothing))
    tabs = st.tabs(["Products", "Pairs", "A product's partners", "Weekly trajectory"])
    with tabs[0]:
        _named_table(report, report.items, report.items["name"].fillna(report.items["item"]), q, "products")
    with tabs[1]:
        if report.pairs.empty:  # an empty chart says nothing: say why, and what to change
            st.info(f"No pair of products is in at least {min_baskets} baskets of a and b together, so no pair "
                    "was tested: lower 'Test only products and pairs in at least this many baskets' above "
                    "to test rarer pairs.")
        else:
            labels = report.pairs["a_name"].fillna(report.pairs["a"]) + " + " + report.pairs["b_name"].fillna(
                report.pairs["b"])
            _named_table(report, report.pairs, labels, q, "pairs", words)
    names = load_saved(name, saved[name]).catalogue["name"]
    label = lambda i: f"{i} · {names.get(i, '')}"  # noqa: E731
    with tabs[2]:
        item = st.selectbox("Product", options, format_func=label, key="changes-partner") if options else None
        if item is not None:
            partners = partners_by_side(sides(name, saved[name], how), item, names=names)
            top_words = "'b only' is in b's top 10 and not a's" if report.segments else "'b only' joined its top 10"
            st.caption(f"Its {words.bought}-together partners on each side, by lift's 95% lower bound (lift shrunk "
                       f"toward 1 where few baskets back it), top 10 of either; {top_words}, 'a only' the other way; "
                       "'-': fewer than 2 baskets together on that side.")
            st.dataframe(_partner_table(partners), hide_index=True)
    with tabs[3]:
        picked = st.multiselect("One product, or two for a pair", options, default=options[:1], max_selections=2,
                                format_func=label, key="changes-trajectory")
        if picked and events["time"].isna().all():  # segments of a log without dates: no weeks to draw
            st.info("This dataset has no dates, so no week-by-week trajectory: map a time column on the Data page.")
        elif picked:
            weeks = weeks_of(name, saved[name], how, tuple(picked)).copy()
            if how[0] == "column":  # each segment's own share, named as the metrics above name it
                weeks["side"] = weeks["side"].map({"a": f"a: {a['column']} = {a['group']}",
                                                   "b": f"b: {b['column']} = {b['group']}"})
            split = pd.Timestamp(how[1]) if how[0] == "time" else None
            chart(trajectory_figure(weeks, " + ".join(str(names.get(i, i)) for i in picked), split), weeks,
                  "weekly_trajectory", key="trajectory")
    # Built on the click, not on every rerun (as the Train page's report): a year of invoices names 375k pairs
    st.download_button("Download this comparison (HTML report)", lambda: changes_html(report, name, words).encode(),
                       "what_changed.html", "text/html")


def _period_words(period: dict) -> str:
    return f"{period['start'][:10]} to {_last_day(period['end'])}"


def _segment_words(segment: dict) -> str:
    """"Country = France", and the dates it is compared within where it has them."""
    words = f"{escape_markdown(segment['column'])} = {escape_markdown(segment['group'])}"
    return words + (f", {_period_words(segment)}" if "start" in segment else "")


def _last_day(end: str) -> str:
    """A period's last day, as a date_input shows days: its end is the first moment after it."""
    return f"{pd.Timestamp(end) - pd.Timedelta(seconds=1):%Y-%m-%d}"


def _partner_choice(report, options: list[str]) -> str | None:
    """The partners tab's product: the link's, else the one picked, else the product in the most
    baskets (the first by q was often new, with no partners in a). Settled before the link is
    written, so the link holds it."""
    if not options:
        return None
    linked = from_link("item", options, "the product")
    if linked is not None or st.session_state.get("changes-partner") not in options:
        busiest = int((report.items["baskets_a"] + report.items["baskets_b"]).to_numpy().argmax())
        st.session_state["changes-partner"] = linked or options[busiest]
    return str(st.session_state["changes-partner"])


def _partner_table(partners: pd.DataFrame) -> pd.DataFrame:
    """The engine's partner columns in words; a bound below the evidence floor as '-', not None."""
    shown = partners.copy()
    for column in ("score_a", "score_b"):
        shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
    return shown.rename(columns=PARTNER_COLUMNS)


def _named_table(report, table: pd.DataFrame, labels: pd.Series, q: float, what: str,
                 words: LogWords = PURCHASES) -> None:
    counts = table["status"].value_counts()
    for column, status in zip(st.columns(4), NAMED):
        column.metric(report.word(status).capitalize(), f"{counts.get(status, 0):,}")
    chart(change_volcano(table, labels, q, f"Every {what[:-1]} tested: effect against evidence",
                         STATUS_WORDS["column" if report.segments else "time"]), None,
          f"{what}_changes", key=f"volcano-{what}")
    st.caption("A product or pair in no basket of one side is drawn as if half a basket there held it (the ratio "
               "of a share to zero has no logarithm); its counts are in the table. " + volcano_words(len(table)))
    shown = st.multiselect("Show", [*NAMED, "no clear change"], default=list(NAMED), key=f"show-{what}",
                           format_func=report.word)
    kept = table["status"].isin(shown)
    rows = table[kept | (table["association"] != "") if what == "pairs" else kept]  # a pair together more: shown
    # In words, the verdict first: raw names (share_change read as a 12% relative change for 0.68% ->
    # 12.87%) and a status off-screen at 1400 px. The CSV keeps every column as the engine names it.
    names = ["item", "name"] if what == "products" else ["a_name", "b_name"]
    lifts = [] if what == "products" else ["lift_a", "lift_b"]
    together = [] if what == "products" else ["association"]
    shown_rows = rows.assign(points=rows["share_change"] * 100)
    # Shares of the product pairs within histories run under 0.005%: "percent" drew them as 0.00%; in
    # percent with three significant figures instead (the CSV keeps the engine's fractions)
    tiny = report.pair_shares
    if tiny:
        shown_rows = shown_rows.assign(share_a=rows["share_a"] * 100, share_b=rows["share_b"] * 100)
    wide = 230 if what == "products" else 150  # two names in the pairs' table: every column fits 1400 px
    # A pair's 'together' takes the place of its change in points (share b - share a, both shown)
    points = ["points"] if what == "products" else []
    buyers = ["buyers_a", "buyers_b"] if report.repeat_buyers else []  # the test's counts, where not the baskets'
    st.dataframe(shown_rows, hide_index=True, column_order=[
        *names, "status", *together, "baskets_a", "baskets_b", *buyers, "share_a", "share_b", *points, *lifts,
        "q_value"],
        column_config={
        "name": st.column_config.TextColumn(width=wide), "a_name": st.column_config.TextColumn("product", width=wide),
        "b_name": st.column_config.TextColumn("with", width=wide),
        "baskets_a": st.column_config.NumberColumn("in a", help="baskets of period or segment a holding it"),
        "baskets_b": st.column_config.NumberColumn("in b", help="baskets of period or segment b holding it"),
        "buyers_a": st.column_config.NumberColumn("buyers a", help="a's customers with a basket holding it (tested)"),
        "buyers_b": st.column_config.NumberColumn("buyers b", help="b's customers with a basket holding it (tested)"),
        **{f"share_{side}": st.column_config.NumberColumn(
            f"share {side}" + (", %" if tiny else ""), format="%.3g" if tiny else "percent", help=(
                f"in {side}: the {share_of(True)}" if tiny else f"share of {side}'s baskets")) for side in "ab"},
        "points": st.column_config.NumberColumn("change", format="%+.3g pts" if tiny else "%+.2f pts",
                                                help="share b - share a, in percentage points"),
        # The grid draws a missing lift as "None": the help says why it is missing
        **{f"lift_{side}": st.column_config.NumberColumn(f"lift {side}", format="%.1f", help=(
            f"baskets of {side} holding both over chance (1: chance); None where one of the two is in no basket of "
            f"{side}")) for side in "ab"},
        "association": st.column_config.TextColumn(
            "together", width=70, help=words.said(
                "stronger or weaker: goes together more or less in b than in a beyond each product's own sales "
                "(Woolf's test of the odds ratios over baskets, evidence counted in buyers; q at most the threshold)")),
        "q_value": st.column_config.NumberColumn("q", format="%.1e",  # one form: "%.2g" mixed 2.5e-10 and 0.0000021
                                                 help="p-value corrected for every test made (Benjamini-Hochberg)")})
    if what == "pairs":
        changed = int((table["association"] != "").sum())
        st.caption(f"A pair rises or falls by {pair_share_words(report.pair_shares)} ({words.bought} together more or "
                   "less often); "
                   f"lift in a and in b says whether they go together more than each product's own {words.sales} "
                   "explain, and 'together' where that changed beyond chance: "
                   + (f"{changed:,} pair{'s' if changed > 1 else ''} of those tested (shown whatever their status)."
                      if changed else f"no pair tested did, so pairs named rose or fell with their products' "
                      f"{words.sales}."))
    st.download_button("Download (CSV)", lambda: csv_bytes(rows), f"{what}_changes.csv", "text/csv",
                       key=f"csv-{what}")
