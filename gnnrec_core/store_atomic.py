"""How the workspace writes an entry so that no crash leaves it half-written (store.py says what
it stores): the entry is written whole into a hidden staging folder and renamed into place under a
workspace-wide lock; a replace moves the old entry aside first. A process killed between the two
renames is finished by the next open (`_recover`: roll forward to the complete staging folder, else
back to the old entry), and leftovers of killed writes are swept (`_sweep_staging`).

`Workspace` inherits these; they use its `root` and `problem` (why it is read-only, or None).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError
from .file_output import usual_mode
from .store_files import GONE, MARK, OLD, STAGING, _entry_name, _marked, _mtime, _orphans, _unwritable
from .store_paths import KINDS


class AtomicFolders:
    root: Path
    problem: str | None

    def _write_entry(self, target: Path, write: Callable[[Path], None], *, replace: bool = True,
                     taken: Callable[[], InputError] | None = None,
                     still_true: Callable[[], None] | None = None) -> None:
        """`write` into a staging folder, then rename it to `target` under the workspace lock.
        `still_true`: checked under the lock just before the rename, it raises (InputError) where
        what the entry depends on changed while it was written (a run's dataset replaced)."""
        if self.problem is not None:
            raise InputError(f"{self.problem}; nothing was saved")
        try:
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{STAGING}{target.name}-"))
            os.chmod(staging, usual_mode(folder=True))  # not mkdtemp's 0700: another user's dashboard reads it
        except OSError as exc:
            raise _unwritable(target.parent, exc) from None
        try:
            write(staging)  # the slow part runs unlocked: sessions only queue for the renames
            with self._lock():
                self._recover()
                if target.exists() and not replace:
                    raise taken() if taken else InputError(f"expected a new name, found '{target.name}' taken")
                if still_true is not None:
                    still_true()
                (staging / MARK).write_text(target.name)  # staging is whole: a crash from here rolls forward
                if target.exists():  # replace: move the old entry aside, rename staging in, drop the old
                    old = target.parent / f"{OLD}{target.name}-{uuid.uuid4().hex[:6]}"
                    os.replace(target, old)
                    try:
                        os.replace(staging, target)
                    except BaseException:
                        os.replace(old, target)  # the old entry back where it was
                        raise
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.replace(staging, target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise _unwritable(target.parent, exc) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _leftovers(self) -> bool:
        """Whether any hidden folder of a write (staging, moved aside, being deleted) is there."""
        return any(p.name.startswith((STAGING, OLD, GONE)) for kind in KINDS for p in (self.root / kind).iterdir())

    def _recover(self) -> None:
        """Finish what a process killed mid-replace left (call under the lock): for each
        `.old-<name>-*` whose `<name>` is missing, rename the newest complete staging folder for
        `<name>` into place (roll forward), else the old entry back (roll back)."""
        for kind in KINDS:
            base = self.root / kind
            folders = {p.name: p for p in base.iterdir()}
            for old in sorted(_orphans(set(folders)), key=lambda n: _mtime(folders[n]), reverse=True):
                name = _entry_name(old, OLD)
                if (base / name).exists():  # a newer copy of this entry was restored just now
                    continue
                staged = sorted((p for n, p in folders.items() if n.startswith(STAGING) and _marked(p) == name),
                                key=_mtime, reverse=True)
                try:
                    os.replace(staged[0] if staged else folders[old], base / name)
                except OSError:
                    continue  # left as it is (never deleted): the next open tries again

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One workspace-wide lock (flock) around renames, so that two sessions saving the same
        name one after the other both succeed and the later one wins whole."""
        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _sweep_staging(self, older_than: float = 24 * 3600) -> None:
        """Remove hidden folders left by processes killed mid-write (call under the lock, after
        `_recover`): staging and replaced entries older than `older_than`, deletions at once. An
        `.old-*` folder whose entry is missing is the only copy of that entry: never removed."""
        now = time.time()
        for kind in KINDS:
            base = self.root / kind
            names = {p.name for p in base.iterdir()}
            keep = _orphans(names)
            for folder in base.glob(".*-*"):
                try:
                    old_enough = now - folder.stat().st_mtime > older_than
                    if folder.name in keep:
                        continue
                    if folder.name.startswith(GONE) or (folder.name.startswith((STAGING, OLD)) and old_enough):
                        shutil.rmtree(folder, ignore_errors=True)
                except OSError:
                    continue


