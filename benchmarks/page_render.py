"""Dashboard render times: every page run through AppTest on the sample after the demo run,
first (cold caches) and then again with its data cached. The UMAP computation is reported on its
own (it is part of the map page's cold run).

    python benchmarks/page_render.py [--json out.json]
    python benchmarks/page_render.py --workspace DIR [--json out.json]   # a workspace with a run already
                                                                          # saved (e.g. by `train` at scale)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["pages/home.py", "pages/data.py", "pages/train.py", "pages/associations.py", "pages/product_map.py",
         "pages/neighbourhood.py", "pages/recommendations.py", "pages/compare.py"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    parser.add_argument("--workspace", help="a workspace whose newest run the pages open (no demo run)")
    args = parser.parse_args()
    os.environ["GNNREC_WORKSPACE"] = args.workspace or tempfile.mkdtemp(prefix="gnnrec-render-")
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    demo: float | None = None
    if not args.workspace:
        started = time.perf_counter()
        next(b for b in at.button if b.label == "Train the demo").click().run()
        while not any(s.value.startswith("Results") for s in at.subheader):
            time.sleep(0.5)
            at.run()
        demo = time.perf_counter() - started
    from gnnrec_core.serving.projection import umap_2d  # noqa: F401  (import cost kept out of the UMAP timing)
    rows = []
    for page in PAGES:
        timings = []
        for _ in range(3):
            t = time.perf_counter()
            at.switch_page(page).run()
            timings.append(time.perf_counter() - t)
            if at.exception:  # a page that fails is a finding: say which and go on to the next
                print(f"{page}: {at.exception[0].value}", flush=True)
        rows.append({"page": page, "cold_seconds": timings[0], "cached_seconds": min(timings[1:]),
                     "exception": str(at.exception[0].value) if at.exception else None})
        print(f"{page:<28} cold {timings[0]:6.2f} s   cached {min(timings[1:]):6.2f} s", flush=True)
    from gnnrec_core.store import Workspace

    workspace = Workspace(os.environ["GNNREC_WORKSPACE"])
    run = workspace.load_run(workspace.list_runs()[0].run_id)
    t = time.perf_counter()
    umap_2d(run.model.item_vectors())
    umap_seconds = time.perf_counter() - t
    if demo is not None:
        print(f"demo (click to results) {demo:.1f} s")
    print(f"UMAP of {run.model.n_items:,} items alone {umap_seconds:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"demo_seconds": demo, "umap_seconds": umap_seconds,
                                               "items": run.model.n_items, "workspace_given": bool(args.workspace),
                                               "pages": rows}, indent=1))


if __name__ == "__main__":
    main()
