"""Files a command writes for the user (reports, JSON, exports, synthetic logs): their paths
checked before any work (`writable_file`, `writable_folder`: never one of the command's inputs,
never inside a workspace's saved entries), and written so that a full disk or a killed process
never leaves the old file half-overwritten (`replace_file`: into a temporary file beside it, then
renamed over it). Imports nothing heavy (the parser's checks use it)."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import InputError
from .store_paths import entries_folder_holding

FILE_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".html", ".htm", ".pdf", ".parquet", ".pq",
                 ".xlsx", ".xlsm", ".xls", ".gz", ".zip", ".bz2", ".xz", ".zst", ".dat", ".data", ".inter", ".item",
                 ".png", ".md"}  # a folder named so is a file name mistaken for one
NAME_MAX = 255  # bytes in one folder or file name (Linux, macOS)


def checked_path(text: str, flag: str) -> Path:
    """`text` as a Path, refused in one line where the file system cannot look it up at all."""
    longest = max((len(os.fsencode(part)) for part in Path(text).parts), default=0)
    if longest > NAME_MAX:
        raise InputError(f"{flag}: expected a path whose folder and file names are each at most {NAME_MAX} bytes, "
                         f"found one of {longest:,}")
    try:
        os.stat(text)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENAMETOOLONG):
            raise InputError(f"{flag}: expected a path that can be looked up, found '{text[:200]}': "
                             f"{exc.strerror}") from None
    return Path(text)


def refuse_inputs(target: Path, flag: str, inputs: Iterable[tuple[str, str]]) -> None:
    """One line where the output `target` is one of the files the command reads, given as (flag,
    path), by name, link or hard link: `rules orders.csv --json orders.csv` replaced the orders with
    the rules."""
    for input_flag, given in inputs:
        try:
            same = os.path.samefile(target, given)
        except (OSError, ValueError):  # either missing: writing cannot replace what is not there
            same = False
        if same:
            which = input_flag if str(target) == given else f"{input_flag} ('{given}')"
            raise InputError(f"{flag}: expected a file other than the command's inputs, found '{target}', which is "
                             f"{which}: writing there would replace the data read; write it elsewhere")


def writable_file(path: str, flag: str, suffixes: tuple[str, ...] = (),
                  inputs: Iterable[tuple[str, str]] = ()) -> Path:
    """An output file's path with its folder made; one line when it cannot be a file, when it is
    one of the command's `inputs`, or when `suffixes` are given and its name ends in another known
    file type's (report.pdf would be HTML under a PDF name)."""
    target = checked_path(path, flag)
    refuse_inputs(target, flag, inputs)
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
    """Write a command's output file whole or not at all (`replace_bytes`: a full disk leaves the
    old file as it was); one line (exit 2) when the place refuses it (a read-only or special
    filesystem, a full disk), never a traceback."""
    try:
        replace_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{flag}: expected a writable file at '{path}', found: {exc.strerror or exc}") from None


def writable_folder(path: str, flag: str) -> Path:
    """An output folder, made; one line when it cannot be one, or when a new one would carry a file's
    name (`--out exp.csv` made a folder called exp.csv holding the files) without a closing slash."""
    if not path:
        raise InputError(f"{flag}: expected a folder, found an empty name")
    target = checked_path(path, flag)
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


def replace_file(path: Path, write: Callable[[Path], object]) -> None:
    """`write(temporary path)`, then rename it over `path`. The temporary file ends in `path`'s own
    name, so a writer that reads the compression from the suffix (.csv.gz) still does. A path that
    exists and is not a regular file (a named pipe), or names a device (/dev/stdout, even redirected
    to a file), is written in place: it cannot be replaced. A symbolic link keeps pointing where it
    did: the file it points to is replaced. The file keeps the old one's permissions, or the usual
    ones for a new file (not mkstemp's 0600).
    OSError carries `path` as its filename, whatever step failed."""
    try:
        mode = os.stat(path).st_mode  # through links: /dev/stdout is a pipe or a terminal
    except FileNotFoundError:
        mode = None
    if (mode is not None and not stat.S_ISREG(mode)) or str(path).startswith(("/dev/", "/proc/")):
        write(Path(path))  # /dev/stdout redirected to a file is that file: replacing it would cut the shell's
        return
    target = Path(os.path.realpath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=f".{target.name}")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else usual_mode())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_bytes(path: Path, data: bytes) -> None:
    """`data` as the whole of `path`, by `replace_file`."""
    replace_file(path, lambda tmp: tmp.write_bytes(data))


def usual_mode(folder: bool = False) -> int:
    """The permissions a new file (or folder) gets here, 0644 (0755) under the usual mask: what
    mkstemp's 0600 and mkdtemp's 0700 are set to, so a dashboard run by another user can read what
    the CLI saved."""
    current = os.umask(0)  # reading the mask sets it: put it back at once
    os.umask(current)
    return (0o777 if folder else 0o666) & ~current
