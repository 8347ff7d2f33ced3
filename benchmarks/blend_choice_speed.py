"""The blend's weight choice (fit/tuning.choose_blend) as it was at commit BLEND_BEFORE and as
shipped, in one process, alternating, on the largest it gets: 500 validation users x 49,974
products (a 1M-line log's catalogue). Components are random; the two must choose the same weights
with the same figures.

Before: each of the 29 weight pairs made its blend with three users x items temporaries and ranked
a copy of it, and the popularity prior was standardised as a full users x items matrix. Shipped:
one buffer reused for every pair and ranked in place, popularity standardised as its one row.

    python -m benchmarks.blend_choice_speed --out docs/results/blend_choice_speed.json
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.result_file import finish

BLEND_BEFORE = "ec26336"
ROOT = Path(__file__).resolve().parents[1]


def old_choose_blend():  # type: ignore[no-untyped-def]
    """choose_blend as it was at BLEND_BEFORE, read from git."""
    source = subprocess.run(["git", "show", f"{BLEND_BEFORE}:gnnrec_core/fit/tuning.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    source = source.replace("from ..", "from gnnrec_core.").replace("from .metrics", "from gnnrec_core.fit.metrics")
    import sys
    import types

    module = types.ModuleType("old_tuning")  # registered: its dataclasses look their module up
    sys.modules[module.__name__] = module
    exec(compile(source, "old tuning", "exec"), module.__dict__)
    return module.choose_blend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--items", type=int, default=49_974)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch  # noqa: F401  (loaded as in a GNN's fit: top_k ranks on torch's path then)

    from gnnrec_core.fit.tuning import choose_blend

    rng = np.random.default_rng(0)
    n, items = args.users, args.items
    history = sp.random(n, items, density=5 / items, format="csr", random_state=1, dtype=np.float32)
    relevant = sp.random(n, items, density=2 / items, format="csr", random_state=2, dtype=np.float32)
    truth = relevant.tocoo()
    gnn = rng.standard_normal((n, items), dtype=np.float32)
    gnn[truth.row, truth.col] += 2.0  # a GNN that knows a little, and a filter that knows more
    graph_filter = rng.standard_normal((n, items), dtype=np.float32)
    graph_filter[truth.row, truth.col] += 3.0
    components = {"gnn": gnn, "filter": graph_filter,
                  "popularity": np.broadcast_to(rng.standard_normal(items, dtype=np.float32), (n, items))}
    ways = {"before": old_choose_blend(), "shipped": choose_blend}
    rows, chosen = [], {}
    for _ in range(args.rounds):
        for way, choose in ways.items():
            started = time.perf_counter()
            choice = choose(components, history, relevant)
            rows.append({"way": way, "seconds": round(time.perf_counter() - started, 3)})
            chosen.setdefault(way, (choice.weights, choice.blended, choice.parts))
            print(rows[-1], flush=True)
    if chosen["before"] != chosen["shipped"]:
        raise SystemExit(f"the two chose differently: {chosen}")
    mean = {way: float(np.mean([r["seconds"] for r in rows if r["way"] == way])) for way in ways}
    finish("benchmarks.blend_choice_speed", {"users": n, "items": items, "rows": rows, "chosen": chosen["shipped"],
                                             "shipped / before": round(mean["shipped"] / mean["before"], 3)}, args.out)


if __name__ == "__main__":
    main()
