"""What the parser needs before any command runs: the parser itself, the values its options take,
the mapping flags and the paths' checks. Nothing here imports numpy, pandas or a model, so `--help`
and a bad flag answer at once."""

from __future__ import annotations

import argparse
import csv
import difflib
import math
import sys
from argparse import Namespace
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ConfigError
from ..file_output import checked_path

CATALOGUE_FLAGS = {"id": "item", "name": "item_name", "category": "category", "price": "price"}
FLAG_ROLES = {"user": "user", "item": "item", "time": "time", "basket": "basket", "event": "event",
              "quantity": "quantity", "price": "price", "rating": "rating", "name": "item_name",
              "category": "category"}


# Every flag naming a path, and which of them the command reads: an output may not be one of those.
PATH_FLAGS = {"data": "DATA", "items": "--items", "category_names": "--category-names", "lookup": "--lookup",
              "test": "--test", "json_path": "--json", "out": "--out", "workspace": "--workspace"}
INPUT_FLAGS = ("data", "items", "category_names", "lookup", "test")


def checked_paths(args: Namespace) -> None:
    """Each path the command was given, looked up once before any work: one line where a name is
    longer than a file system allows or its links loop (pathlib raised both from deep inside)."""
    for attribute, flag in PATH_FLAGS.items():
        value = getattr(args, attribute, None)
        if isinstance(value, str) and value not in ("", "-"):
            checked_path(value, flag)
    _apart_from_out(args)


def _apart_from_out(args: Namespace) -> None:
    """--json may not be a file --out writes (report's HTML, one of export's files): the second write
    replaced the first, and both were said written. Nor is --out '-'."""
    out, json_path = getattr(args, "out", None), getattr(args, "json_path", None)
    if out == "-":  # wrote a file named '-' and said "wrote -"
        raise ConfigError("--out: expected a path to write to, found '-' (standard output is for --json - alone)")
    if not isinstance(out, str) or not out or json_path in (None, "", "-"):
        return
    target, folder = Path(json_path).resolve(), Path(out).resolve()
    written = [folder]
    if getattr(args, "command", None) == "export":
        from ..serving.export import EXPORT_FILES

        written = [folder / name for name in EXPORT_FILES]
    if target in written:
        raise ConfigError(f"--json: expected a file apart from what --out writes, found '{json_path}', which --out "
                          "writes too; name another file")


def input_paths(args: Namespace) -> list[tuple[str, str]]:
    """The files the command reads, as (flag, path given): ('DATA', 'orders.csv'), ('--items', ...)."""
    return [(PATH_FLAGS[name], value) for name in INPUT_FLAGS
            if isinstance(value := getattr(args, name, None), str) and value]




def listed_values(text: str | None) -> tuple[str, ...]:
    """A comma-separated flag's values, read as one CSV line: a value holding a comma is written in
    double quotes ('"Korea, Republic of",UK'), as a spreadsheet writes it. Blank values are dropped."""
    if not text:
        return ()
    fields = next(csv.reader([text], skipinitialspace=True), [])
    return tuple(value.strip() for value in fields if value.strip())


def _whole(text: str, low: int, high: int | None, expected: str) -> int:
    """An integer in [low, high] (high None: unbounded), else one line saying what was expected."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found '{text}'") from None
    if value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"expected {expected}, found {value}")
    return value


LARGEST = 2**31 - 1  # what numpy and torch take as a count on every platform: --k 10**20 overflowed


def positive_int(text: str) -> int:
    """An integer from 1 to LARGEST (k, epochs, counts)."""
    return _whole(text, 1, LARGEST, f"a whole number from 1 to {LARGEST:,}")


def one_cutoff(text: str) -> int:
    """The one cut-off a saved run is scored at; several are `benchmark`'s, said where they are typed."""
    if "," in text:
        raise argparse.ArgumentTypeError(f"expected one cut-off, a whole number, found '{text}': a saved run is "
                                         "scored at one k; `benchmark` takes several (--k 20,10)")
    return positive_int(text)


def cutoffs(text: str) -> tuple[int, ...]:
    """One or more k, comma-separated ("10,20"); the first gives the table's flat metrics."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"expected whole numbers >= 1, comma-separated, found '{text}'")
    return tuple(dict.fromkeys(_whole(part, 1, LARGEST, f"whole numbers from 1 to {LARGEST:,}, comma-separated")
                               for part in parts))


def whole(text: str) -> int:
    """An integer from 0 to LARGEST (a cap where 0 means none)."""
    return _whole(text, 0, LARGEST, f"a whole number from 0 to {LARGEST:,}")


def seed(text: str) -> int:
    """A random seed numpy and torch both take: 0 to 2**32 - 1."""
    return _whole(text, 0, 2**32 - 1, f"a seed from 0 to {2**32 - 1}")


def finite(text: str) -> float:
    """A finite number (inf and nan are refused: they are not JSON and break every threshold)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, found {text}")
    return value


def positive_seconds(text: str) -> float:
    value = finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, found {text}")
    return value


def non_negative_seconds(text: str) -> float:
    value = finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (none) or a positive number of seconds, found {text}")
    return value


_MISTYPED: list[str] = []  # the command's nearest options to the ones typed that it lacks (`--epocs`)


class Parser(argparse.ArgumentParser):
    """argparse's, with one-line errors (status 2, no usage dump) and the nearest option named."""

    def error(self, message: str) -> NoReturn:  # one line, status 2, no usage dump
        hint = "".join(f"; did you mean {option}?" for option in _MISTYPED)  # also where a required one went missing
        self.exit(2, f"error: {message}{hint} (see --help)\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """As argparse's, with the command's nearest option named for a mistyped one."""
        argv = list(sys.argv[1:] if args is None else args)
        _MISTYPED[:] = self._nearest_options(argv)
        parsed, extras = self.parse_known_args(argv, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _nearest_options(self, argv: list[str]) -> list[str]:
        commands = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        command = next((a for a in argv if commands is not None and a in commands.choices), None)
        parser = commands.choices[command] if commands is not None and command is not None else self
        options = sorted(parser._option_string_actions)
        nearest = []
        for typed in (a.split("=")[0] for a in argv if a.startswith("--")):
            if typed in options or sum(o.startswith(typed) for o in options) == 1:  # known, or argparse's abbreviation
                continue
            nearest += difflib.get_close_matches(typed, options, n=1, cutoff=0.75)
        return nearest
