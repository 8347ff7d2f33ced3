"""Item features x_i for the feature-aware GCN: what the catalogue says about a product.

- product name: TF-IDF of words and character 3-grams, reduced by truncated SVD (LSA), or with
  `text="llm"` / `text="minilm"` a language model's name vectors (gnnrec_core/matrix/text_encoder.py);
- category: one-hot of the most common categories (others share one column); a label naming several
  with '|' (MovieLens's "Comedy|Romance") is each of them, multi-hot scaled to unit length;
- price: log(1 + price), standardised; a missing price gets the median and a flag.

All columns are scaled to comparable size, so no one block dominates the first GCN layer. The
fitted transform is kept so that a new product (no sales yet) is embedded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion


@dataclass(frozen=True)
class FeatureConfig:
    text_dims: int = 48
    max_categories: int = 50
    seed: int = 0
    text: str = "tfidf"  # or "llm" / "minilm": a language model's name vectors (docs/benchmarks.md compares them)


class ItemFeaturizer:
    def __init__(self, config: FeatureConfig = FeatureConfig()) -> None:
        self.config = config

    def fit(self, catalogue: pd.DataFrame) -> "ItemFeaturizer":
        """catalogue: rows per item with optional columns name, category, price."""
        names = _names(catalogue)
        self.text_ = None
        self.llm_ = False
        if names.str.len().gt(0).any() and self.config.text != "tfidf":
            from .text_encoder import resolve

            self.encoder_ = resolve(self.config.text)
            self.llm_ = self.encoder_ != "tfidf"
        if names.str.len().gt(0).any() and not self.llm_:
            self.text_ = FeatureUnion([
                ("words", TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\b\w\w+\b", min_df=1)),
                ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(3, 3), min_df=2)),
            ])
            tfidf = self.text_.fit_transform(names)
            dims = max(1, min(self.config.text_dims, tfidf.shape[1] - 1, len(names) - 1))
            self.svd_ = TruncatedSVD(dims, random_state=self.config.seed).fit(tfidf)
        categories = _category_parts(catalogue.get("category", pd.Series(dtype=object)).dropna()).explode()
        self.categories_ = list(categories.value_counts().index[: self.config.max_categories])
        prices = np.log1p(pd.to_numeric(catalogue.get("price", pd.Series(dtype=float)), errors="coerce").clip(lower=0))
        self.has_price_ = bool(prices.notna().any())  # the feature layout depends on the fit only
        self.price_median_ = float(prices.median()) if self.has_price_ else 0.0
        self.price_scale_ = float(prices.std()) if prices.notna().sum() > 1 and prices.std() > 0 else 1.0
        return self

    def transform(self, catalogue: pd.DataFrame) -> np.ndarray:
        """(items, features) float32."""
        blocks = []
        if self.llm_:
            from .text_encoder import encode_texts

            blocks.append(encode_texts(_names(catalogue).tolist(), self.encoder_))
        if self.text_ is not None:
            text = self.svd_.transform(self.text_.transform(_names(catalogue)))
            norms = np.linalg.norm(text, axis=1, keepdims=True)
            blocks.append(text / np.maximum(norms, 1e-12))
        if self.categories_:
            parts = _category_parts(catalogue.get("category", pd.Series(None, index=catalogue.index)))
            onehot = np.zeros((len(catalogue), len(self.categories_) + 1), np.float32)
            position = {c: i for i, c in enumerate(self.categories_)}
            for row, own in enumerate(parts):
                columns = {position.get(c, len(self.categories_)) for c in own}
                onehot[row, list(columns)] = 1.0 / np.sqrt(len(columns))
            blocks.append(onehot)
        if self.has_price_:
            raw = catalogue["price"] if "price" in catalogue else pd.Series(np.nan, index=catalogue.index)
            price = np.log1p(pd.to_numeric(raw, errors="coerce").clip(lower=0))
            missing = price.isna().to_numpy()
            scaled = ((price.fillna(self.price_median_) - self.price_median_) / self.price_scale_).to_numpy()
            blocks.append(np.column_stack([scaled, missing]))
        if not blocks:
            return np.zeros((len(catalogue), 1), np.float32)
        return np.hstack(blocks).astype(np.float32)


def _category_parts(category: pd.Series) -> pd.Series:
    """Each product's categories as a list: 'Comedy|Romance' is two; a missing one is 'nan', as the
    one-hot read it, so it shares the others' column."""
    return category.astype(str).map(lambda label: [p.strip() for p in str(label).split("|") if p.strip()]
                                    or [str(label)])


def _names(catalogue: pd.DataFrame) -> pd.Series:
    if "name" not in catalogue:
        return pd.Series([""] * len(catalogue), index=catalogue.index)
    return catalogue["name"].fillna("").astype(str)


def catalogue_rows(catalogue: pd.DataFrame, items: np.ndarray) -> pd.DataFrame:
    """The catalogue rows of a vocabulary, in its order; a product without a name is named by its code."""
    rows = catalogue.reindex(pd.Index([str(i) for i in items]))
    rows["name"] = rows["name"].fillna(pd.Series(rows.index, index=rows.index)) if "name" in rows else rows.index
    return rows


def fit_featurizer(catalogue: pd.DataFrame, items: np.ndarray,
                   config: FeatureConfig = FeatureConfig()) -> ItemFeaturizer:
    """The featurizer fitted on a vocabulary's catalogue rows; deterministic, so refitting on the
    same rows rebuilds exactly the transform a model was trained with (for new products)."""
    return ItemFeaturizer(config).fit(catalogue_rows(catalogue, items))


def item_features(catalogue: pd.DataFrame, items: np.ndarray, config: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """Features for the items of an Interactions vocabulary, in its order."""
    return fit_featurizer(catalogue, items, config).transform(catalogue_rows(catalogue, items))
