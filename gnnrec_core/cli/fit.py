"""Commands that fit models: benchmark, train, recommend, similar, export, report, cold-start."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..fit.metrics import METRICS
from ..matrix.interactions import SplitConfig
from ..models import SPECS
from ..pipeline.benchmark import benchmark, model_device, parse_models, prepare
from .common import _dataset, _fit_all, _gnn_settings, _ingest, _policy, _Progress


def cmd_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    models = parse_models(args.models)
    dataset = _dataset(args)
    config = SplitConfig(method=args.split, test_size=args.test_size, seed=args.seed)
    with _Progress(args, len(models), "models") as progress:
        result = benchmark(dataset, models, config, k=args.k, device=args.device, seed=args.seed, progress=progress,
                           gnn_settings=_gnn_settings(args))
    print(f"{'model':<10}" + "".join(f"{m:>10}" for m in (*METRICS, "fit_s")))
    for row in result["results"]:
        print(f"{row['model']:<10}" + "".join(f"{row[m]:>10.4f}" for m in METRICS) + f"{row['train_seconds']:>10.2f}")
    for row in result["results"]:
        if "tuning" in row:
            print(f"{row['model']}: chose {row['tuning']['chosen']} (validation nDCG@10 "
                  f"{row['tuning']['valid_ndcg']:.4f}), blend {row['tuning']['blend']}")
    return result


def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    from ..store import Run, Workspace

    dataset, model, seconds = _fit_all(args)
    info = {"dataset": Path(args.data).name, "model": model.name, "seed": args.seed, "train_seconds": seconds,
            "device": model_device(model), "interactions": len(dataset.interactions)}
    run = Run(model, dataset.interactions.users, dataset.interactions.items, info)
    run_id = Workspace(args.workspace).save_run(run)
    print(f"saved run {run_id} in {args.workspace} ({model.name}, fit {seconds:.2f} s on {info['device']})")
    return info


def cmd_recommend(args: argparse.Namespace) -> dict[str, Any]:
    from ..baskets.associations import basket_stats
    from ..serving.recommend import recommend_table

    dataset, model, _ = _fit_all(args)
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    table = recommend_table(model, dataset, dataset.user_index(args.user), k=args.k, policy=_policy(args, dataset),
                            stats=stats)
    print(table.to_string(index=False))
    out = {"user": args.user, "model": model.name, "recommendations": table.to_dict(orient="records")}
    if "reasons_agree" in table.attrs:  # the reasons explain the history mean, not the user vector
        shared, k = table.attrs["reasons_agree"]
        print(f"The reasons explain the mean of the purchased products' vectors; ranked by that, {shared} of "
              f"these {k} would also be in the top {k}.")
        out["reasons_agree"] = {"shared": shared, "k": k}
    return out


def cmd_similar(args: argparse.Namespace) -> dict[str, Any]:
    from ..serving.recommend import similar_table

    dataset, model, _ = _fit_all(args)
    table = similar_table(model, dataset, dataset.item_index(args.item), k=args.k)
    print(table.to_string(index=False))
    return {"item": args.item, "model": model.name, "similar": table.to_dict(orient="records")}


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    from ..serving.export import export_all

    dataset, model, _ = _fit_all(args)
    files = export_all(model, dataset, Path(args.out), k=args.k, policy=_policy(args, dataset))
    for path in files:
        print(f"wrote {path}")
    return {"model": model.name, "files": [str(p) for p in files]}


def cmd_cold_start(args: argparse.Namespace) -> dict[str, Any]:
    from ..errors import InputError
    from ..serving.coldstart import cold_start_eval

    if not 0 < args.holdout < 1:
        raise InputError(f"--holdout: expected a share between 0 and 1, found {args.holdout}")
    result = _ingest(args)
    from_catalogue = (result.report.catalogue_mapping or {}).get("item_name")
    if result.mapping.item_name is None and from_catalogue is None:  # names would be the codes themselves
        raise InputError("expected product names (a description or name column, or --items with names), found none; "
                         "cold start places products from their text")
    dataset = prepare(result)
    settings = {"device": args.device} | ({"time_budget": args.time_budget} if args.time_budget else {})
    out = cold_start_eval(dataset, holdout=args.holdout, k=args.k, seed=args.seed, **settings)
    print(f"{out['held_out']} named products held out ({out['scored_products']} scored, the rest chose the mix: "
          f"{out['combined_text']} text with GCN share {out['gcn_share']}), k={out['k']}")
    print(f"{'method':<10}{'ndcg':>10}{'hit_rate':>10}{'recall':>10}")
    for method, metrics in out["results"].items():
        print(f"{method:<10}{metrics['ndcg']:>10.4f}{metrics['hit_rate']:>10.4f}{metrics['recall']:>10.4f}")
    rows = [{"method": method, **metrics} for method, metrics in out["results"].items()]
    return {"results": rows, "held_out": out["held_out"], "seed": args.seed, "scored": out["scored_products"],
            "combined": {"text": out["combined_text"], "gcn_share": out["gcn_share"]}, "k": out["k"]}


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    from ..pipeline.experiment import ExperimentConfig, run_experiment
    from ..serving.report import html_report

    dataset = _dataset(args)
    changes = None
    if args.split:  # before training: a bad date fails at once
        from ..baskets.changes import compare_sides, split_by_time

        changes = compare_sides(split_by_time(dataset.ingest.events, args.split), dataset.ingest.catalogue["name"])
    name = parse_models(args.model)[0]
    settings = tuple(_gnn_settings(args).items()) if SPECS[name].is_gnn else ()
    config = ExperimentConfig(model=name, settings=settings, device=args.device, seed=args.seed,
                              k=args.k, split=SplitConfig(seed=args.seed))
    with _Progress(args, None, "steps") as progress:
        experiment = run_experiment(dataset, config, progress)
    info = {"dataset": Path(args.data).name, "model": config.model, "results": experiment.results, "k": args.k}
    Path(args.out).write_text(html_report(dataset, experiment.model, info, k=args.k, changes=changes),
                              encoding="utf-8")
    print(f"wrote {args.out}")
    return {"out": args.out, "results": experiment.results}


