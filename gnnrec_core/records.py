"""The typed records that cross layers, each with one producer and one JSON form.

    Tuning          what a model chose on validation          producer: Recommender.tuning()
    ResultRow       one model's figures on one split          producer: pipeline.benchmark.result_row
    Gain, Verdicts  the verdicts (verdict_records.py)          producer: pipeline.benchmark
    BenchmarkResult every model on one split (`benchmark`)    producer: pipeline.benchmark.benchmark
    SeededBenchmark `benchmark` once per seed (--repeat)      producer: pipeline.benchmark.benchmark_seeds
    DatasetRef      which saved dataset a run was trained on  producer: store.Workspace.save_dataset
    RunInfo         a saved run (CLI `train` or the dashboard) producer: pipeline.experiment.train_and_save

Readers (the CLI, every page, the report, the benchmarks) use the attributes; JSON is written by
`to_json` and read by `from_json` only. Every JSON form carries `schema`; a form from before the
records existed (schema 1, release 0.9.0) is migrated on read, and anything else is refused with
one line (`RecordError`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .record_fields import (
    METRIC_LABELS,
    METRIC_NAMES,
    SCHEMA,
    RecordError,
    _check_schema,
    _finite_or_none,
    _number,
    _optional_number,
    _split_record,
)
from .verdict_records import BudgetCut, Gain, Verdicts


def row_key(model: str, blend: dict[str, float]) -> str:
    """A table row's name (ResultRow, BasketRow): the model alone, or its blend as "model+blend"."""
    return f"{model}+blend" if blend else model


@dataclass(frozen=True)
class Tuning:
    """What a model chose on validation. A GNN: its searched settings, the chosen configuration's
    validation nDCG alone, the blend weights by part and the blend's validation nDCG, epochs and
    why it stopped. EASE: its lambda (`chosen = {"l2": ...}`), nothing else."""

    chosen: dict[str, Any]
    valid_ndcg: float | None = None  # the chosen configuration alone, on validation
    blend: dict[str, float] = field(default_factory=dict)  # part -> weight; empty: no blend searched
    blend_valid_ndcg: float | None = None  # the blended score on validation (None: no blend searched)
    epochs: int | None = None
    best_epoch: int | None = None
    stopped: str | None = None  # "patience", "deadline", "cancelled"; "": it ran its most epochs
    budget: float | None = None
    seconds: float | None = None
    search_seconds: float | None = None
    candidates: int = 0
    # Each blend part alone, on the customers the blend was chosen on (blend_valid_ndcg's too): a sample
    # of the validation slice smaller than valid_ndcg's on wide catalogues (1,000 against 5,000 at 50k products).
    part_valid_ndcg: dict[str, float] = field(default_factory=dict)
    # The blend's filter: {"model": "gfcf" or "rp3beta", its settings, "valid_ndcg": both filters' search figures}
    blend_filter: dict[str, Any] = field(default_factory=dict)
    last_epoch_share: float | None = None  # the time budget cut the last epoch: the share of its customers trained
    filter_seconds: float | None = None  # the blend's filter searches, inside the time budget before training

    @property
    def blended(self) -> bool:
        return any(weight > 0 for weight in self.blend.values())

    @property
    def blend_searched(self) -> bool:
        """Blends were tried on validation (kept or not); False where the model was fitted without."""
        return self.blend_valid_ndcg is not None

    @property
    def searched(self) -> bool:
        """Whether validation chose `chosen` among several configurations. EASE's lambda always is
        (its grid); a GNN without a search (the feature GCN, auto off), or whose budget fitted only
        its defaults, ran its default settings: `unsearched_reason` says which."""
        return self.epochs is None or self.candidates > 1

    @property
    def unsearched_reason(self) -> str:
        if self.candidates != 1:
            return "no search"
        return "the time budget left room for no other configuration" + filter_share_words(self.filter_seconds,
                                                                                           self.budget)

    @property
    def best_valid_ndcg(self) -> float | None:
        """The figure the model is used at: the blend's where one was searched, else its own."""
        return self.blend_valid_ndcg if self.blend_valid_ndcg is not None else self.valid_ndcg

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("valid_ndcg", "blend_valid_ndcg"):
            out[key] = _finite_or_none(out[key])
        out["part_valid_ndcg"] = {k: _finite_or_none(v) for k, v in self.part_valid_ndcg.items()}
        searched = self.blend_filter.get("valid_ndcg")
        if isinstance(searched, dict):
            out["blend_filter"]["valid_ndcg"] = {k: _finite_or_none(v) for k, v in searched.items()}
        return out

    @classmethod
    def from_json(cls, data: Any) -> Tuning:
        if not isinstance(data, dict) or not isinstance(data.get("chosen"), dict):
            raise RecordError(f"expected a tuning record with 'chosen' settings, found {str(data)[:80]}")
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        blend_score = values.get("blend_valid_ndcg")
        if isinstance(blend_score, dict):  # schema 1: {"gnn_alone": ..., "blended": ...}
            values["blend_valid_ndcg"] = blend_score.get("blended")
        for key in ("valid_ndcg", "blend_valid_ndcg", "budget", "seconds", "search_seconds", "last_epoch_share",
                    "filter_seconds"):
            values[key] = _optional_number(values.get(key), f"tuning {key}")
        values["blend"] = {str(k): _number(v, "a blend weight") for k, v in (values.get("blend") or {}).items()}
        values["part_valid_ndcg"] = {str(k): _number(v, "a part's validation nDCG")
                                     for k, v in (values.get("part_valid_ndcg") or {}).items()}
        return cls(**values)


@dataclass(frozen=True)
class ResultRow:
    """One model's figures on one split: test metrics at k, its validation nDCG (None where the
    model had no validation slice), fit seconds, where it ran, and what it chose on validation.

    `blend` empty: the model alone (a GNN's row is the trained GNN and nothing else). Not empty:
    the model's score blended with these parts by these weights, a row of its own beside the
    model's (`key` tells them apart; registry.row_label names the parts). `at_k` holds recall
    and nDCG at every cut-off the run asked for (the flat metrics are at the first)."""

    model: str
    ndcg: float
    precision: float
    recall: float
    map: float
    hit_rate: float
    coverage: float
    train_seconds: float
    device: str = "cpu"
    valid_ndcg: float | None = None
    tuning: Tuning | None = None
    blend: dict[str, float] = field(default_factory=dict)
    at_k: dict[int, dict[str, float]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The row's name in tables and JSON: the model, or the model and "+blend"."""
        return row_key(self.model, self.blend)

    def metric(self, name: str) -> float:
        if name not in METRIC_NAMES:
            raise RecordError(f"expected a metric among {', '.join(METRIC_NAMES)}, found '{name}'")
        return float(getattr(self, name))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "key": self.key, "blend": dict(self.blend),
                               "valid_ndcg": _finite_or_none(self.valid_ndcg)}
        out |= {name: _finite_or_none(getattr(self, name)) for name in METRIC_NAMES}
        out |= {"train_seconds": self.train_seconds, "device": self.device}
        if self.at_k:
            out["at_k"] = {str(k): {m: _finite_or_none(v) for m, v in values.items()}
                           for k, values in self.at_k.items()}
        if self.tuning is not None:
            out["tuning"] = self.tuning.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> ResultRow:
        if not isinstance(data, dict) or not isinstance(data.get("model"), str):
            raise RecordError(f"expected a result row with a model name, found {str(data)[:80]}")
        metrics = {name: _number(data[name], name) if data.get(name) is not None else float("nan")
                   for name in METRIC_NAMES}
        tuning = Tuning.from_json(data["tuning"]) if data.get("tuning") is not None else None
        blend = {str(k): _number(v, "a blend weight") for k, v in (data.get("blend") or {}).items()}
        at_k = {int(k): {str(m): _number(v, f"{m}@{k}") if v is not None else float("nan") for m, v in values.items()}
                for k, values in (data.get("at_k") or {}).items()}
        return cls(model=data["model"], **metrics, train_seconds=_number(data.get("train_seconds", 0.0), "seconds"),
                   device=str(data.get("device", "cpu")), valid_ndcg=_optional_number(data.get("valid_ndcg"),
                                                                                      "valid_ndcg"),
                   tuning=tuning, blend=blend, at_k=at_k)


@dataclass(frozen=True)
class BenchmarkResult:
    """Every model fitted and scored on one split: the `benchmark` command's JSON contract."""

    users: int
    items: int
    interactions: int
    split: dict[str, Any]
    k: int
    results: tuple[ResultRow, ...]
    ks: tuple[int, ...] = ()  # every cut-off scored (recall and nDCG in each row's at_k); k is the first
    verdicts: Verdicts = Verdicts()
    notes: tuple[str, ...] = ()  # e.g. a model that refused the data, and why

    def __post_init__(self) -> None:
        if not self.ks:
            object.__setattr__(self, "ks", (self.k,))

    def row(self, key: str) -> ResultRow:
        """The row of this key: a model's name is the model alone, "<model>+blend" its blend."""
        return next(r for r in self.results if r.key == key)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "dataset": {"users": self.users, "items": self.items,
                                              "interactions": self.interactions},
                "split": self.split, "k": self.k, "ks": list(self.ks),
                "results": [r.to_json() for r in self.results], "verdicts": self.verdicts.to_json(),
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: Any) -> BenchmarkResult:
        _check_schema(data, "benchmark")
        stats = data.get("dataset") or {}
        k = int(data.get("k", 10))
        return cls(users=int(stats.get("users", 0)), items=int(stats.get("items", 0)),
                   interactions=int(stats.get("interactions", 0)), split=dict(data.get("split") or {}),
                   k=k, results=tuple(ResultRow.from_json(r) for r in data.get("results") or []),
                   ks=tuple(int(x) for x in data.get("ks") or (k,)), verdicts=Verdicts.from_json(data.get("verdicts")),
                   notes=tuple(str(n) for n in data.get("notes") or ()))


@dataclass(frozen=True)
class SeededBenchmark:
    """`benchmark` once per seed (`--repeat N`): each run as it is, and the two verdicts read over
    the seeds (each run's pair as that run's validation chose it; the interval is over seeds)."""

    seeds: tuple[int, ...]
    runs: tuple[BenchmarkResult, ...]
    verdicts: Verdicts = Verdicts()

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "seeds": list(self.seeds), "runs": [r.to_json() for r in self.runs],
                "verdicts": self.verdicts.to_json()}

    @classmethod
    def from_json(cls, data: Any) -> SeededBenchmark:
        _check_schema(data, "benchmark over seeds")
        return cls(seeds=tuple(int(s) for s in data.get("seeds") or ()),
                   runs=tuple(BenchmarkResult.from_json(r) for r in data.get("runs") or ()),
                   verdicts=Verdicts.from_json(data.get("verdicts")))


@dataclass(frozen=True)
class BasketRow:
    """One model's basket completion (pipeline/basket_eval.py): validation and test hit rate and
    nDCG of the hidden product; validation None where no validation basket had two products; or
    `skipped`, why the model refused the baskets."""

    model: str
    valid_hit_rate: float | None = None
    valid_ndcg: float | None = None
    hit_rate: float = float("nan")
    ndcg: float = float("nan")
    fit_seconds: float = 0.0
    skipped: str | None = None
    blend: dict[str, float] = field(default_factory=dict)  # a GNN's blend, a row of its own (as ResultRow's)
    tuning: Tuning | None = None  # what the model chose on validation (a GNN's epochs: was it cut short?)

    @property
    def key(self) -> str:
        return row_key(self.model, self.blend)

    def to_json(self) -> dict[str, Any]:
        # "key" names the row on every row, as benchmark's rows do: "model" is the fitted model, the
        # same for a GNN and its blend (a script keyed by "model" read the blend's figures as the GNN's).
        if self.skipped is not None:
            return {"model": self.model, "key": self.key, "skipped": self.skipped}
        return {"model": self.model, "key": self.key, "blend": dict(self.blend),
                "valid_hit_rate": _finite_or_none(self.valid_hit_rate),
                "valid_ndcg": _finite_or_none(self.valid_ndcg), "hit_rate": _finite_or_none(self.hit_rate),
                "ndcg": _finite_or_none(self.ndcg), "fit_seconds": self.fit_seconds,
                **({"tuning": self.tuning.to_json()} if self.tuning is not None else {})}


@dataclass(frozen=True)
class BasketEvalResult:
    """Basket completion on one split of the baskets: the `basket-eval` command's JSON contract.
    `verdict`: the model validation ranks first against its second, on the test baskets;
    `verdicts`: the two every table is read by (Verdicts), on the same baskets."""

    baskets: int
    test_baskets: int
    valid_baskets: int
    items: int
    k: int
    results: tuple[BasketRow, ...]
    verdict: Gain | None = None
    verdicts: Verdicts = Verdicts()  # what training added and the best graph model, on the test baskets
    notes: tuple[str, ...] = ()  # what to read the figures with (a cut-off reaching the whole catalogue)

    def to_json(self) -> dict[str, Any]:
        return {"baskets": self.baskets, "test_baskets": self.test_baskets, "valid_baskets": self.valid_baskets,
                "items": self.items, "k": self.k, "results": [row.to_json() for row in self.results],
                "verdict": None if self.verdict is None else self.verdict.to_json(),
                "verdicts": self.verdicts.to_json(), "notes": list(self.notes)}


@dataclass(frozen=True)
class DatasetRef:
    """A saved dataset of the workspace the run lives in (`name`), and the file it came from."""

    name: str
    source: str = ""


@dataclass(frozen=True)
class RunInfo:
    """A saved run, the same whichever front end made it: the model fitted on every interaction
    for exploring, and the table of every model scored on one split (validation and test)."""

    dataset: DatasetRef
    model: str
    results: tuple[ResultRow, ...]
    k: int = 10
    seed: int = 0
    device: str = "auto"
    weighting: str = "binary"
    settings: dict[str, Any] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)
    history: tuple[dict[str, Any], ...] = ()
    epochs: int | None = None  # the epoch whose weights were kept (best on validation); trained: main tuning's
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    made_by: str = "dashboard"  # "dashboard" or "cli"
    run_id: str = ""  # set by the workspace when saved
    saved_at: float = 0.0
    verdicts: Verdicts = Verdicts()  # this run's table, intervals over its test users
    seeds: tuple[int, ...] = ()  # where the run was repeated over seeds (`repeat`): each, the run's own first
    over_seeds: Verdicts = Verdicts()  # the same verdicts read over `seeds`, intervals over seeds

    @property
    def main_result(self) -> ResultRow | None:
        """The row of the model as the run uses it: its blend where validation chose one (the
        saved model scores with it), else the model alone; None for a run migrated without a table."""
        own = [r for r in self.results if r.model == self.model]
        return next((r for r in own if r.blend), own[0] if own else None)

    def saved(self, run_id: str, saved_at: float) -> RunInfo:
        return replace(self, run_id=run_id, saved_at=saved_at)

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out |= {"schema": SCHEMA, "dataset": asdict(self.dataset), "results": [r.to_json() for r in self.results],
                "history": list(self.history), "notes": list(self.notes), "verdicts": self.verdicts.to_json(),
                "seeds": list(self.seeds), "over_seeds": self.over_seeds.to_json()}
        return out

    @classmethod
    def from_json(cls, data: Any) -> RunInfo:
        schema = _check_schema(data, "run")
        dataset = data.get("dataset")
        if schema == 1:  # 0.9.0: the dashboard wrote the dataset's name; the CLI its file name and no table
            ref = DatasetRef(str(dataset)) if "results" in data else DatasetRef("", source=str(dataset or ""))
            made_by = "dashboard" if "results" in data else "cli"
        else:
            if not isinstance(dataset, dict) or "name" not in dataset:
                raise RecordError(f"expected the run's dataset as {{name, source}}, found {str(dataset)[:80]}")
            ref, made_by = DatasetRef(str(dataset["name"]), str(dataset.get("source", ""))), str(data.get("made_by"))
        results = data.get("results")
        if results is None:
            results = []
        if not isinstance(results, list):
            raise RecordError(f"expected the run's results as a list, found {type(results).__name__}")
        if not isinstance(data.get("model"), str):
            raise RecordError(f"expected the run's model name, found {data.get('model')!r}")
        return cls(dataset=ref, model=data["model"], results=tuple(ResultRow.from_json(r) for r in results),
                   k=int(data.get("k", 10)), seed=int(data.get("seed", 0)), device=str(data.get("device", "auto")),
                   weighting=str(data.get("weighting", "binary")), settings=dict(data.get("settings") or {}),
                   split=_split_record(data.get("split")), history=tuple(data.get("history") or ()),
                   epochs=data.get("epochs"), notes=tuple(str(n) for n in data.get("notes") or ()),
                   seconds=float(data.get("seconds", data.get("train_seconds", 0.0)) or 0.0), made_by=made_by,
                   run_id=str(data.get("run_id", "")), saved_at=float(data.get("saved_at", 0.0) or 0.0),
                   verdicts=Verdicts.from_json(data.get("verdicts")),
                   seeds=tuple(int(s) for s in data.get("seeds") or ()),
                   over_seeds=Verdicts.from_json(data.get("over_seeds")))


def filter_share_words(filter_seconds: float | None, budget: float | None) -> str:
    """Where the blend's filter searches took half the time budget or more, a clause saying so and
    what frees it ('' otherwise): the searches run inside the budget, so training had the rest."""
    if not filter_seconds or not budget or filter_seconds < budget / 2:
        return ""
    return (f"; the blend's filter searches took {filter_seconds:.0f} s of the {budget:.4g} s budget (gfcf and "
            "rp3beta rows fitted before it share their searches with it)")


# Gain, BudgetCut and Verdicts live in verdict_records.py, the fields' checks in record_fields.py;
# every record is imported from here.
__all__ = ["SCHEMA", "METRIC_NAMES", "METRIC_LABELS", "RecordError", "Tuning", "ResultRow", "Gain", "BudgetCut",
           "Verdicts", "BenchmarkResult", "BasketRow", "BasketEvalResult", "DatasetRef", "RunInfo"]
