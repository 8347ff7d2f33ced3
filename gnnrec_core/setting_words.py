"""A model's chosen settings in a reader's words, for every front end that prints them.

`Tuning.chosen` keeps each model's own keys ("variant": "rk4", "neighbours": 0): what a saved run
and a script read. The run's notes, `train`, `benchmark` and the report say them through
`chosen_words`, so "form exact" or "neighbours 0" never reach a merchandiser. A key this table
does not know is printed as "key value", never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .models.registry import blend_parts

BSPM_VARIANTS = {"rk4": "the paper's Gowalla steps (one RK4 step to time 2.5)",
                 "euler": "the paper's Yelp steps (one Euler step to time 1.2)"}
TURBO_FILTERS = {0: "second-order filter on the graph scaled to its top eigenvalue",
                 1: "linear low-pass filter", 2: "second-order low-pass filter",
                 3: "polynomial ideal low-pass filter"}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _neighbours(value: Any) -> str:
    return "every neighbour kept" if not value else f"{int(value):,} neighbours kept per product"


def _weight_decay(value: Any) -> str:
    return "no weight decay" if not value else f"weight decay {_number(value)}"


WORDS: dict[str, Callable[[Any], str]] = {
    # the trained GNNs' search
    "temperature": lambda v: f"softmax temperature {_number(v)}",
    "layers": lambda v: f"{v} propagation layer{'s' if v != 1 else ''}",
    "dim": lambda v: f"{v} dimensions",
    "lr": lambda v: f"learning rate {_number(v)}",
    "weight_decay": _weight_decay,
    "item_bias": lambda v: "an item bias" if v else "no item bias",
    # the graph filters
    "rank": lambda v: f"low-pass rank {v}",
    "alpha": lambda v: f"low-pass weight {_number(v)}",
    "neighbours": _neighbours,
    "variant": lambda v: BSPM_VARIANTS.get(str(v), f"variant {v}"),
    "form": lambda v: "the exact (unpruned) item graph" if v == "exact" else "the item graph pruned per product",
    "exponent": lambda v: f"degree normalisation {_number(v)}",
    "power": lambda v: f"edge weights to the power {_number(v)}",
    "discount": lambda v: f"the product reached discounted by its popularity to the power {_number(v)}",
    "filter": lambda v: TURBO_FILTERS.get(int(v), f"filter {v}"),
    "item_exponent": lambda v: f"product degree normalisation {_number(v)}",
    "sharpen": lambda v: f"second-order weight -{_number(v)}" if v else "no second-order term",
    # EASE
    "l2": lambda v: f"regularisation lambda {_number(v)}",
}


def epochs_words(epochs: int, last_share: float | None = None) -> str:
    """'1 epoch', '12 epochs' (a run stopped after its first epoch printed '1 epochs'); with the
    share of the last epoch the time budget let it train, '62% of an epoch' or '2 epochs and 60% of
    another' (a new user read '16.9 epochs' as a figure gone wrong)."""
    if last_share is not None and 0 < last_share < 1:
        if epochs <= 1:
            return f"{last_share:.0%} of an epoch"
        return f"{epochs_words(epochs - 1)} and {last_share:.0%} of another"
    return f"{epochs:,} epoch{'' if epochs == 1 else 's'}"


def chosen_words(chosen: Mapping[str, Any]) -> str:
    """'low-pass rank 256, low-pass weight 0.3, 200 neighbours kept per product' for a GF-CF choice.
    Where the product side has an exponent of its own (Turbo-CF's), `exponent` is the customers'."""
    words = WORDS | ({"exponent": lambda v: f"customer degree normalisation {_number(v)}"}
                     if "item_exponent" in chosen else {})
    return ", ".join(words[key](value) if key in words else f"{key} {_number(value)}"
                     for key, value in chosen.items())


def blend_words(blend: Mapping[str, float]) -> str:
    """The blend's parts with their weights, named as the table's rows name them: 'graph filter
    x0.5 and popularity x0.1'."""
    return " and ".join(blend_parts(blend))


# Where a GNN trained with no validation slice (too little data to carve one): said instead of a figure.
NO_VALIDATION = "no validation slice: too few purchases per customer to set any aside, so nothing was chosen on one"
