"""Exports: recommendations and similar items for everyone as CSV, and item embeddings with their
metadata as the two TSV files that the TensorFlow Embedding Projector loads.

Work is batched matrix products (never a Python loop per user). Text cells that a spreadsheet
would run as a formula (=, +, -, @ first) are prefixed with a quote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..models import Recommender
from ..pipeline.benchmark import Dataset
from .merchandising import Policy, rank

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(values: pd.Series) -> pd.Series:
    """Neutralise spreadsheet formulas in a text column (CSV injection)."""
    text = values.astype(str)
    return text.where(~text.str.startswith(FORMULA_START), "'" + text)


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text column passed through safe_text, ready for to_csv."""
    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = safe_text(frame[column].where(frame[column].notna(), ""))
    return frame


def all_recommendations(model: Recommender, dataset: Dataset, k: int = 10, batch: int = 2048,
                        policy: Policy | None = None) -> pd.DataFrame:
    frames = []
    for start in range(0, model.n_users, batch):
        users = np.arange(start, min(start + batch, model.n_users))
        items, scores = rank(model.score(users), k, model.train_[users], policy)
        frames.append(pd.DataFrame({"user": np.repeat(dataset.interactions.users[users], items.shape[1]),
                                    "rank": np.tile(np.arange(1, items.shape[1] + 1), len(users)),
                                    "item_index": items.ravel(), "score": scores.ravel()}))
    return _named(pd.concat(frames, ignore_index=True), dataset)


def all_similar_items(model: Recommender, dataset: Dataset, k: int = 10, batch: int = 2048) -> pd.DataFrame:
    frames = []
    for start in range(0, model.n_items, batch):
        anchors = np.arange(start, min(start + batch, model.n_items))
        items, scores = model.similar_items(anchors, k)
        frames.append(pd.DataFrame({"anchor_item": dataset.interactions.items[np.repeat(anchors, items.shape[1])],
                                    "rank": np.tile(np.arange(1, items.shape[1] + 1), len(anchors)),
                                    "item_index": items.ravel(), "similarity": scores.ravel()}))
    return _named(pd.concat(frames, ignore_index=True), dataset)


def _named(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    index = frame.pop("item_index").to_numpy()
    frame.insert(len(frame.columns) - 1, "item", dataset.interactions.items[index])
    frame.insert(len(frame.columns) - 1, "name", dataset.item_names(index))
    return frame


def export_all(model: Recommender, dataset: Dataset, folder: Path, k: int = 10,
               policy: Policy | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("recommendations.csv", all_recommendations(model, dataset, k, policy=policy)),
                        ("similar_items.csv", all_similar_items(model, dataset, k))):
        neutralised(frame).to_csv(folder / name, index=False)
        written.append(folder / name)
    vectors = model.item_vectors()
    if vectors is not None:
        np.savetxt(folder / "embeddings.tsv", vectors, delimiter="\t", fmt="%.5f")
        catalogue = dataset.ingest.catalogue.reindex([str(i) for i in dataset.interactions.items])
        meta = pd.DataFrame({"item": dataset.interactions.items, "name": dataset.item_names(np.arange(model.n_items)),
                             "category": catalogue["category"].fillna("").values,
                             "interactions": np.diff(model.train_.tocsc().indptr)})
        # The projector reads a header row when there are several columns; tabs and newlines would
        # break its rows, so they are replaced.
        meta = meta.astype(str).replace({r"[\t\r\n]": " "}, regex=True)
        meta.to_csv(folder / "metadata.tsv", sep="\t", index=False)
        written += [folder / "embeddings.tsv", folder / "metadata.tsv"]
    return written
