"""A seeded generator of order-line logs with the shape of real retail data, for scale benchmarks
and for trying the tool without data of one's own.

Shape, and why each part is there:
- item popularity is a power law (Zipf exponent `popularity_exponent`): a few best sellers and a
  long tail, as in every retail log; it is what makes popularity a strong baseline;
- user activity is a power law too: most customers order once, a few order often;
- items belong to categories of unequal size, and each customer has a favourite category; an
  order's lines come from that category with probability `affinity`, else from the whole
  catalogue. That taste is the structure a recommender can learn beyond popularity;
- orders hold several lines (1 + Poisson), so baskets and association rules have something to find.

Everything is vectorised numpy: 5M lines take seconds. The same config and seed give the same log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..file_output import replace_file, writable_file

COLUMNS = ("order_id", "customer_id", "product_id", "product_name", "category", "price", "quantity", "timestamp")


@dataclass(frozen=True)
class SyntheticConfig:
    interactions: int = 100_000  # order lines
    users: int = 200_000
    items: int = 50_000
    categories: int = 200
    basket_mean: float = 3.0  # lines per order
    popularity_exponent: float = 0.7  # top item ~1% of lines at 50k items
    activity_exponent: float = 0.6  # most of 200k customers appear at 1M lines
    affinity: float = 0.7  # share of an order drawn from the customer's favourite category
    days: int = 365
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("interactions", "users", "items", "categories", "days"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected an integer >= 1, found {getattr(self, name)}")
        for name in ("basket_mean", "popularity_exponent", "activity_exponent", "affinity"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{name}: expected a finite number, found {getattr(self, name)}")
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"seed: expected a seed from 0 to {2**32 - 1}, found {self.seed}")
        if self.basket_mean < 1:
            raise ConfigError(f"basket_mean: expected a number >= 1, found {self.basket_mean}")
        if not 0 <= self.affinity <= 1:
            raise ConfigError(f"affinity: expected a share between 0 and 1, found {self.affinity}")


def _power_law(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Weights 1/rank^exponent over a random permutation of n things, summing to one."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    weights = weights[rng.permutation(n)]
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def generate(config: SyntheticConfig = SyntheticConfig()) -> pd.DataFrame:
    """One row per order line, columns COLUMNS."""
    rng = np.random.default_rng(config.seed)
    n_items, n_categories = config.items, min(config.categories, config.items)

    # Categories of unequal size; items sorted by category so each category is one slice.
    category_share = _power_law(n_categories, 0.8, rng)
    item_category = np.sort(rng.choice(n_categories, size=n_items, p=category_share))
    item_category[:n_categories] = np.arange(n_categories)  # every category holds at least one item
    item_category.sort()
    popularity = _power_law(n_items, config.popularity_exponent, rng)
    cumulative = np.cumsum(popularity)
    starts = np.searchsorted(item_category, np.arange(n_categories), side="left")
    ends = np.searchsorted(item_category, np.arange(n_categories), side="right")
    low = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    high = cumulative[ends - 1]
    category_popularity = high - low

    # Orders: who placed them, when, and their home category.
    n_orders = max(1, int(round(config.interactions / config.basket_mean)))
    activity = _power_law(config.users, config.activity_exponent, rng)
    favourite = rng.choice(n_categories, size=config.users, p=category_popularity / category_popularity.sum())
    order_user = rng.choice(config.users, size=n_orders, p=activity)
    sizes = 1 + rng.poisson(config.basket_mean - 1, size=n_orders)
    sizes = _fit_total(sizes, config.interactions, rng)
    line_order = np.repeat(np.arange(n_orders), sizes)
    n_lines = len(line_order)

    # Each line: from the home category with probability `affinity` (popularity within it), else
    # from the whole catalogue by popularity. Inverse-CDF sampling on one cumulative array.
    home = favourite[order_user][line_order]
    in_home = rng.random(n_lines) < config.affinity
    u = rng.random(n_lines)
    target = np.where(in_home, low[home] + u * category_popularity[home], u * cumulative[-1])
    item = np.minimum(np.searchsorted(cumulative, target, side="right"), n_items - 1)

    price = np.round(np.exp(rng.normal(1.5, 0.8, size=n_items)), 2)
    order_time = pd.Timestamp("2025-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, config.days * 86400, size=n_orders)), unit="s")
    return pd.DataFrame({
        "order_id": (100000 + line_order).astype(np.int64),
        "customer_id": (10000 + order_user[line_order]).astype(np.int64),
        "product_id": [f"P{i:06d}" for i in item],
        "product_name": [f"Product {i} of category {c}" for i, c in zip(item, item_category[item])],
        "category": [f"Category {c:03d}" for c in item_category[item]],
        "price": price[item],
        "quantity": 1 + rng.geometric(0.6, size=n_lines) - 1,
        "timestamp": order_time[line_order],
    }, columns=list(COLUMNS))


def _fit_total(sizes: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Adjust order sizes (each >= 1) so they sum to `total` lines exactly."""
    sizes = sizes.copy()
    gap = total - int(sizes.sum())
    if gap > 0:
        np.add.at(sizes, rng.integers(0, len(sizes), size=gap), 1)
    while gap < 0:
        shrinkable = np.flatnonzero(sizes > 1)
        if len(shrinkable) == 0:
            break
        take = rng.choice(shrinkable, size=min(-gap, len(shrinkable)), replace=False)
        sizes[take] -= 1
        gap += len(take)
    return sizes


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gnnrec_core.data.synthetic", description=__doc__.splitlines()[0])
    for name, value in SyntheticConfig().__dict__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--out", required=True, help="CSV path (.csv.gz compresses)")
    args = vars(parser.parse_args(argv))
    out = args.pop("out")
    try:  # the path first: a refusal in seconds, and never a file the user keeps (a saved run's record)
        target = writable_file(out, "--out")
        frame = generate(SyntheticConfig(**args))
        replace_file(target, lambda tmp: frame.to_csv(tmp, index=False))
    except (ConfigError, InputError) as error:
        parser.exit(2, f"error: {error}\n")
    except OSError as error:  # a full disk while writing: the old file, if any, is left whole
        parser.exit(2, f"error: --out: expected a writable file at '{out}', found: {error.strerror or error}\n")
    print(f"wrote {len(frame):,} order lines to {out}: {frame['product_id'].nunique():,} products bought by "
          f"{frame['customer_id'].nunique():,} customers")


if __name__ == "__main__":
    main()
