"""Every model behind one interface (see base.py); MODELS maps CLI names to classes."""

from .base import Recommender
from .baselines import EASE, Cooccurrence, ItemKNN, Popularity
from .feature_gcn import FeatureGCN
from .lightgcn import LightGCN

MODELS: dict[str, type[Recommender]] = {
    cls.name: cls for cls in (Popularity, ItemKNN, Cooccurrence, EASE, LightGCN, FeatureGCN)
}

__all__ = ["MODELS", "Recommender", "Popularity", "ItemKNN", "Cooccurrence", "EASE", "LightGCN", "FeatureGCN"]
