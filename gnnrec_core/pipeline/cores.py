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
import threading
import time
from typing import Any, Iterator

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
    """(busy, all) clock ticks since boot of the cores this process may run on, from /proc/stat's
    per-core lines: in a container pinned to 4 of 64 cores, the other 60's load is not ours to share."""
    try:
        ours = {f"cpu{core}" for core in os.sched_getaffinity(0)}
    except AttributeError:  # not Linux: every core
        ours = None
    busy = total = 0
    with open("/proc/stat") as handle:
        for line in handle:
            name, *values = line.split()
            if not name.startswith("cpu") or name == "cpu" or (ours is not None and name not in ours):
                continue
            fields = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
            total += sum(fields)
            busy += sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
    return busy, total


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


def fixed_threads() -> int | None:
    """GNNREC_THREADS where set; a bad value refused in one line. Called before a run's first fit:
    inside a benchmark's loop the refusal read as each model refusing the data (exit 0, no table)."""
    fixed = os.environ.get(THREADS_ENV, "").strip()
    if not fixed:
        return None
    if not (fixed.isascii() and fixed.isdigit() and 1 <= int(fixed) <= 4096):
        raise ConfigError(f"{THREADS_ENV}: expected a whole number of threads from 1 to 4096, found '{fixed}'")
    return int(fixed)


def threads_now() -> int | None:
    """Threads for the next stage: GNNREC_THREADS where set, None where the user set the libraries'
    own variables (then nothing is changed), else the free cores (measured at most every REUSE s)."""
    global _last
    fixed = fixed_threads()
    if fixed is not None:
        return fixed
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


_pools = threading.Lock()
_stages = 0  # stages running now: the dashboard trains in threads of one process, and pools are the process's
_before: tuple[Any, int | None] | None = None  # (the BLAS limits to restore, torch's threads) when the first began
_torch_most: int | None = None  # torch's threads before this module first set them: its default, physical cores


@contextlib.contextmanager
def on_free_cores(torch_stage: bool = False) -> Iterator[int | None]:
    """Run the block with torch's and the BLAS libraries' threads set to threads_now(); when the last
    stage running ends, put back what they were before the first began (stages that overlap in
    threads each restoring its own left the pools at the first one's count). `torch_stage`: the
    block uses torch (imported here, so that its pool is set before the block loads it)."""
    global _stages, _before, _torch_most
    threads = threads_now()
    if threads is None:
        yield None
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    if torch is None and torch_stage:
        import torch
    with _pools:
        limits = threadpool_limits(limits=threads, user_api="blas")
        if _stages == 0:
            _before = (limits, torch.get_num_threads() if torch is not None else None)
        _stages += 1
        if torch is not None:  # at most torch's own default: affinity counts logical cores
            _torch_most = _torch_most or torch.get_num_threads()
            torch.set_num_threads(min(threads, _torch_most))
    try:
        yield threads
    finally:
        with _pools:
            _stages -= 1
            if _stages == 0 and _before is not None:
                blas, torch_threads = _before
                blas.restore_original_limits()
                if torch_threads is not None and "torch" in sys.modules:
                    sys.modules["torch"].set_num_threads(torch_threads)
                _before = None
