"""Interactions: raw IDs <-> contiguous integers, interaction weights, and train/valid/test splits.

Every (user, item) pair appears once, with a weight and its last time. Splits return sparse
user x item matrices; the test matrix is for the final table only, never for choosing epochs or
hyperparameters (that is what `carve_validation` is for).

Weights reach training: a train matrix holds each pair's strength, log2(1 + weight), so one unit
(binary weighting, one purchase, a weight-1 event) is 1 and a pair bought 1,000 times is about
10, not 1,000. Test relevance is always binary: a held-out pair counts once however strong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError, InputError

WEIGHTINGS = ("binary", "count", "quantity", "rating")
SPLITS = ("random", "time", "last")
# Validation users a choice is scored on (a seeded sample above this): the filters' searches and the
# GNNs' search and early stopping alike, so a choice costs the same at any size.
MAX_VALID_USERS = 5_000
# Each split method in words: the Train form and every results caption say the same.
SPLIT_WORDS = {"random": "per-customer random holdout", "time": "global time cut", "last": "leave last out"}
DEFAULT_EVENT_WEIGHTS = (("view", 1.0), ("addtocart", 3.0), ("cart", 3.0), ("transaction", 5.0),
                         ("purchase", 5.0), ("order", 5.0))


@dataclass(frozen=True)
class InteractionConfig:
    weighting: str = "binary"
    event_weights: tuple[tuple[str, float], ...] = DEFAULT_EVENT_WEIGHTS
    half_life_days: float | None = None  # time decay of weights; None keeps old events at full weight
    min_user_interactions: int = 1  # k-core: repeat until every user and item has at least this many
    min_item_interactions: int = 1

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"weighting: expected one of {', '.join(WEIGHTINGS)}, found '{self.weighting}'")
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ConfigError(f"half_life_days: expected a positive number, found {self.half_life_days}")
        if self.min_user_interactions < 1 or self.min_item_interactions < 1:
            raise ConfigError("min_user_interactions / min_item_interactions: expected >= 1")


@dataclass(frozen=True)
class SplitConfig:
    method: str = "random"
    test_size: float = 0.25
    min_user_interactions: int = 5  # users with fewer interactions stay whole in train
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in SPLITS:
            raise ConfigError(f"split method: expected one of {', '.join(SPLITS)}, found '{self.method}'")
        if not 0 < self.test_size < 1:
            raise ConfigError(f"test_size: expected a fraction between 0 and 1, found {self.test_size}")


@dataclass
class Interactions:
    """One row per distinct (user, item) pair. users/items hold raw IDs by contiguous index."""

    users: np.ndarray
    items: np.ndarray
    user_index: np.ndarray
    item_index: np.ndarray
    weight: np.ndarray
    time: np.ndarray  # int64 seconds since epoch of the pair's last event; -1 when unknown
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_index)

    def matrix(self, mask: np.ndarray | None = None, binary: bool = False) -> sp.csr_matrix:
        """User x item CSR of the selected pairs: each pair's strength, or ones when binary."""
        rows, cols, w = self.user_index, self.item_index, self.weight
        if mask is not None:
            rows, cols, w = rows[mask], cols[mask], w[mask]
        data = np.ones(len(rows), np.float32) if binary else strength(w)
        return sp.csr_matrix((data, (rows, cols)), shape=(self.n_users, self.n_items))

    def item_lookup(self) -> dict[str, int]:
        return {str(item): i for i, item in enumerate(self.items)}

    def user_lookup(self) -> dict[str, int]:
        return {str(user): i for i, user in enumerate(self.users)}


def available_weightings(events: pd.DataFrame) -> list[str]:
    """binary, then each weighting that would differ from it on these events."""
    found = ["binary"]
    if events["quantity"].notna().any() and (events["quantity"].dropna() != 1).any():
        found.append("quantity")
    if events["rating"].notna().any():
        found.append("rating")
    if events.duplicated(["user", "item"]).any():
        found.append("count")
    return found


def strength(weight: np.ndarray) -> np.ndarray:
    """log2(1 + weight): 1 for a unit weight, growing slowly; float32 for the models."""
    return np.log2(1.0 + np.maximum(np.asarray(weight, np.float64), 0.0)).astype(np.float32)


def build_interactions(events: pd.DataFrame, config: InteractionConfig = InteractionConfig()) -> Interactions:
    """Events (canonical columns from ingest) -> Interactions. Rows without a user are skipped."""
    rows = events[events["user"].notna()]
    if rows.empty:
        raise InputError("expected events with a user column to build the user-item graph, found none "
                         "(basket-only data supports association rules and `basket-eval`, not per-customer "
                         "training; or treat each basket as a customer: map the basket column as the customer "
                         "too, the Data page's user role or --user-col BASKET_COLUMN)")
    weight = _row_weights(rows, config)
    seconds = rows["time"].astype("int64") // 10**9 if "time" in rows else pd.Series(-1, index=rows.index)
    seconds = seconds.where(rows["time"].notna(), -1) if "time" in rows else seconds
    table = pd.DataFrame({"user": rows["user"].astype(str).values, "item": rows["item"].astype(str).values,
                          "weight": weight, "time": seconds.values})
    pairs = table.groupby(["user", "item"], sort=False).agg(weight=("weight", "sum"), time=("time", "max"),
                                                            events=("weight", "size")).reset_index()
    before = len(pairs)
    pairs = _k_core(pairs, config.min_user_interactions, config.min_item_interactions)
    if pairs.empty:
        raise InputError(f"expected interactions left after the k-core filter (users >= "
                         f"{config.min_user_interactions}, items >= {config.min_item_interactions}), found none")
    user_codes, users = pd.factorize(pairs["user"], sort=True)
    item_codes, items = pd.factorize(pairs["item"], sort=True)
    if config.weighting == "binary":
        pairs["weight"] = 1.0
    return Interactions(
        users=np.asarray(users, dtype=object), items=np.asarray(items, dtype=object),
        user_index=user_codes.astype(np.int64), item_index=item_codes.astype(np.int64),
        weight=pairs["weight"].to_numpy(np.float32), time=pairs["time"].to_numpy(np.int64),
        info={"pairs_before_k_core": before, "pairs": len(pairs), "weighting": config.weighting})


def _row_weights(rows: pd.DataFrame, config: InteractionConfig) -> np.ndarray:
    weight = np.ones(len(rows), np.float64)
    if config.weighting == "quantity":
        weight = rows["quantity"].fillna(1).clip(lower=0).to_numpy(np.float64)
    elif config.weighting == "rating":
        if not rows["rating"].notna().any():  # every weight NaN: every model ranked alike, and a run was saved
            raise ConfigError("weighting: expected a rating column for weighting 'rating', found none mapped "
                              "(map one: the Data page's rating role, or --rating-col NAME)")
        weight = rows["rating"].fillna(rows["rating"].median()).to_numpy(np.float64)
    if rows["event"].notna().any():
        table = {k.lower(): v for k, v in config.event_weights}
        weight = weight * rows["event"].astype(str).str.lower().map(table).fillna(1.0).to_numpy()
    if config.half_life_days and rows["time"].notna().any():
        age_days = (rows["time"].max() - rows["time"]).dt.total_seconds().fillna(0).to_numpy() / 86400
        weight = weight * np.power(0.5, age_days / config.half_life_days)
    return weight


def _k_core(pairs: pd.DataFrame, min_user: int, min_item: int) -> pd.DataFrame:
    while min_user > 1 or min_item > 1:
        user_ok = pairs.groupby("user")["item"].transform("size") >= min_user
        item_ok = pairs.groupby("item")["user"].transform("size") >= min_item
        keep = user_ok & item_ok
        if keep.all():
            break
        pairs = pairs[keep]
    return pairs


@dataclass
class Split:
    train: sp.csr_matrix
    test: sp.csr_matrix
    config: SplitConfig
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.config.method, "test_size": self.config.test_size, "seed": self.config.seed,
                "train_interactions": int(self.train.nnz), "test_interactions": int(self.test.nnz),
                "test_users": int((np.diff(self.test.indptr) > 0).sum()), **self.info}


def check_trainable(data: Interactions) -> Interactions:
    """A recommender needs at least two users and two items; say so before any work starts."""
    if data.n_users < 2:
        raise InputError(f"expected at least 2 users with interactions to train a recommender, found "
                         f"{data.n_users}; association rules work on baskets alone (`rules`, the Associations page)")
    if data.n_items < 2:
        raise InputError(f"expected at least 2 items to train a recommender, found {data.n_items}")
    return data


def split(data: Interactions, config: SplitConfig = SplitConfig()) -> Split:
    """Hold out test interactions by the configured method."""
    check_trainable(data)
    rng = np.random.default_rng(config.seed)
    if config.method == "random":
        in_test = _per_user_holdout(data.user_index, rng.random(len(data)), config)
    elif config.method == "last":
        in_test = _per_user_last(data, rng, config)
    else:
        in_test = _time_cut(data, config)
    test = data.matrix(in_test, binary=True)  # relevance: a held-out pair counts once
    train = data.matrix(~in_test)
    # Users with no training history cannot be ranked for; their test rows are left out and counted.
    cold = (np.diff(train.indptr) == 0) & (np.diff(test.indptr) > 0)
    if cold.any():
        test = sp.diags((~cold).astype(np.float32)) @ test
        test.eliminate_zeros()
    if test.nnz == 0:
        raise InputError(f"expected some users with at least {config.min_user_interactions} interactions "
                         f"to hold out a test set (fewer stay whole in train), found none among {data.n_users:,} "
                         "users; add data, or give a test set of your own (--test HELDOUT, or the Train page's "
                         "'Your own test set')")
    info = {"test_users_without_history": int(cold.sum())}
    if config.method != "time":  # the per-customer splits test no customer with fewer interactions than this
        few = np.bincount(data.user_index, minlength=data.n_users) < config.min_user_interactions
        info |= {"users_kept_whole": int(few.sum()), "min_user_interactions": config.min_user_interactions}
    return Split(train.tocsr(), test.tocsr(), config, info)


def _no_test_hint(info: dict) -> str:
    """What to do when no held-out pair is left to score: every pair already in the data (a test file
    cut from the same log) asks for another file, not other IDs."""
    if info["skipped_in_train"] == info["heldout_pairs"]:
        return ("every held-out pair is in the dataset already, which trains on all its rows: give a test file "
                "of pairs the dataset does not hold (e.g. remove them from the dataset first)")
    return "check both files use the same IDs"


def given_split(data: Interactions, heldout: pd.DataFrame) -> Split:
    """The user's own split: every interaction of `data` trains, `heldout` (events with the canonical
    user and item columns, as ingest returns them) is the test set, binary. Held-out rows whose user
    or item train never saw cannot be ranked: they are counted and skipped, as are pairs already in
    train (masked from every ranking, they could never be hit). The counts go in the split's record."""
    check_trainable(data)
    if "user" not in heldout or heldout["user"].isna().all():  # a basket list, or no customer column mapped
        raise InputError("expected a held-out file with a customer column (the test set's customer-product pairs), "
                         "found none; a basket list has no customers to score")
    rows = heldout[heldout["user"].notna() & heldout["item"].notna()]
    pairs = pd.DataFrame({"user": rows["user"].astype(str).to_numpy(), "item": rows["item"].astype(str).to_numpy()})
    pairs = pairs.drop_duplicates()
    users = pd.Index([str(u) for u in data.users]).get_indexer(pairs["user"])
    items = pd.Index([str(i) for i in data.items]).get_indexer(pairs["item"])
    unknown_user, unknown_item = users < 0, items < 0
    known = ~unknown_user & ~unknown_item
    train = data.matrix()
    test = sp.csr_matrix((np.ones(int(known.sum()), np.float32), (users[known], items[known])), shape=train.shape)
    in_train = test.multiply(train > 0)
    test = (test - in_train).tocsr()
    test.eliminate_zeros()
    info = {"method": "given", "test_size": None, "seed": None,
            "heldout_pairs": int(len(pairs)), "skipped_unknown_users": int(unknown_user.sum()),
            "skipped_unknown_items": int((unknown_item & ~unknown_user).sum()),
            "skipped_in_train": int(in_train.nnz), "test_users_without_history": 0}
    if test.nnz == 0:
        raise InputError(f"expected held-out pairs of users and items that train knows, found none of "
                         f"{len(pairs):,} ({info['skipped_unknown_users']:,} with an unknown user, "
                         f"{info['skipped_unknown_items']:,} with an unknown item, {info['skipped_in_train']:,} "
                         f"already in train); {_no_test_hint(info)}")
    return Split(train, test, SplitConfig(), info)


def _per_user_holdout(user_index: np.ndarray, keys: np.ndarray, config: SplitConfig) -> np.ndarray:
    """Per user, the test_size share with the smallest keys goes to test (stratified by user)."""
    order = np.lexsort((keys, user_index))
    sorted_users = user_index[order]
    starts = np.searchsorted(sorted_users, sorted_users, side="left")
    rank = np.arange(len(order)) - starts
    counts = np.bincount(user_index)
    n_test = np.where(counts >= config.min_user_interactions, np.round(counts * config.test_size), 0)
    in_test = np.zeros(len(user_index), bool)
    in_test[order] = rank < n_test[sorted_users]
    return in_test


def _per_user_last(data: Interactions, rng: np.random.Generator, config: SplitConfig) -> np.ndarray:
    if (data.time < 0).all():
        raise InputError("expected timestamps for a leave-last-out split, found none; use the random split")
    keys = -(data.time.astype(np.float64)) + rng.random(len(data)) * 1e-3  # latest first, ties random
    order = np.lexsort((keys, data.user_index))
    first = np.r_[True, data.user_index[order][1:] != data.user_index[order][:-1]]
    counts = np.bincount(data.user_index)
    in_test = np.zeros(len(data), bool)
    in_test[order[first]] = counts[data.user_index[order[first]]] >= config.min_user_interactions
    return in_test


def _time_cut(data: Interactions, config: SplitConfig) -> np.ndarray:
    known = data.time >= 0
    if not known.any():
        raise InputError("expected timestamps for a time split, found none; use the random split")
    cut = np.quantile(data.time[known], 1 - config.test_size)
    in_test: np.ndarray = known & (data.time > cut)
    return in_test


def carve_validation(train: sp.csr_matrix, fraction: float = 0.1, seed: int = 0,
                     min_user_interactions: int = 5) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold a per-user share of train out for early stopping: returns (train_part, valid)."""
    coo = train.tocoo()
    keys = np.random.default_rng(seed + 7919).random(coo.nnz)
    config = SplitConfig(test_size=fraction, min_user_interactions=min_user_interactions)
    in_valid = _per_user_holdout(coo.row.astype(np.int64), keys, config)
    def make(m: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((coo.data[m], (coo.row[m], coo.col[m])), shape=train.shape)
    return make(~in_valid), make(in_valid)


def validation_sample(valid: sp.csr_matrix, seed: int, most: int | None = None) -> sp.csr_matrix:
    """`valid` with its rows for at most `most` users (default MAX_VALID_USERS) with validation
    items, a seeded sample above that; the other rows emptied, so indices stay the train matrix's.
    Every model draws it the same way, so their validation figures at one seed are on the same users."""
    most = MAX_VALID_USERS if most is None else most
    valid = sp.csr_matrix(valid)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) <= most:
        return valid
    keep = np.zeros(valid.shape[0], np.float32)
    keep[np.random.default_rng(seed).choice(users, most, replace=False)] = 1.0
    sampled = sp.csr_matrix(sp.diags(keep) @ valid)
    sampled.eliminate_zeros()
    return sampled
