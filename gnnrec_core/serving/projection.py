"""2-D maps of item embeddings: PCA at once, UMAP when asked (McInnes et al., 2018), and k-means
clusters to colour by. Cosine geometry throughout, as the models score by cosine similarity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    unit: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return unit


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """(n, 2) principal components of the unit vectors; instant even for 50k items."""
    unit = _unit(vectors)
    if len(unit) < 2:
        raise InputError(f"expected at least 2 items to project, found {len(unit)}")
    centred = unit - unit.mean(0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected: np.ndarray = centred @ components[:2].T
    return projected


def umap_2d(vectors: np.ndarray, n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0) -> np.ndarray:
    """(n, 2) UMAP embedding with the cosine metric. Deterministic for a given seed (single thread)."""
    import umap  # imported here: its numba start-up costs seconds that PCA users should not pay

    unit = _unit(vectors)
    if len(unit) < 4:
        return pca_2d(unit)
    reducer = umap.UMAP(n_neighbors=min(n_neighbors, len(unit) - 1), min_dist=min_dist, metric="cosine",
                        random_state=seed, n_components=2)
    embedding: np.ndarray = reducer.fit_transform(unit)
    return embedding


def map_sample(popularity: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the items a map draws: all of them up to `limit`, else the `limit` most bought
    (ties broken by index), in index order. Above the limit UMAP's time and the browser's memory
    grow past what an interactive page can afford."""
    popularity = np.asarray(popularity)
    if len(popularity) <= limit:
        return np.arange(len(popularity))
    return np.sort(np.argsort(-popularity, kind="stable")[:limit])


def clusters(vectors: np.ndarray, n_clusters: int = 12, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans

    unit = _unit(vectors)
    n_clusters = max(1, min(n_clusters, len(unit)))
    labels: np.ndarray = MiniBatchKMeans(n_clusters, random_state=seed, n_init=3).fit_predict(unit)
    return labels


def cluster_centres(points: pd.DataFrame, cluster_ids: np.ndarray) -> pd.DataFrame:
    """The median (x, y) of each cluster's points, indexed by cluster id: where its words are drawn."""
    centres: pd.DataFrame = points.groupby(cluster_ids)[["x", "y"]].median()
    return centres
