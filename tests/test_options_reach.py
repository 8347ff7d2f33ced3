"""No option silently dropped: every option of every CLI command, and every field of the Train
page's form, changes what reaches the engine (the arguments of the engine's entry points), or is
refused with a one-line message. Options that only shape output are named in OUTPUT_ONLY."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import SAMPLE

import gnnrec_core.baskets.changes as changes_module
import gnnrec_core.baskets.rules as rules_module
import gnnrec_core.cli.baskets as cli_baskets
import gnnrec_core.cli.common as cli_common
import gnnrec_core.cli.fit as cli_fit
import gnnrec_core.data.ingest as ingest_module
import gnnrec_core.pipeline.basket_eval as basket_eval_module
import gnnrec_core.pipeline.benchmark as benchmark_module
import gnnrec_core.pipeline.experiment as experiment_module
import gnnrec_core.serving.coldstart as coldstart_module
import gnnrec_core.serving.explore as explore_module
import gnnrec_core.serving.export as export_module
import gnnrec_core.serving.merchandising as merchandising_module
import gnnrec_core.serving.recommend as recommend_module
from gnnrec_core.cli import build_parser, main, one_cutoff, positive_int, seed

# Options that shape only what is printed or where it goes, never what is computed.
OUTPUT_ONLY: dict[Any, str] = {
               ("report", "out"): "the HTML file written (test_cli's report tests read it)",
               "json_path": "where the result is written (tested in test_cli)",
               "quiet": "the progress bar (tested in test_cli's terminal test)",
               "top": "how many lines are printed",
               "max_rules": "how many rules the JSON holds (tested in test_rules's CLI contracts)",
               "max_pairs": "how many pairs compare-periods' JSON holds (tested in test_changes)"}

# (module, function): the engine's entry points whose arguments are "what reaches the engine".
ENTRY_POINTS = [(ingest_module, "ingest"), (benchmark_module, "prepare"), (benchmark_module, "make_model"),
                (benchmark_module, "split"), (benchmark_module, "benchmark"), (benchmark_module, "benchmark_seeds"),
                (experiment_module, "run_experiment"),
                (experiment_module, "train_and_save"),
                (recommend_module, "recommend_table"), (recommend_module, "recommend_for_basket"),
                (recommend_module, "similar_table"),
                (export_module, "export_all"), (merchandising_module, "resolve"), (rules_module, "mine_rules"),
                (rules_module, "rules_about"),
                (rules_module, "RuleConfig"), (basket_eval_module, "basket_eval"),
                (changes_module, "split_by_time"), (changes_module, "split_by_column"),
                (changes_module, "ChangeConfig"), (coldstart_module, "cold_start_eval"),
                (explore_module, "compare_neighbours")]
NAMESPACES = [cli_common, cli_fit, cli_baskets, benchmark_module, experiment_module]
# Options of reading: complete once `ingest` is called (the trace stops there, before any reading).
READ_OPTIONS = {"items", "lookup", "lookup_key", "drop_non_products", "min_rating", "date_order"}
# Where a command's configuration is complete: the trace stops there (nothing is fitted twice).
STOP_AT = {"benchmark", "benchmark_seeds", "run_experiment", "train_and_save", "recommend_table",
           "recommend_for_basket", "similar_table", "export_all", "mine_rules", "basket_eval", "split_by_time",
           "split_by_column", "cold_start_eval", "compare_neighbours"}


class _Stop(Exception):
    """Raised by the trace once the command's configuration has reached the engine."""


def _summary(value: Any) -> Any:
    """A comparable trace of an argument: configs and plain values whole, data by shape."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ in ("Dataset", "IngestResult"):
            return type(value).__name__
        return repr(value)
    if isinstance(value, (str, int, float, bool, type(None), Path)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return tuple(_summary(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _summary(v)) for k, v in value.items()))
    if isinstance(getattr(value, "root", None), Path):  # the workspace: where runs are kept
        return repr(value.root)
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)) or sp.issparse(value):
        return (type(value).__name__, getattr(value, "shape", None))
    return type(value).__name__


class Trace(list):
    stop_at: set[str] = set()


@pytest.fixture
def trace(monkeypatch):
    calls = Trace()
    for module, name in ENTRY_POINTS:
        original = getattr(module, name)

        def recorder(*args, __original=original, __name=name, **kwargs):
            # `started`: when the command's wall clock started, a reading that differs on every call, not a setting
            calls.append((__name, _summary(args), _summary({k: v for k, v in kwargs.items() if k != "started"})))
            if __name in calls.stop_at:
                raise _Stop
            return __original(*args, **kwargs)

        for namespace in [module, *NAMESPACES]:
            if getattr(namespace, name, None) is original:
                monkeypatch.setattr(namespace, name, recorder)
    return calls


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A small log (60 customers), a catalogue, an orders lookup and the codes that live in them."""
    base = tmp_path_factory.mktemp("options")
    frame = pd.read_csv(SAMPLE, dtype=str)
    keep = frame["CustomerID"].dropna().unique()[:60]
    log = frame[frame["CustomerID"].isin(keep)]
    log.to_csv(base / "log.csv", index=False)
    catalogue = log.drop_duplicates("StockCode")[["StockCode", "Description"]].rename(
        columns={"StockCode": "sku", "Description": "title"})
    catalogue["aisle"] = np.where(np.arange(len(catalogue)) % 2 == 0, "Gifts", "Home")
    catalogue.to_csv(base / "catalogue.csv", index=False)
    orders = log.drop_duplicates("InvoiceNo")[["InvoiceNo", "Country"]] if "Country" in log else \
        log.drop_duplicates("InvoiceNo")[["InvoiceNo"]].assign(channel="web")
    orders.to_csv(base / "orders.csv", index=False)
    shifted = dict(zip(keep, np.roll(keep, 1)))  # each customer's rows given to the next: mostly new pairs
    log.assign(CustomerID=log["CustomerID"].map(shifted)).to_csv(base / "heldout.csv", index=False)
    pd.DataFrame({"aisle": ["Gifts", "Home"], "aisle_name": ["Gift shop", "Home and garden"]}).to_csv(
        base / "aisles.csv", index=False)
    return {"log": base / "log.csv", "catalogue": base / "catalogue.csv", "orders": base / "orders.csv",
            "heldout": base / "heldout.csv", "departments": base / "aisles.csv", "base": base}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _baseline(command: str, files: dict[str, Path]) -> list[str]:
    log = str(files["log"])
    if command == "compare-runs":  # two saved runs of their own workspace, made once
        workspace = files["base"] / "ws-compare"
        if not workspace.exists():
            for seed in ("0", "1"):
                assert main(["train", log, "--model", "pop", "--seed", seed, "--workspace", str(workspace)]) == 0
        from gnnrec_core.store import Workspace

        return [command, *(r.run_id for r in Workspace(workspace).list_runs()), "--workspace", str(workspace)]
    extra = {"recommend": ["--user", "17850", "--model", "pop"], "similar": ["--item", "85123A", "--model", "pop"],
             "export": ["--model", "pop", "--out", str(files["base"] / "export")],
             "train": ["--model", "pop", "--workspace", str(files["base"] / "ws")],
             "report": ["--model", "pop", "--out", str(files["base"] / "r.html")],
             "benchmark": ["--models", "pop"], "basket-eval": ["--models", "pop"],
             "compare-periods": ["--split", "2010-12-10"], "cold-start": ["--time-budget", "2"]}
    return [command, log, *extra.get(command, [])]


def _other_value(command: str, action: argparse.Action, files: dict[str, Path]) -> list[str]:
    """Arguments that set `action` to a value other than the baseline's."""
    flag = action.option_strings[-1]
    special = {
        "items": [flag, str(files["catalogue"])], "lookup": [flag, str(files["orders"])],
        "lookup_key": [flag, "InvoiceNo"], "items_item": [flag, "sku"], "items_item_name": [flag, "title"],
        "items_category": [flag, "aisle"], "items_price": [flag, "title"],
        "model": [flag, "itemknn"], "models": [flag, "pop,itemknn"], "user": [flag, "13047"],
        "basket": [flag, "85123A,22423"],
        "item": [flag, "22423"], "exclude_items": [flag, "22423"], "exclude_categories": [flag, "Gifts"],
        "boost": [flag, "Gifts=1.5"], "run": [flag, "latest"], "workspace": [flag, str(files["base"] / "ws2")],
        "out": [flag, str(files["base"] / ("other.html" if command == "report" else "other"))],
        "split": [flag, "2010-12-12" if command in ("compare-periods", "report") else "time"],
        "start": [flag, "2010-12-02"], "end": [flag, "2010-12-20"], "by": [flag, "Country"],
        "groups": [flag, "United Kingdom,France"], "time_budget": [flag, "3"], "epochs": [flag, "2"],
        "holdout": [flag, "0.2"], "test_size": [flag, "0.3"], "min_support": [flag, "0.02"],
        "min_confidence": [flag, "0.2"], "min_lift": [flag, "2"], "q_threshold": [flag, "0.1"], "device": [flag, "cpu"],
        "test": [flag, str(files["heldout"])], "ray_address": [flag, "127.0.0.1:1"],
        "category_names": [flag, str(files["departments"])], "compare_with": [flag, "itemknn"],
        "min_rating": [flag, "3"], "wall_budget": [flag, "60"], "test_users": [flag, "50"],
        "product": [flag, "heart"], "category": [flag, "Gifts"],
    }
    if action.dest == "k" and command == "benchmark":
        return [flag, "5,20"]
    if action.dest.startswith("col_"):
        column = {"col_user": "CustomerID", "col_item": "StockCode", "col_time": "InvoiceDate",
                  "col_basket": "InvoiceNo", "col_quantity": "Quantity", "col_price": "UnitPrice",
                  "col_name": "Description"}.get(action.dest, "Country")
        return [flag, column]
    if action.dest in special:
        return special[action.dest]
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return [flag]
    if action.choices:
        return [flag, next(c for c in action.choices if c != action.default)]
    if action.type in (int, positive_int, one_cutoff, seed):
        return [flag, str((action.default or 1) + 2)]
    raise AssertionError(f"{command} {flag}: no value to try; add one to this test")


def _cases() -> list[tuple[str, str]]:
    """(command, flag) for every option; flags, not destinations, since two flags may set one
    (--drop-non-products, --keep-non-products)."""
    cases = []
    for command, sub in _subparsers().items():
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                cases.append((command, action.option_strings[-1]))
    return cases


@pytest.mark.parametrize("command,flag", _cases(), ids=[f"{c}{f}" for c, f in _cases()])
def test_every_cli_option_reaches_the_engine_or_is_refused(command, flag, files, trace, capsys):
    sub = _subparsers()[command]
    action = next(a for a in sub._actions if a.option_strings and a.option_strings[-1] == flag)
    dest = action.dest
    if dest in OUTPUT_ONLY or (command, dest) in OUTPUT_ONLY:
        pytest.skip(f"output only: {OUTPUT_ONLY.get(dest) or OUTPUT_ONLY[command, dest]}")
    baseline = _baseline(command, files)
    if dest in ("time_budget", "wall_budget") and command != "cold-start":  # GNN settings: the baseline fits a GNN
        baseline = [a if a not in ("pop",) else "lightgcn" for a in baseline]
        baseline = [*baseline, "--time-budget", "2"] if "--model" in baseline or "--models" in baseline else baseline
    if dest == "epochs":
        baseline = [a if a != "pop" else "lightgcn" for a in baseline] + ["--time-budget", "2"]
    if dest == "category":  # a catalogue with categories to choose among
        baseline = [*baseline, "--items", str(files["catalogue"])]
    if dest == "run":  # a run to answer with: made first, then the fitting options go
        assert main(["train", str(files["log"]), "--model", "pop", "--workspace", str(files["base"] / "ws")]) == 0
        needs = {"recommend": ["--user", "17850"], "similar": ["--item", "85123A"],
                 "export": ["--out", str(files["base"] / "export")],
                 "report": ["--out", str(files["base"] / "r.html")]}[command]
        baseline = [command, "--workspace", str(files["base"] / "ws"), *needs]
    # The option's own flag and value replace the baseline's, if the baseline sets it.
    option_args = _other_value(command, action, files)
    changed = list(baseline)
    if dest == "basket":  # the other of --user and --basket: the baseline's customer goes
        at = changed.index("--user")
        del changed[at:at + 2]
    if option_args[0] in changed:
        at = changed.index(option_args[0])
        del changed[at:at + (1 if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)) else 2)]
    stop_at = STOP_AT - {"mine_rules"} | {"rules_about"} if dest in ("product", "category") else STOP_AT  # filters
    trace.stop_at = stop_at | ({"make_model"} if dest in ("epochs", "time_budget") else set()) | (
        {"ingest"} if dest in READ_OPTIONS or dest.startswith(("col_", "items_")) else set())
    before = _baseline_trace(baseline, trace, capsys)
    trace.clear()
    status = main(changed + option_args)
    after = list(trace)
    err = capsys.readouterr().err
    assert status in (0, 2) or "internal error (_Stop" in err, err
    if isinstance(action, argparse._StoreTrueAction) and action.default is True:  # the default, spelled out
        assert before == after, f"{command} {flag}: the default spelled out changed the run"
        return
    if before != after:
        return  # the option changed what reaches the engine
    # Otherwise it must be refused: one line that says what was expected and what was found.
    assert status == 2 and (command, dest) in REFUSED, f"{command} {option_args}: nothing changed ({err})"
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "expected" in last and "Traceback" not in err, err


BASELINES: dict[tuple, list] = {}


def _baseline_trace(argv: list[str], trace: Trace, capsys) -> list:
    key = (tuple(argv), frozenset(trace.stop_at))
    if key not in BASELINES:
        trace.clear()
        main(argv)
        capsys.readouterr()
        BASELINES[key] = list(trace)
    return BASELINES[key]


# Refusals expected on the small log, each for a reason the message states.
REFUSED = {("compare-runs", "workspace"): "another workspace holds neither run",
           ("compare-periods", "by"): "--by beside --split: one comparison at a time",
           ("compare-periods", "groups"): "--groups without --by",
           **{(command, "workspace"): "--workspace without --run: a fit on DATA reads and saves no workspace"
              for command in ("recommend", "similar", "export", "report")},
           }


def _change(widget: Any) -> None:
    """Set a Train-page widget to a value other than the one it holds."""
    kind = type(widget).__name__
    if kind == "Selectbox":  # options are shown labels; find a raw value that shows as another one
        from gnnrec_core import SPECS

        pool = [*widget.options, *SPECS, "random", "time", "last", "binary", "count", "quantity", "rating"]
        original = widget.value
        for candidate in pool:
            if candidate == original:
                continue
            widget.set_value(candidate)
            try:
                if widget.index is not None:
                    return
            except ValueError:
                continue
        raise AssertionError(f"Train page: no other value found for '{widget.label}'")
    elif kind == "Radio":
        widget.set_value(next(o for o in widget.options if o != widget.value))
    elif kind in ("Checkbox", "Toggle"):
        widget.set_value(not widget.value)
    elif kind == "Multiselect":
        widget.set_value(list(widget.value)[:-1])
    elif kind in ("NumberInput", "Slider"):
        step = widget.step or 1
        upper = widget.max if widget.max is not None else float("inf")
        widget.set_value(widget.value + step if widget.value + step <= upper else widget.value - step)
    elif kind == "TextInput":
        widget.set_value((widget.value or "") + "x")
    else:
        raise AssertionError(f"Train page: no other value for a {kind} ({widget.label}); add one to this test")


def test_every_train_page_field_reaches_the_run_or_is_refused(tmp_path, monkeypatch):
    """Each field of the Train form, changed alone, changes the ExperimentConfig the job receives, or
    the page refuses it in words and starts nothing."""
    from streamlit.testing.v1 import AppTest

    import pages.jobs

    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    started: list[Any] = []

    class _Job:
        id = "captured"

    def capture(dataset_name, data, config, heldout=None, heldout_notes=()):
        started.append(config)
        return _Job()

    monkeypatch.setattr(pages.jobs, "start_training", capture)

    def train_page() -> AppTest:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120).run()
        at.switch_page("pages/train.py").run()
        return at

    def submit(at: AppTest) -> Any:
        before = len(started)
        next(b for b in at.button if b.label == "Train").click().run()
        assert not at.exception
        return started[-1] if len(started) > before else None

    baseline = submit(train_page())
    assert baseline is not None
    at = train_page()
    fields = [w for kind in ("selectbox", "multiselect", "number_input", "slider", "radio", "checkbox",
                             "text_input", "toggle") for w in getattr(at.main, kind)]
    assert len(fields) >= 8  # model, baselines, the model's own settings, device, split, share, weighting, seed
    for index, field in enumerate(fields):
        at = train_page()
        same = [w for kind in ("selectbox", "multiselect", "number_input", "slider", "radio", "checkbox",
                               "text_input", "toggle") for w in getattr(at.main, kind)][index]
        assert same.label == field.label
        _change(same)  # a form's fields take effect on submit, as in a browser
        config = submit(at)
        if config is None:  # refused: the page says why, in words, and no job started
            assert at.error, f"{field.label}: no job and no message"
            continue
        assert config != baseline, f"Train page field '{field.label}' changed nothing that reaches the run"
