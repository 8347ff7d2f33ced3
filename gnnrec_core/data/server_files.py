"""Files opened by their path on the server: only inside the folder GNNREC_DATA_ROOT names.

A path typed on the Data page is taken relative to that root (an absolute path must lead inside it
too). Symbolic links are resolved first, so a link inside the root that points elsewhere is outside.
What the path leads to is then read as an upload would be, with the same limits and messages.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError
from .mapping import shown

ROOT_ENV = "GNNREC_DATA_ROOT"


def data_root() -> Path | None:
    """The folder server paths may lead into; None when GNNREC_DATA_ROOT is unset or empty."""
    text = os.environ.get(ROOT_ENV, "").strip()
    return Path(text).expanduser() if text else None


def server_path(text: str, root: Path | None = None) -> Path:
    """The file or folder `text` names inside the data root, resolved; one line when it may not be
    read: outside the root, missing, neither a file nor a folder, or unreadable."""
    root = root or data_root()
    if root is None:
        raise InputError(f"expected {ROOT_ENV} to name a folder of data files on the server, found it unset")
    base = root.resolve()
    if not base.is_dir():
        raise InputError(f"{ROOT_ENV}: expected a folder, found '{shown(root, 200)}' is not one")
    given = shown(text.strip(), 200)
    try:
        path = (base / text.strip()).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        raise InputError(f"expected a path inside {ROOT_ENV} ('{shown(base, 200)}'), found '{given}', which does "
                         "not resolve") from None
    if not path.is_relative_to(base):
        raise InputError(f"expected a path inside {ROOT_ENV} ('{shown(base, 200)}'), found '{given}', which leads "
                         "outside it")
    try:
        mode = path.stat().st_mode
    except OSError:
        raise InputError(f"expected a data file or a folder of Parquet files at '{given}' inside {ROOT_ENV}, found "
                         "nothing there") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(f"expected a data file or a folder of Parquet files at '{given}', found something else "
                         "(a device, pipe or socket)")
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(mode) else 0)):
        raise InputError(f"expected a file the server may read at '{given}', found one it has no permission to read")
    return path


def version_of(path: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when the file (or a file of the folder) at `path` is replaced: names, sizes, times."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    stats = [(f, f.stat()) for f in files]
    return tuple((str(f.relative_to(path)) if path.is_dir() else f.name, s.st_size, s.st_mtime_ns) for f, s in stats)
