"""Exports: recommendations and similar items for everyone as CSV, and item embeddings with their
metadata as the two TSV files that the TensorFlow Embedding Projector loads.

Each recommendation names the customer's purchase it links to, by the rule the Recommendations
page's path follows for a known customer (`purchase_links.linked_purchases`; the page names none
where the row's largest part is not a purchase's): `link` is the model's number for that pair and
`link_measure` says what it is. A customer's list leaves out what they bought and what they returned.

Work is batched matrix products (never a Python loop per user). Every file goes through
`safe_text.csv_bytes`, the one writer that neutralises spreadsheet formulas (=, +, -, @, tab or CR
first get a leading quote), the metadata TSV included.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..baskets.evidence import THIN
from ..file_output import replace_file
from ..fit.metrics import users_per_batch
from ..models import Recommender
from ..pipeline.benchmark import Dataset
from ..progress import Progress, report_or_cancel
from .explore import item_buyers, similar_ranked
from .merchandising import Policy, rank
from .purchase_links import linked_purchases
from .safe_text import FORMULA_START, neutralised, write_csv

__all__ = ["FORMULA_START", "all_recommendations", "all_similar_items", "export_all", "neutralised"]


class _Pace:
    """Export progress through the one protocol: which file, how many rows done, and the ETA from
    the pace so far (batches are alike, so the rate holds)."""

    def __init__(self, progress: Progress | None, step: str, total: int) -> None:
        self.progress, self.step, self.total, self.started = progress, step, total, time.perf_counter()

    def __call__(self, done: int) -> None:
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (self.total - done) if done else 0.0
        report_or_cancel(self.progress, {"stage": "export", "step": self.step, "done": done, "total": self.total,
                                         "eta_seconds": round(eta, 1)})


def all_recommendations(model: Recommender, dataset: Dataset, k: int = 10, batch: int | None = None,
                        policy: Policy | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """Top-k for every customer; a row is never a bought, excluded or unscorable product (a
    customer with fewer than k left gets fewer rows). Batches fit the scoring memory budget."""
    batch = batch or users_per_batch(model.n_items)
    frames = []
    pace = _Pace(progress, "recommendations", model.n_users)
    for start in range(0, model.n_users, batch):
        users = np.arange(start, min(start + batch, model.n_users))
        history = model.train_[users]
        items, scores = rank(model.score(users), k, dataset.not_to_offer(users, history), policy)  # bought, returned
        links = linked_purchases(model, history, items)
        frames.append(_rows("user", dataset.interactions.users[users], items, scores, "score",
                            {"linked": links.purchase, "link": links.weight, "measure": links.measure}))
        pace(int(users[-1]) + 1)
    frame = pd.concat(frames, ignore_index=True)
    linked, link, measure = (frame.pop(name).to_numpy() for name in ("linked", "link", "measure"))
    return _with_links(_named(frame, dataset, model), linked, link, measure, dataset)


def _with_links(frame: pd.DataFrame, index: np.ndarray, link: np.ndarray, measure: np.ndarray,
                dataset: Dataset) -> pd.DataFrame:
    """The linked purchase by code and name beside each row, and what its number measures."""
    found = index >= 0
    codes = np.full(len(frame), "", dtype=object)
    names = np.full(len(frame), "", dtype=object)
    codes[found] = dataset.interactions.items[index[found]]
    names[found] = dataset.item_names(index[found])
    frame["linked_purchase"], frame["linked_purchase_name"] = codes, names
    frame["link"] = np.round(link.astype(np.float64), 4)
    frame["link_measure"] = measure
    return frame


def all_similar_items(model: Recommender, dataset: Dataset, k: int = 10, batch: int | None = None,
                      progress: Progress | None = None, min_buyers: int = 1) -> pd.DataFrame:
    """Each product's k most similar among those with at least `min_buyers` buyers (never itself),
    as `similar` lists them."""
    batch = batch or users_per_batch(model.n_items)
    frames = []
    pace = _Pace(progress, "similar items", model.n_items)
    for start in range(0, model.n_items, batch):
        anchors = np.arange(start, min(start + batch, model.n_items))
        items, scores = similar_ranked(model, anchors, k, min_buyers)
        frames.append(_rows("anchor_item", dataset.interactions.items[anchors], items, scores, "similarity"))
        pace(int(anchors[-1]) + 1)
    frame = pd.concat(frames, ignore_index=True)
    names = pd.Series(dataset.item_names(np.arange(model.n_items)), index=dataset.interactions.items)
    frame.insert(1, "anchor_name", frame["anchor_item"].map(names).to_numpy())  # a sheet of codes named only half
    # The anchor's own evidence: a product of one buyer listed its neighbours at 0.92 with no word
    # (`similar` warns below THIN buyers; the sheet marks the rows as `anchor_thin`)
    buyers = pd.Series(item_buyers(model), index=dataset.interactions.items)
    frame.insert(2, "anchor_buyers", frame["anchor_item"].map(buyers).to_numpy())
    frame.insert(3, "anchor_thin", frame["anchor_buyers"] < THIN)
    return _named(frame, dataset, model)


def _rows(key: str, keys: np.ndarray, items: np.ndarray, scores: np.ndarray, score_name: str,
          beside: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per ranked (key, item), finite scores only: -inf marks an excluded product. `beside`:
    more columns shaped as `items`."""
    ranks = np.tile(np.arange(1, items.shape[1] + 1), len(keys))
    frame = pd.DataFrame({key: np.repeat(keys, items.shape[1]), "rank": ranks, "item_index": items.ravel(),
                          score_name: scores.ravel(), **{name: v.ravel() for name, v in (beside or {}).items()}})
    return frame[np.isfinite(frame[score_name].to_numpy(dtype=float))]


def _named(frame: pd.DataFrame, dataset: Dataset, model: Recommender) -> pd.DataFrame:
    """Each row's product by code and name, and its buyers in the model's data (how much evidence)."""
    index = frame.pop("item_index").to_numpy()
    frame.insert(len(frame.columns) - 1, "item", dataset.interactions.items[index])
    frame.insert(len(frame.columns) - 1, "name", dataset.item_names(index))
    frame.insert(len(frame.columns) - 1, "buyers", item_buyers(model)[index])
    return frame


EXPORT_FILES = ("recommendations.csv", "similar_items.csv", "embeddings.tsv", "metadata.tsv")  # what export_all writes


def export_all(model: Recommender, dataset: Dataset, folder: Path, k: int = 10,
               policy: Policy | None = None, progress: Progress | None = None,
               similar_min_buyers: int = 1) -> list[Path]:
    """recommendations.csv (the policy applied), similar_items.csv (products with at least
    `similar_min_buyers` buyers), and the embeddings with their metadata where the model has them."""
    folder.mkdir(parents=True, exist_ok=True)
    recommendations, similar, embeddings, metadata = (folder / name for name in EXPORT_FILES)
    written = [write_csv(all_recommendations(model, dataset, k, policy=policy, progress=progress), recommendations)]
    written.append(write_csv(all_similar_items(model, dataset, k, progress=progress, min_buyers=similar_min_buyers),
                             similar))
    vectors = model.item_vectors()
    if vectors is not None:
        replace_file(embeddings, lambda tmp: np.savetxt(tmp, vectors, delimiter="\t", fmt="%.5f"))
        catalogue = dataset.ingest.catalogue.reindex([str(i) for i in dataset.interactions.items])
        meta = pd.DataFrame({"item": dataset.interactions.items, "name": dataset.item_names(np.arange(model.n_items)),
                             "category": catalogue["category"].fillna("").values,
                             "interactions": np.diff(model.train_.tocsc().indptr)})
        # The projector reads a header row when there are several columns; the writer keeps each row one line.
        written += [embeddings, write_csv(meta, metadata, sep="\t")]
    return written
