"""Where a workspace keeps its saved entries, told from the folders alone: what the CLI's output
flags and the workspace itself check before writing. Imports nothing heavy (the parser uses it)."""

from __future__ import annotations

from pathlib import Path


def entries_folder_holding(target: Path) -> Path | None:
    """The folder of a workspace's saved entries (its runs/ or datasets/) that `target` lies in, if
    any: a workspace is a folder holding both and the lock file every Workspace makes (any project
    may hold runs/ and datasets/ folders)."""
    for folder in target.resolve().parents:
        kinds = ("runs", "datasets")
        if folder.name in kinds and all((folder.parent / kind).is_dir() for kind in kinds) \
                and (folder.parent / ".lock").exists():
            return folder
    return None
