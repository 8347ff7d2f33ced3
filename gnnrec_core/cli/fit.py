"""Commands that fit models: benchmark, train, recommend, similar, export, report, cold-start."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..data.heldout import heldout_notes
from ..data.ingest import IngestResult
from ..data.rating_floor import floor_dropped_line
from ..errors import ConfigError
from ..file_output import writable_file, write_output
from ..fit.metrics import METRICS, VALIDATION_K
from ..matrix.interactions import InteractionConfig, Interactions, given_split
from ..models.registry import BLEND_WEIGHTS_WORDS, row_label, served_label
from ..pipeline.benchmark import Dataset, benchmark, benchmark_seeds, parse_models, prepare
from ..records import DatasetRef, ResultRow, SeededBenchmark, Tuning, Verdicts
from ..serving.verdicts import (
    advice_verdicts,
    few_seeds_words,
    first_split_words,
    gain_words,
    graph_sentence,
    kept_whole_words,
    seeds_words,
    serving_note,
    training_sentence,
)
from ..setting_words import NO_VALIDATION, blend_words, chosen_words, epochs_words
from .args import input_paths
from .common import (
    _check_data,
    _dataset,
    _experiment_config,
    _gnn_settings,
    _ingest,
    _Progress,
    _saved_run,
    _split_config,
    _stem,
    _workspace_root,
    on_engine,
)


def _split_or_test(args: argparse.Namespace) -> None:
    if args.split != "random" or args.test_size is not None:
        given = f"--split {args.split}" if args.split != "random" else f"--test-size {args.test_size}"
        raise ConfigError(f"--test: expected no --split or --test-size beside it (HELDOUT is the split), found {given}")


@on_engine
def cmd_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    models = parse_models(args.models)
    dataset = _dataset(args)
    data_split, heldout = None, None
    if args.test is not None:
        _split_or_test(args)
        heldout = _ingest(args, path=args.test)
        data_split = given_split(dataset.interactions, heldout.events)
    config = _split_config(args)
    options = {"k": args.k[0], "ks": args.k, "device": args.device, "gnn_settings": _gnn_settings(args, models),
               "data_split": data_split, "wall_budget": args.wall_budget, "test_users": args.test_users,
               "started": args.started}
    if args.repeat > 1:
        if args.seed + args.repeat - 1 > 2**32 - 1:
            raise ConfigError(f"--repeat: expected seeds up to {2**32 - 1}, found --seed {args.seed} "
                              f"with --repeat {args.repeat}")
        seeds = [args.seed + i for i in range(args.repeat)]
        with _Progress(args, len(models), "models") as progress:
            seeded = benchmark_seeds(dataset, models, config, seeds, progress=progress, **options)
        first = seeded.runs[0].split
        print_reading(args, dataset, first if first.get("method") in ("given", "time") else None, heldout)
        print_seeded(seeded)
        _some_scored(models, seeded.runs[0].results)
        return seeded.to_json()
    with _Progress(args, len(models), "models") as progress:
        result = benchmark(dataset, models, config, seed=args.seed, progress=progress, **options)
    print_reading(args, dataset, result.split, heldout)
    print_table(result.results, result.ks, result.split, (*result.notes, *verdict_lines(result.verdicts)))
    _some_scored(models, result.results)
    return result.to_json()


def _some_scored(models: Sequence[str], results: Sequence[ResultRow]) -> None:
    """A benchmark that scored no model is refused (exit 2, no JSON), as `train` refuses one: the notes
    printed above say why each was left out."""
    if not results:
        raise ConfigError(f"expected at least one model scored, found every one of the {len(models)} asked for left "
                          "out (the lines above say why)")


def print_reading(args: argparse.Namespace, dataset: Dataset, split: dict[str, Any] | None,
                  heldout: IngestResult | None) -> None:
    """The data behind a table: its size, what a rating floor dropped, and the held-out file's cleaning."""
    print(data_size_line(dataset.interactions, split))
    report = dataset.ingest.report
    floor = floor_dropped_line(Path(args.data).name, report.min_rating, report.dropped)
    if floor is not None:
        print(floor)
    elif getattr(args, "weighting", None) != "rating" and report.mapping.get("rating"):
        rated = dataset.ingest.events["rating"].dropna()
        if len(rated):  # as `ingest` and the report say it: a 1-star line is not read as a dislike
            print(f"{Path(args.data).name}: every rated product counts as an interaction, a rating of "
                  f"{rated.min():g} as much as the highest (--min-rating N drops lower ones; --weighting rating "
                  "weighs them)")
    if heldout is not None:
        print("\n".join(heldout_notes(Path(args.test).name, heldout)))


def print_seeded(seeded: SeededBenchmark) -> None:
    """`benchmark --repeat`: each row's mean +/- std over the runs at every cut-off, the notes, the
    held-out counts of a given split, then the verdicts read over the seeds."""
    runs = seeded.runs
    keys = list(dict.fromkeys(row.key for run in runs for row in run.results))
    method = str(runs[0].split.get("method"))
    varied = {"given": "the given split each time; the models' seeds vary",
              "time": "the same time cut each time; the models' seeds vary"}.get(
        method, "each seed draws the split and seeds the models")
    print(f"{len(runs)} runs, seeds {', '.join(map(str, seeded.seeds))} ({varied}); mean +/- std over the runs:")
    first = runs[0].split
    if "test_users_drawn" in first:  # wall_budget.sampled_test: said here, as the data line is each run's
        same = "the same" if method != "random" else "each run its own"
        print(f"each run scored a random {first['test_users']:,} of its {first['test_users_drawn']:,} test customers "
              f"({same}; --test-users 0 scores them all)")
    if keys:
        width = max(len(key) for key in keys) + 2
        ks = runs[0].ks
        columns = [(f"{m}@{k}", k, m) for k in ks for m in ("ndcg", "recall")]
        print(f"{'model':<{width}}" + "".join(f"{name:>18}" for name, _, _ in columns) + f"{'fit_s':>14}  runs")
        for key in keys:
            rows = [row for run in runs for row in run.results if row.key == key]
            cells = [np.array([row.at_k[k][m] if row.at_k else row.metric(m) for row in rows]) for _, k, m in columns]
            fit = np.array([row.train_seconds for row in rows])
            spread = len(rows) > 1  # one run has no spread: its figure alone

            def cell(values: np.ndarray, digits: int) -> str:
                mean = f"{values.mean():.{digits}f}"
                return f"{mean} ± {values.std():.{digits}f}" if spread else mean
            print(f"{key:<{width}}" + "".join(f"{cell(c, 4):>18}" for c in cells) + f"{cell(fit, 1):>14}"
                  + f"  {len(rows)} of {len(runs)}")
    print_split_counts(runs[0].split)
    for note in dict.fromkeys(note for run in runs for note in run.notes):
        print(note)
    for line in verdict_lines(seeded.verdicts):
        print(f"over the seeds, {line}")
    if seeded.verdicts.training is not None or seeded.verdicts.graph is not None:
        few = few_seeds_words(len(seeded.seeds))
        if few:
            print(f"note: {few}")


def print_table(results: Sequence[ResultRow], ks: Sequence[int], split: dict[str, Any], lines: Sequence[str],
                tuning_said: str | None = None) -> None:
    """Every model's row on one split, the blends' parts, the tuning chosen, the held-out counts,
    then `lines` (notes, verdicts): what `benchmark` and `train` print alike. `tuning_said`: a
    model whose tuning a note of `lines` already gives in words."""
    if not results:  # every model left out or refused: the notes say why
        for line in lines:
            print(line)
        return
    width = max(len(row.key) for row in results) + 2
    if len(ks) > 1:  # the first table is at one cut-off: say which
        print(f"at k={ks[0]} (recall and nDCG at every cut-off in the second table):")
    print(f"{'model':<{width}}" + "".join(f"{m:>10}" for m in (*METRICS, "fit_s")))
    for row in results:
        print(f"{row.key:<{width}}" + "".join(f"{row.metric(m):>10.4f}" for m in METRICS)
              + f"{row.train_seconds:>10.2f}")
    if len(ks) > 1:
        header = "".join(f"{f'{m}@{k}':>12}" for k in ks for m in ("recall", "ndcg"))
        print("\n" + f"{'model':<{width}}" + header)
        for row in results:
            print(f"{row.key:<{width}}" + "".join(f"{row.at_k[k][m]:>12.4f}" for k in ks for m in ("recall", "ndcg")))
    # The table's code names (what --models takes) beside the names the verdicts and the pages use.
    named = [f"{row.key} = {row_label(row.model)}" for row in results if not row.blend]
    if named:
        print("models: " + "; ".join(named))
    for row in results:
        if row.blend:
            print(f"{row.key}: {row_label(row.model, row.blend)}")
    if any(row.blend for row in results):
        print(BLEND_WEIGHTS_WORDS)
    for row in results:
        if row.tuning is not None and not row.blend and row.model != tuning_said:
            print(f"{row.model}: {tuning_line(row.tuning)}")
    print_split_counts(split)
    for line in lines:
        print(line)


def data_size_line(interactions: Interactions, split: dict[str, Any] | None) -> str:
    """What the table was measured on: the prepared matrix's size and the split's two sides, so a
    figure is never read without the data behind it. split None: the size alone (each seed of a
    repeated run drew its own split, as the line below it says)."""
    size = (f"data: {interactions.n_users:,} customers x {interactions.n_items:,} products, "
            f"{len(interactions):,} customer-product pairs")
    if split is None:
        return size
    test = (f"test {split['test_interactions']:,} pairs of {split['test_users']:,} "
            f"customer{'' if split['test_users'] == 1 else 's'}"
            if "test_users" in split else f"test {split.get('test_interactions', 0):,} pairs")
    line = f"{size}; train {split.get('train_interactions', 0):,} pairs, {test}"
    if "test_users_drawn" in split:  # wall_budget.sampled_test
        line += (f" (a random {split['test_users']:,} of the {split['test_users_drawn']:,} test customers, "
                 f"{split['test_interactions_drawn']:,} pairs; --test-users 0 scores them all)")
    line += kept_whole_words(split)
    cold = int(split.get("test_users_without_history") or 0)
    if cold:  # their pairs are on neither side: say so, or the sides do not add up to the data
        drawn = split.get("test_interactions_drawn", split.get("test_interactions", 0))  # a sample's unscored pairs too
        left = len(interactions) - split.get("train_interactions", 0) - drawn
        why = ("every pair of theirs after the cut, none before it to rank from" if split.get("method") == "time"
               else "every pair of theirs drawn for test, none left to rank from")
        line += (f"; {cold:,} customer{'s' if cold > 1 else ''} left out, {why} ({left:,} pairs on neither side"
                 + ("; a smaller --test-size keeps them)" if split.get("method") == "random" else ")"))
    return line


def print_split_counts(split: dict[str, Any]) -> None:
    """A given split's held-out pairs: scored, and skipped by why."""
    if split.get("method") == "given":
        kept = split.get("test_interactions_drawn", split["test_interactions"])
        sample = (f" (the table scores the {split['test_interactions']:,} pairs of a random {split['test_users']:,} of "
                  f"their {split['test_users_drawn']:,} users; --test-users 0 scores them all)"
                  if "test_users_drawn" in split else "")
        print(f"held-out pairs: {split['heldout_pairs']:,}; {'kept' if sample else 'scored'} {kept:,}{sample}; skipped "
              f"{split['skipped_unknown_users']:,} with a user train never saw, {split['skipped_unknown_items']:,} "
              f"with an item train never saw, {split['skipped_in_train']:,} already in train")


def verdict_lines(found: Verdicts) -> list[str]:
    """The table's two verdicts in the Train page's and the report's words, each with its interval:
    which model to trust is said once, the same way on every front end."""
    lines = []
    if found.training is not None:
        lines.append(f"what training added: {training_sentence(found.training, found.graph, found.cut)}")
    elif found.training_unread:
        lines.append(f"what training added: {found.training_unread}")
    if found.graph is not None:
        lines.append(f"best graph model against the best baseline: {graph_sentence(found.graph, found.training)}")
    return lines


def tuning_line(tuning: Tuning) -> str:
    """What a model chose on validation, in one line: a GNN's search and blend, EASE's lambda."""
    chosen = chosen_words(tuning.chosen)
    among = f" among {tuning.candidates} configurations" if tuning.candidates > 1 else ""  # a GNN's search
    line = f"chose {chosen}{among}" if tuning.searched else \
        f"ran its default settings, {chosen} ({tuning.unsearched_reason})"
    if tuning.valid_ndcg is not None:
        line += f" (validation nDCG@{VALIDATION_K} {tuning.valid_ndcg:.4f} alone"
        if tuning.blended and tuning.blend_valid_ndcg is not None:
            line += f"; {tuning.blend_valid_ndcg:.4f} blended with {blend_words(tuning.blend)}"
        elif tuning.blend_searched:  # blends were tried on validation; none beat the model alone
            line += "; no blend beat it"
        line += ")"
    elif tuning.epochs is not None:  # a GNN with no validation slice: nothing chose its epochs either
        line += f" ({NO_VALIDATION}; it trained {epochs_words(tuning.epochs, tuning.last_epoch_share)})"
    return line


@on_engine
def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    """The dashboard's run, headless: the dataset is kept in the workspace (never replacing another),
    the model and every baseline are scored on one split, and the run opens on every page."""
    from ..pipeline.experiment import train_and_save
    from ..store import Workspace

    workspace = Workspace(_workspace_root(args))
    result = _ingest(args)
    config = _experiment_config(args)
    dataset = prepare(result, InteractionConfig(weighting=args.weighting))
    heldout_file = _ingest(args, path=args.test) if args.test is not None else None
    heldout = heldout_file.events if heldout_file is not None else None
    if heldout is not None:
        _split_or_test(args)
        given_split(dataset.interactions, heldout)  # refused before anything is kept
    ref = workspace.keep_dataset(_stem(args.data), result, source=Path(args.data).name)
    with _Progress(args, None, "steps") as progress:
        run_id = train_and_save(workspace, ref, dataset, config, progress, made_by="cli", heldout=heldout,
                                heldout_notes=heldout_notes(Path(args.test).name, heldout_file)
                                if heldout_file is not None else ())
    info = workspace.load_run(run_id).info
    advice, whose = advice_verdicts(info)  # over the seeds where the run was repeated
    serving = serving_note(advice, info.model, whose, served_label(info))
    own = [f"{first_split_words(info.seeds, info.split)[2:]}, {line}" if info.seeds else line
           for line in verdict_lines(info.verdicts)]
    over = info.over_seeds  # verdict_lines says the training verdict, then the graph one, each where present
    over_seeds = [f"{seeds_words(info.seeds, gain)}, {line}" for gain, line in
                  zip([g for g in (over.training, over.graph) if g is not None], verdict_lines(over))]
    few = few_seeds_words(len(info.seeds)) if over_seeds else ""
    over_seeds += [f"note: {few}"] if few else []
    print_reading(args, dataset, info.split, None)  # the held-out file's reading: in the run's notes
    print_table(info.results, (info.k,), info.split, (*info.notes, *own, *over_seeds,
                                                       *([f"note: {serving}"] if serving else [])), info.model)
    main = info.main_result
    # the row the saved model scores as: its blend where validation chose one (a user read the alone row's figure)
    score = (f", validation nDCG@{VALIDATION_K} {main.valid_ndcg:.4f} as {row_label(main.model, main.blend)}"
             if main and main.valid_ndcg is not None else "")
    default = workspace.root.resolve() == Path("workspace").resolve()  # the dashboard's own, run from here
    env = "" if default else f"GNNREC_WORKSPACE={workspace.root} "
    flag = "" if default else f" --workspace {workspace.root}"
    print(f"saved run {run_id} in {workspace.root} ({info.model} on dataset '{ref.name}'{score}); "
          f"open it with `{env}streamlit run app.py` or `recommend --run {run_id}{flag}`")
    return info.to_json()


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
    print(f"{out['held_out']:,} named products held out as if new: {out['held_out'] - out['scored_products']:,} chose "
          f"how 'combined' mixes names and graph ({out['combined_text']} names, GCN share {out['gcn_share']}), "
          f"{out['scored_products']:,} are scored, k={out['k']}")
    print(f"{'method':<10}{'ndcg':>10}{'hit_rate':>10}{'recall':>10}")
    for method, metrics in out["results"].items():
        print(f"{method:<10}{metrics['ndcg']:>10.4f}{metrics['hit_rate']:>10.4f}{metrics['recall']:>10.4f}")
    print("names read by: " + "; ".join(out["text_encoders"].values()))
    print(f"verdict: {gain_words(out['verdict'])}")
    rows = [{"method": method, **metrics} for method, metrics in out["results"].items()]
    return {"results": rows, "held_out": out["held_out"], "seed": args.seed, "scored": out["scored_products"],
            "combined": {"text": out["combined_text"], "gcn_share": out["gcn_share"]}, "k": out["k"],
            "text_encoders": out["text_encoders"], "verdict": out["verdict"].to_json()}


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    from ..pipeline.experiment import run_experiment, run_info
    from ..serving.report import html_report

    out = writable_file(args.out, "--out", suffixes=(".html", ".htm"), inputs=input_paths(args))
    if args.run is not None:  # a saved run's model and table: nothing is trained
        run, dataset = _saved_run(args)
        model, info = run.model, run.info
    else:
        _check_data(args)
        dataset = _dataset(args)
    changes = None
    if args.split:  # before training: a bad date fails at once
        from ..baskets.changes import compare_sides, split_by_time

        changes = compare_sides(split_by_time(dataset.ingest.events, args.split), dataset.ingest.catalogue["name"])
    if args.run is None:
        config = _experiment_config(args)
        with _Progress(args, None, "steps") as progress:
            experiment = run_experiment(dataset, config, progress)
        model = experiment.model
        info = run_info(experiment, DatasetRef(_stem(args.data), Path(args.data).name), made_by="cli")
    write_output(out, html_report(dataset, model, info, k=args.k, changes=changes), "--out")
    print(f"wrote {out}")
    return {"out": str(out), "run": info.run_id or None, "weighting": info.weighting,
            "results": [r.to_json() for r in info.results]}
