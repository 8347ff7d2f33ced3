"""Each fit and each scoring computes on the cores other processes leave free.

torch and the BLAS libraries start one thread per core and make them wait on each other at every
operation. When another process keeps a core busy, the thread that shares it is descheduled and
the others wait for it: on the 2-core machine, the demo's LightGCN took twice as long on two
threads as on one beside a single busy process, and the filters' fits 1.3 times as long
(docs/benchmarks.md, "Threads on a shared machine"). So before a stage starts, the busy cores of
other processes are measured (Linux's /proc/stat less this process's own CPU time, over
`WINDOW` seconds) and the thread pools are set to the free cores, at least one, at most the
machine's.

A user's choice wins: GNNREC_THREADS=N fixes N threads; OMP_NUM_THREADS (or the BLAS libraries'
own variables) set leaves every pool as the user set it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Iterator

from ..errors import ConfigError

THREADS_ENV = "GNNREC_THREADS"
USER_SET = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
WINDOW = 0.1  # seconds of /proc/stat per measurement (10 clock ticks a core at 100 Hz)
REUSE = 10.0  # seconds a measurement decides for: a benchmark's ten stages measure a few times, not ten
_last: tuple[float, int] | None = None  # (when, threads) of the last measurement


def machine_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _busy_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot, from /proc/stat's first line."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return total - idle, total


def busy_elsewhere(window: float = WINDOW) -> float | None:
    """Cores other processes kept busy over `window` seconds; None where /proc/stat is not there."""
    try:
        busy0, _ = _busy_ticks()
        own0, start = sum(os.times()[:2]), time.perf_counter()
        time.sleep(window)
        busy1, _ = _busy_ticks()
        own1, seconds = sum(os.times()[:2]), time.perf_counter() - start
    except (OSError, ValueError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return max(0.0, ((busy1 - busy0) / tick - (own1 - own0)) / seconds)


def threads_now() -> int | None:
    """Threads for the next stage: GNNREC_THREADS where set, None where the user set the libraries'
    own variables (then nothing is changed), else the free cores (measured at most every REUSE s)."""
    global _last
    fixed = os.environ.get(THREADS_ENV, "").strip()
    if fixed:
        if not (fixed.isascii() and fixed.isdigit() and 1 <= int(fixed) <= 4096):
            raise ConfigError(f"{THREADS_ENV}: expected a whole number of threads from 1 to 4096, found '{fixed}'")
        return int(fixed)
    if any(os.environ.get(name) for name in USER_SET):
        return None
    now = time.monotonic()
    if _last is not None and now - _last[0] < REUSE:
        return _last[1]
    cores = machine_cores()
    busy = busy_elsewhere()
    threads = cores if busy is None else max(1, min(cores, round(cores - busy)))
    _last = (now, threads)
    return threads


@contextlib.contextmanager
def on_free_cores(torch_stage: bool = False) -> Iterator[int | None]:
    """Run the block with torch's and the BLAS libraries' threads set to threads_now(), then put
    them back. `torch_stage`: the block uses torch (imported here, so that its pool is set before
    the block loads it)."""
    threads = threads_now()
    if threads is None:
        yield None
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    if torch is None and torch_stage:
        import torch
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield threads
        finally:
            if torch is not None and before is not None:
                torch.set_num_threads(before)
