"""What every command shares: reading the data the flags describe, the GNN-only settings, the
merchandising rules, and the progress bar on stderr."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.ingest import IngestResult, ingest
from ..data.mapping import ROLES, shown
from ..data.summary import summary
from ..errors import ConfigError, InputError
from ..file_output import checked_path
from ..matrix.interactions import InteractionConfig, SplitConfig, check_trainable
from ..models import GNN_MODELS, SPECS, Recommender
from ..pipeline.benchmark import Dataset, fit_timed, parse_models, prepare
from .args import CATALOGUE_FLAGS, FLAG_ROLES, listed_values

if TYPE_CHECKING:
    from ..pipeline.experiment import ExperimentConfig
    from ..records import RunInfo
    from ..serving.merchandising import Policy
    from ..store import Run


def _ingest(args: argparse.Namespace, segments: tuple[str, ...] | None = None, path: str | None = None) -> IngestResult:
    """DATA (or `path`, e.g. a held-out test file) read with the command's mapping and cleaning flags."""
    overrides = {role: getattr(args, f"col_{flag}") for flag, role in FLAG_ROLES.items()
                 if getattr(args, f"col_{flag}") is not None}  # '' maps none: detect_mapping
    assert set(overrides) <= set(ROLES)
    item_columns = {role: getattr(args, f"items_{role}") for role in CATALOGUE_FLAGS.values()
                    if getattr(args, f"items_{role}") and path is None}
    # A held-out file's pairs are all it gives: the catalogue is DATA's (its notes were said under the
    # --test file's name, and the join read it a second time)
    catalogue, category_names = (args.items, args.category_names) if path is None else (None, None)
    with _Progress(args, None, "rows") as progress:  # which step, how many rows: DuckDB reads tens of millions
        try:
            result = ingest(path or args.data, items=catalogue, lookup=args.lookup,
                            category_names=category_names, drop_non_products=args.drop_non_products,
                            item_columns=item_columns, lookup_key=args.lookup_key, segments=segments,
                            progress=progress, min_rating=args.min_rating, date_order=args.date_order,
                            floor_optional=path is not None, **overrides)  # a --test file's pairs are likes already
        except InputError as exc:
            if path is None:
                raise
            flags = " (the --*-col flags map DATA and --test alike)" if "-col NAME" in str(exc) else ""
            raise InputError(f"--test '{shown(Path(path).name)}': {exc}{flags}") from None
    if path is None:  # a held-out file's notes are said with its cleaning line (data.heldout.heldout_notes)
        for warning in result.report.warnings:
            print(f"note: {warning}", file=sys.stderr)
    return result


def _dataset(args: argparse.Namespace) -> Dataset:
    return prepare(_ingest(args), InteractionConfig(weighting=args.weighting))


def _gnn_settings(args: argparse.Namespace, models: list[str]) -> dict[str, Any]:
    """Settings the CLI passes to the GNNs only; refused when none of the models is a GNN."""
    settings = {k: v for k, v in (("epochs", getattr(args, "epochs", None)), ("time_budget", args.time_budget))
                if v is not None}
    asked = [*settings, *(["wall_budget"] if getattr(args, "wall_budget", None) is not None else [])]
    if asked and not any(SPECS[m].is_gnn for m in models):  # the wall budget is kept by cutting GNNs' budgets
        flags = " and ".join("--" + k.replace("_", "-") for k in asked)
        raise ConfigError(f"{flags}: expected a GNN among the models ({', '.join(GNN_MODELS)}), found "
                          f"{', '.join(models)}; these settings apply to GNNs only")
    return settings


Command = Callable[[argparse.Namespace], dict[str, Any]]


def on_engine(command: Command) -> Command:
    """A fitting command run inside the block of its --engine and --ray-address, where the GNNs'
    searches run there. Ray is connected on entry, before any data is read, so a missing install or
    a wrong address fails at once; a Ray instance started for the command stops with it."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> dict[str, Any]:
        from ..fit.tuning import search_engine

        models = parse_models(args.models, "models") if "models" in vars(args) else parse_models(args.model, "model")
        if args.engine != "local" and not any(SPECS[m].is_gnn for m in models):
            raise ConfigError(f"engine: expected a GNN among the models ({', '.join(GNN_MODELS)}) for --engine "
                              f"{args.engine}, found {', '.join(models)}; it runs a GNN's search on validation")
        with search_engine(args.engine, args.ray_address):
            return command(args)

    return run


def _split_config(args: argparse.Namespace) -> SplitConfig:
    """`train`'s --split and --test-size; `report`'s --split is a date for its periods section, and
    its run takes the default split."""
    if not hasattr(args, "test_size"):
        return SplitConfig(seed=args.seed)
    if args.split == "last" and args.test_size is not None:  # "Unknown settings are an error": none is dropped
        raise ConfigError(f"--test-size: expected none with --split last (each customer's latest purchase is the "
                          f"test), found {args.test_size}")
    size = SplitConfig.test_size if args.test_size is None else args.test_size
    return SplitConfig(method=args.split, test_size=size, seed=args.seed)


def _experiment_config(args: argparse.Namespace) -> ExperimentConfig:
    """The run `train` saves and `report` shows: the model, its settings, seed, device, k and
    weighting, scored beside every baseline on the default split (or those of --compare-with)."""
    from ..pipeline.experiment import ExperimentConfig

    name = parse_models(args.model, "model")[0]
    compared = {} if args.compare_with is None else {"baselines": tuple(parse_models(args.compare_with,
                                                                                     "compared models"))}
    return ExperimentConfig(model=name, settings=tuple(_gnn_settings(args, [name]).items()), device=args.device,
                            seed=args.seed, k=args.k, weighting=args.weighting,
                            split=_split_config(args),
                            repeat=args.repeat, **compared)


def _fit(args: argparse.Namespace, named: Callable[[Dataset], object] | None = None) -> tuple[Dataset, Recommender]:
    dataset = _dataset(args)
    train = check_trainable(dataset.interactions).matrix()
    if named is not None:  # the customer or product asked about, found before the fit: a typo costs no training
        named(dataset)
    name = parse_models(args.model, "model")[0]
    with _Progress(args, None, "epochs") as progress:
        model, _ = fit_timed(name, dataset, train, progress=progress, device=args.device, seed=args.seed,
                             **_gnn_settings(args, [name]))
    return dataset, model


# What still means something when a saved run answers instead of a fit.
RUN_OPTIONS = {"command", "data", "run", "workspace", "user", "basket", "item", "k", "json_path", "quiet", "out",
               "split", "exclude_items", "exclude_categories", "exclude_non_products", "boost", "max_per_category",
               "min_buyers"}


def _model_for(args: argparse.Namespace,
               named: Callable[[Dataset], object] | None = None) -> tuple[Dataset, Recommender]:
    """The model that answers: fitted now on DATA, or a saved run's (`--run ID` or `--run latest`)
    with the dataset it was trained on, from the workspace. `named`: looks up what the command asks
    about (raising InputError when it is unknown) before any fit."""
    if getattr(args, "run", None) is None:
        _check_data(args)
        return _fit(args, named)
    run, dataset = _saved_run(args)
    return dataset, run.model


def _check_data(args: argparse.Namespace) -> None:
    """Without --run, DATA is what answers: required, and --workspace has nothing to do."""
    if args.workspace is not None:
        raise InputError("--workspace: expected --run RUN_ID beside it (a fit on DATA saves nothing), found none")
    if args.data is None:
        raise InputError("expected a data file or --run RUN_ID, found neither")


def _saved_run(args: argparse.Namespace) -> tuple[Run, Dataset]:
    """`--run ID` (or `latest`) from the workspace, with the dataset it was trained on."""
    conflicting = sorted(given_options(args) - RUN_OPTIONS)
    if args.data is not None or conflicting:
        flags = [given_flag(args, c) for c in conflicting]
        found = ", ".join((["DATA"] if args.data is not None else []) + flags)
        # `--basket whole milk` unquoted: "milk" lands where DATA goes
        stray = (f" ('{args.data}' is no file: a name with spaces needs quotes, e.g. --basket \"whole milk\")"
                 if args.data is not None and not Path(args.data).exists() else "")
        raise InputError(f"--run answers with the saved run's model and data; expected no data file or fitting "
                         f"options beside it, found {found}{stray}")
    return _run_in_workspace(Path(_workspace_root(args)), args.run, "--run")


def _run_in_workspace(root: Path, asked: str, flag: str) -> tuple[Run, Dataset]:
    """The saved run `asked` (an id, or `latest`: the newest whose dataset was not replaced since) with
    the dataset it was trained on; refused in one line where it is not there, is damaged, or its
    dataset now holds other products. `flag` names where the id was given (--run, RUN_A)."""
    from ..store import Workspace

    make_one = "make one with `train` (or give --workspace, or set GNNREC_WORKSPACE)"
    if not Workspace.is_at(root):  # a command that reads makes no workspace where there is none
        raise InputError(f"expected a saved run in {root.resolve()}, found no workspace there; {make_one}")
    workspace = Workspace(root)
    runs = workspace.list_runs()  # newest first
    saved = {d["name"]: d["saved_at"] for d in workspace.list_datasets()}
    current = [r for r in runs if saved.get(r.dataset.name, 0.0) <= r.saved_at]  # its dataset not replaced since
    run_id = asked
    if run_id == "latest":
        if not current:
            found = ("none" if not runs else "only runs whose dataset was replaced after the run was made "
                     f"({_listed_runs(runs)})")
            raise InputError(f"expected a saved run in {workspace.root.resolve()}, found {found}; {make_one}")
        run_id = current[0].run_id
    elif run_id not in {r.run_id for r in runs} | {u.name for u in workspace.unreadable() if u.kind == "runs"}:
        # (a damaged run is there: loading it says why it cannot open)
        listed = f"; saved runs, newest first: {_listed_runs(runs)}" if runs else f"; {make_one}"
        raise InputError(f"{flag}: expected a saved run '{run_id}', found none in {workspace.root.resolve()}{listed}")
    run = workspace.load_run(run_id)
    others = [r for r in current if r.dataset.name == run.info.dataset.name]
    replaced = InputError(f"expected run '{run_id}' to match its dataset '{run.info.dataset.name}', found other "
                          "products: the dataset was replaced after the run was made; "
                          + (f"runs of its data now: {_listed_runs(others)}" if others else "train again"))
    try:
        dataset = prepare(workspace.load_dataset(run.info.dataset.name),
                          InteractionConfig(weighting=run.info.weighting))
    except InputError:  # e.g. replaced by a basket list: "expected events with a user column" hid why
        if saved.get(run.info.dataset.name, 0.0) > run.info.saved_at:
            raise replaced from None
        raise
    if [str(i) for i in dataset.interactions.items] != [str(i) for i in run.items]:
        raise replaced
    if asked == "latest":  # which run answers: "latest" moves to another dataset's run after a `train` on it
        from ..models.registry import served_label

        print(f"{flag} latest: {run_id} ({served_label(run.info)} on the dataset "
              f"'{run.info.dataset.name}')", file=sys.stderr)
        # Damaged runs are passed over: said, or a newer run damaged meant an answer from another dataset's
        # run with no word of why.
        damaged = [u for u in workspace.unreadable() if u.kind == "runs"]
        if damaged:
            print(f"note: {len(damaged):,} saved run{'' if len(damaged) == 1 else 's'} that cannot be opened "
                  f"{'was' if len(damaged) == 1 else 'were'} passed over: "
                  + "; ".join(f"{u.name} ({u.reason})" for u in damaged[:3])
                  + (f"; and {len(damaged) - 3:,} more" if len(damaged) > 3 else ""), file=sys.stderr)
    return run, dataset


def _listed_runs(runs: list[RunInfo], most: int = 5) -> str:
    """'ID (dataset), ...' for the first `most`, and how many more."""
    shown = ", ".join(f"{r.run_id} ({r.dataset.name})" for r in runs[:most])
    return shown + (f" and {len(runs) - most:,} more" if len(runs) > most else "")


def _command_actions(args: argparse.Namespace) -> list[argparse.Action]:
    """The options of the command `args` was parsed for."""
    from . import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(commands.choices[args.command]._actions)


def given_options(args: argparse.Namespace) -> set[str]:
    """The destinations of the options set to something other than their default."""
    return {a.dest for a in _command_actions(args)
            if a.dest != "help" and getattr(args, a.dest, a.default) != a.default}


def given_flag(args: argparse.Namespace, dest: str) -> str:
    """The flag that set `dest`: where two flags share it (--keep-non-products sets
    drop_non_products false), the one whose value it holds."""
    actions = [a for a in _command_actions(args) if a.dest == dest and a.option_strings]
    value = getattr(args, dest, None)
    chosen = next((a for a in actions if isinstance(a, (argparse._StoreTrueAction, argparse._StoreFalseAction))
                   and a.const == value), actions[0] if actions else None)
    return chosen.option_strings[-1] if chosen is not None else "--" + dest.replace("_", "-")


def _workspace_root(args: argparse.Namespace) -> Path:
    """--workspace, else GNNREC_WORKSPACE, else ./workspace: the dashboard's, run from the project root."""
    root = getattr(args, "workspace", None) or os.environ.get("GNNREC_WORKSPACE") or "workspace"
    path = checked_path(root, "--workspace" if getattr(args, "workspace", None) else "GNNREC_WORKSPACE")
    if path.exists() and not path.is_dir():
        raise InputError(f"expected a workspace folder at '{root}', found a file")
    return path


def _stem(data: str) -> str:
    """'sample_data/online_retail_dec2010.csv.gz' -> 'online_retail_dec2010'."""
    name = Path(data).name
    while True:
        stem, dot, suffix = name.rpartition(".")
        if not dot or suffix.lower() not in STRIPPED_SUFFIXES or not stem:
            return name
        name = stem


STRIPPED_SUFFIXES = {"gz", "zip", "bz2", "xz", "csv", "tsv", "txt", "parquet", "xlsx", "xls", "json", "jsonl"}


def _policy(args: argparse.Namespace, dataset: Dataset, model: Recommender) -> Policy | None:
    from ..serving.explore import item_buyers
    from ..serving.merchandising import Merchandising, parse_boosts, resolve

    rules = Merchandising(exclude_items=listed_values(args.exclude_items),
                          exclude_categories=listed_values(args.exclude_categories),
                          exclude_non_products=args.exclude_non_products, boost=parse_boosts(args.boost),
                          max_per_category=args.max_per_category, min_buyers=fewest_buyers(args, model))
    if not rules.active:
        return None
    policy = resolve(rules, dataset.interactions.items, dataset.ingest.catalogue, item_buyers(model))
    for note in policy.unmatched.values():  # a rule that does nothing says so, on stderr beside the output
        print(f"note: {note}", file=sys.stderr)
    return policy


def fewest_buyers(args: argparse.Namespace, model: Recommender) -> int:
    """--min-buyers, else the Neighbourhood page's floor for the model's customers (explore.min_buyers;
    recommend and export default to 1: their lists have no floor unless asked)."""
    from ..serving.explore import min_buyers

    chosen: int = args.min_buyers if args.min_buyers is not None else min_buyers(model)
    return chosen


class _Progress:
    """The CLI's progress callback: a bar with ETA on stderr, only when stderr is a terminal and
    --quiet is not given. Model events ("index") move a bar over models; epoch events show the
    epoch, loss, validation nDCG and the trainer's ETA."""

    def __init__(self, args: argparse.Namespace, total: int | None, unit: str) -> None:
        self.bar = None
        if sys.stderr.isatty() and not getattr(args, "quiet", False):
            from tqdm import tqdm

            from .terminal import bar_stream

            self.bar = tqdm(total=total, unit=unit, file=bar_stream(), leave=False, dynamic_ncols=True)

    def __getstate__(self) -> dict[str, Any]:  # a copy sent to a Ray worker draws nothing
        return {"bar": None}

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
            seed = f"seed {event['seed']} ({event['seed_index']} of {event['seed_count']}): " if "seed" in event else ""
            self.bar.set_description(seed + event.get("model", ""))
        if "epoch" in event:
            text = f"epoch {event['epoch']} loss {event['loss']:.4f}"
            if event.get("valid_ndcg") is not None:
                text += f" valid nDCG {event['valid_ndcg']:.4f}"
            if event.get("run_eta_seconds") is None and event.get("eta_seconds") is not None:  # a lone fit
                text += f" fit eta {event['eta_seconds']:.0f}s"
            self.bar.set_postfix_str(text + _run_eta(event))
        elif event.get("stage") == "ingest":
            self.bar.set_description(f"ingest: {event['step']}")
            if "rows" in event:
                self.bar.set_postfix_str(f"{event['rows']:,} rows")
        elif event.get("stage") == "export":  # rows written so far, of how many, and the time left
            self.bar.set_description(f"export: {event['step']}")
            self.bar.set_postfix_str(f"{event['done']:,} of {event['total']:,}, eta {event['eta_seconds']:.0f}s")
        elif event.get("stage") == "search":
            self.bar.set_postfix_str(f"search: candidate {event['candidate']} valid nDCG {event['score']:.4f}"
                                     + _run_eta(event))
        self.bar.refresh()


def _run_eta(event: dict[str, Any]) -> str:
    """A whole run's (train's) time left, on every line the bar shows during it."""
    eta = event.get("run_eta_seconds")
    return "" if eta is None else f" run eta {'<=' if event.get('run_eta_bound') else ''}{eta:.0f}s"


def cmd_ingest(args: argparse.Namespace) -> dict[str, Any]:
    result = _ingest(args)
    report = result.report.as_dict()
    print("column mapping:")
    from_catalogue = report["catalogue_mapping"] or {}
    for role, column in result.mapping.as_dict().items():
        # A name the log lacks and the catalogue gives read "-" as if the run had none (a user's report)
        filled = f"  (from the catalogue's {from_catalogue[role]})" if not column and from_catalogue.get(role) else ""
        print(f"  {role:<10} {column if column else '-'}{filled}")
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
        if count:  # a zero is kept in the JSON, not printed as if it were news
            print(f"  note    {count:>8,}  {note}")
    figures = summary(result)
    # "ratings ratings below 4 ...": a figure whose words already name it is not named twice
    print("summary: " + "; ".join(value if value.lower().startswith(figure.lower()) else f"{figure.lower()} {value}"
                                  for figure, value in figures.lines()))
    # The Data page's warning, with the option that acts on it
    warning = figures.training_warning(result.mapping.basket,
                                       option=lambda column: f" (--user-col {shlex.quote(column)})",
                                       lookup=" (--lookup FILE)")
    if warning is not None:
        print(f"warning: {warning}")
    print("nothing saved: `train` saves the dataset with its run, the Data page saves it alone")  # a user looked for it
    return {"mapping": result.mapping.as_dict(), "report": report, "summary": figures.as_dict()}


