"""Which segment columns describe whole baskets. A split by segments takes a basket's first line's
value, so a column that differs within baskets (Instacart's add_to_cart_order, a line's 'reordered'
flag) splits first lines from the rest, not one kind of basket from another. Such columns were
offered first (the file's order) and then refused; they now come after the basket-level ones."""

from __future__ import annotations

import pandas as pd

from .changes import segment_name

MIXED_SHARE = 0.5  # a column differing within over half the baskets of several lines is a line's


def mixed_shares(events: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """Per segment column (as segment_columns names it), the share of baskets of two or more lines
    whose lines hold more than one of its values; 0 where the log has no orders."""
    if "basket" not in events or not events["basket"].notna().any():
        return dict.fromkeys(columns, 0.0)
    lines = events[events["basket"].notna()]
    sizes = lines.groupby("basket", sort=False).size()
    several = sizes.index[sizes.to_numpy() > 1]
    if not len(several):
        return dict.fromkeys(columns, 0.0)
    lines = lines[lines["basket"].isin(several)]
    return {column: float((lines.groupby("basket", sort=False)[segment_name(column)].nunique() > 1).mean())
            for column in columns}


def basket_level_first(events: pd.DataFrame, columns: list[str]) -> tuple[list[str], set[str]]:
    """`columns` with those the same across a basket's lines first (their order kept), and the set of
    those that differ within most baskets, for a page to say so beside each."""
    shares = mixed_shares(events, columns)
    within = {column for column in columns if shares[column] > MIXED_SHARE}
    return sorted(columns, key=lambda column: column in within), within
