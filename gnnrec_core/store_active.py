"""Which dataset a person last made active in the dashboard, kept in the workspace so that a new
tab or a reload opens on it: a new session opened on the newest run's dataset, and a new user who
had just saved and made active the groceries baskets trained the invoices in a second tab.

One small JSON file, `active.json` ({"dataset": name, "at": time}), replaced whole (os.replace), so
a reader sees the old mark or the new one. The newest run wins where it is newer than the mark: a
run trained since (from the CLI or another tab) is what a new session shows, as before.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .store_paths import ACTIVE_FILE  # named there, where the CLI refuses it as an output


@dataclass(frozen=True)
class ActiveMark:
    dataset: str
    at: float  # time.time() when it was made active


def mark_active(root: Path, dataset: str) -> None:
    """Record `dataset` as the one made active now; a workspace that cannot be written keeps none
    (the mark is a convenience: the session itself is already on the dataset)."""
    target = Path(root) / ACTIVE_FILE
    staging = target.with_name(f".{ACTIVE_FILE}.{os.getpid()}")
    try:
        staging.write_text(json.dumps({"dataset": dataset, "at": time.time()}))
        os.replace(staging, target)
    except OSError:
        staging.unlink(missing_ok=True)


def active_mark(root: Path) -> ActiveMark | None:
    """The last mark, or None where there is none or it does not read."""
    try:
        found = json.loads((Path(root) / ACTIVE_FILE).read_text())
        return ActiveMark(str(found["dataset"]), float(found["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
