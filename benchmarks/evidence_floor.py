"""Leaving products with too few buyers out of recommendation lists: what it costs (validation only).

The Similar lists already leave out products with fewer buyers than `evidence.min_evidence` (0.2%
of the customers, at least 2, at most 10): an embedding learned from a buyer or two is noise. A
customer's list had no such floor, and a trained GNN alone can fill a heavy customer's list with
one-off products (the bundled sample's heaviest customer: nine of ten with at most two buyers).
This measures, on a validation slice per seed (SplitConfig(seed), a 10% carve of train; the test
split never read), each model's nDCG@10 with and without the floor, over every validation user
and over the heaviest 2% (by products in the train part), and the share of listed products under
THIN buyers. The GNN runs alone (no blend) with a 30 s time budget: shortened, labelled as such.

    python -m benchmarks.evidence_floor --seeds 0 1 2     # docs/results/evidence_floor.json
    python -m benchmarks.evidence_floor --table
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.baskets.evidence import THIN, min_evidence
from gnnrec_core.fit.metrics import ranking_metrics, top_k
from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split
from gnnrec_core.pipeline.benchmark import make_model

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "evidence_floor.json"
MODELS = ("ease", "gfcf", "lightgcn")
GNN_BUDGET = 30.0


def scored(model, part: sp.csr_matrix, valid: sp.csr_matrix, users: np.ndarray, floor: int) -> dict[str, float]:
    buyers = np.diff(part.tocsc().indptr)
    scores = np.asarray(model.score(users), np.float32)
    if floor > 1:
        scores[:, buyers < floor] = -np.inf
    top = top_k(scores, 10, exclude=part[users])
    ndcg = ranking_metrics(top, valid[users], 10)["ndcg"]
    return {"ndcg": float(ndcg.mean()), "thin_share": float((buyers[top] < THIN).mean())}


def measure(name: str, seed: int) -> dict[str, object]:
    data = prepare(ingest(str(path(name)), **OPTIONS.get(name, {})))
    train = split(data.interactions, SplitConfig(seed=seed)).train
    part, valid = carve_validation(train, 0.1, seed=seed + 101)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    degree = np.diff(part.indptr)[users]
    heavy = users[degree >= np.quantile(degree, 0.98)]
    floor = min_evidence(part.shape[0])
    out: dict[str, object] = {"floor": floor, "users": len(users), "heavy_users": len(heavy)}
    for model_name in MODELS:
        settings = {"time_budget": GNN_BUDGET, "blend": False} if model_name == "lightgcn" else {}
        model = make_model(model_name, data, seed=seed, **settings).fit(part)
        out[model_name] = {group: {kind: scored(model, part, valid, who, least)
                                   for kind, least in (("none", 1), ("floor", floor))}
                           for group, who in (("all", users), ("heavy", heavy))}
        print(name, seed, model_name, json.dumps(out[model_name]), flush=True)
    return out


def table(results: dict[str, dict[str, dict]]) -> str:
    lines = ["| dataset | floor | model | all: nDCG@10 without / with the floor | heavy 2%: without / with | "
             "thin share of lists without / with |", "|---|---|---|---|---|---|"]
    for name, seeds in results.items():
        runs = list(seeds.values())
        for model in MODELS:
            def cell(group: str, key: str) -> str:
                values = [[run[model][group][kind][key] for run in runs] for kind in ("none", "floor")]
                return " / ".join(f"{statistics.mean(v):.4f}" for v in values)
            lines.append(f"| {name} | {runs[0]['floor']} | {model} | {cell('all', 'ndcg')} | {cell('heavy', 'ndcg')} "
                         f"| {cell('all', 'thin_share')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(NAMES))
    parser.add_argument("--table", action="store_true", help="print the saved results as a table")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(OUT.read_text())))
        return
    results = {name: {str(seed): measure(name, seed) for seed in args.seeds} for name in args.datasets}
    OUT.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
