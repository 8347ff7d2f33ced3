"""The Recommendations page's merchandising rules in its link: a stakeholder sent a customer's list
sees it under the same rules (postage left out, a floor on buyers, a category buried).

Each rule's widget keeps its value under a session key; `follow_rules_link` sets those keys from
a new link before the widgets are drawn (unknown products or categories are named in a warning and
left out), and `rules_link` writes back only the rules that differ from the page's defaults, so an
ordinary link stays short. Lists are joined by "|", a boost is CATEGORY=FACTOR.
"""

from __future__ import annotations

import streamlit as st

from pages.links import from_link, from_link_list

DEFAULTS = {"recs-k": 10, "recs-exclude": [], "recs-exclude-cat": [], "recs-no-fees": True, "recs-boosted": [],
            "recs-cap": 0, "recs-fewest": 1}
NUMBERS = {"k": ("recs-k", range(3, 31)), "cap": ("recs-cap", range(0, 31)), "fewest": ("recs-fewest", range(1, 1001))}
FACTORS = [f / 2 for f in range(-6, 7)]  # the boost slider's steps, -3 to 3 by 0.5


def follow_rules_link(products: dict[str, str], categories: list[str]) -> None:
    """Every rule's widget value: the page's default, or what a new link says."""
    state = st.session_state
    for key, value in DEFAULTS.items():
        state.setdefault(key, value)
    for param, (key, allowed) in NUMBERS.items():
        value = from_link(param, [str(v) for v in allowed], f"the setting '{param}'")
        if value is not None:
            state[key] = int(value)
    fees = from_link("fees", ["shown", "hidden"], "postage and fees")
    if fees is not None:
        state["recs-no-fees"] = fees == "hidden"
    for param, key, valid, what in (("exclude", "recs-exclude", products, "the products"),
                                    ("exclude_categories", "recs-exclude-cat", categories, "the categories")):
        found = from_link_list(param, valid, what, separator="|")
        if found is not None:
            state[key] = found
    boosts = from_link_list("boost", [f"{c}={f:g}" for c in categories for f in FACTORS], "the boosts", "|")
    if boosts is not None:
        pairs = [b.rpartition("=") for b in boosts]
        state["recs-boosted"] = [c for c, _, _ in pairs]
        for category, _, factor in pairs:
            state[f"boost-{category}"] = float(factor)
    # Values kept from another run's page (other products, other categories) are not options here.
    state["recs-exclude"] = [code for code in state["recs-exclude"] if code in products]
    state["recs-exclude-cat"] = [c for c in state["recs-exclude-cat"] if c in categories]
    state["recs-boosted"] = [c for c in state["recs-boosted"] if c in categories]
    for category in state["recs-boosted"]:
        state.setdefault(f"boost-{category}", 1.0)


def rules_link() -> dict[str, str]:
    """The rules that differ from the defaults, as link parameters."""
    state, out = st.session_state, {}
    for param, (key, _) in NUMBERS.items():
        if state[key] != DEFAULTS[key]:
            out[param] = str(int(state[key]))
    if not state["recs-no-fees"]:
        out["fees"] = "shown"
    if state["recs-exclude"]:
        out["exclude"] = "|".join(state["recs-exclude"])
    if state["recs-exclude-cat"]:
        out["exclude_categories"] = "|".join(state["recs-exclude-cat"])
    if state["recs-boosted"]:
        out["boost"] = "|".join(f"{c}={float(state[f'boost-{c}']):g}" for c in state["recs-boosted"])
    return out
