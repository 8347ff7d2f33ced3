"""Plotly figure builders: pure functions of data frames, testable without a server.

Text that comes from uploads (product names) goes into hovers and labels as data, never as
HTML: plotly renders hover text with a small HTML subset, so names are escaped first.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..fit.metrics import VALIDATION_K
from ..models.registry import GNN_MODELS

PALETTE = ["#2563eb", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#eab308", "#06b6d4", "#64748b",
           "#db2777", "#84cc16", "#0ea5e9", "#a855f7"]
# The map's clusters: twelve hues far apart (Tableau 10 and two more), so no two clusters read alike.
CLUSTER_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#17becf", "#1b1b6b", "#a0cb41"]
OTHER_GREY = "#94a3b8"  # a map's values past its palette, drawn together
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10), font=dict(size=13))


def safe(text: object) -> str:
    """`text` for a Plotly label or hover, which reads a subset of HTML: < > & escaped, quotes kept
    (Plotly decodes &lt; and &amp; but showed 'RECORD FRAME 7&quot; SINGLE SIZE' as written)."""
    return html.escape(str(text), quote=False)


def short(text: object, most: int) -> str:
    """A name cut to `most` characters at a word's end, with an ellipsis: "STAR WOODEN CHRISTMAS…",
    not "STAR WOODEN CHRISTMAS DECORA"."""
    text = str(text)
    if len(text) <= most:
        return text
    cut = text[: most - 1].rsplit(" ", 1)[0] if " " in text[: most - 1] else text[: most - 1]
    return cut.rstrip(" ,;:-·") + "…"


def long_tail(item_counts: pd.Series) -> go.Figure:
    """Share of interactions captured by the top-ranked items (cumulative)."""
    counts = np.sort(item_counts.to_numpy())[::-1]
    share = np.cumsum(counts) / max(counts.sum(), 1)
    rank = np.arange(1, len(counts) + 1) / max(len(counts), 1)
    fig = go.Figure(go.Scatter(x=rank * 100, y=share * 100, mode="lines", line=dict(color=PALETTE[0], width=3),
                               hovertemplate="top %{x:.1f}% of products: %{y:.1f}% of interactions<extra></extra>"))
    fig.update_layout(title="Long tail: share of interactions by product rank", xaxis_title="top % of products",
                      yaxis_title="% of interactions", **LAYOUT)
    return fig


def training_curve(history: list[dict], which: str = "the configuration chosen") -> go.Figure:
    """Loss and validation nDCG over one configuration's epochs (`which` says which: the one the
    search chose, or the one training now; the axis said "every configuration tried" over the chosen
    one's 30 epochs). The validation line is the best so far, so it rises or holds."""
    frame = pd.DataFrame(history)
    fig = go.Figure()
    top = 0.0
    if not frame.empty:
        step = np.arange(1, len(frame) + 1)
        fig.add_trace(go.Scatter(x=step, y=frame["loss"], name="training loss", line=dict(color=PALETTE[0])))
        if "valid_ndcg" in frame and frame["valid_ndcg"].notna().any():
            scored = frame["valid_ndcg"].notna().to_numpy()
            best = frame["valid_ndcg"].astype(float).cummax().to_numpy()
            top = float(np.nanmax(best))
            fig.add_trace(go.Scatter(x=step[scored], y=best[scored], name="validation nDCG@10, best so far",
                                     yaxis="y2", mode="lines+markers", line=dict(color=PALETTE[1])))
    fig.update_layout(title=f"Training: {which}", xaxis_title="epoch",
                      yaxis_title="loss",  # nDCG from zero: a flat line was drawn on an axis from -0.5 to 0.8
                      # its own round ticks from zero, no grid: ticks synced to the loss's grid read 0.0095, 0.0232
                      yaxis2=dict(title="nDCG@10", overlaying="y", side="right", tickmode="auto", showgrid=False,
                                  **({"range": [0.0, top * 1.15]} if top > 0 else {"rangemode": "tozero"})),
                      legend=dict(orientation="h", y=-0.3), **LAYOUT)
    return fig


def metrics_bars(results: pd.DataFrame, metric: str = "ndcg", k: int | None = None) -> go.Figure:
    frame = results.sort_values(metric)
    kinds = frame["kind"] if "kind" in frame else frame["model"].map(lambda m: "gnn" if m in GNN_MODELS else "")
    colors = [PALETTE[1] if kind == "gnn" else PALETTE[7] for kind in kinds]
    fig = go.Figure(go.Bar(x=frame[metric], y=frame["model"], orientation="h", marker_color=colors,
                           text=frame[metric].map(lambda v: f"{v:.3f}"), textposition="outside", cliponaxis=False))
    top = float(frame[metric].max()) if len(frame) and frame[metric].notna().any() else 1.0
    at = f"@{k}" if k is not None else " @ k"
    legend = " (trained GNNs in orange)" if "gnn" in set(kinds) else ""  # no orange bar: not said
    fig.update_layout(title=f"{METRIC_WORDS.get(metric, metric).removesuffix('@k')}{at} by model{legend}", **LAYOUT)
    fig.update_xaxes(range=[0, top * 1.2])  # room for the winning bar's label
    return fig


def product_map(points: pd.DataFrame, color: str, highlight: list[int] | None = None, title: str = "",
                labels: pd.DataFrame | None = None, muted_label: str = "too little evidence") -> go.Figure:
    """points: x, y, name, item, size, hover columns and the `color` column; an optional boolean
    `muted` column draws those points in grey under the rest (legend: muted_label). WebGL scatter,
    so tens of thousands of points stay interactive. customdata carries the item index for clicks.
    labels: x, y, text rows drawn over the map (a few words per cluster)."""
    fig = go.Figure()
    hover = "<b>%{customdata[1]}</b><br>%{customdata[2]}<extra></extra>"
    categorical = points[color].dtype == object or str(points[color].dtype) in ("category", "str", "string")
    size = 4 + 14 * np.sqrt(points["size"] / max(points["size"].max(), 1))
    custom = np.column_stack([points.index.to_numpy(), points["name"].map(safe), points["hover"].map(safe)])
    muted = points["muted"].to_numpy(bool) if "muted" in points else np.zeros(len(points), bool)
    if muted.any():  # drawn first, underneath, in grey: products with too little evidence to place
        rows = np.flatnonzero(muted)
        fig.add_trace(go.Scattergl(x=points["x"].iloc[rows], y=points["y"].iloc[rows], mode="markers",
                                   name=safe(str(muted_label)[:40]), customdata=custom[rows], hovertemplate=hover,
                                   marker=dict(size=size[rows], color="#cbd5e1", opacity=0.6, line=dict(width=0))))
    coloured = points[~muted]
    if categorical:
        values = coloured[color].astype(str)
        many = values.nunique() > len(CLUSTER_PALETTE)  # 20 categories on 12 hues painted Meat as Alcohol
        largest = values.value_counts().index[:len(CLUSTER_PALETTE) - many]  # each its own hue; the rest one grey
        rest = ~values.isin(largest)
        if many:
            values = values.where(~rest, f"other ({values[rest].nunique():,} {color} values)")
        hues = {value: CLUSTER_PALETTE[i] for i, value in enumerate(sorted(largest))}
        for value, group in coloured.groupby(values.to_numpy(), sort=True):
            rows = points.index.get_indexer(group.index)
            fig.add_trace(go.Scattergl(x=group["x"], y=group["y"], mode="markers", name=safe(str(value)[:40]),
                                       marker=dict(size=size[rows], color=hues.get(value, OTHER_GREY),
                                                   opacity=0.75, line=dict(width=0)),
                                       customdata=custom[rows], hovertemplate=hover))
    else:
        rows = np.flatnonzero(~muted)
        fig.add_trace(go.Scattergl(x=coloured["x"], y=coloured["y"], mode="markers", name=color,
                                   marker=dict(size=size[rows], color=coloured[color], colorscale="Viridis",
                                               opacity=0.8, colorbar=dict(title=color), line=dict(width=0)),
                                   customdata=custom[rows], hovertemplate=hover))
    if highlight:
        hit = points.loc[highlight]
        fig.add_trace(go.Scattergl(x=hit["x"], y=hit["y"], mode="markers+text", name="search",
                                   text=hit["name"].map(lambda s: safe(short(s, 30))), textposition="top center",
                                   marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(width=3, color="#111827")),
                                   customdata=custom[points.index.get_indexer(hit.index)], hovertemplate=hover))
    if labels is not None:  # on a translucent card, so the words stay legible over the points
        for row in labels.itertuples(index=False):
            fig.add_annotation(x=row.x, y=row.y, text=safe(row.text), showarrow=False, font=dict(size=12),
                               bgcolor="rgba(255,255,255,0.75)", bordercolor="#cbd5e1", borderpad=2)
    fig.update_layout(title=title, dragmode="lasso", height=640, legend=dict(itemsizing="constant"), **LAYOUT)
    fig.update_xaxes(showticklabels=False, title=None)
    fig.update_yaxes(showticklabels=False, title=None)
    return fig


METRIC_WORDS = {"valid_ndcg": f"validation nDCG@{VALIDATION_K}", "ndcg": "test nDCG@k", "recall": "test recall@k",
                "coverage": "catalogue coverage"}  # chart titles in words, not column names


def comparison_bars(left: pd.DataFrame, right: pd.DataFrame, label_a: str, label_b: str,
                    metric: str = "ndcg", k: int | None = None) -> go.Figure:
    """Both runs' `metric` per model; `k` (the runs' cut-off, where they share one) in the title."""
    fig = go.Figure()
    for frame, label, colour in ((left, label_a, PALETTE[0]), (right, label_b, PALETTE[1])):
        fig.add_trace(go.Bar(x=frame["model"], y=frame[metric], name=safe(label), marker_color=colour))
    words = METRIC_WORDS.get(metric, metric)
    title = words.replace("@k", f"@{k}") if k is not None else words
    fig.update_layout(barmode="group", title=f"{title}, side by side", **LAYOUT)
    return fig


STATUS_COLOURS = {"rising": PALETTE[2], "new": "#047857", "falling": PALETTE[3], "gone": "#9f1239",
                  "no clear change": "#cbd5e1"}


VOLCANO_POINTS = 50_000  # points a volcano draws: a year of invoices tests 847,585 pairs, a 40 MB figure


def volcano_rows(table: pd.DataFrame, most: int = VOLCANO_POINTS, seed: int = 0) -> np.ndarray:
    """Which rows a volcano draws: all where they are at most `most`, else the most/2 of least
    q-value (ChangeReport's tables come ranked by it) and a seeded sample of the rest, in the
    table's order."""
    if len(table) <= most:
        return np.arange(len(table))
    least_q = np.argsort(table["q_value"].to_numpy(), kind="stable")
    rest = np.random.default_rng(seed).choice(least_q[most // 2:], most - most // 2, replace=False)
    return np.sort(np.concatenate([least_q[:most // 2], rest]))


def volcano_words(rows: int, most: int = VOLCANO_POINTS) -> str:
    """What a volcano of `rows` rows leaves out, in words ('' where it draws every row)."""
    if rows <= most:
        return ""
    return (f"The chart draws {most:,} of the {rows:,}: the {most // 2:,} of least q-value and a random "
            f"{most - most // 2:,} of the rest. The table below holds every one (its Show box picks the "
            "statuses).")


def change_volcano(table: pd.DataFrame, labels: pd.Series, threshold: float, title: str,
                   words: dict[str, str] | None = None) -> go.Figure:
    """Effect (log2 share ratio, b over a) against evidence (-log10 q): named changes stand out
    above the dashed threshold line; `labels` gives each row's hover text, `words` each status's
    name in the legend (ChangeReport.word's: 'only in a' between segments). Past VOLCANO_POINTS
    rows it draws `volcano_rows`' and its title says how many of how many."""
    drawn = volcano_rows(table)
    if len(drawn) < len(table):
        title += f" ({len(drawn):,} of {len(table):,} drawn)"  # the page says which (volcano_words)
        table, labels = table.iloc[drawn], labels.iloc[drawn]
    fig = go.Figure()
    evidence = -np.log10(table["q_value"].clip(lower=1e-300))
    for status, colour in STATUS_COLOURS.items():
        rows = (table["status"] == status).to_numpy()
        if rows.any():
            fig.add_trace(go.Scattergl(
                x=table.loc[rows, "log2_ratio"], y=evidence[rows], mode="markers",
                name=(words or {}).get(status, status),
                marker=dict(color=colour, size=7, opacity=0.8), text=labels[rows].map(safe),
                customdata=np.c_[table.loc[rows, "baskets_a"], table.loc[rows, "baskets_b"]],
                hovertemplate="%{text}<br>baskets %{customdata[0]} -> %{customdata[1]}<br>"
                              "log2 ratio %{x:.2f}, -log10 q %{y:.1f}<extra></extra>"))
    fig.add_hline(y=-np.log10(threshold), line_dash="dash", line_color="#64748b",
                  annotation_text=f"q = {threshold}", annotation_position="top left")
    fig.update_layout(title=title, xaxis_title="log2(share in b / share in a)", yaxis_title="-log10 q-value",
                      legend=dict(orientation="h", y=-0.2), **LAYOUT)
    return fig


def trajectory_figure(weeks: pd.DataFrame, label: str, split: pd.Timestamp | None = None) -> go.Figure:
    """Weekly share of baskets holding a product (or both of a pair); the split as a dashed line.
    A `side` column (segments) draws one line per side, named by it."""
    fig = go.Figure()
    groups = weeks.groupby("side", sort=True) if "side" in weeks else [(None, weeks)]
    for index, (side, rows) in enumerate(groups):
        fig.add_trace(go.Scatter(
            x=rows["week"], y=rows["share"] * 100, mode="lines+markers", name=safe(str(side)),
            line=dict(color=PALETTE[index % len(PALETTE)], width=3), showlegend=side is not None,
            customdata=np.c_[rows["holding"], rows["baskets"]],
            hovertemplate="week of %{x|%Y-%m-%d}: %{y:.2f}% (%{customdata[0]} of %{customdata[1]} baskets)"
                          "<extra></extra>"))
    if split is not None:
        fig.add_vline(x=pd.Timestamp(split).timestamp() * 1000, line_dash="dash", line_color="#64748b")
    fig.update_layout(title=f"Weekly share of baskets: {safe(label)}", yaxis_title="% of baskets",
                      xaxis_title="week", **LAYOUT)
    return fig


def rules_scatter(rules: pd.DataFrame) -> go.Figure:
    """Support vs confidence, coloured by lift; `rules` needs a `label` column for hovers."""
    shade = np.log10(rules["lift"].clip(lower=1e-3))  # lift spans 1 to hundreds: coloured on a log scale,
    ticks = [v for v in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # its bar labelled in lift itself
             if len(shade) and shade.min() - 0.15 <= np.log10(v) <= shade.max() + 0.15]
    if len(ticks) < 2 and len(shade):  # a narrow range between round values: its own ends, rounded
        ticks = sorted({float(f"{10 ** shade.min():.2g}"), float(f"{10 ** shade.max():.2g}")})
    fig = go.Figure(go.Scattergl(
        x=rules["support"], y=rules["confidence"], mode="markers",
        marker=dict(color=shade, colorscale="Viridis", size=7, opacity=0.75,
                    colorbar=dict(title="lift", tickvals=np.log10(ticks).tolist(), ticktext=[f"{v:g}" for v in ticks])),
        text=rules["label"].map(safe), hovertemplate="%{text}<br>support %{x:.4f}, confidence %{y:.3f}<extra></extra>"))
    fig.update_layout(title="Rules: support vs confidence (colour = lift, log scale)", xaxis_title="support",
                      yaxis_title="confidence", xaxis_type="log", **LAYOUT)
    support = rules["support"][rules["support"] > 0]
    if len(support):  # a short log range got plotly's digit labels ("4 5 6 7 8 9 0.01 2 3"): whole values instead
        marks = [m * 10.0 ** e for e in range(-7, 1) for m in (1, 2, 5)
                 if support.min() / 1.5 <= m * 10.0 ** e <= support.max() * 1.5]
        if marks:
            fig.update_xaxes(tickvals=marks, ticktext=[f"{v:g}" for v in marks])
    return fig
