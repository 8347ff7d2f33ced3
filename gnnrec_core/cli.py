"""`python -m gnnrec_core COMMAND DATA ...`: the engine, headless, JSON out.

Commands: ingest, benchmark, train, recommend, similar, export, report, rules, basket-eval,
compare-periods, cold-start. Bad input exits with status 2 and one line on stderr saying what was expected and
what was found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from .data.ingest import ingest, summary
from .data.mapping import ROLES
from .errors import GnnrecError
from .matrix.interactions import InteractionConfig, SplitConfig, check_trainable
from .models import DEFAULT_MODEL, SPECS
from .training.metrics import METRICS
from .training.pipeline import benchmark, fit_timed, model_device, parse_models, prepare

CATALOGUE_FLAGS = {"id": "item", "name": "item_name", "category": "category", "price": "price"}
FLAG_ROLES = {"user": "user", "item": "item", "time": "time", "basket": "basket", "event": "event",
              "quantity": "quantity", "price": "price", "rating": "rating", "name": "item_name",
              "category": "category"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2, no usage dump
        self.exit(2, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gnnrec_core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    specs = {
        "ingest": "detect the column mapping and print the cleaning report",
        "benchmark": "fit every model on one split and print the metrics table",
        "train": "fit one model on all interactions and save it as a run",
        "recommend": "top-k recommendations for one user, with reasons",
        "similar": "the products most similar to one product",
        "export": "recommendations and similar items as CSV, embeddings as TSV",
        "report": "train, then write a self-contained HTML report for stakeholders",
        "rules": "association rules from baskets (support, confidence, lift, leverage, conviction)",
        "basket-eval": "basket completion: hide one product per test basket, rank it from the rest",
        "compare-periods": "what changed between two periods (or two segments): products and pairs, tested",
        "cold-start": "hold out named products, place each from its text, rank its true bought-together partners",
    }
    for name, help_text in specs.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("data", help="interaction log: CSV/TSV/TXT, Parquet, XLSX or JSON lines, optionally .gz/.zip")
        sub.add_argument("--items", help="optional item catalogue joined on the item column")
        sub.add_argument("--lookup", help="optional table bringing a missing column through a shared key")
        sub.add_argument("--lookup-key", help="the lookup's key column, when it shares several with the events")
        for flag, role in CATALOGUE_FLAGS.items():
            sub.add_argument(f"--items-{flag}-col", dest=f"items_{role}",
                             help=f"catalogue column holding the {flag} (detected when not given)")
        for flag in FLAG_ROLES:
            sub.add_argument(f"--{flag}-col", dest=f"col_{flag}", help=f"column holding the {flag}")
        sub.add_argument("--drop-non-products", action="store_true", help="drop postage, fee and adjustment codes")
        sub.add_argument("--json", dest="json_path", help="write the result as JSON to this path ('-' for stdout)")
        sub.add_argument("--quiet", action="store_true",
                         help="no progress bar (there is none when stderr is not a terminal)")
        if name == "ingest":
            continue
        if name == "compare-periods":
            _period_flags(sub)
            continue
        if name == "cold-start":
            sub.add_argument("--holdout", type=float, default=0.1, help="share of named products held out")
            sub.add_argument("--seed", type=int, default=0)
            sub.add_argument("--k", type=int, default=10)
            sub.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
            sub.add_argument("--time-budget", type=float, metavar="SECONDS",
                             help="most seconds for the feature GCN's fit (default 90)")
            continue
        if name == "rules":
            sub.add_argument("--min-support", type=float, default=0.005)
            sub.add_argument("--min-confidence", type=float, default=0.1)
            sub.add_argument("--max-len", type=int, default=2)
            sub.add_argument("--top", type=int, default=20, help="rules printed (the JSON holds all)")
            continue
        sub.add_argument("--weighting", default="binary", choices=["binary", "count", "quantity", "rating"])
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        sub.add_argument("--k", type=int, default=10)
        sub.add_argument("--time-budget", type=float, metavar="SECONDS",
                         help="most seconds for each GNN's fit, its search on validation included (default 90)")
        if name in ("benchmark", "basket-eval"):
            sub.add_argument("--models", help=f"comma-separated: {','.join(SPECS)} (default: all)")
        if name == "benchmark":
            sub.add_argument("--split", default="random", choices=["random", "time", "last"])
            sub.add_argument("--test-size", type=float, default=0.25)
        elif name != "basket-eval":
            sub.add_argument("--model", default=DEFAULT_MODEL, help=", ".join(SPECS))
            sub.add_argument("--epochs", type=int,
                             help="most training epochs for the GNN models (early stopping picks)")
        if name in ("recommend", "export"):
            group = sub.add_argument_group("merchandising")
            group.add_argument("--exclude-items", help="comma-separated product codes never to recommend")
            group.add_argument("--exclude-categories", help="comma-separated categories never to recommend")
            group.add_argument("--exclude-non-products", action="store_true", help="never recommend postage or fees")
            group.add_argument("--boost", action="append", metavar="CATEGORY=FACTOR",
                               help="move a category by FACTOR standard deviations (negative buries); repeatable")
            group.add_argument("--max-per-category", type=int, help="cap recommendations per category")
        if name == "train":
            sub.add_argument("--workspace", default="workspace", help="folder that keeps datasets and runs")
        if name == "recommend":
            sub.add_argument("--user", required=True, help="raw user ID as in the data")
        if name == "similar":
            sub.add_argument("--item", required=True, help="raw item ID as in the data")
        if name == "export":
            sub.add_argument("--out", default="export", help="folder for the CSV and TSV files")
        if name == "report":
            sub.add_argument("--out", default="report.html", help="the HTML file to write")
            sub.add_argument("--split", help="add what changed between [first date, SPLIT) and [SPLIT, last date]")
    return parser


def _period_flags(sub: argparse.ArgumentParser) -> None:
    when = sub.add_argument_group("periods: a is [start, split), b is [split, end)")
    when.add_argument("--split", help="first date of period b, e.g. 2011-06-01")
    when.add_argument("--start", help="first date of period a (default: the data's first)")
    when.add_argument("--end", help="the day after period b (default: after the data's last)")
    groups = sub.add_argument_group("segments, instead of dates")
    groups.add_argument("--by", metavar="COLUMN", help="a column of the data, e.g. Country or channel")
    groups.add_argument("--groups", metavar="A,B", help="the two values of COLUMN to compare")
    sub.add_argument("--min-baskets", type=int, default=10,
                     help="test a product or pair only when in at least N baskets, both sides together")
    sub.add_argument("--q", dest="q_threshold", type=float, default=0.05,
                     help="false discovery rate below which a change is named (Benjamini-Hochberg)")
    sub.add_argument("--top", type=int, default=10, help="changes printed per list (the JSON holds all)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = COMMANDS[args.command](args)
    except GnnrecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: expected the data to fit in memory, found it does not; use a sample or a larger "
              "machine (docs/scaling.md)", file=sys.stderr)
        return 3
    except Exception as exc:  # a bug, not bad input: still one line, and a distinct status
        print(f"error: internal error ({type(exc).__name__}: {str(exc)[:200]}); please report it "
              "with the command that caused it", file=sys.stderr)
        return 3
    if args.json_path:
        text = json.dumps(result, default=str)  # the C encoder; indent falls back to pure Python
        if len(text) < 200_000:
            text = json.dumps(result, indent=2, default=str)  # small enough to read: pretty
        if args.json_path == "-":
            print(text)
        else:
            Path(args.json_path).write_text(text + "\n")
    return 0


def _ingest(args: argparse.Namespace, segments: tuple[str, ...] | None = None):
    overrides = {role: getattr(args, f"col_{flag}") for flag, role in FLAG_ROLES.items()
                 if getattr(args, f"col_{flag}")}
    assert set(overrides) <= set(ROLES)
    item_columns = {role: getattr(args, f"items_{role}") for role in CATALOGUE_FLAGS.values()
                    if getattr(args, f"items_{role}")}
    result = ingest(args.data, items=args.items, lookup=args.lookup, drop_non_products=args.drop_non_products,
                    item_columns=item_columns, lookup_key=args.lookup_key, segments=segments, **overrides)
    for warning in result.report.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return result


def _dataset(args: argparse.Namespace):
    return prepare(_ingest(args), InteractionConfig(weighting=args.weighting))


def cmd_ingest(args: argparse.Namespace) -> dict[str, Any]:
    result = _ingest(args)
    report = result.report.as_dict()
    print("column mapping:")
    for role, column in result.mapping.as_dict().items():
        print(f"  {role:<10} {column if column else '-'}")
    if report["catalogue_mapping"]:
        used = report["catalogue_mapping"]
        print("catalogue columns: " + ", ".join(f"{role} {used[role] or '-'}" for role in used))
    if report["lookup_mapping"]:
        join = report["lookup_mapping"]
        print(f"lookup: joined on {join['events_key']} = {join['lookup_key']}, brought {', '.join(join['columns'])} "
              f"({join['matched_rows']:,} of {report['rows_read']:,} rows matched)")
    print(f"rows read {report['rows_read']:,}, kept {report['rows_kept']:,}")
    for reason, count in report["dropped"].items():
        print(f"  dropped {count:>8,}  {reason}")
    for note, count in report["notes"].items():
        print(f"  note    {count:>8,}  {note}")
    figures = summary(result)
    print("summary: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in figures.items()))
    return {"mapping": result.mapping.as_dict(), "report": report, "summary": figures}


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


def _gnn_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Settings the CLI passes to the GNNs only (baselines have no epochs or budget)."""
    return {k: v for k, v in (("epochs", getattr(args, "epochs", None)), ("time_budget", args.time_budget))
            if v is not None}


def _fit_all(args: argparse.Namespace):
    dataset = _dataset(args)
    train = check_trainable(dataset.interactions).matrix()
    name = parse_models(args.model)[0]
    settings = _gnn_settings(args) if SPECS[name].is_gnn else {}
    with _Progress(args, None, "epochs") as progress:
        model, seconds = fit_timed(name, dataset, train, progress=progress, device=args.device, seed=args.seed,
                                   **settings)
    return dataset, model, seconds


def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    from .store import Run, Workspace

    dataset, model, seconds = _fit_all(args)
    info = {"dataset": Path(args.data).name, "model": model.name, "seed": args.seed, "train_seconds": seconds,
            "device": model_device(model), "interactions": len(dataset.interactions)}
    run = Run(model, dataset.interactions.users, dataset.interactions.items, info)
    run_id = Workspace(args.workspace).save_run(run)
    print(f"saved run {run_id} in {args.workspace} ({model.name}, fit {seconds:.2f} s on {info['device']})")
    return info


def _policy(args: argparse.Namespace, dataset):
    from .serving.merchandising import Merchandising, parse_boosts, resolve

    def split(text):
        return tuple(v.strip() for v in (text or "").split(",") if v.strip())
    rules = Merchandising(exclude_items=split(args.exclude_items), exclude_categories=split(args.exclude_categories),
                          exclude_non_products=args.exclude_non_products, boost=parse_boosts(args.boost),
                          max_per_category=args.max_per_category)
    return resolve(rules, dataset.interactions.items, dataset.ingest.catalogue) if rules.active else None


def cmd_recommend(args: argparse.Namespace) -> dict[str, Any]:
    from .baskets.associations import basket_stats
    from .serving.recommend import recommend_table

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
    from .serving.recommend import similar_table

    dataset, model, _ = _fit_all(args)
    table = similar_table(model, dataset, dataset.item_index(args.item), k=args.k)
    print(table.to_string(index=False))
    return {"item": args.item, "model": model.name, "similar": table.to_dict(orient="records")}


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    from .serving.export import export_all

    dataset, model, _ = _fit_all(args)
    files = export_all(model, dataset, Path(args.out), k=args.k, policy=_policy(args, dataset))
    for path in files:
        print(f"wrote {path}")
    return {"model": model.name, "files": [str(p) for p in files]}


def cmd_rules(args: argparse.Namespace) -> dict[str, Any]:
    from .baskets.associations import catalogue_stats
    from .baskets.rules import RuleConfig, mine_rules, rules_json

    config = RuleConfig(min_support=args.min_support, min_confidence=args.min_confidence, max_len=args.max_len)
    result = _ingest(args)
    stats, items = catalogue_stats(result.events, min_support=config.min_support)
    rules = mine_rules(stats, items, config)
    names = result.catalogue["name"]
    def label(codes):
        return " + ".join(str(names.get(c, c)) for c in codes)
    print(f"{len(rules):,} rules from {stats.n_baskets:,} baskets (min support {config.min_support}, "
          f"min confidence {config.min_confidence}, max length {config.max_len}); strongest lift first:")
    for row in rules.head(args.top).itertuples(index=False):
        print(f"  {label(row.antecedents)} -> {label(row.consequents)}  support {row.support:.4f}  "
              f"confidence {row.confidence:.3f}  lift {row.lift:.1f}")
    return {"baskets": stats.n_baskets, "rules": rules_json(rules)}


def cmd_basket_eval(args: argparse.Namespace) -> dict[str, Any]:
    from .baskets.basket_eval import basket_eval

    result = _ingest(args)
    models = parse_models(args.models)
    with _Progress(args, len(models), "models") as progress:
        out = basket_eval(result.events, result.catalogue, models, k=args.k, seed=args.seed, progress=progress,
                          device=args.device, **_gnn_settings(args))
    print(f"{out['baskets']:,} baskets, {out['test_baskets']:,} test baskets with one product hidden "
          f"({out['valid_baskets']:,} validation baskets from train), k={out['k']}")
    print(f"{'model':<10}{'valid_ndcg':>12}{'test_hit':>10}{'test_ndcg':>10}{'fit_s':>10}")
    for row in out["results"]:
        if "skipped" in row:
            print(f"{row['model']:<10}  skipped: {row['skipped']}")
        else:
            print(f"{row['model']:<10}{row['valid_ndcg']:>12.4f}{row['hit_rate']:>10.4f}{row['ndcg']:>10.4f}"
                  f"{row['fit_seconds']:>10.2f}")
    return out


def cmd_compare_periods(args: argparse.Namespace) -> dict[str, Any]:
    from .baskets.changes import ChangeConfig, compare_sides, split_by_column, split_by_time
    from .errors import InputError

    if (args.split is None) == (args.by is None):
        raise InputError("expected --split DATE (two periods) or --by COLUMN --groups A,B (two segments), "
                         f"found {'both' if args.split else 'neither'}")
    config = ChangeConfig(min_baskets=args.min_baskets, q_threshold=args.q_threshold)
    if args.by is not None:
        groups = tuple(g.strip() for g in (args.groups or "").split(",") if g.strip())
        result = _ingest(args, segments=(args.by,))
        split = split_by_column(result.events, args.by, groups)  # type: ignore[arg-type]
    else:
        result = _ingest(args, segments=())
        split = split_by_time(result.events, args.split, args.start, args.end)
    report = compare_sides(split, result.catalogue["name"], config)
    for period in report.periods:
        where = f"{period['column']} = {period['group']}" if "group" in period else \
            f"[{period['start']}, {period['end']})"
        print(f"{period['label']}: {where}, {period['baskets']:,} baskets")
    print(f"{len(report.items):,} products and {len(report.pairs):,} pairs tested (in >= {config.min_baskets} "
          f"baskets); a change is named when its q-value <= {config.q_threshold}")
    for kind in ("items", "pairs"):
        for status in ("rising", "new", "falling", "gone"):
            named = report.named(kind, status)
            if named.empty:
                continue
            print(f"{status} {'products' if kind == 'items' else 'pairs'} ({len(named):,}):")
            for row in named.head(args.top).itertuples(index=False):
                label = row.name if kind == "items" else f"{row.a_name} + {row.b_name}"
                code = row.item if kind == "items" else f"{row.a}+{row.b}"
                print(f"  {code} {label}: {row.baskets_a} -> {row.baskets_b} baskets, share {row.share_a:.2%} -> "
                      f"{row.share_b:.2%}, q {row.q_value:.2g}")
    return report.as_json()


def cmd_cold_start(args: argparse.Namespace) -> dict[str, Any]:
    from .errors import InputError
    from .serving.coldstart import cold_start_eval

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
    from .serving.report import html_report
    from .training.experiment import ExperimentConfig, run_experiment

    dataset = _dataset(args)
    changes = None
    if args.split:  # before training: a bad date fails at once
        from .baskets.changes import compare_sides, split_by_time

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


class _Progress:
    """The CLI's progress callback: a bar with ETA on stderr, only when stderr is a terminal and
    --quiet is not given. Model events ("index") move a bar over models; epoch events show the
    epoch, loss, validation nDCG and the trainer's ETA."""

    def __init__(self, args: argparse.Namespace, total: int | None, unit: str) -> None:
        self.bar = None
        if sys.stderr.isatty() and not getattr(args, "quiet", False):
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, event: dict[str, Any]) -> None:
        if self.bar is None:
            return
        if "index" in event:
            self.bar.n = event["index"]
            self.bar.set_description(event.get("model", ""))
        if "epoch" in event:
            text = f"epoch {event['epoch']} loss {event['loss']:.4f}"
            if event.get("valid_ndcg") is not None:
                text += f" valid nDCG {event['valid_ndcg']:.4f}"
            if event.get("eta_seconds") is not None:
                text += f" eta {event['eta_seconds']:.0f}s"
            self.bar.set_postfix_str(text)
        elif event.get("stage") == "search":
            self.bar.set_postfix_str(f"search: candidate {event['candidate']} valid nDCG {event['score']:.4f}")
        self.bar.refresh()


COMMANDS = {"ingest": cmd_ingest, "benchmark": cmd_benchmark, "train": cmd_train,
            "recommend": cmd_recommend, "similar": cmd_similar, "export": cmd_export, "rules": cmd_rules,
            "report": cmd_report,
            "basket-eval": cmd_basket_eval, "compare-periods": cmd_compare_periods, "cold-start": cmd_cold_start}
