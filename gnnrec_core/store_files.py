"""The workspace's folders and files, apart from its logic: the names of hidden folders, the cheap
checks that an entry's files are whole, a dataset's content fingerprint, and disk errors in words."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .data.ingest import IngestResult
from .errors import InputError

STAGING, OLD, GONE = ".tmp-", ".old-", ".del-"  # hidden folders: being written, replaced, being deleted


MARK = ".complete"  # written last in a staging folder, under the lock: holds the entry's name


def fingerprint(result: IngestResult) -> str:
    """What identifies a dataset's content: its cleaned events and catalogue (order included)."""
    digest = hashlib.sha256()
    for frame in (result.events, result.catalogue.reset_index()):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:32]


NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def check_name(name: str, what: str = "name") -> str:
    """A dataset or run name that cannot leave the workspace folder, else one line saying so."""
    name = str(name).strip()
    if not NAME_PATTERN.match(name) or ".." in name:
        raise InputError(f"expected a {what} of letters, digits, space, '_', '-' or '.' (at most 64, "
                         f"not starting with a symbol), found '{name[:80]}'")
    return name


def name_from_file(stem: str) -> str:
    """A dataset name check_name takes, from a file's stem: other characters become '_', and
    'sales..2011' (a file name, never meant as a dataset name, that check_name refused) 'sales.2011'."""
    return re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9 _.-]", "_", stem)).strip(" ._-")[:56] or "dataset"


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _unwritable(folder: Path, exc: OSError, saving: bool = True) -> InputError:
    """A disk error as one line naming the folder and the cause (read-only, no space, no permission)."""
    cause = exc.strerror or (os.strerror(exc.errno) if exc.errno else type(exc).__name__)
    elsewhere = "or set GNNREC_WORKSPACE to another folder"
    hint = {errno.EROFS: f"mount it writable {elsewhere}", errno.EACCES: f"allow this user to write there {elsewhere}",
            errno.EPERM: f"allow this user to write there {elsewhere}", errno.ENOSPC: f"free some space {elsewhere}",
            errno.EDQUOT: f"free some space {elsewhere}"}.get(exc.errno or 0, elsewhere)
    outcome = "; nothing was saved" if saving else ""
    return InputError(_one_line(f"expected a writable workspace folder at {folder}, found: {cause} ({hint}){outcome}",
                                500))


def _entry_name(folder: str, prefix: str) -> str:
    """`<prefix><name>-<random>` -> name (the random tail has no '-')."""
    return folder[len(prefix):].rsplit("-", 1)[0]


def _check_parquet(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(-4, os.SEEK_END)
        if head != b"PAR1" or handle.read(4) != b"PAR1":
            raise ValueError("truncated or not a Parquet file")


def _check_model(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise ValueError("truncated or not a model archive")
    with np.load(path, allow_pickle=False) as archive:
        if "meta_json" not in archive.files:
            raise ValueError("not a gnnrec model archive")


def _check_json_list(path: Path) -> None:
    try:
        values = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("truncated or not JSON") from None
    if not isinstance(values, list):
        raise ValueError(f"a JSON {type(values).__name__}, not a list")


CHECKS: dict[str, Callable[[Path], None]] = {"events.parquet": _check_parquet, "catalogue.parquet": _check_parquet,
                                             "model.npz": _check_model, "users.json": _check_json_list,
                                             "items.json": _check_json_list}


def _marked(folder: Path) -> str | None:
    """The entry name a complete staging folder is for (None: not complete)."""
    try:
        return (folder / MARK).read_text()
    except OSError:
        return None


def _orphans(names: set[str]) -> set[str]:
    """The `.old-<name>-*` folders among `names` whose `<name>` is missing: the only copy of an entry."""
    return {n for n in names if n.startswith(OLD) and (entry := _entry_name(n, OLD)) and not entry.startswith(".")
            and entry not in names}


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
