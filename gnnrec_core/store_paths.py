"""Where a workspace keeps its saved entries, told from the folders alone: what the CLI's output
flags and the workspace itself check before writing. Imports nothing heavy (the parser uses it)."""

from __future__ import annotations

import os
from pathlib import Path

KINDS = {"datasets": "meta.json", "runs": "run.json"}  # kind -> the record file every entry holds


ACTIVE_FILE = "active.json"  # the dataset a workspace's sessions open on (store_active)
# A workspace's own files beside its entries: the lock every save takes, the dataset made active
ROOT_FILES = (".lock", ACTIVE_FILE)


def entries_folder_holding(target: Path) -> Path | None:
    """The folder of a workspace's saved entries (its runs/ or datasets/) that `target` lies in, if
    any. A workspace is a folder holding both, with the lock file every Workspace makes or an entry
    holding its record (any project may hold empty runs/ and datasets/ folders; a copy made with
    `cp -r ws/*`, or a restored backup, has its entries but no hidden lock file)."""
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):  # a link loop or a name too long: the path as written, made absolute
        resolved = Path(os.path.abspath(target))
    for folder in resolved.parents:
        if folder.name in KINDS and _is_workspace(folder.parent):
            return folder
    if resolved.name in ROOT_FILES and _is_workspace(resolved.parent):  # its lock, its active mark: kept as entries
        return resolved.parent
    return None


def _is_workspace(folder: Path) -> bool:
    try:
        if not all((folder / kind).is_dir() for kind in KINDS):
            return False
        return (folder / ".lock").exists() or any(next((folder / kind).glob(f"*/{record}"), None) is not None
                                                  for kind, record in KINDS.items())
    except OSError:  # unreadable: not known to be one
        return False
