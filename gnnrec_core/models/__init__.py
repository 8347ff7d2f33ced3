"""Every model behind one interface (base.py); the registry (registry.py) names them.

Importing this package loads no model code: `MODELS[name]` imports the class on first use, and
the class names below (Recommender too) resolve lazily, so listing models, as `--help` does, pays
for neither torch nor numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import BASELINES, DEFAULT_MODEL, GNN_MODELS, LABELS, MODELS, SPECS, ModelSpec

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers only
    from .base import Recommender as Recommender
    from .baselines import Cooccurrence as Cooccurrence
    from .baselines import ItemKNN as ItemKNN
    from .baselines import Popularity as Popularity
    from .ease import EASE as EASE
    from .feature_gcn import FeatureGCN as FeatureGCN
    from .gfcf import GFCF as GFCF
    from .lightgcn import LightGCN as LightGCN

_CLASSES = {"Popularity": "pop", "ItemKNN": "itemknn", "Cooccurrence": "cooc", "EASE": "ease", "GFCF": "gfcf",
            "LightGCN": "lightgcn", "FeatureGCN": "gcn"}


def __getattr__(name: str) -> type[Recommender]:
    if name == "Recommender":
        from .base import Recommender

        return Recommender
    if name in _CLASSES:
        return MODELS[_CLASSES[name]]
    raise AttributeError(f"module 'gnnrec_core.models' has no attribute '{name}'")


__all__ = ["MODELS", "SPECS", "LABELS", "GNN_MODELS", "BASELINES", "DEFAULT_MODEL", "ModelSpec", "Recommender",
           *_CLASSES]
