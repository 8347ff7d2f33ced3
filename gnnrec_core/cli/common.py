"""What every command shares: reading the data the flags describe, the GNN-only settings, the
merchandising rules, and the progress bar on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..data.ingest import ingest, summary
from ..data.mapping import ROLES
from ..matrix.interactions import InteractionConfig, check_trainable
from ..models import SPECS
from ..pipeline.benchmark import fit_timed, parse_models, prepare

CATALOGUE_FLAGS = {"id": "item", "name": "item_name", "category": "category", "price": "price"}
FLAG_ROLES = {"user": "user", "item": "item", "time": "time", "basket": "basket", "event": "event",
              "quantity": "quantity", "price": "price", "rating": "rating", "name": "item_name",
              "category": "category"}


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


def _policy(args: argparse.Namespace, dataset):
    from ..serving.merchandising import Merchandising, parse_boosts, resolve

    def split(text):
        return tuple(v.strip() for v in (text or "").split(",") if v.strip())
    rules = Merchandising(exclude_items=split(args.exclude_items), exclude_categories=split(args.exclude_categories),
                          exclude_non_products=args.exclude_non_products, boost=parse_boosts(args.boost),
                          max_per_category=args.max_per_category)
    return resolve(rules, dataset.interactions.items, dataset.ingest.catalogue) if rules.active else None


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


