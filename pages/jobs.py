"""Training in the background: a thread per run so the page stays live, with progress the Train
page polls and a cancel the user can press. The run is saved only when training completes."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from gnnrec_core import (
    Cancelled,
    Dataset,
    DatasetRef,
    ExperimentConfig,
    GnnrecError,
    import_training_libraries,
    train_and_save,
    training_curve,
)
from pages.state import DATASET_KEY, JOB_KEY, RUN_KEY, dataset_meta, ws

SHOWN_KEY = "train-jobs-shown"  # the ended runs (saved, failed or cancelled) this session has redrawn for


@dataclass
class Job:
    id: str
    dataset: str
    config: ExperimentConfig
    status: str = "running"  # running, done, failed, cancelled
    stage: str = "starting"
    history: list[dict[str, Any]] = field(default_factory=list)  # the curve of the configuration training now
    curves: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)  # every configuration's, by its number
    last: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    run_id: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None  # when it was saved (status "done")
    model_index: int = 0  # which of the run's models is fitting, for the overall progress
    model_total: int = 1
    cancel: threading.Event = field(default_factory=threading.Event)
    history_version: int = 0  # +1 whenever `history` is replaced: the page redraws its curve only then
    curve: Any = None  # the Train page's live figure of `history` at `curve_version` (pages/train.py)
    curve_version: int = -1

    def record(self, event: dict[str, Any]) -> None:
        """A progress event of the training thread, kept for the page to read."""
        if event.get("stage") != "search":
            self.stage = event.get("stage", self.stage)
        if "index" in event:
            self.model_index, self.model_total = event["index"], event["total"]
        self.last = event
        if "epoch" in event:
            # A new list, never one changed in place: the page reads it from another thread. Each
            # configuration has its curve: the search's second rung continues one that others followed
            # ("epoch 6/15" had joined the curve of the configuration trained before it).
            key = event.get("configuration")
            self.curves[key] = self.history = [*self.curves.get(key, []), event]
            self.history_version += 1

    def live_curve(self) -> Any:
        """The Train page's live figure of `history`, built once per new epoch rather than on each
        second's redraw: a plotly layout costs ~0.1 s of the interpreter the training thread shares
        (st.plotly_chart reads a figure without changing it, so one serves every redraw)."""
        version = self.history_version  # read before the history: a newer history only redraws once more
        if self.curve_version != version:
            self.curve, self.curve_version = training_curve(list(self.history), "the configuration training now"), \
                version
        return self.curve


@st.cache_resource
def jobs() -> dict[str, Job]:
    return {}


_IMPORTING = threading.Lock()  # held while warm_training_libraries imports


@st.cache_resource(show_spinner=False)
def warm_training_libraries() -> bool:
    """Once per server, at the end of its first script run (the page is drawn by then): import what
    training imports (about 4 s on two cores), so the demo's first run does not wait for it. In the
    script's own thread, not a background one: a page that imported PyG while another thread was
    half-way through importing it got a partially initialised module (an ImportError on the Train
    page, caught by tests/test_browser.py). A failure is left for the run itself to report."""
    with _IMPORTING:
        try:
            import_training_libraries()
        except Exception:  # the run that needs the library meets the failure and reports it in words
            return False
    return True


def wait_for_warm_up() -> None:
    """Return once no other session is half-way through warm_training_libraries (at once, but in the
    first seconds of a fresh server): a second session's page or run importing torch or PyG at that
    moment could meet the same partially initialised module as a background thread did. A narrowing,
    not a cure: a session arriving before the warm-up starts passes (docs/DESIGN.md)."""
    with _IMPORTING:
        pass


def start_training(dataset_name: str, data: Dataset, config: ExperimentConfig,
                   heldout: pd.DataFrame | None = None, heldout_notes: tuple[str, ...] = ()) -> Job:
    """Train in a thread so the page stays live; the run is saved only when it completes.
    heldout: the user's own test set (events), scored instead of a split of the dataset; heldout_notes:
    what reading it did, kept among the run's notes."""
    job = Job(uuid.uuid4().hex[:8], dataset_name, config)
    jobs()[job.id] = job
    workspace_ = ws()
    ref = DatasetRef(dataset_name, str((dataset_meta(dataset_name) or {}).get("source", "")))

    def progress(event: dict[str, Any]) -> bool:
        job.record(event)
        return not job.cancel.is_set()

    def work() -> None:
        try:
            job.run_id = train_and_save(workspace_, ref, data, config, progress, heldout=heldout,
                                        heldout_notes=heldout_notes)
            job.finished, job.status = time.time(), "done"
        except Cancelled as exc:
            job.status, job.error = "cancelled", str(exc)
        except GnnrecError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # shown as one line on the page; never a traceback
            job.status, job.error = "failed", f"unexpected failure: {type(exc).__name__}: {exc}"

    threading.Thread(target=work, name=f"train-{job.id}", daemon=True).start()
    return job


def adopt_finished_run() -> bool:
    """This session's run, once it is saved, becomes the active run, where the session is still on
    the dataset it trains (a pick of another dataset made meanwhile, or in the sidebar click that
    drew this page, stays). Once per run. Called by the sidebar before every page, so a run that
    finished while another page was open fills every page, not only the Train page. True where the
    run ended (saved, failed or cancelled) unseen by this session until now: the Train page redraws."""
    job = jobs().get(st.session_state.get(JOB_KEY, ""))
    shown = st.session_state.setdefault(SHOWN_KEY, set())
    if job is None or job.status == "running" or job.id in shown:
        return False
    # Per session: a run followed from a second tab is shown in both (a flag on the shared job let
    # the first session to see it done leave the other waiting on a hidden form).
    shown.add(job.id)
    if job.status == "done" and st.session_state.get(DATASET_KEY) in (job.dataset, None):
        st.session_state[RUN_KEY] = job.run_id
        if dataset_meta(job.dataset) is not None:
            st.session_state[DATASET_KEY] = job.dataset
    return True
