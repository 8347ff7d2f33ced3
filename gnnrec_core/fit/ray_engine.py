"""Ray: connecting to a cluster, and the validation search as Ray Tune trials under ASHA.

ASHA, asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
Tuning", MLSys 2020): every candidate drawn for the local search (tuning.draw_candidates, the
defaults first) is one trial, and as many trials run at once as the cluster has slots (one CPU,
or one GPU when the model trains on CUDA). Each trial trains in chunks that end on an evaluation
epoch and reports its best validation nDCG after each; at rungs of first_rung x 3^k epochs (5, 15,
45 ... by default: the local search's 5 and 15) ASHA stops a trial below the top third of those
that reached the rung before it, without waiting for the rest. Past its first rung a trial stops
after `patience` evaluations without improvement, as the local winner does. The time budget is
Tune's `time_budget_s`: at the deadline every trial stops and the best validated weights so far win.

The weights come back through the object store, not the file system, so a cluster needs no shared
storage: a small actor owned by the driver keeps the best validated state any trial has reported
and each trial's last summary. The driver rebuilds the winner's module (its graph, its trainer)
and loads that state, so what follows a search (blend, propagation, records) sees the same
SearchResult as the local search returns.

`import ray` happens here only, and only when the Ray engine is asked for; torch is imported where
used, so the small actors and the trial processes that load this module start quickly.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..progress import Progress, wants_stop
from .tuning import Candidate, SearchResult, _carry_defaults, _train

if TYPE_CHECKING:
    import scipy.sparse as sp
    import torch

RAY_INSTALL = 'pip install -e ".[ray]" in the project'  # the extra pins Ray's version (pyproject.toml)
RAY_MISSING = "expected Ray for {purpose} (" + RAY_INSTALL + "), found it not installed"
REDUCTION = 3  # ASHA keeps the top third at each rung, as the local search does
GCS_PORT = 6379  # `ray start --head`'s default
CONNECT_TIMEOUT = 5.0  # seconds to reach a cluster's address before saying it is unreachable


def import_ray(purpose: str = "--engine ray") -> ModuleType:
    """The ray module, or a one-line error when it is not installed."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING.format(purpose=purpose)) from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, purpose: str = "--engine ray") -> Iterator[ModuleType]:
    """Ray, connected: to `address`, else $RAY_ADDRESS (a running cluster: `ray start --head` on its
    head node), else a Ray instance started here with every core of this machine. An instance
    connected before (a notebook, a test) is used as it is and left running; one connected here
    is shut down on exit. An unreachable address is a one-line error within CONNECT_TIMEOUT."""
    ray = import_ray(purpose)
    target = address or os.environ.get("RAY_ADDRESS") or None
    if target:
        _check_reachable(target)
    if ray.is_initialized():
        yield ray
        return
    try:
        ray.init(address=target, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...: one line for people
        where = f"a Ray cluster at {target}" if target else "to start Ray on this machine"
        found = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"expected {where}, found: {found}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """A TCP connection to the address's host and port (6379 when none is given), so that a wrong
    address fails at once: Ray itself retries for minutes, printing as it goes."""
    if address in ("auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit():
        host, port = hostport, str(GCS_PORT)
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigError(f"expected a Ray cluster at {address} (started with `ray start --head`), found none "
                          f"reachable: {reason}") from None


class Keeper:
    """Driver-owned store (a Ray actor of no CPU) of the best validated weights any trial or worker
    sent, and of each one's last summary, so results travel through the object store."""

    def __init__(self) -> None:
        self.best: tuple[int, float, dict[str, np.ndarray]] | None = None
        self.summaries: dict[int, dict[str, Any]] = {}

    def beats(self, index: int, score: float) -> bool:
        """True when `score` would be kept: higher, or equal from an earlier candidate (the local
        search's order breaks ties)."""
        return self.best is None or (score, -index) > (self.best[1], -self.best[0])

    def keep(self, index: int, score: float, state: dict[str, np.ndarray]) -> None:
        if self.beats(index, score):
            self.best = (index, score, state)

    def summary(self, index: int, record: dict[str, Any]) -> None:
        self.summaries[index] = record

    def result(self) -> tuple[tuple[int, float, dict[str, np.ndarray]] | None, dict[int, dict[str, Any]]]:
        return self.best, self.summaries


def keeper(ray: ModuleType) -> Any:
    """A new Keeper actor (scheduled with no CPU, so it never takes a trial's or worker's slot)."""
    return ray.remote(num_cpus=0)(Keeper).remote()


def state_arrays(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """A module's parameters as CPU numpy arrays, to travel between processes."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def quietly(call: Callable[[], Any]) -> Any:
    """Run `call` with Ray's own tables and banners kept off stdout (the CLI's output)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return call()


def tune_search(build: Callable[[dict[str, Any]], tuple[Any, Any]], part: sp.csr_matrix, valid: sp.csr_matrix,
                pool: list[dict[str, Any]], max_epochs: int, deadline: float, first_rung: int = 5,
                report: Progress | None = None, address: str | None = None) -> SearchResult:
    """The candidates in `pool` as Ray Tune trials under ASHA, inside `deadline` (a perf_counter
    value); the same SearchResult as tuning.successive_halving, the winner's module trained."""
    import torch

    started = time.perf_counter()
    with ray_session(address) as ray:
        try:
            from ray import tune
            from ray.tune.schedulers import ASHAScheduler
        except ImportError as exc:
            raise ConfigError(f"expected Ray Tune for --engine ray ({RAY_INSTALL}), found: {exc}") from None
        # One module built here first: its device says what a trial needs, and index 0 may win.
        first = build(pool[0])
        device = next(first[0].parameters()).device
        store = keeper(ray)
        job = {"build": build, "part": part, "valid": valid, "pool": pool, "max_epochs": max(max_epochs, 1),
               "first_rung": first_rung, "deadline_wall": time.time() + max(deadline - time.perf_counter(), 0.0),
               "keeper": store}
        watch = _watcher(tune, pool, report)
        storage = tempfile.mkdtemp(prefix="gnnrec-tune-")
        trainable = tune.with_resources(tune.with_parameters(_trial, job=job),
                                        {"cpu": 1, "gpu": 1 if device.type == "cuda" else 0})
        grace = max(1, min(first_rung, max_epochs))
        budget = max(deadline - time.perf_counter(), 1.0)
        tuner = tune.Tuner(
            trainable, param_space={"index": tune.grid_search(list(range(len(pool))))},
            tune_config=tune.TuneConfig(metric="valid_ndcg", mode="max", time_budget_s=budget, reuse_actors=True,
                                        scheduler=ASHAScheduler(time_attr="epochs", max_t=max(max_epochs, grace),
                                                                grace_period=grace, reduction_factor=REDUCTION)),
            run_config=tune.RunConfig(name="gnnrec-search", storage_path=storage, verbose=0, stop=watch,
                                      failure_config=tune.FailureConfig(max_failures=0)))
        try:
            grid = quietly(tuner.fit)
            best, summaries = ray.get(store.result.remote())
        finally:
            shutil.rmtree(storage, ignore_errors=True)
        failed = [result.error for result in grid if result.error is not None]
        if failed:
            _raise_failed(ray, failed[0])
    out_of_time = time.perf_counter() >= deadline
    tried = [{**pool[i], "valid_ndcg": s["valid_ndcg"], "epochs": s["epochs"]} for i, s in sorted(summaries.items())]
    if best is None:  # the budget ended before any trial reported: the defaults, trained here for one rung
        winner = _train(Candidate(pool[0], first[1], first[0]), build, part, valid, first_rung)
    else:
        index, score, state = best
        module, trainer = first if index == 0 else build(pool[index])
        module.load_state_dict({k: torch.from_numpy(np.array(v)).to(device) for k, v in state.items()})
        summary = summaries[index]
        trainer.history, trainer.best_score, trainer.best_epoch = list(summary["history"]), score, summary["best_epoch"]
        trainer.stopped = summary["stopped"] if summary["finished"] else (
            "cancelled" if watch.cancelled else "deadline" if out_of_time else "")
        winner = Candidate(pool[index], trainer, module, score, len(trainer.history))
        if index != 0:  # the local search's rule: the defaults carried to early stopping, the better kept
            winner = _carry_defaults(winner, Candidate(pool[0], first[1], first[0]), build, part, valid,
                                     (max_epochs, first_rung), deadline, tried, watch.cancelled)
    tried.append({**winner.settings, "valid_ndcg": winner.score, "epochs": winner.epochs, "chosen": True,
                  "search_seconds": round(time.perf_counter() - started, 2)})
    return SearchResult(winner, tried, cancelled=watch.cancelled)


def _raise_failed(ray: ModuleType, error: BaseException) -> None:
    """A trial that died with its worker or node (killed for memory, a lost machine) is the
    cluster's doing: said in one line, exit 2. Any other failure came from our code: raised as is."""
    last = str(error).strip().splitlines()[-1][:300] if str(error).strip() else type(error).__name__
    crashed = tuple(getattr(ray.exceptions, name) for name in
                    ("WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "RayActorError", "ActorDiedError")
                    if hasattr(ray.exceptions, name))
    causes = [error, getattr(error, "cause", None), error.__cause__]
    if any(isinstance(cause, crashed) for cause in causes if cause is not None) or "OutOfMemory" in str(error):
        raise ConfigError(f"expected every Ray Tune trial to finish, found one whose worker died ({last}); give the "
                          "cluster more memory, or run with --engine local")
    raise RuntimeError(f"a Ray Tune trial failed: {last}")


def _trial(config: dict[str, Any], job: dict[str, Any]) -> None:
    """One candidate, in a Ray worker: train in chunks ending on evaluation epochs, send the best
    validated state to the keeper when it beats every trial's so far, report to ASHA after each."""
    import ray
    from ray import tune

    index, store = config["index"], job["keeper"]
    part, valid, max_epochs, first_rung = job["part"], job["valid"], job["max_epochs"], job["first_rung"]
    module, trainer = job["build"](job["pool"][index])
    trainer.progress = None  # the driver's progress callback stays on the driver
    trainer.deadline = time.perf_counter() + max(job["deadline_wall"] - time.time(), 0.0)  # clocks differ by host
    every, patience = trainer.config.eval_every, trainer.config.patience
    stale, finished = 0, False
    while not finished:
        done, before = len(trainer.history), trainer.best_score
        trainer.run(module, part, valid, min(every - done % every, max_epochs - done), patience=0)
        improved = trainer.best_score > before
        if improved and trainer.best_epoch == trainer.history[-1]["epoch"]:  # the module holds its best
            if ray.get(store.beats.remote(index, trainer.best_score)):
                ray.get(store.keep.remote(index, trainer.best_score, state_arrays(module)))
        if len(trainer.history) > first_rung:
            stale = 0 if improved else stale + 1
            if patience and stale >= patience:
                trainer.stopped = "patience"
        finished = len(trainer.history) >= max_epochs or trainer.stopped != "" or len(trainer.history) == done
        ray.get(store.summary.remote(index, {
            "valid_ndcg": trainer.best_score, "epochs": len(trainer.history), "best_epoch": trainer.best_epoch,
            "stopped": trainer.stopped, "history": trainer.history, "finished": finished}))
        tune.report({"valid_ndcg": trainer.best_score, "epochs": len(trainer.history)})


def _watcher(tune: ModuleType, pool: list[dict[str, Any]], report: Progress | None) -> Any:
    """A Tune stopper that tells `report` each trial's result ({"stage": "search", ...}, as the
    local search does) and stops every trial once it asks to stop. It pickles without the callback
    (Tune saves its settings), and a copy restored that way only watches."""

    class Watcher(tune.Stopper):  # type: ignore[name-defined, misc]
        def __init__(self, pool: list[dict[str, Any]], report: Progress | None) -> None:
            self.pool, self.report, self.cancelled = pool, report, False

        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            index = result["config"]["index"]
            event = {"stage": "search", "candidate": index + 1, "score": result["valid_ndcg"],
                     "settings": self.pool[index]}
            if wants_stop(self.report, event):
                self.cancelled = True
            return False

        def stop_all(self) -> bool:
            return bool(self.cancelled)

        def __getstate__(self) -> dict[str, Any]:
            return {"pool": self.pool, "report": None, "cancelled": self.cancelled}

    return Watcher(pool, report)
