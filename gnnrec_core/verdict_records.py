"""The verdicts' records (re-exported by records.py): a row against another with its interval, the two
comparisons every table is read by, and where the time budget cut training short.

    Gain       one row against another, with an interval  producer: pipeline.table_verdicts.gain
    BudgetCut  training cut short while still improving    producer: pipeline.table_verdicts.budget_cut
    Verdicts   what training added; the best graph model   producer: pipeline.table_verdicts.verdicts
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .record_fields import METRIC_LABELS, RecordError, _finite_or_none, _number, _optional_number


@dataclass(frozen=True)
class Gain:
    """One row against a reference row scored on the same split: the relative change of a metric
    and its 95% interval, paired over the same test users (one run) or over seeds. `verdict` is
    worded by the interval: "ahead" or "behind" only when the interval excludes zero, else "level";
    with no interval: by the sign alone for a run saved before intervals were kept (n 0), "level"
    where fewer than two cases were scored, and "ahead" of a reference that scores 0 where the row
    scores more."""

    row: str  # ResultRow.key
    reference: str  # ResultRow.key
    metric: str
    k: int
    value: float
    reference_value: float
    relative: float
    low: float | None = None  # the interval of `relative`; None: not known
    high: float | None = None
    over: str = "test users"  # what the interval is over: "test users" or "seeds"
    n: int = 0
    row_label: str = ""  # the rows' names in words (registry.row_label), set by the producer
    reference_label: str = ""

    @property
    def verdict(self) -> str:
        if self.low is None or self.high is None:
            if self.reference_value == 0:
                return "ahead" if self.value > 0 else "level"
            if self.n > 0:  # scored, but too few cases for an interval: nothing can be said
                return "level"
            return "ahead" if self.relative > 0 else "behind" if self.relative < 0 else "level"
        return "ahead" if self.low > 0 else "behind" if self.high < 0 else "level"

    @property
    def metric_label(self) -> str:
        return f"{METRIC_LABELS.get(self.metric, self.metric)}@{self.k}"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("value", "reference_value", "relative", "low", "high"):
            out[key] = _finite_or_none(out[key])
        return out

    @classmethod
    def from_json(cls, data: Any) -> Gain:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("row", "reference", "metric")):
            raise RecordError(f"expected a gain record naming its rows and metric, found {str(data)[:80]}")
        numbers = {k: _number(data[k], k) if data.get(k) is not None else float("nan")
                   for k in ("value", "reference_value", "relative")}
        return cls(row=data["row"], reference=data["reference"], metric=data["metric"], k=int(data.get("k", 10)),
                   **numbers, low=_optional_number(data.get("low"), "low"),
                   high=_optional_number(data.get("high"), "high"), over=str(data.get("over", "test users")),
                   n=int(data.get("n", 0)), row_label=str(data.get("row_label") or data["row"]),
                   reference_label=str(data.get("reference_label") or data["reference"]))


@dataclass(frozen=True)
class BudgetCut:
    """The trained row of `Verdicts.training` stopped by its time budget, or at its most epochs, while
    validation was still improving (its last epoch its best): more time or epochs may change what
    training added."""

    label: str  # the trained model, in words
    budget: float  # seconds
    epochs: int
    reason: str = "deadline"  # "deadline": the time budget ended it; "epochs": it ran its most epochs
    last_epoch_share: float | None = None  # Tuning.last_epoch_share: the deadline cut the last epoch
    filter_seconds: float | None = None  # Tuning.filter_seconds: the blend's filter searches, inside the budget

    @classmethod
    def from_json(cls, data: Any) -> BudgetCut | None:
        if not isinstance(data, dict):
            return None
        return cls(label=str(data.get("label", "")), budget=_number(data.get("budget", 0.0), "budget"),
                   epochs=int(data.get("epochs", 0)), reason=str(data.get("reason", "deadline")),
                   last_epoch_share=_optional_number(data.get("last_epoch_share"), "a share of an epoch"),
                   filter_seconds=_optional_number(data.get("filter_seconds"), "seconds"))


@dataclass(frozen=True)
class Verdicts:
    """The two comparisons every table is read by: what training added over the best closed-form
    graph filter (`training`), and the best graph model against the best non-graph baseline
    (`graph`). Either is None where the table lacks one side. `cut`: where the time budget ended
    the trained row's training while it still improved. `training_unread`: why `training` is None
    where the table has a trained row (its blend's filter has no row to be read against)."""

    training: Gain | None = None
    graph: Gain | None = None
    cut: BudgetCut | None = None
    training_unread: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**{name: None if gain is None else gain.to_json()
                   for name, gain in (("training", self.training), ("graph", self.graph))},
                "cut": None if self.cut is None else asdict(self.cut), "training_unread": self.training_unread}

    @classmethod
    def from_json(cls, data: Any) -> Verdicts:
        if not isinstance(data, dict):
            return cls()
        return cls(**{name: Gain.from_json(data[name]) if data.get(name) is not None else None
                      for name in ("training", "graph")}, cut=BudgetCut.from_json(data.get("cut")),
                   training_unread=str(data.get("training_unread") or ""))
