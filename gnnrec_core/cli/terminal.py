"""What the CLI prints, made safe for a terminal: names from an upload may hold control characters.

A product named with ESC sequences cleared the screen, set the window title or made a hidden link
when `similar` or `recommend` printed it. Every control character but tab and newline is written as
its escape, `\\x1b`, so it is seen, not obeyed: the carriage return too (a name holding one
overwrote the line it was printed on, "[OK] all checks passed"), but in the progress bar's own
stream (`bar_stream`), which redraws with it. So are Unicode's line and paragraph separators and
its bidirectional controls (U+202E, right-to-left override, reversed the rest of a `similar` line:
the "Trojan Source" set), written as `\\u202e`. JSON is
unaffected: json.dumps writes control characters as \\u escapes.
"""

from __future__ import annotations

import errno
import io
import os
import re
import select
from typing import Any, TextIO

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # a write the disk had no room for: said, not an internal error

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # marks, embeddings, overrides, isolates
_LINES = "\u2028\u2029"  # line and paragraph separators
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_LINES}]")  # C0 but tab and newline, DEL, C1
_CONTROL_BUT_RETURN = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_LINES}]")


def one_line(text: object) -> str:
    """A name from an upload for a line of free text: its line breaks written as `\\n`, so a product
    named 'X\\nerror: ...' cannot print a line of its own (tables escape them already; the stream
    escapes every other control character)."""
    return str(text).replace("\n", "\\n")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def bar_stream() -> TextIO:
    """Where the progress bar draws: stderr with its carriage returns kept (the bar redraws its line
    with them), every other control character escaped as on stderr itself."""
    import sys

    return PrintableText(getattr(sys.stderr, "stream", sys.stderr), keep_return=True)  # type: ignore[return-value]


class PrintableText(io.TextIOBase):
    """A text stream writing through to `stream` with control characters escaped."""

    def __init__(self, stream: TextIO, keep_return: bool = False) -> None:
        super().__init__()
        self.stream = stream
        self._pattern = _CONTROL_BUT_RETURN if keep_return else _CONTROL

    def write(self, text: str) -> int:
        self.stream.write(self._pattern.sub(_escaped, text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")


class StdoutText(PrintableText):
    """stdout, whose reader may leave before the command ends (`train --json t.json | head -1`): what
    is printed after that is dropped and the command goes on, so its run and its --json file are still
    written (the file was lost with the table's last lines). `left` says so, for SIGPIPE's status."""

    left = False

    def write(self, text: str) -> int:
        if not self.left:
            try:
                super().write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.left:
            try:
                super().flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        if not stdout_reader_left():  # a pipe to a worker or a socket: a bug like any other
            raise
        self.left = True
        quiet_stdout()  # Python's final flush of the buffer must not raise again


def writable_stream(stream: Any) -> bool:
    """Whether `stream` can be written to. Not None (Python's stream for a descriptor closed before it
    started), nor a stream on a descriptor not open for writing: closed by the shell (`2>&-`), the
    descriptor can be taken by a file opened for reading before Python starts (pyenv's shim)."""
    import fcntl

    if stream is None:
        return False
    try:
        flags = fcntl.fcntl(stream.fileno(), fcntl.F_GETFL)
    except (io.UnsupportedOperation, AttributeError):  # no descriptor at all (a test's capture): before OSError,
        return True  # which UnsupportedOperation is too
    except (OSError, ValueError):  # no such descriptor, or a stream closed
        return False
    return flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)


def stdout_reader_left() -> bool:
    """Whether the process's stdout is a pipe whose reader has closed it (poll says POLLERR)."""
    try:
        poller = select.poll()
        poller.register(1, select.POLLOUT)  # the process's stdout descriptor, whatever sys.stdout is now
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll here, or no descriptor 1: not a pipe's reader
        return False


def quiet_stdout() -> None:
    """The process's stdout pointed at /dev/null, once what it held can no longer be written (its reader
    left, or the disk is full): Python's final flush of what is still buffered must not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the process's stdout descriptor
    os.close(devnull)
