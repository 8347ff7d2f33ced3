import numpy as np
import pandas as pd
import pytest

from gnnrec_core.errors import ConfigError
from gnnrec_core.merchandising import Merchandising, parse_boosts, rank, resolve

ITEMS = np.array(["a1", "a2", "a3", "b1", "b2", "POST"], dtype=object)
CATALOGUE = pd.DataFrame({"name": ["A one", "A two", "A three", "B one", "B two", "POSTAGE"],
                          "category": ["A", "A", "A", "B", "B", None]}, index=ITEMS)
SCORES = np.array([[6.0, 5.0, 4.0, 3.0, 2.0, 10.0]])


def _top(rules, k=3):
    return ITEMS[rank(SCORES, k, None, resolve(rules, ITEMS, CATALOGUE))[0][0]].tolist()


def test_exclusions():
    assert _top(Merchandising()) == ["POST", "a1", "a2"]
    assert _top(Merchandising(exclude_non_products=True)) == ["a1", "a2", "a3"]
    assert _top(Merchandising(exclude_items=("POST", "a1"))) == ["a2", "a3", "b1"]
    assert _top(Merchandising(exclude_categories=("A",), exclude_non_products=True), k=2) == ["b1", "b2"]


def test_category_cap_diversifies():
    assert _top(Merchandising(exclude_non_products=True, max_per_category=1), k=2) == ["a1", "b1"]


def test_boost_and_bury():
    boosted = _top(Merchandising(exclude_non_products=True, boost=(("B", 3.0),)), k=2)
    assert boosted == ["b1", "b2"]
    buried = _top(Merchandising(exclude_non_products=True, boost=(("A", -5.0),)), k=2)
    assert buried == ["b1", "b2"]


def test_bad_settings():
    with pytest.raises(ConfigError, match="CATEGORY=FACTOR"):
        parse_boosts(["Lighting"])
    with pytest.raises(ConfigError, match="max_per_category"):
        Merchandising(max_per_category=0)
    assert parse_boosts(["Home & Garden=1.5"]) == (("Home & Garden", 1.5),)
