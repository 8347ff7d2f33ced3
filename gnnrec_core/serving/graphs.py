"""Graph figures: a product's neighbourhood and the strongest rules, each name placed by its node
on a white ground (plots.py holds the rest of the figures).

Text that comes from uploads (product names) goes into hovers and labels as data, never as
HTML: names are escaped first (plots.safe).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .explore import SIMILAR, TOGETHER
from .plots import LAYOUT, PALETTE, safe, short
from .projection import place_labels

GRAPH_SIZE = (1000, 600)  # the pixels a full-width graph is laid out for: what its labels are placed and padded by


NODE_CORE_PX = 8  # half the side of the square around each node that no name covers (a 16 px marker)
NAME_GAP_PX = 10  # from a node's centre to its name's, past the font size: the name's white ground clears the marker


def _graph_labels(fig: go.Figure, xy: np.ndarray, texts: list[str], font_px: int,
                  size: tuple[int, int] = GRAPH_SIZE, bold: str | None = None, below: np.ndarray | None = None
                  ) -> None:
    """Node names, each just above its node (else just below) and never over another (one with no
    free place there is left to its hover), each on a white ground: annotations, drawn above every line and
    arrow (a text trace lay under the edges, and the rules' arrows, annotations too, struck its names
    through). `bold`: the name drawn larger and bold (the centre's); `below`: nodes whose name goes
under them (an arrow's head comes down onto them: a name above hid it). The axes are widened first by
    half the widest name and three label heights, so a name over a node at the edge is not cut."""
    widest_px = max((len(t) for t in texts), default=0) * 0.6 * font_px + 8
    tall_px = 3 * (font_px + 8)
    ranges = []
    for axis, pad_px, pixels in ((0, widest_px / 2, size[0]), (1, tall_px, size[1])):
        low, high = float(xy[:, axis].min()), float(xy[:, axis].max())
        span = max(high - low, 1e-9) / max(1 - 2 * pad_px / pixels, 0.2)  # nodes plus the pads on either side
        middle = (low + high) / 2
        ranges.append((middle - span / 2, middle + span / 2))
    (x0, x1), (y0, y1) = ranges
    side = np.where(below, -1.0, 1.0) if below is not None else np.ones(len(xy))
    gap = (font_px + NAME_GAP_PX) * (y1 - y0) / size[1]
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1] + side * gap, "other_dy": -2 * side * gap})  # or opposite
    # Each node's core is kept clear: a name nudged down onto a node hid it under the name's white ground
    core_x, core_y = NODE_CORE_PX * (x1 - x0) / size[0], NODE_CORE_PX * (y1 - y0) / size[1]
    nodes = [(x - core_x, x + core_x, y - core_y, y + core_y) for x, y in xy]
    placed = place_labels(frame, pd.Series(texts, index=frame.index), size, font_px, bounds=(x0, x1, y0, y1),
                          obstacles=nodes)
    for x, y, text in zip(placed["x"], placed["y"], placed["text"]):
        emphasised = text == bold
        fig.add_annotation(x=x, y=y, xref="x", yref="y", text=f"<b>{text}</b>" if emphasised else text,
                           showarrow=False, font=dict(size=font_px + 1 if emphasised else font_px),
                           bgcolor="rgba(255,255,255,0.85)", borderpad=1)
    fig.update_layout(xaxis=dict(visible=False, range=[x0, x1]), yaxis=dict(visible=False, range=[y0, y1]))


def neighbourhood_figure(graph: nx.MultiGraph, names: dict[int, str], centre: int, seed: int = 0,
                         together: str = TOGETHER) -> go.Figure:
    """Ego graph: blue solid edges = similar (embedding), orange dotted = bought together (the
    legend says `together`: "rated together" of a ratings log); width grows with strength."""
    # Unweighted layout: lift runs into the hundreds and would pull co-purchase partners onto the centre.
    spacing = 1.5 / max(np.sqrt(graph.number_of_nodes()), 1)
    position = nx.spring_layout(nx.Graph(graph), seed=seed, weight=None, k=spacing)
    fig = go.Figure()
    for kind, colour, dash in ((SIMILAR, PALETTE[0], "solid"), (TOGETHER, PALETTE[1], "dot")):
        edges = [(a, b, d["weight"]) for a, b, d in graph.edges(data=True) if d["kind"] == kind]
        if not edges:
            continue
        weights = np.array([w for _, _, w in edges], float)
        scaled = 1 + 5 * (weights - weights.min()) / max(np.ptp(weights), 1e-9)
        for (a, b, w), width in zip(edges, scaled):
            fig.add_trace(go.Scatter(x=[position[a][0], position[b][0]], y=[position[a][1], position[b][1]],
                                     mode="lines", line=dict(color=colour, width=float(width), dash=dash),
                                     hoverinfo="skip", showlegend=False, legendgroup=kind))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=together if kind == TOGETHER else kind,
                                 line=dict(color=colour, width=3, dash=dash), legendgroup=kind))
    nodes = list(graph.nodes)
    depth = np.array([graph.nodes[n].get("depth", 1) for n in nodes])
    xy = np.array([position[n] for n in nodes], float)
    fig.add_trace(go.Scatter(
        x=xy[:, 0], y=xy[:, 1], mode="markers",
        marker=dict(size=np.where(np.array(nodes) == centre, 26, np.where(depth == 1, 16, 11)),
                    color=np.where(np.array(nodes) == centre, "#111827", np.where(depth == 1, PALETTE[2], "#94a3b8")),
                    line=dict(width=1, color="white")),
        customdata=nodes, hovertext=[safe(names.get(n, n)) for n in nodes], hoverinfo="text", name="products",
        showlegend=False))
    # The centre's name first: it keeps its place when labels compete.
    order = sorted(range(len(nodes)), key=lambda i: (nodes[i] != centre, depth[i]))
    _graph_labels(fig, xy[order], [safe(short(names.get(nodes[i], nodes[i]), 30)) for i in order], 11,
                  bold=safe(short(names.get(centre, centre), 30)))
    fig.update_layout(height=GRAPH_SIZE[1], legend=dict(orientation="h"), **LAYOUT)
    return fig


def packed_layout(graph: nx.DiGraph, seed: int = 0) -> dict[Any, np.ndarray]:
    """Each connected group of rules laid out in a cell of its own, the largest first, cells in rows
    across the plot; a group of more than four products takes a row of its own, as wide as the plot.
    One spring layout of all of them flung the groups to the corners and packed each into a knot
    whose names sat on one another, its arrows too short to see (a new user's reading)."""
    groups = sorted(nx.weakly_connected_components(graph), key=lambda nodes: (-len(nodes), min(nodes)))
    columns = int(np.ceil(np.sqrt(len(groups))))
    position: dict[Any, np.ndarray] = {}
    row, column = 0, 0
    for nodes in groups:
        # nodes in a fixed order: a small subgraph view iterates its set of nodes, whose order for
        # names changes with each process's hash seed, and the layout with it (another graph per restart)
        part = nx.Graph()
        part.add_nodes_from(sorted(nodes))
        part.add_edges_from((a, b) for a, b in graph.edges() if a in nodes and b in nodes)
        wide = len(nodes) > 4
        if wide and column:  # a wide group starts a row
            row, column = row + 1, 0
        if len(nodes) <= 2:  # a pair one above the other: its two names then sit apart
            placed = {node: np.array([0.0, 0.5 - step]) for step, node in enumerate(sorted(nodes))}
        else:
            placed = nx.spring_layout(part, seed=seed, weight=None, k=1.5 / np.sqrt(len(nodes)))
        xy = np.array([placed[node] for node in part.nodes], float)
        xy = (xy - xy.mean(0)) / np.maximum(np.abs(xy - xy.mean(0)).max(0), 1e-9)  # each axis to [-1, 1]
        span = np.array([0.4 * columns if wide else 0.35, 0.4])
        centre = np.array([(columns - 1) / 2 if wide else column, -row], float)
        position.update({node: centre + point * span for node, point in zip(part.nodes, xy)})
        row, column = (row + 1, 0) if wide or column == columns - 1 else (row, column + 1)
    return position


def rules_graph(rules: pd.DataFrame, names: dict[str, str], seed: int = 0, width_px: int = GRAPH_SIZE[0]) -> go.Figure:
    """The strongest rules as a directed graph: an arrow from antecedent to consequent, width = lift.
    `width_px`: how wide it is drawn (a half-width column: about 460 at a 1400 px window), so its
    labels fit that width."""
    graph = nx.DiGraph()
    for row in rules.itertuples(index=False):
        source, target = " + ".join(row.antecedents), " + ".join(row.consequents)
        graph.add_edge(source, target, lift=row.lift)
    if graph.number_of_nodes() == 0:
        return go.Figure().update_layout(title="No rules at these thresholds", **LAYOUT)
    position = packed_layout(graph, seed)
    lifts = np.array([d["lift"] for _, _, d in graph.edges(data=True)], float)
    widths = 1 + 4 * (lifts - lifts.min()) / max(np.ptp(lifts), 1e-9)
    fig = go.Figure()
    width_of = {(a, b): float(width) for (a, b), width in zip(graph.edges(), widths)}
    for (a, b), width in width_of.items():
        both = (b, a) in width_of
        if both and (b, a) < (a, b):
            continue  # a rule each way: one line with a head at each end (two lay on one another, one head hidden)
        fig.add_annotation(x=position[b][0], y=position[b][1], ax=position[a][0], ay=position[a][1],
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3,
                           arrowside="end+start" if both else "end", startarrowhead=3, startstandoff=8,
                           arrowwidth=max(width, width_of.get((b, a), 0.0)), arrowcolor=PALETTE[0], opacity=0.6,
                           standoff=8)
    def label(node: str) -> str:
        return " + ".join(names.get(code, code) for code in node.split(" + "))
    nodes = list(graph.nodes)
    xy = np.array([position[n] for n in nodes], float)
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", marker=dict(size=12, color=PALETTE[1]),
                             hovertext=[safe(label(n)) for n in nodes], hoverinfo="text"))
    # The busiest products first: they keep their names when labels compete.
    order = sorted(range(len(nodes)), key=lambda i: -graph.degree(nodes[i]))
    heads = [(b, a) for a, b in width_of]  # (head, tail) of every rule: a two-way pair's both ends
    from_above = {head for head, tail in heads if position[tail][1] > position[head][1]}
    from_below = {head for head, tail in heads if position[tail][1] < position[head][1]}
    below = np.array([nodes[i] in from_above and nodes[i] not in from_below for i in order])
    _graph_labels(fig, xy[order], [safe(short(label(nodes[i]), 30)) for i in order], 10, (width_px, GRAPH_SIZE[1]),
                  below=below)
    fig.update_layout(title="Strongest rules (arrow = antecedent to consequent, both ends = both ways, width = lift)",
                      height=GRAPH_SIZE[1],
                      showlegend=False, **LAYOUT)
    return fig
