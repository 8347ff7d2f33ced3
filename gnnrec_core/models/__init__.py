"""Every model behind one interface (base.py); the registry (registry.py) names them.

Importing this package loads no model code: `MODELS[name]` imports the class on first use, and
the class names below resolve lazily, so listing models never pays for torch.
"""

from .base import Recommender
from .registry import BASELINES, DEFAULT_MODEL, GNN_MODELS, LABELS, MODELS, SPECS, ModelSpec

_CLASSES = {"Popularity": "pop", "ItemKNN": "itemknn", "Cooccurrence": "cooc", "EASE": "ease",
            "LightGCN": "lightgcn", "FeatureGCN": "gcn"}


def __getattr__(name: str):
    if name in _CLASSES:
        return MODELS[_CLASSES[name]]
    raise AttributeError(f"module 'gnnrec_core.models' has no attribute '{name}'")


__all__ = ["MODELS", "SPECS", "LABELS", "GNN_MODELS", "BASELINES", "DEFAULT_MODEL", "ModelSpec", "Recommender",
           *_CLASSES]
