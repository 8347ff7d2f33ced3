"""Resource limits: read from the environment at the moment of use, refused in words when malformed."""

import numpy as np
import pytest
import scipy.sparse as sp

from gnnrec_core.errors import ConfigError
from gnnrec_core.limits import Limits, limits
from gnnrec_core.models.baselines import EASE
from gnnrec_core.projection import map_sample


def test_defaults_and_overrides(monkeypatch):
    assert limits() == Limits()
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "7")
    assert limits().dense_items == 7
    with pytest.raises(ConfigError, match=r"GNNREC_MAX_DENSE_ITEMS: expected a whole number, found 'lots'"):
        monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "lots")
        limits()


def test_ease_takes_its_item_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "5")
    train = sp.random(20, 6, density=0.5, format="csr", random_state=0)
    with pytest.raises(ConfigError, match=r"at most 5 items .* found 6.*GNNREC_MAX_DENSE_ITEMS"):
        EASE(l2=10.0).fit(train)


def test_map_samples_the_most_bought_above_the_limit():
    buyers = np.array([5, 1, 9, 9, 0, 3])
    assert map_sample(buyers, 10).tolist() == [0, 1, 2, 3, 4, 5]
    assert map_sample(buyers, 3).tolist() == [0, 2, 3]  # the three most bought, in index order
