"""Form widgets built from the engine's own dataclasses, so a new model setting appears on the
Train page without page code."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import streamlit as st

from gnnrec_core import MODELS

# Shown first, with words; every other plain setting goes under "More settings".
MAIN = {"time_budget": "Time budget (seconds, search included)", "auto": "Choose settings on validation",
        "blend": "Blend with graph filter and popularity when validation says so",
        "epochs": "Epochs (most; early stopping picks the best)", "dim": "Embedding size", "layers": "Graph layers",
        "temperature": "Softmax temperature", "lr": "Learning rate", "neighbours": "Neighbours per product",
        "similarity": "Similarity"}
HIDDEN = {"device", "seed"}  # run options, chosen beside the form


def config_form(model: str) -> dict[str, Any]:
    """Widgets for the model's config fields; returns the settings that differ from the defaults."""
    config_class = MODELS[model].config_class
    fields = [f for f in dataclasses.fields(config_class) if f.name not in HIDDEN]
    hints = typing.get_type_hints(config_class)
    defaults = config_class()
    main = [f for f in fields if f.name in MAIN]
    rest = [f for f in fields if f.name not in MAIN]
    chosen = {f.name: _widget(f.name, hints[f.name], getattr(defaults, f.name), model) for f in main}
    if rest:
        with st.expander("More settings"):
            chosen |= {f.name: _widget(f.name, hints[f.name], getattr(defaults, f.name), model) for f in rest}
    if not fields:
        st.caption("This model has no settings.")
    if chosen.get("auto"):
        st.caption("Settings are chosen on a validation slice within the time budget; the values above are "
                   "where the search starts. The winner is reported with the results.")
    return {k: v for k, v in chosen.items() if v is not None and v != getattr(defaults, k)}


def _widget(name: str, hint: Any, default: Any, model: str) -> Any:
    label, key = MAIN.get(name, name.replace("_", " ").capitalize()), f"setting-{model}-{name}"
    if hint is bool:
        return st.checkbox(label, value=default, key=key)
    if hint is int:
        return int(st.number_input(label, min_value=0, value=int(default), step=1, key=key))
    if hint is float:
        return float(st.number_input(label, min_value=0.0, value=float(default), format="%g", key=key))
    if hint is str:
        return st.text_input(label, value=default, key=key)
    return None  # optional or composite settings (e.g. EASE's lambda, chosen on validation) keep their default
