"""The graph figures (serving/graphs.py): names placed by their nodes and over their edges, arrows
that show direction, a layout that does not change from one process to the next."""

import numpy as np
import pandas as pd


def _labels(figure):
    """A graph figure's node names: the annotations without an arrow."""
    return [a for a in figure.layout.annotations if not a.showarrow]


def _label_boxes(figure, font_px, width_px):
    """Pixel boxes of a graph figure's text labels, at the size the figure is laid out for."""
    from gnnrec_core.serving.graphs import GRAPH_SIZE

    GRAPH_SIZE = (width_px, GRAPH_SIZE[1])
    layout = figure.layout
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range
    boxes = []
    for x, y, label in ((a.x, a.y, a.text) for a in _labels(figure)):
        px, py = (x - x0) / (x1 - x0) * GRAPH_SIZE[0], (y - y0) / (y1 - y0) * GRAPH_SIZE[1]
        half = 0.6 * font_px * len(label) / 2
        boxes.append((px - half, px + half, py - font_px / 2, py + font_px / 2))
    return boxes


def test_graph_labels_never_overlap_nor_leave_the_plot():
    from gnnrec_core.serving.graphs import rules_graph

    # Twelve rules around one busy product, names long enough to collide when stacked "top center".
    rules = pd.DataFrame({"antecedents": [(f"p{i}",) for i in range(12)], "consequents": [("hub",)] * 12,
                          "lift": np.linspace(2, 9, 12)})
    names = {f"p{i}": f"PAPER CHAIN KIT CHRISTMAS {i}" for i in range(12)} | {"hub": "WHITE HANGING HEART"}
    figure = rules_graph(rules, names, width_px=650)  # narrower than the page draws it: the labels still fit
    boxes = _label_boxes(figure, 10, 650)
    assert len(boxes) >= 6  # most names are shown; the rest keep their hover
    assert "WHITE HANGING HEART" in [a.text for a in _labels(figure)]  # the busiest first
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[1] <= 650, a  # inside the plot, not cut at its edge
        for b in boxes[i + 1:]:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), (a, b)


def test_graph_names_are_drawn_over_their_edges_on_a_white_ground():
    """Every edge meets under the centre's name, and a text trace is drawn under them: the name was
    struck through by a dozen lines, and the rules graph's arrows struck its names through. Every
    name is an annotation on a white ground, drawn above every trace and after every arrow."""
    import networkx as nx

    from gnnrec_core.serving.graphs import neighbourhood_figure

    graph = nx.MultiGraph()
    graph.add_node(0, depth=0)
    for i in range(1, 13):
        graph.add_edge(0, i, kind="similar" if i % 2 else "bought together", weight=float(i))
    figure = neighbourhood_figure(graph, {i: f"PRODUCT {i}" for i in range(13)}, centre=0)
    texts = [a.text for a in _labels(figure)]
    assert texts[0] == "<b>PRODUCT 0</b>" and "PRODUCT 1" in texts and "PRODUCT 0" not in texts
    assert not any(t.mode == "text" for t in figure.data)
    assert all(a.bgcolor.startswith("rgba(255,255,255") for a in _labels(figure))
    from gnnrec_core.serving.graphs import rules_graph

    rules = pd.DataFrame({"antecedents": [("a",), ("b",), ("a",)], "consequents": [("b",), ("a",), ("c",)],
                          "lift": [5.0, 5.0, 2.0]})
    drawn = rules_graph(rules, {"a": "JAM JAR PINK", "b": "JAM JAR GREEN", "c": "LID"}).layout.annotations
    arrows = [a for a in drawn if a.showarrow]
    # a rule each way is one line with a head at each end; two lay on one another, one head hidden
    assert sorted(a.arrowside for a in arrows) == ["end", "end+start"]
    assert drawn.index(arrows[-1]) < min(drawn.index(a) for a in drawn if not a.showarrow)  # names over arrows


def test_the_rules_graph_gives_each_group_of_rules_a_cell_of_its_own():
    """One spring layout of every rule flung the groups to the corners, each a knot of names over one
    another. Each connected group now has its own area: no two groups' boxes overlap."""
    import networkx as nx

    from gnnrec_core.serving.graphs import packed_layout

    graph = nx.DiGraph()
    graph.add_edges_from([("hub", f"p{i}") for i in range(6)])  # a group of seven: a row of its own
    graph.add_edges_from([("a", "b"), ("c", "d"), ("e", "f"), ("f", "g")])
    position = packed_layout(graph)
    boxes = []
    for nodes in nx.weakly_connected_components(graph):
        xy = np.array([position[n] for n in nodes])
        boxes.append((*xy.min(0), *xy.max(0)))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], (a, b)
    hub = np.array([position[n] for n in ["hub", *(f"p{i}" for i in range(6))]])
    assert np.ptp(hub[:, 0]) > 1.5  # the wide group spans more than one cell's width


def test_the_rules_graph_is_laid_out_alike_in_every_process():
    """A small part of the graph iterated its set of product codes, whose order changes with each
    process's hash seed: the Associations page drew another graph after every restart."""
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import json, networkx as nx\nfrom gnnrec_core.serving.graphs import packed_layout\n"
            "g = nx.DiGraph([('A1', 'B2'), ('B2', 'C3'), ('C3', 'A1'), ('D4', 'E5'), ('E5', 'F6'), ('F6', 'G7'), "
            "('G7', 'D4'), ('H8', 'I9'), ('X', 'Y'), ('Y', 'Z'), ('Z', 'W'), ('W', 'X')])\n"
            "print(json.dumps({k: [round(float(v), 6) for v in p] for k, p in packed_layout(g).items()}, "
            "sort_keys=True))")
    environ = dict(__import__("os").environ)
    drawn = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(drawn) == 1, drawn
