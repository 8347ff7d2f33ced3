"""`compare-runs A B`: two saved runs side by side, as Compare > Two runs shows them: what each was
asked to do where they differ, whether their figures compare (the same interactions and split),
their tables joined row by row, and how far their products' neighbourhoods moved."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .common import _listed_runs, _workspace_root

TABLE = ["validation nDCG A", "validation nDCG B", "validation change", "test nDCG A", "test nDCG B",
         "test nDCG change"]


def cmd_compare_runs(args: argparse.Namespace) -> dict[str, Any]:
    from ..models import LABELS
    from ..serving.explore import compare_neighbours
    from ..serving.run_diff import (
        as_printed,
        blend_weights,
        blends_by_parts,
        run_settings,
        runs_side_by_side,
        same_interactions,
    )
    from ..store import Workspace

    root = Path(_workspace_root(args))
    if not Workspace.is_at(root):
        raise InputError(f"expected two saved runs in {root.resolve()}, found no workspace there; make them with "
                         "`train` (or give --workspace, or set GNNREC_WORKSPACE)")
    workspace = Workspace(root)
    saved = workspace.list_runs()  # newest first
    ids = [_run_id(given, saved, workspace.root) for given in (args.run_a, args.run_b)]
    if ids[0] == ids[1]:
        raise InputError(f"expected two different runs, found '{ids[0]}' twice")
    a, b = (workspace.load_run(run_id) for run_id in ids)
    for side, run in zip("AB", (a, b)):
        info = run.info
        made = time.strftime("%d %b %H:%M", time.localtime(info.saved_at))
        valid = info.main_result.valid_ndcg if info.main_result is not None else None
        score = f", validation nDCG {valid:.4f}" if valid is not None else ""
        print(f"run {side}: {info.run_id}, {LABELS.get(info.model, info.model)} on the dataset '{info.dataset.name}' "
              f"({info.made_by}, {made}){score}")
    warnings = []
    comparable = a.info.dataset.name == b.info.dataset.name or same_interactions(a, b)
    if not comparable:
        warnings.append(f"run A is on the dataset '{a.info.dataset.name}', run B on '{b.info.dataset.name}': other "
                        "customers and products, so their figures say nothing of which model is better")
    settings = run_settings(a.info, b.info)
    if comparable and settings.set_index("setting").loc["split", "differs"]:
        warnings.append("runs A and B were scored on different splits: their test figures are on other customers' "
                        "held-out purchases, so a change between them is not a change of model alone")
    for warning in warnings:
        print(f"note: {warning}")
    differs = settings[settings["differs"] & ~settings["setting"].isin(["run"])]
    print("settings that differ:" if len(differs) else "both runs were asked for the same settings")
    for row in differs.itertuples(index=False):
        print(f"  {row.setting}: A {row[1]} | B {row[2]}")
    metrics = [as_printed(blends_by_parts(run.info), ["valid_ndcg", "ndcg", "recall", "coverage"]) for run in (a, b)]
    merged = as_printed(runs_side_by_side(*metrics), [*TABLE, "test recall A", "test recall B",
                                                      "test coverage A", "test coverage B"])
    _print_table(merged)
    weights = [f"run {side}, {'; '.join(blend_weights(run.info))}" for side, run in zip("AB", (a, b))
               if blend_weights(run.info)]
    if weights:
        print("blend weights, chosen on each run's validation: " + "; ".join(weights))
    changes = compare_neighbours(a.model, a.items, b.model, b.items, args.k)
    floors = changes.attrs.get("min_buyers", (1, 1))
    overlap = float(changes["overlap"].mean()) if len(changes) else None
    if overlap is None:
        print(f"neighbourhoods: the two runs share no product with at least {max(floors):d} buyers")
    else:
        print(f"neighbourhoods: mean overlap of the top {args.k} neighbours (Jaccard) {overlap:.2f}, over "
              f"{len(changes):,} products both runs know with at least {max(floors):d} buyers")
    rows = merged.astype(object).where(merged.notna(), None).to_dict(orient="records")
    return {"run_a": ids[0], "run_b": ids[1], "comparable": comparable, "notes": warnings,
            "settings": differs.drop(columns="differs").rename(columns={"run A": "a", "run B": "b"}).to_dict(
                orient="records"),
            "rows": rows, "neighbours_k": args.k, "neighbour_overlap": overlap, "products_compared": len(changes)}


def _run_id(given: str, runs: list, root: Path) -> str:
    """A saved run's id, 'latest' the newest; an unknown one refused with the runs there are."""
    if given == "latest" and runs:
        return str(runs[0].run_id)
    if given in {r.run_id for r in runs}:
        return given
    listed = f"saved runs, newest first: {_listed_runs(runs)}" if runs else "none; make them with `train`"
    raise InputError(f"expected a saved run '{given}' in {root.resolve()}, found {listed}")


def _print_table(merged: pd.DataFrame) -> None:
    """nDCG of both runs and the change, one row per model; '-' where a run has no such row."""
    width = max([10, *(len(str(m)) + 2 for m in merged["model"])])
    heads = ["val. A", "val. B", "val. chg", "test A", "test B", "test chg"]
    print(f"{'model':<{width}}" + "".join(f"{h:>10}" for h in heads))
    for row in merged.itertuples(index=False):
        cells = [getattr(row, "_" + str(i + 1)) for i in range(len(TABLE))]
        print(f"{str(row.model):<{width}}" + "".join(f"{'-' if c != c else f'{c:.4f}':>10}" for c in cells))
