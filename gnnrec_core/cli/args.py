"""What the parser needs before any command runs: the mapping flags and the output paths' checks.
Nothing here imports numpy, pandas or a model, so `--help` and a bad flag answer at once."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError
from ..store_paths import entries_folder_holding

CATALOGUE_FLAGS = {"id": "item", "name": "item_name", "category": "category", "price": "price"}
FLAG_ROLES = {"user": "user", "item": "item", "time": "time", "basket": "basket", "event": "event",
              "quantity": "quantity", "price": "price", "rating": "rating", "name": "item_name",
              "category": "category"}


FILE_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".html", ".htm", ".pdf", ".parquet", ".xlsx", ".xls", ".gz",
                 ".zip", ".png", ".md"}  # a folder named so is a file name mistaken for one


def writable_file(path: str, flag: str, suffixes: tuple[str, ...] = ()) -> Path:
    """An output file's path with its folder made; one line when it cannot be a file, or when
    `suffixes` are given and its name ends in another known file type's (report.pdf would be HTML
    under a PDF name)."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{flag}: expected a file path, found the folder '{path}'")
    entries = entries_folder_holding(target)
    if entries is not None:  # `rules --json .../runs/<id>/run.json` replaced a run's record: it vanished
        raise InputError(f"{flag}: expected a file outside a workspace's saved runs and datasets, found '{path}' "
                         f"inside {entries}: writing there would damage what is saved; write it elsewhere")
    other = target.suffix.lower()
    if suffixes and other not in suffixes and other in FILE_SUFFIXES:  # no suffix (or /dev/stdout) is taken
        raise InputError(f"{flag}: expected a file name ending {' or '.join(suffixes)} (what is written), "
                         f"found '{path}'")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{flag}: expected a folder that can be made for '{path}', found: {exc.strerror}") from None
    existed = target.exists()
    try:  # before the work, not after it: a place that refuses the file says so in seconds
        with open(target, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError(f"{flag}: expected a writable file at '{path}', found: {exc.strerror or exc}") from None
    if not existed:
        target.unlink(missing_ok=True)
    return target


def write_output(path: Path, text: str, flag: str) -> None:
    """Write a command's output file; one line (exit 2) when the place refuses it (a read-only or
    special filesystem, a full disk), never a traceback."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{flag}: expected a writable file at '{path}', found: {exc.strerror or exc}") from None


def writable_folder(path: str, flag: str) -> Path:
    """An output folder, made; one line when it cannot be one, or when a new one would carry a file's
    name (`--out exp.csv` made a folder called exp.csv holding the files) without a closing slash."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{flag}: expected a folder, found the file '{path}'")
    entries = entries_folder_holding(target / "file")
    if entries is not None:
        raise InputError(f"{flag}: expected a folder outside a workspace's saved runs and datasets, found '{path}' "
                         f"inside {entries}: writing there would damage what is saved; write it elsewhere")
    explicit = path.endswith(("/", os.sep))  # exp.csv/ is a folder by the user's own slash
    if not target.exists() and not explicit and target.suffix.lower() in FILE_SUFFIXES:
        raise InputError(f"{flag}: expected a folder for the files written, found the file name '{path}' "
                         "(end it with / to make a folder of that name)")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{flag}: expected a folder that can be made at '{path}', found: {exc.strerror}") from None
    try:  # before the work: a folder that refuses files says so in seconds
        with tempfile.NamedTemporaryFile(dir=target):
            pass
    except OSError as exc:
        raise InputError(f"{flag}: expected a folder that takes files at '{path}', found: {exc.strerror or exc}") \
            from None
    return target
