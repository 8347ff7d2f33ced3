"""The one list of models: CLI choices, page selectors, pipelines and docs tables derive from it.

A spec names where its class lives, so listing models, labelling them or checking a name never
imports torch; the class is imported on first use (`MODELS[name]`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..records import RunInfo
    from .base import Recommender


@dataclass(frozen=True)
class ModelSpec:
    name: str  # CLI and file name
    label: str  # shown on pages and in reports
    kind: str  # "gnn" (trained), "filter" (graph convolution in closed form) or "baseline"
    path: str  # "module:Class" inside gnnrec_core.models
    needs_features: bool = False  # item features from the catalogue (text, category, price)

    @property
    def is_gnn(self) -> bool:
        return self.kind == "gnn"

    @property
    def is_filter(self) -> bool:
        return self.kind == "filter"

    def load(self) -> type[Recommender]:
        module, _, cls = self.path.partition(":")
        model_class: type[Recommender] = getattr(importlib.import_module(f"gnnrec_core.models.{module}"), cls)
        return model_class


SPECS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("pop", "Popularity", "baseline", "baselines:Popularity"),
    ModelSpec("itemknn", "Item-kNN", "baseline", "baselines:ItemKNN"),
    ModelSpec("cooc", "Co-occurrence (lift/Jaccard)", "baseline", "baselines:Cooccurrence"),
    ModelSpec("ease", "EASE", "baseline", "ease:EASE"),
    ModelSpec("gfcf", "Graph filter (GF-CF, no training)", "filter", "gfcf:GFCF"),
    ModelSpec("bspm", "Blur-sharpen filter (BSPM, no training)", "filter", "bspm:BSPM"),
    ModelSpec("turbocf", "Polynomial filter (Turbo-CF, no training)", "filter", "turbocf:TurboCF"),
    ModelSpec("rp3beta", "Random-walk filter (RP3beta, no training)", "filter", "rp3beta:RP3beta"),
    ModelSpec("lightgcn", "LightGCN", "gnn", "lightgcn:LightGCN"),
    ModelSpec("gcn", "Feature-aware GCN", "gnn", "feature_gcn:FeatureGCN", needs_features=True),
)}
DEFAULT_MODEL = "lightgcn"
GNN_MODELS = tuple(name for name, spec in SPECS.items() if spec.is_gnn)
BASELINES = tuple(name for name, spec in SPECS.items() if not spec.is_gnn)
LABELS = {name: spec.label for name, spec in SPECS.items()}
# A GNN's blend parts (models/embedding.py): its closed-form filter, GF-CF ("filter", the key blends
# had before RP3beta could take the place) or RP3beta, and the popularity prior.
PART_LABELS = {"filter": "graph filter", "rp3beta": "random-walk filter", "popularity": "popularity"}
FILTER_PARTS = ("filter", "rp3beta")
BLEND_FILTERS = ("gfcf", "rp3beta")  # the filter models a GNN's blend takes its part from, by validation


def filter_part(blend: Mapping[str, float] | None) -> tuple[str, float]:
    """The blend's filter part and its weight: ("filter", 4.0); ("filter", 0.0) where it has none."""
    return next(((part, weight) for part, weight in (blend or {}).items() if part in FILTER_PARTS and weight > 0),
                ("filter", 0.0))


def row_label(model: str, blend: Mapping[str, float] | None = None, weights: bool = True) -> str:
    """A table row's name: the model's label alone, or labelled with the parts it is blended with
    and their weights ("LightGCN + graph filter x4 + popularity x0.1"; without `weights`, the parts
    alone, as two runs' blends are matched)."""
    return " + ".join([LABELS.get(model, model), *blend_parts(blend, weights)])


def served_label(info: RunInfo) -> str:
    """A run's model as the run serves it: its row label, with the blend's parts where validation chose
    one ("LightGCN + graph filter x2"; "LightGCN" beside the blend's score read as the GNN's own)."""
    main = info.main_result
    return row_label(info.model, main.blend if main is not None else None)


# What a blend row's "x4" means, where blends are listed (the CLI's table, the Train page's).
BLEND_WEIGHTS_WORDS = ("Blend weights: the GNN's scores and each part's are standardised per customer, then added, "
                       "the GNN's with weight 1 and each part's with its own (x4 would count four times as much as "
                       "the GNN's, x0.5 half as much); the "
                       "weights are chosen on validation.")


def blend_parts(blend: Mapping[str, float] | None, weights: bool = True) -> list[str]:
    """Each part a blend uses with its weight: ["graph filter x4", "popularity x0.1"]."""
    return [PART_LABELS.get(part, part) + (f" x{weight:g}" if weights else "")
            for part, weight in (blend or {}).items() if weight > 0]


class _Classes(Mapping):
    """name -> model class, imported on first access."""

    def __getitem__(self, name: str) -> type[Recommender]:
        return SPECS[name].load()

    def __contains__(self, name: object) -> bool:  # Mapping's default would import the class
        return name in SPECS

    def __iter__(self) -> Iterator[str]:
        return iter(SPECS)

    def __len__(self) -> int:
        return len(SPECS)

    def get(self, name: str,  # type: ignore[override]
            default: type[Recommender] | None = None) -> type[Recommender] | None:
        return SPECS[name].load() if name in SPECS else default


MODELS: Mapping[str, type[Recommender]] = _Classes()
