import numpy as np
import pandas as pd
import pytest

from gnnrec_core.errors import ConfigError
from gnnrec_core.serving.merchandising import Merchandising, parse_boosts, rank, resolve

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


def test_a_floor_on_buyers():
    buyers = np.array([1, 5, 3, 2, 9, 4])  # a1 a2 a3 b1 b2 POST
    top = rank(SCORES, 3, None, resolve(Merchandising(min_buyers=3), ITEMS, CATALOGUE, buyers))[0][0]
    assert ITEMS[top].tolist() == ["POST", "a2", "a3"]
    assert not Merchandising(min_buyers=1).active and Merchandising(min_buyers=2).active
    with pytest.raises(ValueError, match="buyers"):
        resolve(Merchandising(min_buyers=3), ITEMS, CATALOGUE)


def test_bad_settings():
    with pytest.raises(ConfigError, match="CATEGORY=FACTOR"):
        parse_boosts(["Lighting"])
    with pytest.raises(ConfigError, match="max_per_category"):
        Merchandising(max_per_category=0)
    with pytest.raises(ConfigError, match="min_buyers"):
        Merchandising(min_buyers=0)
    assert parse_boosts(["Home & Garden=1.5"]) == (("Home & Garden", 1.5),)


def _greedy_reference(candidates, k, categories, cap):
    """The rule in words: walk down the ranking, skip a category once it has `cap` picks; top up
    with the best skipped ones if the walk ends short."""
    taken, counts = [], {}
    for item in candidates:
        category = categories[item]
        if category and counts.get(category, 0) >= cap:
            continue
        counts[category] = counts.get(category, 0) + 1
        taken.append(item)
    taken = taken[:k]
    return taken + [i for i in candidates if i not in taken][: k - len(taken)]


@pytest.mark.parametrize("seed", range(5))
def test_category_cap_matches_the_greedy_walk(seed):
    from gnnrec_core.serving.merchandising import Policy, _capped

    rng = np.random.default_rng(seed)
    n_items, k, cap = 60, 10, int(rng.integers(1, 4))
    categories = rng.choice(["", "a", "b", "c", "d"], size=n_items, p=[0.1, 0.5, 0.2, 0.1, 0.1])
    policy = Policy(np.ones(n_items, bool), np.zeros(n_items, np.float32), categories, cap)
    pool = np.argsort(-rng.random((40, n_items)), axis=1)[:, :25]
    expected = [_greedy_reference(list(row), k, categories, cap) for row in pool]
    assert _capped(pool, k, policy).tolist() == expected


def test_a_rule_that_matches_nothing_says_so_and_matched_rules_say_nothing():
    matched = Merchandising(exclude_items=("a1",), exclude_categories=("A",), boost=(("B", 1.0),), max_per_category=1)
    assert resolve(matched, ITEMS, CATALOGUE).unmatched == {}
    typo = resolve(Merchandising(exclude_categories=("Lightng",), boost=(("A", 1.0), ("Gifts", 2.0)),
                                 exclude_items=("zz9",)), ITEMS, CATALOGUE).unmatched
    assert tuple(typo.values()) == (
        "the category 'Lightng' (never recommend) matches no product of this run (its categories: A, B)",
        "the category 'Gifts' (boost) matches no product of this run (its categories: A, B)",
        "the product 'zz9' (never recommend) is not in this run")
    bare = CATALOGUE.drop(columns="category")
    assert resolve(Merchandising(max_per_category=2), ITEMS, bare).unmatched == {
        "max_per_category": "at most 2 per category caps nothing: no product of this run has a category"}
    # A name repeated is named once; one in another case names the one that matches.
    cased = resolve(Merchandising(boost=(("a", 1.0), ("a", 2.0)), exclude_items=("A1", "b1")), ITEMS, CATALOGUE)
    assert tuple(cased.unmatched.values()) == (
        "the category 'a' (did you mean 'A'?) (boost) matches no product of this run (its categories: A, B)",
        "the product 'A1' (did you mean 'a1'?) (never recommend) is not in this run")
    # Leaving out postage where there is none does nothing, and says so.
    products_only = resolve(Merchandising(exclude_non_products=True), ITEMS[:5], CATALOGUE.iloc[:5]).unmatched
    assert products_only == {"exclude_non_products": "leaving out postage and fees removes nothing: no product of "
                                                     "this run is postage or a fee (reading the data drops them "
                                                     "unless told to keep them)"}
    assert resolve(Merchandising(exclude_non_products=True), ITEMS, CATALOGUE).unmatched == {}


def test_a_label_naming_several_categories_is_in_each():
    """MovieLens's genres ('Comedy|Romance'): 'never recommend Comedy' left the romantic comedies in,
    and said nothing, since films labelled plain 'Comedy' existed."""
    items = np.array(["f1", "f2", "f3", "f4"], dtype=object)
    catalogue = pd.DataFrame({"name": ["Sleepless", "Airplane", "Heat", "Notting"],
                              "category": ["Comedy|Romance", "Comedy", "Action", "Romance"]}, index=items)
    scores = np.array([[4.0, 3.0, 2.0, 1.0]])

    def top(rules, k=4):
        return items[rank(scores, k, None, resolve(rules, items, catalogue))[0][0]].tolist()

    assert top(Merchandising(exclude_categories=("Comedy",)), k=2) == ["f3", "f4"]
    assert top(Merchandising(boost=(("Romance", 10.0),)), k=2) == ["f1", "f4"]
    only_in_pairs = resolve(Merchandising(exclude_categories=("Romance",)), items[:3], catalogue)
    assert "exclude_categories" not in only_in_pairs.unmatched  # Romance is a category, inside a pair


def test_feature_categories_of_a_multi_label_are_each_one_hot():
    from gnnrec_core.matrix.features import FeatureConfig, ItemFeaturizer

    catalogue = pd.DataFrame({"category": ["Comedy|Romance", "Comedy", None, "Drama"]})
    featurizer = ItemFeaturizer(FeatureConfig()).fit(catalogue)
    assert featurizer.categories_ == ["Comedy", "Romance", "Drama"]
    block = featurizer.transform(catalogue)[:, -4:]
    assert np.allclose(block, [[2 ** -0.5, 2 ** -0.5, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])


def test_the_recommendations_page_offers_each_genre_of_a_multi_label_once(tmp_path, monkeypatch):
    """The page offered 'Animation|Children' as a category; the rules match single genres, so
    picking it did nothing ('matches no product')."""
    import subprocess
    import sys

    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    rng = np.random.default_rng(0)
    genres = ["Animation|Children", "Comedy", "Comedy|Romance", "Drama"]
    rows = [(f"u{u}", f"m{m}", 4, genres[m % 4]) for u in range(60) for m in rng.choice(12, 8, replace=False)]
    source = tmp_path / "ratings.csv"
    pd.DataFrame(rows, columns=["userId", "movieId", "rating", "genres"]).to_csv(source, index=False)
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "train", str(source), "--model", "pop",
                           "--compare-with", "pop", "--workspace", str(tmp_path / "ws"), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/recommendations.py").run()
    never = next(m for m in at.multiselect if m.label == "Never recommend these categories")
    assert not at.exception and never.options == ["Animation", "Children", "Comedy", "Drama", "Romance"]
    never.set_value(["Comedy"]).run()
    assert not [c for c in at.caption if "matches no product" in c.value]
