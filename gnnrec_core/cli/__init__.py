"""`python -m gnnrec_core COMMAND DATA ...`: the engine, headless: tables on screen, JSON with --json.

Commands: ingest, benchmark, train, recommend, similar, export, report, rules, basket-eval,
compare-periods, cold-start. Bad input exits with status 2 and one line on stderr saying what was expected and
what was found.
"""


from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..data import DATE_ORDERS
from ..errors import GnnrecError, InputError
from ..file_output import writable_file, write_output
from ..models import BASELINES, DEFAULT_MODEL, SPECS
from ..pipeline.wall_budget import TEST_USERS, WALL_BUDGET
from .args import (
    CATALOGUE_FLAGS,
    FLAG_ROLES,
    Parser,
    checked_paths,
    cutoffs,
    finite,
    input_paths,
    non_negative_seconds,
    one_cutoff,
    positive_int,
    positive_seconds,
    seed,
    whole,
)
from .terminal import FULL, quiet_stdout, stdout_reader_left

# The rules a JSON holds by default: a tiny --min-support on 25,900 invoices found 1.5M rules, a
# 568 MB file written without a word. The best first (lift's lower bound); --max-rules 0 for all.
RULES_IN_JSON = 100_000
# The same for compare-periods' pairs: a year of Online Retail baskets tests 847,585 of them, 325 MB.
PAIRS_IN_JSON = 100_000


def build_parser(prog: str = "python -m gnnrec_core") -> argparse.ArgumentParser:
    # The docstring's first line, with the command as it was typed (`gnnrec --help` said python -m ...)
    parser = Parser(prog=prog, description=__doc__.splitlines()[0].replace("python -m gnnrec_core", prog))
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"gnnrec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    specs = {
        "ingest": "detect the column mapping and print the cleaning report (saves nothing)",
        "benchmark": "fit every model on one split and print the metrics table",
        "train": "score one model beside every comparison on a held-out split, then save it as a run",
        "recommend": "top-k recommendations for one user, or a new customer's basket, with reasons",
        "similar": "the products most similar to one product",
        "export": "recommendations and similar items as CSV, embeddings as TSV",
        "report": "write a self-contained HTML report for stakeholders (trained now, or a saved run with --run)",
        "rules": "association rules from baskets (support, confidence, lift, leverage, conviction)",
        "basket-eval": "basket completion: hide one product per test basket, rank it from the rest",
        "compare-periods": "what changed between two periods (or two segments): products and pairs, tested",
        "cold-start": "hold out named products, place each from its text, rank its true bought-together partners",
    }
    for name, help_text in specs.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        data_help = "interaction log: CSV/TSV/TXT, Parquet, XLSX or JSON lines, optionally .gz/.zst/.zip"
        if name in ANSWERED_BY_RUN:
            sub.add_argument("data", nargs="?", help=data_help + " (or --run: a saved run answers)")
            sub.add_argument("--run", metavar="RUN_ID",
                             help="answer with a saved run's model and data ('latest' for the newest) instead of "
                                  "fitting on DATA")
            sub.add_argument("--workspace", help="folder that keeps datasets and runs (default: $GNNREC_WORKSPACE, "
                                                 "else ./workspace, the dashboard's)")
        else:
            sub.add_argument("data", help=data_help)
        sub.add_argument("--items", help="optional item catalogue joined on the item column")
        sub.add_argument("--category-names", metavar="FILE",
                         help="optional table naming the catalogue's category codes (departments.csv: "
                              "department_id -> department)")
        sub.add_argument("--lookup", help="optional table bringing a missing column through a shared key")
        sub.add_argument("--lookup-key", help="the lookup's key column, when it shares several with the events")
        for flag, role in CATALOGUE_FLAGS.items():
            sub.add_argument(f"--items-{flag}-col", dest=f"items_{role}",
                             help=f"catalogue column holding the {flag} (detected when not given)")
        for flag in FLAG_ROLES:
            sub.add_argument(f"--{flag}-col", dest=f"col_{flag}", help=f"column holding the {flag} ('' for none)")
        charges = sub.add_mutually_exclusive_group()  # the Data page's checkbox: dropped unless kept
        charges.add_argument("--drop-non-products", dest="drop_non_products", action="store_true", default=True,
                             help="drop postage, fee and adjustment lines (the default, as on the Data page)")
        charges.add_argument("--keep-non-products", dest="drop_non_products", action="store_false",
                             help="keep postage, fee and adjustment lines as products")
        sub.add_argument("--min-rating", type=finite, metavar="N",
                         help="drop rated lines below N (a 1-star rating is not a like; a held-out --test file "
                              "too); needs a rating column")
        sub.add_argument("--date-order", choices=DATE_ORDERS, default="auto",
                         help="how dates such as 01/02/2024 are written: told by the data (the default; a note says "
                              "where nothing in them tells), day-first or month-first")
        sub.add_argument("--json", dest="json_path", help="write the result as JSON to this path ('-' for stdout)")
        sub.add_argument("--quiet", action="store_true",
                         help="no progress bar (there is none when stderr is not a terminal)")
        if name == "ingest":
            continue
        if name == "compare-periods":
            _period_flags(sub)
            continue
        if name == "cold-start":
            sub.add_argument("--holdout", type=finite, default=0.1, help="share of named products held out")
            sub.add_argument("--seed", type=seed, default=0, help="0 to 2**32 - 1")
            sub.add_argument("--k", type=positive_int, default=10)
            sub.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
            sub.add_argument("--time-budget", type=positive_seconds, metavar="SECONDS",
                             help="most seconds for the feature GCN's fit (default 90)")
            continue
        if name == "rules":
            sub.add_argument("--min-support", type=finite, default=None,
                             help="share of baskets a rule's products must appear in together (0 to 1); default: "
                                  "10 baskets' share, raised on large data until at most 20,000 pairs qualify, as "
                                  "the Associations page starts")
            sub.add_argument("--min-confidence", type=finite, default=None,
                             help="share of the first products' baskets that also hold the rest (0 to 1); "
                                  "default as on the Associations page")
            sub.add_argument("--min-lift", type=finite, default=None,
                             help="how many times more often than by chance a rule's products go together; "
                                  "default 1, as on the Associations page (below 1 they avoid each other)")
            sub.add_argument("--max-len", type=positive_int, default=2, help="most products in one rule (2 to 5)")
            sub.add_argument("--product", metavar="TEXT", default="",
                             help="only rules with a product whose code or name holds TEXT (any case), on either "
                                  "side: the Associations page's product filter")
            sub.add_argument("--category", action="append", default=[], metavar="NAME",
                             help="only rules with a product of this catalogue category, any case (again for more)")
            sub.add_argument("--top", type=positive_int, default=20, help="rules printed")
            sub.add_argument("--max-rules", type=whole, default=RULES_IN_JSON, metavar="N",
                             help=f"most rules the JSON holds, the best first (default {RULES_IN_JSON:,}; 0: all)")
            continue
        if name != "basket-eval":  # a basket is a set of products: it has no weights
            sub.add_argument("--weighting", default="binary", choices=["binary", "count", "quantity", "rating"],
                             help="how strongly each customer-product pair counts in training (default binary)")
        sub.add_argument("--seed", type=seed, default=0, help="0 to 2**32 - 1")
        sub.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        if name == "benchmark":
            sub.add_argument("--k", type=cutoffs, default=(10,), metavar="K[,K...]",
                             help="cut-offs: recall and nDCG at each, every metric at the first (default 10)")
        else:
            sub.add_argument("--k", type=one_cutoff if name in ("train", "report") else positive_int, default=10)
        if name in ("benchmark", "train", "report"):
            sub.add_argument("--repeat", type=positive_int, default=1, metavar="N",
                             help="run N times, seeds --seed to --seed+N-1 (each draws its split; a --test set or "
                                  "a time split stays), and read the "
                                  "verdicts over the seeds (default 1)" + ("" if name == "benchmark" else
                                                                          "; the table and model are --seed's"))
        sub.add_argument("--time-budget", type=positive_seconds, metavar="SECONDS",
                         help="most seconds for each GNN's fit, its search on validation included (default 90"
                              + ("; cut where --wall-budget needs it" if name == "benchmark" else "")
                              + "); the baselines and graph filters beside it take their own time")
        sub.add_argument("--epochs", type=positive_int,
                         help="most training epochs for the GNN models (early stopping picks; default 120)")
        if name in ("benchmark", "train"):
            sub.add_argument("--engine", default="local", choices=["local", "ray"],
                             help="where the GNN's search on validation runs: local (one candidate after another, "
                                  "here) or ray (Ray Tune trials under ASHA, in parallel; pip install -e '.[ray]')")
            sub.add_argument("--ray-address", metavar="ADDR",
                             help="a running Ray cluster for --engine ray (`ray start --head` on its head node); "
                                  "default $RAY_ADDRESS, else Ray starts on this machine")
        if name in ("benchmark", "basket-eval"):
            sub.add_argument("--models", help=f"comma-separated: {','.join(SPECS)} (default: all)")
        if name == "benchmark":
            sub.add_argument("--wall-budget", type=non_negative_seconds, metavar="SECONDS",
                             help=f"seconds the run aims to end within, kept by cutting the GNNs' time budgets "
                                  f"(default {WALL_BUDGET:.0f}, each --repeat run its own; 0 for none; none by "
                                  "default with --test or --time-budget)")
            sub.add_argument("--test-users", type=whole, metavar="N",
                             help=f"most test customers scored, a random sample above it, the same for every row "
                                  f"(default {TEST_USERS:,}; 0 for all; all by default with --test)")
        if name in ("benchmark", "train"):  # the Train page's split choices, headless
            sub.add_argument("--split", default="random", choices=["random", "time", "last"],
                             help="how test is drawn: random (a share of each customer's purchases), time (one "
                                  "date cut for everyone) or last (each customer's latest purchases)")
            sub.add_argument("--test-size", type=finite,
                             help="test's share for the random and time splits (default 0.25)")
        if name in ("benchmark", "train"):
            sub.add_argument("--test", metavar="HELDOUT",
                             help="your own test set (same format and columns as DATA): DATA all trains, "
                                  "HELDOUT is scored; its users and items unknown to DATA are counted and skipped")
        if name in ("train", "report"):
            sub.add_argument("--compare-with", metavar="MODELS",
                             help="comma-separated models scored beside --model on the same split, as the Train "
                                  f"page's 'Compare with' (default: {','.join(BASELINES)})")
        if name not in ("benchmark", "basket-eval"):
            sub.add_argument("--model", default=DEFAULT_MODEL, help=", ".join(SPECS))
        if name in ("recommend", "export"):
            group = sub.add_argument_group("merchandising")
            group.add_argument("--exclude-items", help="comma-separated product codes never to recommend")
            group.add_argument("--exclude-categories", help="comma-separated categories never to recommend (one "
                                                            "holding a comma in double quotes)")
            group.add_argument("--exclude-non-products", action="store_true", help="never recommend postage or fees")
            group.add_argument("--boost", action="append", metavar="CATEGORY=FACTOR",
                               help="move a category by FACTOR standard deviations (negative buries); repeatable")
            group.add_argument("--max-per-category", type=positive_int, help="cap recommendations per category")
            group.add_argument("--min-buyers", type=positive_int, default=1, metavar="N",
                               help="never recommend a product fewer than N customers bought (default 1: every "
                                    "product; a floor costs accuracy on long-tailed logs, docs/benchmarks.md)")
        if name == "similar":
            sub.add_argument("--min-buyers", type=positive_int, metavar="N",
                             help="leave out products fewer than N customers bought (default: 0.2%% of the "
                                  "customers, at least 2, at most 10, as the Neighbourhood page's)")
        if name == "train":
            sub.add_argument("--workspace", help="folder that keeps datasets and runs (default: $GNNREC_WORKSPACE, "
                                                 "else ./workspace, the dashboard's)")
        if name == "recommend":
            whose = sub.add_mutually_exclusive_group(required=True)
            whose.add_argument("--user", help="raw user ID as in the data")
            whose.add_argument("--basket", metavar="ITEMS",
                               help="comma-separated product IDs or names of a new customer's basket (the "
                                    "Recommendations page's 'build a basket'): what goes with them")
        if name == "similar":
            sub.add_argument("--item", required=True, help="the product's ID as in the data, or its catalogue name")
        if name == "export":
            sub.add_argument("--out", default="export", help="folder for the CSV and TSV files")
        if name == "report":
            sub.add_argument("--out", default="report.html", help="the HTML file to write")
            sub.add_argument("--split", help="add what changed between [first date, SPLIT) and [SPLIT, last date]")
    runs = commands.add_parser("compare-runs", help="two saved runs side by side, as the Compare page shows them",
                               description="two saved runs side by side: settings that differ, both tables row by "
                                           "row, and how far the products' neighbourhoods moved")
    runs.add_argument("run_a", metavar="RUN_A", help="a saved run's id ('latest' for the newest)")
    runs.add_argument("run_b", metavar="RUN_B", help="the other run's id")
    runs.add_argument("--workspace", help="folder that keeps datasets and runs (default: $GNNREC_WORKSPACE, "
                                          "else ./workspace, the dashboard's)")
    runs.add_argument("--k", type=positive_int, default=10, help="neighbours compared per product (default 10)")
    runs.add_argument("--json", dest="json_path", help="write the result as JSON to this path ('-' for stdout)")
    return parser


ANSWERED_BY_RUN = ("recommend", "similar", "export", "report")  # a saved run can answer these instead of a fit


def _period_flags(sub: argparse.ArgumentParser) -> None:
    when = sub.add_argument_group("periods: a is [start, split), b is [split, end)")
    when.add_argument("--split", help="first date of period b, e.g. 2011-06-01")
    when.add_argument("--start", help="first date of period a (default: the data's first); with --by, of both "
                                      "segments")
    when.add_argument("--end", help="the day after period b (default: after the data's last); with --by, after "
                                    "both segments")
    groups = sub.add_argument_group("segments, instead of dates")
    groups.add_argument("--by", metavar="COLUMN", help="a column of the data, e.g. Country or channel")
    groups.add_argument("--groups", metavar="A,B", help="the two values of COLUMN to compare (one holding a comma in "
                                                         "double quotes: '\"Korea, Republic of\",UK')")
    sub.add_argument("--min-baskets", type=positive_int, default=10,
                     help="test a product or pair only when in at least N baskets, both sides together")
    sub.add_argument("--q", dest="q_threshold", type=finite, default=0.05,
                     help="false discovery rate below which a change is named (Benjamini-Hochberg)")
    sub.add_argument("--top", type=positive_int, default=10,
                     help="changes printed per list (the JSON holds every product, and pairs up to --max-pairs)")
    sub.add_argument("--max-pairs", type=whole, default=PAIRS_IN_JSON, metavar="N",
                     help=f"most pairs the JSON holds, least q-value first (default {PAIRS_IN_JSON:,}; 0: all)")


def main(argv: list[str] | None = None) -> int:
    """The CLI; its exit status. What it prints goes through PrintableText: a name from an upload
    holding ESC sequences is shown escaped, never obeyed by the terminal (cli/terminal.py)."""
    from .terminal import PrintableText, StdoutText, writable_stream

    out, err = sys.stdout, sys.stderr
    if not writable_stream(err):  # stderr closed (2>&-): its diagnostics go nowhere, as asked; the JSON flows
        err = open(os.devnull, "w")  # noqa: SIM115 - the process's own, for its life
    if not writable_stream(out):  # started with stdout closed (>&-): every command prints its answer there
        print("error: expected standard output open, found it closed (>&-); redirect it to a file or /dev/null "
              "instead", file=err)
        return 2
    sys.stdout, sys.stderr = StdoutText(out), PrintableText(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None = None) -> int:
    # Help and errors name the command as it was typed: the `gnnrec` script or `python -m gnnrec_core`.
    typed = "gnnrec" if Path(sys.argv[0]).name == "gnnrec" else "python -m gnnrec_core"
    args = build_parser(typed).parse_args(argv)
    args.started = time.perf_counter()  # `benchmark`'s wall budget counts from here: Ray's start and the reading too
    try:
        if getattr(args, "device", None) == "cuda" and getattr(args, "run", None) is None:
            from ..fit.train import resolve_device  # a fit asked for cuda: refused without a GPU, whatever the models

            resolve_device("cuda")
        checked_paths(args)
        json_out = (writable_file(args.json_path, "--json", inputs=input_paths(args))
                    if args.json_path not in (None, "-") else None)
        if args.json_path == "-":  # stdout is the JSON alone, so a pipe can parse it: the tables go to stderr
            with contextlib.redirect_stdout(sys.stderr):
                result = command(args.command)(args)
        else:
            result = command(args.command)(args)
        if args.json_path:
            _write_json(result, json_out)
        if json_out is not None and not _is_stdout(json_out):  # as report and export say where their files went
            print(f"wrote {json_out}")
        sys.stdout.flush()  # inside the try: a reader gone before the last buffered line is seen here
        if getattr(sys.stdout, "left", False):  # the reader left (`| head`); the work and its files are done
            return 141
    except GnnrecError as exc:
        print(f"error: {in_cli_words(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        if not stdout_reader_left():  # a pipe to a worker or a socket: a bug like any other
            return _internal_error(exc)
        # The reader left (`| head`): not an error of ours; quiet, with SIGPIPE's status.
        quiet_stdout()
        return 141
    except OSError as exc:
        if exc.errno not in FULL:
            return _internal_error(exc)
        # The disk (or /dev/full) took no more: the machine's state, not a bug
        where = f"'{exc.filename}'" if exc.filename else "the output"
        print(f"error: expected room to write {where}, found {exc.strerror or 'none'}", file=sys.stderr)
        quiet_stdout()
        return 2
    except MemoryError:
        print("error: expected the data to fit in memory, found it does not; use a sample or a larger "
              "machine (docs/scaling.md)", file=sys.stderr)
        return 3
    except Exception as exc:  # a bug, not bad input: still one line, and a distinct status
        return _internal_error(exc)
    return 0


def _internal_error(exc: BaseException) -> int:
    print(f"error: internal error ({type(exc).__name__}: {str(exc)[:200]}); please report it "
          "with the command that caused it", file=sys.stderr)
    return 3


# The engine names a setting as the engine knows it; the CLI names the flag that sets it.
FLAG_FOR = {"split date": "--split", "start date": "--start", "end date": "--end", "segment column": "--by",
            "segments": "--groups", "min_support": "--min-support", "device cuda": "--device cuda",
            "time_budget": "--time-budget", "k": "--k", "test_size": "--test-size", "models": "--models",
            "model": "--model", "compared models": "--compare-with",
            "engine": "--engine", "ray address": "--ray-address", "min_confidence": "--min-confidence",
            "min_lift": "--min-lift", "max_len": "--max-len", "q_threshold": "--q", "min_baskets": "--min-baskets",
            "weighting": "--weighting"}


def in_cli_words(message: str) -> str:
    """'split date: expected a date...' -> '--split: expected a date...'."""
    setting, colon, rest = message.partition(":")
    return f"{FLAG_FOR[setting]}{colon}{rest}" if colon and setting in FLAG_FOR else message


def _is_stdout(path: Path) -> bool:
    """Whether the path is where stdout goes (/dev/stdout, the file the shell redirected it to): a
    'wrote' line there would land inside the JSON."""
    try:
        here, out = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no descriptor (a captured stream): not the same file
        return str(path).startswith("/dev/")
    return (here.st_dev, here.st_ino) == (out.st_dev, out.st_ino)


def _write_json(result: dict[str, Any], path: Path | None) -> None:
    """Strict JSON (NaN and inf refused, never written as bare words); '-' (path None) is stdout."""
    try:
        text = json.dumps(result, default=str, allow_nan=False)  # the C encoder; indent falls back to Python
    except ValueError:
        raise InputError("expected finite numbers in the result, found NaN or infinity; check the inputs "
                         "(weights, boosts) for inf or NaN") from None
    if len(text) < 200_000:
        text = json.dumps(result, indent=2, default=str)  # small enough to read: pretty
    if path is None:
        print(text)
        return
    write_output(path, text + "\n", "--json")


# Each command's module is imported when it runs, not before: `--help` and a bad flag never load
# pandas, numpy or a model (tests/test_architecture.py).
COMMANDS = {"ingest": "common", "benchmark": "fit", "train": "fit", "recommend": "lists", "similar": "lists",
            "export": "lists", "report": "fit", "rules": "baskets", "basket-eval": "baskets",
            "compare-periods": "baskets", "cold-start": "fit", "compare-runs": "runs"}


def command(name: str) -> Callable[[argparse.Namespace], dict[str, Any]]:
    """The function behind a command: cmd_<name> of its module."""
    module = importlib.import_module(f".{COMMANDS[name]}", __name__)
    function: Callable[[argparse.Namespace], dict[str, Any]] = getattr(module, "cmd_" + name.replace("-", "_"))
    return function
