"""Deep links: the address bar holds what a page shows, so a stakeholder can be sent one product's
neighbourhood, one customer's recommendations or one comparison.

A page reads its link with `from_link` and writes what it shows with `share`. A link's value is
applied once, when it first appears (a fresh link or a pasted URL); after that the user's own
choices win, and `share` puts them back into the address bar. Streamlit clears query parameters
when the user moves to another page, so each page's link holds only that page's choices, plus
`run` (or `dataset`) for what is active.
"""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlencode

import streamlit as st

from gnnrec_core import RunInfo
from gnnrec_core.serving.safe_text import escape_markdown
from pages.state import DATASET_KEY, RUN_KEY

_SEEN = "_links_seen"  # the link values already applied in this session, by parameter


def new_in_link(param: str) -> str | None:
    """The link's value for `param` when this session has not applied it yet (then marked applied)."""
    value = st.query_params.get(param)
    seen = st.session_state.setdefault(_SEEN, {})
    if value is None or seen.get(param) == value:
        return None
    seen[param] = value
    return value


def not_here(what: str, value: str, instead: str = "the current choice") -> None:
    """The one-line warning for a link value that cannot be shown, escaped: a link's value (and a
    column name in `what`) is shown as typed, never as a link, image or other Markdown."""
    st.warning(f"The link asks for {escape_markdown(what)} '{escape_markdown(value)}', which is not here; "
               f"showing {escape_markdown(instead)} instead.")


def from_link(param: str, valid: Iterable[str], what: str) -> str | None:
    """The link's value for `param` when it is new to this session and one of `valid`; None
    otherwise, with a warning naming an unknown value."""
    value = new_in_link(param)
    if value is None:
        return None
    if value not in set(valid):
        not_here(what, value)
        return None
    return value


def int_from_link(param: str, low: int, high: int, what: str, key: str) -> None:
    """A whole number from the link, new to this session and within [low, high], put in the
    widget's session `key`; else a warning naming it."""
    value = new_in_link(param)
    if value is None:
        return
    if value.strip().isascii() and value.strip().isdigit() and low <= int(value) <= high:  # not '²' (isdigit)
        st.session_state[key] = int(value)
    else:
        not_here(f"{what} (a whole number from {low:,} to {high:,})", value)


def from_link_list(param: str, valid: Iterable[str], what: str, separator: str = ",") -> list[str] | None:
    """A link's list (values joined by `separator`) when new to this session: the values among
    `valid`, in the link's order, with a one-line warning naming those that are not here; None when
    the link has no new value for `param`."""
    value = new_in_link(param)
    if value is None:
        return None
    wanted = [v for v in value.split(separator) if v]
    known = set(valid)
    unknown = [v for v in wanted if v not in known]
    if unknown:
        st.warning(f"The link asks for {escape_markdown(what)} {escape_markdown(', '.join(repr(u) for u in unknown))}, "
                   "which are not here; left out.")
    return [v for v in wanted if v in known]


def follow_active_link(datasets: list[dict[str, Any]], runs: list[RunInfo]) -> None:
    """`run` (and `dataset`) in a link make that run and its dataset the active ones."""
    run_id = from_link("run", [r.run_id for r in runs], "the run")
    if run_id is not None:
        st.session_state[RUN_KEY] = run_id
        st.session_state[DATASET_KEY] = next(r.dataset.name for r in runs if r.run_id == run_id)
    dataset = from_link("dataset", [d["name"] for d in datasets], "the dataset")
    if dataset is not None:
        st.session_state[DATASET_KEY] = dataset


def in_link(**params: str) -> None:
    """The address bar holds `params` alone, each marked applied: a value the page wrote itself is
    not a link to follow on the next rerun (Compare's mode, written before a mode that stops early,
    was read back as a link and undid the user's first click on another mode)."""
    params = {key: str(value) for key, value in params.items()}
    st.session_state.setdefault(_SEEN, {}).update(params)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def share(**params: str) -> None:
    """Put the page's current choices in the address bar and offer the link to copy."""
    params = {key: str(value) for key, value in params.items()}
    in_link(**params)
    base = st.context.url or ""
    with st.popover("Link to this view", icon=":material/link:"):
        st.caption("Anyone with access to this dashboard opens the same view with this link.")
        st.code(f"{base}?{urlencode(params)}", language=None, wrap_lines=True)  # the whole link, rules included
