"""2-D maps of item embeddings: PCA at once, UMAP when asked (McInnes et al., 2018), and k-means
regions of the drawn map to colour and name. Cosine geometry throughout, as the models score by cosine similarity.
"""

from __future__ import annotations

import warnings

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
    with warnings.catch_warnings():  # a seed makes UMAP single-threaded, as meant; its warning says only that
        warnings.filterwarnings("ignore", message="n_jobs value 1 overridden", category=UserWarning)
        embedding: np.ndarray = reducer.fit_transform(unit)
    global _umap_warm
    _umap_warm = True
    return embedding


def map_sample(popularity: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the items a map draws: all of them up to `limit`, else the `limit` most bought
    (ties broken by index), in index order. Above the limit UMAP's time and the browser's memory
    grow past what an interactive page can afford."""
    popularity = np.asarray(popularity)
    if len(popularity) <= limit:
        return np.arange(len(popularity))
    return np.sort(np.argsort(-popularity, kind="stable")[:limit])


def map_points(buyers: np.ndarray, limit: int, min_buyers: int = 0) -> np.ndarray:
    """Indices of the items a map draws: those with at least `min_buyers` buyers (an embedding
    learned from two buyers puts its product anywhere), then the `limit` most bought of them, in
    index order."""
    buyers = np.asarray(buyers)
    enough = np.flatnonzero(buyers >= min_buyers)
    picked: np.ndarray = enough[map_sample(buyers[enough], limit)]
    return picked


MIN_LAID_OUT = 20  # below this many well-evidenced products, the layout takes every product


def laid_out_points(buyers: np.ndarray, limit: int, min_buyers: int) -> np.ndarray:
    """The items a map's layout is computed on: map_points(buyers, limit, min_buyers), or every
    item's where fewer than MIN_LAID_OUT reach `min_buyers`. Products below it are drawn, when asked
    for, beside these (`placed_beside`), so the layout and its regions stay as they were."""
    well = map_points(buyers, limit, min_buyers)
    return well if len(well) >= MIN_LAID_OUT else map_points(buyers, limit, 0)


def placed_beside(vectors: np.ndarray, laid: np.ndarray, xy: np.ndarray, k: int = 5, seed: int = 0) -> np.ndarray:
    """(n, 2) places for all `vectors`: the rows `laid` (positions) at their layout `xy`; every other
    row at the mean place of its k most similar laid-out rows (cosine), moved by a seeded jitter of
    1% of the layout's span so that products sharing neighbours do not stack. Drawing the thin
    products used to compute the layout again with them: the well-bought products squashed into
    the middle and the regions changed names; now they stay, and a thin product sits among the
    products its few baskets make it most like."""
    unit = _unit(vectors)
    laid = np.asarray(laid, np.int64)
    places = np.zeros((len(unit), 2), np.float64)
    places[laid] = xy
    rest = np.setdiff1d(np.arange(len(unit)), laid)
    if len(rest) == 0:
        return places
    k = max(1, min(k, len(laid)))
    base = unit[laid]
    for start in range(0, len(rest), 2048):  # 2,048 x 50,000 similarities a block: 400 MB at most
        block = rest[start:start + 2048]
        similar = unit[block] @ base.T
        nearest = np.argpartition(-similar, k - 1, axis=1)[:, :k]
        places[block] = np.asarray(xy, np.float64)[nearest].mean(axis=1)
    span = np.ptp(np.asarray(xy, np.float64), axis=0) if len(laid) > 1 else np.ones(2)
    places[rest] += np.random.default_rng(seed).normal(0.0, 0.01, (len(rest), 2)) * np.maximum(span, 1e-9)
    return places


UMAP_START_SECONDS = 15.0  # numba compiles UMAP's kernels on its first call in a process
UMAP_SECONDS_PER_POINT = 1e-3  # docs/scaling.md: 50,000 products in 50 s on 2 cores, once compiled
_umap_warm = False


def umap_seconds(n_points: int) -> float:
    """About how long UMAP of n points takes here: said on the page before it starts."""
    return (0.0 if _umap_warm else UMAP_START_SECONDS) + UMAP_SECONDS_PER_POINT * n_points


def place_labels(centres: pd.DataFrame, texts: pd.Series, size: tuple[int, int] = (1100, 600),
                 font_px: int = 12, bounds: tuple[float, float, float, float] | None = None,
                 obstacles: list[tuple[float, float, float, float]] | None = None) -> pd.DataFrame:
    """Where cluster words go on a map of `size` pixels (x, y, text rows), none overlapping another.

    centres: x, y per cluster (data units), most important first. Each label is tried at its
    centre, then nudged up, down, left and right by growing steps; one that finds no free place
    within three label heights is left out (its cluster keeps its legend entry). Boxes are
    estimated from the text's length at ~0.6 em a character. `bounds` (x0, x1, y0, y1): the plot's
    axis ranges, which `size` pixels show and every label must stay inside; else the centres' span.
    `obstacles`: boxes (x0, x1, y0, y1, data units) no label may cover, such as a graph's nodes.
    A column "other_dy" in `centres` gives each label one other place instead of the nudges (a
    graph's name goes above its node or below it: nudged beside another node, it named that one)."""
    frame = centres.assign(text=texts.reindex(centres.index).fillna("").to_numpy())
    frame = frame[frame["text"].str.len() > 0]
    if frame.empty:
        return pd.DataFrame(columns=["x", "y", "text"])
    if bounds is None:
        span_x = max(float(centres["x"].max() - centres["x"].min()), 1e-9)
        span_y = max(float(centres["y"].max() - centres["y"].min()), 1e-9)
        inside = (-np.inf, np.inf, -np.inf, np.inf)
    else:
        span_x, span_y, inside = bounds[1] - bounds[0], bounds[3] - bounds[2], bounds
    per_px_x, per_px_y = span_x / size[0], span_y / size[1]
    height = (font_px + 8) * per_px_y
    placed: list[tuple[float, float, float, float]] = list(obstacles or [])  # x0, x1, y0, y1
    rows = []
    for row in frame.itertuples():
        half_w = (0.6 * font_px * len(row.text) + 8) * per_px_x / 2
        steps = [(0.0, 0.0), (0.0, float(row.other_dy))] if "other_dy" in frame else _nudges(half_w * 2, height)
        for dx, dy in steps:
            box = (row.x + dx - half_w, row.x + dx + half_w, row.y + dy - height / 2, row.y + dy + height / 2)
            if box[0] < inside[0] or box[1] > inside[1] or box[2] < inside[2] or box[3] > inside[3]:
                continue
            if not any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in placed):
                placed.append(box)
                rows.append({"x": row.x + dx, "y": row.y + dy, "text": row.text})
                break
    return pd.DataFrame(rows, columns=["x", "y", "text"])


def _nudges(width: float, height: float) -> list[tuple[float, float]]:
    steps = [(0.0, 0.0)]
    for scale in (1.0, 2.0, 3.0):
        steps += [(0.0, scale * height), (0.0, -scale * height), (-scale * width / 2, 0.0), (scale * width / 2, 0.0)]
    return steps


REGION_POINTS = 10  # the fewest well-evidenced points a map region is drawn for


def map_regions(xy: np.ndarray, well: np.ndarray, n_regions: int = 12, seed: int = 0) -> np.ndarray:
    """A region id per point of a drawn map: k-means on the map's own coordinates, fitted on the
    well-evidenced points (`well`) and given to every point. The product map colours and names these:
    k-means clusters of the embedding itself landed scattered over a 2-D projection, each colour
    everywhere and its words at a middle where none of its products were (a new user's reading)."""
    from sklearn.cluster import KMeans

    xy = np.asarray(xy, np.float64)
    fit_on = xy[well] if int(np.sum(well)) >= n_regions else xy
    # At least REGION_POINTS points a region: a long tail's 20 drawn products made 12 colours, most of
    # one product each, groups the data does not have
    n_regions = max(1, min(n_regions, len(fit_on) // REGION_POINTS))
    model = KMeans(n_regions, random_state=seed, n_init=3).fit(fit_on)
    regions: np.ndarray = model.predict(xy)
    return regions


def cluster_centres(points: pd.DataFrame, cluster_ids: np.ndarray) -> pd.DataFrame:
    """The median (x, y) of each cluster's points, indexed by cluster id: where its words are drawn."""
    centres: pd.DataFrame = points.groupby(cluster_ids)[["x", "y"]].median()
    return centres
