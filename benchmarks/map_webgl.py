"""The product map at 50k points in a real browser: figure size, time to first draw, and time to
redraw after a zoom and after a hover, with Plotly's WebGL scatter exactly as the map page builds it.

    python -m benchmarks.map_webgl --points 50000 --json docs/results/map_webgl.json

Headless Chromium (Debian's /usr/bin/chromium) renders WebGL in software (SwiftShader), so these
times are an upper bound for a laptop with a GPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_core.serving.plots import product_map

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def figure_html(n: int, seed: int = 0) -> tuple[str, int]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 8, size=(12, 2))
    cluster = rng.integers(0, 12, size=n)
    xy = centres[cluster] + rng.normal(0, 1, size=(n, 2))
    points = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "name": [f"Product {i}" for i in range(n)],
                           "item": [f"P{i:06d}" for i in range(n)], "size": rng.pareto(1.5, n),
                           "hover": [f"P{i:06d} · {b} buyers" for i, b in enumerate(rng.integers(1, 500, n))],
                           "cluster": [f"cluster {c + 1:02d}" for c in cluster]})
    figure = product_map(points, "cluster", title=f"{n:,} products")
    spec = figure.to_json()
    html = figure.to_html(include_plotlyjs=True, full_html=True, div_id="map")
    return html, len(spec)


def measure(n: int) -> dict:
    from playwright.sync_api import sync_playwright

    html, json_bytes = figure_html(n)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        page_file = Path(folder) / "map.html"
        page_file.write_text(html)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(page_file.as_uri())
        page.wait_for_function("document.getElementById('map') && document.getElementById('map')._fullLayout")
        first_draw = time.perf_counter() - started
        webgl = page.evaluate("!!document.createElement('canvas').getContext('webgl')")
        errors = page.evaluate("document.body.innerText.includes('WebGL is not supported')")
        zoom = _timed(page, "Plotly.relayout('map', {'xaxis.range': [-5, 5], 'yaxis.range': [-5, 5]})")
        reset = _timed(page, "Plotly.relayout('map', {'xaxis.autorange': true, 'yaxis.autorange': true})")
        hover = _timed(page, "Plotly.Fx.hover('map', [{curveNumber: 0, pointNumber: 10}])")
        browser.close()
    return {"points": n, "figure_json_mb": round(json_bytes / 2**20, 2), "webgl_available": webgl,
            "webgl_error_shown": errors, "first_draw_seconds": round(first_draw, 2),
            "zoom_redraw_seconds": round(zoom, 3), "reset_redraw_seconds": round(reset, 3),
            "hover_seconds": round(hover, 3)}


def _timed(page, script: str) -> float:
    return page.evaluate(f"""async () => {{
        const t0 = performance.now();
        await {script};
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        return (performance.now() - t0) / 1000; }}""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [measure(n) for n in args.points]
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
