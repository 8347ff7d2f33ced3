"""What the parser needs before any command runs: the mapping flags and the paths' checks.
Nothing here imports numpy, pandas or a model, so `--help` and a bad flag answer at once."""

from __future__ import annotations

import csv
from argparse import Namespace

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
