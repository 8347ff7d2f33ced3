"""A fit computes on the cores other processes leave free (pipeline/cores.py): two threads waiting on
each other beside a busy process ran the demo's LightGCN twice as long as one thread."""

import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, SAMPLE

from gnnrec_core.errors import ConfigError
from gnnrec_core.pipeline import cores

linux_only = pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="measures Linux's /proc/stat")


@pytest.fixture
def unset(monkeypatch):
    """No user choice of threads (the suite's conftest sets OMP_NUM_THREADS=1 for its workers)."""
    for name in (cores.THREADS_ENV, *cores.USER_SET):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cores, "_last", None)
    return monkeypatch


@linux_only
def test_a_busy_process_is_counted_and_this_process_own_work_is_not():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert cores.busy_elsewhere(0.5) >= 0.7  # the spinner's core (other tests may add more)
    finally:
        spinner.kill()
        spinner.wait()
    # Other tests' load shifts between the two windows below (CI once read 1.56 against 1.53), so the
    # claim is asked of three tries; without our own work left out it fails every time (own >= 0.2).
    tries = [_own_work_left_out() for _ in range(3)]
    assert any(own >= 0.2 and elsewhere <= everyone - own + 0.1 for elsewhere, everyone, own in tries), tries


def _own_work_left_out() -> tuple[float, float, float]:
    """(cores busy elsewhere as measured, all busy cores ours included, our spinning thread's share)."""
    stop = threading.Event()
    spinning = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])  # a busy thread of ours
    spinning.start()
    try:
        time.sleep(0.2)
        (busy0, _), own0, start = cores._busy_ticks(), sum(os.times()[:2]), time.perf_counter()
        elsewhere = cores.busy_elsewhere(0.5)
        (busy1, _), own1, seconds = cores._busy_ticks(), sum(os.times()[:2]), time.perf_counter() - start
    finally:
        stop.set()
        spinning.join()
    everyone = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / seconds  # all processes, ours included
    own = (own1 - own0) / seconds  # what our spinning thread got: under a core where other jobs compete
    # Our own work left out, by what it measured (a fixed 0.5 failed on a loaded machine where the
    # thread got less); 0.1 for the clock ticks' granularity over half a second.
    return elsewhere, everyone, own


def test_the_threads_are_the_free_cores_at_least_one(unset):
    unset.setattr(cores, "machine_cores", lambda: 4)
    for busy, threads in ((0.0, 4), (0.9, 3), (1.6, 2), (3.5, 1), (7.0, 1), (None, 4)):
        unset.setattr(cores, "_last", None)
        unset.setattr(cores, "busy_elsewhere", lambda busy=busy: busy)
        assert cores.threads_now() == threads, busy


def test_a_users_choice_wins(unset):
    unset.setattr(cores, "busy_elsewhere", lambda: 0.0)
    unset.setenv("GNNREC_THREADS", "3")
    assert cores.threads_now() == 3
    unset.setenv("GNNREC_THREADS", "two")
    with pytest.raises(ConfigError, match=r"GNNREC_THREADS: expected a whole number of threads .* found 'two'"):
        cores.threads_now()
    unset.delenv("GNNREC_THREADS")
    unset.setenv("OMP_NUM_THREADS", "2")
    assert cores.threads_now() is None  # the libraries' own setting is left alone


def test_a_stage_runs_on_the_threads_chosen_then_puts_them_back(unset):
    import torch

    unset.setattr(cores, "threads_now", lambda: 1)
    torch.set_num_threads(2)
    with cores.on_free_cores(torch_stage=True) as threads:
        inside = torch.get_num_threads()
    assert threads == inside == 1 and torch.get_num_threads() == 2


def test_the_command_refuses_a_bad_thread_count_in_one_line():
    """With two models the refusal inside the loop read as each model refusing the data: exit 0, no
    table (an adversarial review). It is now checked before the first fit."""
    found = subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(SAMPLE), "--models", "pop,itemknn"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env=os.environ | {"GNNREC_THREADS": "0"})
    assert found.returncode == 2 and found.stderr.strip().splitlines() == [
        "error: GNNREC_THREADS: expected a whole number of threads from 1 to 4096, found '0'"], found.stderr


def test_stages_overlapping_in_threads_put_the_pools_back_when_the_last_ends(unset):
    """The dashboard trains in threads of one process; each stage restoring its own limits left the
    BLAS pool at the first stage's count once two overlapped (an adversarial review)."""
    import torch
    from threadpoolctl import threadpool_info

    def blas() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before_blas, before_torch = blas(), torch.get_num_threads()
    wanted = 3 if before_blas[:1] != [3] else 2
    unset.setattr(cores, "threads_now", lambda: wanted)
    first, second = cores.on_free_cores(torch_stage=True), cores.on_free_cores(torch_stage=True)
    first.__enter__()
    second.__enter__()
    assert set(blas()) == {wanted} and torch.get_num_threads() == min(wanted, cores._torch_most)
    first.__exit__(None, None, None)
    assert set(blas()) == {wanted}  # the second stage still runs on its threads
    second.__exit__(None, None, None)
    assert blas() == before_blas and torch.get_num_threads() == before_torch
