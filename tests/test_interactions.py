import numpy as np
import pandas as pd
import pytest

from gnnrec_core.errors import ConfigError, InputError
from gnnrec_core.matrix.interactions import InteractionConfig, SplitConfig, build_interactions, carve_validation, split


def _events(pairs, times=None, quantity=None):
    frame = pd.DataFrame(pairs, columns=["user", "item"])
    frame["basket"] = None
    frame["time"] = pd.to_datetime(times if times is not None else [None] * len(frame))
    frame["event"] = None
    frame["quantity"] = quantity if quantity is not None else np.nan
    frame["price"] = np.nan
    frame["rating"] = np.nan
    return frame


def test_vocabularies_round_trip_and_duplicates_merge():
    data = build_interactions(_events([("u2", "b"), ("u1", "a"), ("u2", "b"), ("u1", "c")], quantity=[1, 2, 3, 4]),
                              InteractionConfig(weighting="quantity"))
    assert list(data.users) == ["u1", "u2"] and list(data.items) == ["a", "b", "c"]
    pairs = {(data.users[u], data.items[i]): w for u, i, w in zip(data.user_index, data.item_index, data.weight)}
    assert pairs == {("u1", "a"): 2, ("u1", "c"): 4, ("u2", "b"): 4}  # u2/b: quantity 1 + 3


def test_k_core_filter():
    pairs = [(f"u{u}", f"i{i}") for u in range(3) for i in range(3)] + [("lonely", "i0"), ("u0", "rare")]
    data = build_interactions(_events(pairs), InteractionConfig(min_user_interactions=2, min_item_interactions=2))
    assert "lonely" not in set(data.users) and "rare" not in set(data.items)
    assert len(data) == 9


def test_random_split_is_per_user_stratified_and_disjoint():
    pairs = [(f"u{u}", f"i{i}") for u in range(30) for i in range(u % 7 + 2)]
    data = build_interactions(_events(pairs))
    s = split(data, SplitConfig(test_size=0.25, min_user_interactions=5, seed=3))
    assert s.train.multiply(s.test).nnz == 0
    assert s.train.nnz + s.test.nnz == len(data)
    counts = np.bincount(data.user_index)
    held = np.diff(s.test.indptr)
    expected = np.where(counts >= 5, np.round(counts * 0.25), 0)
    assert (held == expected).all()
    again = split(data, SplitConfig(test_size=0.25, min_user_interactions=5, seed=3))
    assert (again.test != s.test).nnz == 0  # same seed, same split


def test_time_and_last_splits_hold_out_the_latest():
    pairs = [("a", f"i{i}") for i in range(6)] + [("b", f"i{i}") for i in range(6)]
    times = [f"2020-01-0{i + 1}" for i in range(6)] * 2
    data = build_interactions(_events(pairs, times))
    last = split(data, SplitConfig(method="last", min_user_interactions=2))
    assert [data.items[i] for i in last.test.indices] == ["i5", "i5"]
    cut = split(data, SplitConfig(method="time", test_size=0.34, min_user_interactions=2))
    assert sorted(data.items[i] for i in cut.test.indices) == ["i4", "i4", "i5", "i5"]


def test_validation_is_carved_from_train_only():
    pairs = [(f"u{u}", f"i{i}") for u in range(10) for i in range(10)]
    s = split(build_interactions(_events(pairs)))
    part, valid = carve_validation(s.train, 0.2)
    assert part.nnz + valid.nnz == s.train.nnz
    assert valid.multiply(s.test).nnz == 0 and part.multiply(valid).nnz == 0


def test_bad_settings_and_thin_data():
    with pytest.raises(ConfigError, match="test_size"):
        SplitConfig(test_size=1.5)
    with pytest.raises(ConfigError, match="weighting"):
        InteractionConfig(weighting="clicks")
    tiny = build_interactions(_events([("a", "x"), ("b", "y")]))
    with pytest.raises(InputError, match="at least 5 interactions"):
        split(tiny)
    with pytest.raises(InputError, match="timestamps"):
        split(tiny, SplitConfig(method="time"))
