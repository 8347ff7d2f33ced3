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
from .common import _run_in_workspace, _workspace_root

TABLE = ["validation nDCG A", "validation nDCG B", "validation change", "test nDCG A", "test nDCG B",
         "test nDCG change"]


def cmd_compare_runs(args: argparse.Namespace) -> dict[str, Any]:
    from ..models.registry import served_label
    from ..serving.explore import compare_neighbours, overlap_words
    from ..serving.run_diff import (
        CHANGE_COLUMNS,
        as_printed,
        blend_weights,
        blends_by_parts,
        run_settings,
        runs_side_by_side,
        same_interactions,
        unlike_products,
    )

    root = Path(_workspace_root(args))
    # Each run as `recommend --run` reads it: a damaged one, or one whose dataset was replaced since, refused
    (a, data_a), (b, data_b) = (_run_in_workspace(root, given, flag) for given, flag in ((args.run_a, "RUN_A"),
                                                                              (args.run_b, "RUN_B")))
    ids = [a.info.run_id, b.info.run_id]
    if ids[0] == ids[1]:
        raise InputError(f"expected two different runs, found '{ids[0]}' twice")
    for side, run in zip("AB", (a, b)):
        info = run.info
        made = time.strftime("%d %b %H:%M", time.localtime(info.saved_at))
        valid = info.main_result.valid_ndcg if info.main_result is not None else None
        score = f", validation nDCG {valid:.4f}" if valid is not None else ""
        print(f"run {side}: {info.run_id}, {served_label(info)} on the dataset '{info.dataset.name}' "
              f"({info.made_by}, {made}){score}")
    warnings = []
    same_data = a.info.dataset.name == b.info.dataset.name or same_interactions(a, b)
    if not same_data:
        warnings.append(f"run A is on the dataset '{a.info.dataset.name}', run B on '{b.info.dataset.name}': other "
                        "customers and products, so their figures say nothing of which model is better")
    settings = run_settings(a.info, b.info)
    same_split = not settings.set_index("setting").loc["split", "differs"]
    if same_data and not same_split:
        warnings.append("runs A and B were scored on different splits: their test figures are on other customers' "
                        "held-out purchases, so a change between them is not a change of model alone")
    if a.info.k != b.info.k:
        warnings.append(f"run A is scored at nDCG@{a.info.k}, run B at nDCG@{b.info.k}: their figures are not the same "
                        "measure, so their changes say nothing of the models")
    for warning in warnings:
        print(f"note: {warning}")
    differs = settings[settings["differs"] & ~settings["setting"].isin(["run"])]
    print("settings that differ:" if len(differs) else "both runs were asked for the same settings")
    for row in differs.itertuples(index=False):
        print(f"  {row.setting}: A {row[1]} | B {row[2]}")
    metrics = [as_printed(blends_by_parts(run.info), ["valid_ndcg", "ndcg", "recall", "coverage"]) for run in (a, b)]
    merged = as_printed(runs_side_by_side(*metrics), [*TABLE, "test recall A", "test recall B",
                                                      "test coverage A", "test coverage B"])
    # A change between the runs' figures is a change of model alone only on one data, split and cut-off
    comparable = bool(same_data and same_split and a.info.k == b.info.k)
    if not comparable:  # each run's own figures stand (as the page)
        merged = merged.drop(columns=list(CHANGE_COLUMNS))
    _print_table(merged)
    weights = [f"run {side}, {'; '.join(blend_weights(run.info))}" for side, run in zip("AB", (a, b))
               if blend_weights(run.info)]
    if weights:
        print("blend weights, chosen on each run's validation: " + "; ".join(weights))
    unlike = unlike_products(data_a.words, data_b.words)
    changes = compare_neighbours(a.model, a.items, b.model, b.items, args.k) if unlike is None else pd.DataFrame()
    floors = changes.attrs.get("min_buyers", (1, 1))
    overlap = float(changes["overlap"].mean()) if len(changes) else None
    if unlike is not None:
        warnings.append(unlike)
        print(f"note: {unlike}")
    elif overlap is None:
        print(f"neighbourhoods: the two runs share no product with at least {max(floors):d} {data_b.words.buyers}")
    else:
        print(f"neighbourhoods: mean overlap of the top {args.k} neighbours (Jaccard) {overlap_words(overlap)}, over "
              f"{len(changes):,} products both runs know with at least {max(floors):d} {data_b.words.buyers}")
        if args.k >= len(changes) - 1 and overlap == 1.0:  # --k 5000 over 933 products: 1.00 said nothing
            warnings.append(f"--k {args.k} is not below the {len(changes):,} products compared: every list holds "
                            "every product both runs know, so the overlap is 1 by construction; a smaller --k "
                            "compares the neighbourhoods")
            print(f"note: {warnings[-1]}")
    rows = merged.astype(object).where(merged.notna(), None).to_dict(orient="records")
    # Each reason the figures do not compare is a key of its own, as a note says it in words
    return {"run_a": ids[0], "run_b": ids[1], "comparable": comparable,
            "same_data": same_data, "same_split": bool(same_split), "same_k": a.info.k == b.info.k, "notes": warnings,
            "settings": differs.drop(columns="differs").rename(columns={"run A": "a", "run B": "b"}).to_dict(
                orient="records"),
            "rows": rows, "neighbours_k": args.k, "neighbour_overlap": overlap, "products_compared": len(changes)}


def _print_table(merged: pd.DataFrame) -> None:
    """nDCG of both runs and the change (where `merged` holds it), one row per model; '-' where a run
    has no such row."""
    width = max([10, *(len(str(m)) + 2 for m in merged["model"])])
    shown = [c for c in TABLE if c in merged.columns]
    heads = {"validation nDCG A": "val. A", "validation nDCG B": "val. B", "validation change": "val. chg",
             "test nDCG A": "test A", "test nDCG B": "test B", "test nDCG change": "test chg"}
    print(f"{'model':<{width}}" + "".join(f"{heads[c]:>10}" for c in shown))
    for model, cells in zip(merged["model"], merged[shown].to_numpy(dtype=float)):
        print(f"{str(model):<{width}}" + "".join(f"{'-' if c != c else f'{c:.4f}':>10}" for c in cells))
    if merged[shown].isna().to_numpy().any():  # as the page's caption says it
        print("'-': that run has no such row (a blend is a row only where validation chose one, and two runs' "
              "blends of different filters are two rows; a model may have been left out of a run)")
