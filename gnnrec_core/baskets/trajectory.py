"""A product's (or a pair's) share of baskets week by week, for the Compare page's trajectory: one
line for the whole dataset (periods, the split drawn across it), or one per side (segments, whose
baskets run through the same weeks)."""

from __future__ import annotations

import pandas as pd

from ..data.ingest import baskets_of
from ..errors import InputError
from .changes import SplitBaskets, segment_baskets


def weekly_trajectory(events: pd.DataFrame, items: tuple[str, ...], split: SplitBaskets | None = None
                      ) -> pd.DataFrame:
    """Per week (of each basket's first line): baskets, baskets holding every product in `items`
    (one product, or both of a pair), and their share. `split` (a segment split): one series per
    side, in a `side` column, its baskets keyed as it keyed them (`changes.segment_baskets`); baskets
    on no side are left out."""
    if "time" not in events or events["time"].isna().all():
        raise InputError("expected a time column for a weekly trajectory, found none")
    sides, segment = (split.basket_side, split.segment) if split is not None else (None, None)
    if sides is not None and segment is not None:  # a segment split's sides, by its basket keys
        keys = segment_baskets(events, segment)
        side_of_line = keys.map(sides)
    else:
        keys, side_of_line = baskets_of(events), None
    history = (events["basket"].isna() & keys.notna()).to_numpy()
    if history.any():  # lines of no order: a customer's lines in a week are their basket that week
        week = events["time"].dt.to_period("W-SUN").astype(str)
        keys = keys.where(~history, keys.astype(object) + "@" + week)
    timed = keys.notna() & events["time"].notna()
    first = events.loc[timed, "time"].groupby(keys[timed].to_numpy()).min()
    holding = None
    for item in items:
        with_item = set(keys[(events["item"].astype(str) == str(item)) & timed].unique())
        holding = with_item if holding is None else holding & with_item
    frame = pd.DataFrame({"week": first.dt.to_period("W-SUN").dt.start_time.to_numpy(),
                          "has": first.index.isin(list(holding or ()))}, index=first.index)
    if side_of_line is None:
        return _weeks(frame)
    frame["side"] = side_of_line[timed].groupby(keys[timed].to_numpy()).first().reindex(first.index).to_numpy()
    parts = [_weeks(group).assign(side=label) for label, group in frame.dropna(subset=["side"]).groupby("side")]
    return pd.concat(parts, ignore_index=True) if parts else _weeks(frame.iloc[:0]).assign(side=None)


def _weeks(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.groupby("week").agg(baskets=("has", "size"), holding=("has", "sum"))
    if out.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "baskets": 0, "holding": 0, "share": 0.0})
    # Every week between the first and the last, a week with no baskets as 0 baskets and no share:
    # left out, its neighbours' line ran straight across the week the shop was closed.
    out = out.reindex(pd.date_range(out.index.min(), out.index.max(), freq="7D"), fill_value=0)
    out = out.rename_axis("week").reset_index()
    out["share"] = (out["holding"] / out["baskets"].where(out["baskets"] > 0)).astype(float)
    return out


def month_starts(events: pd.DataFrame) -> list[pd.Timestamp]:
    """The first day of every month the data's baskets fall in, for month-by-month comparisons."""
    times = events["time"].dropna() if "time" in events else pd.Series(dtype="datetime64[ns]")
    if times.empty:
        return []
    return list(pd.period_range(times.min(), times.max(), freq="M").start_time)


__all__ = ["weekly_trajectory", "month_starts"]
