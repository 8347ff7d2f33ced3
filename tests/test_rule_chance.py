"""Rules that could be chance: a rules table lists thousands of pairs out of every pair that could
have reached it, so some clear their own 95% bound by chance. Each rule is tested against every
pair that could have been a rule (Benjamini-Hochberg over that family) and marked where it does
not stand clear."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from gnnrec_core.baskets.significance import benjamini_hochberg, chance_p


def test_q_values_over_a_family_count_the_untested_as_p_one():
    from scipy.stats import false_discovery_control

    p = np.random.default_rng(0).random(300) ** 4
    assert np.allclose(benjamini_hochberg(p), false_discovery_control(p))
    padded = false_discovery_control(np.concatenate([p, np.ones(5_000)]))[:300]
    assert np.allclose(benjamini_hochberg(p, family=5_300), padded)
    assert (benjamini_hochberg(p, family=5_300) >= benjamini_hochberg(p)).all()


def test_the_chance_p_value_is_the_poisson_upper_tail():
    from scipy.stats import poisson

    both, expected = np.array([1, 10, 30, 3]), np.array([0.5, 4.5, 30.0, 9.0])
    assert np.allclose(chance_p(both, expected), poisson.sf(both - 1, expected))


def _independent_log(path, planted: bool):
    """3,000 baskets of 8 of 40 products drawn at random (no association among them), and with
    `planted` the pair P1 + P2 bought together in every tenth basket."""
    rng = np.random.default_rng(7)
    rows = []
    for basket in range(3_000):
        products = [f"F{i}" for i in rng.choice(40, 8, replace=False)]
        if planted and basket % 10 == 0:
            products += ["P1", "P2"]
        rows += [(f"o{basket}", product) for product in products]
    pd.DataFrame(rows, columns=["order", "product"]).to_csv(path, index=False)


@pytest.mark.parametrize("planted", [False, True])
def test_rules_between_independent_products_are_marked_as_chance(tmp_path, planted):
    """780 pairs of independent products: the best of them clear their own 95% bound (lift low above
    1), which the table used to read as associations. Counted against every pair, none stands clear
    of chance; a planted pair does, as typed at the command line."""
    log = tmp_path / "log.csv"
    _independent_log(log, planted)
    out = tmp_path / "rules.json"
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "rules", str(log), "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = json.loads(out.read_text())
    rules = written["rules"]
    planted_rules = [r for r in rules if set(r["antecedents"] + r["consequents"]) == {"P1", "P2"}]
    chance_pairs = [r for r in rules if r not in planted_rules]
    assert chance_pairs and all(r["chance"] and r["chance_q"] > 0.05 for r in chance_pairs)
    assert any(r["lift_low"] > 1 for r in chance_pairs)  # what a rule's own bound alone would have kept
    assert len(planted_rules) == (2 if planted else 0)
    assert all(not r["chance"] and r["chance_q"] < 1e-6 for r in planted_rules)
    assert written["rules_chance"] == len(chance_pairs)
    said = f"{len(chance_pairs):,} of these {len(rules):,} rules could be chance"
    assert said in done.stdout, done.stdout
    printed = [line for line in done.stdout.splitlines() if line.startswith("  ")]
    assert all(line.endswith("could be chance") == ("P1" not in line or "P2" not in line) for line in printed), printed


def test_rules_of_three_products_are_tested_against_every_set_of_their_size():
    from gnnrec_core.baskets.associations import catalogue_stats
    from gnnrec_core.baskets.rules import RuleConfig, mine_rules

    rng = np.random.default_rng(3)
    rows = []
    for basket in range(2_000):
        products = [f"F{i}" for i in rng.choice(30, 6, replace=False)]
        if basket % 8 == 0:
            products += ["P1", "P2", "P3"]
        rows += [(str(basket), product) for product in products]
    events = pd.DataFrame(rows, columns=["basket", "item"])
    for column in ("user", "time", "event", "quantity", "price", "rating"):
        events[column] = None
    stats, items = catalogue_stats(events)
    rules = mine_rules(stats, items, RuleConfig(min_support=0.006, min_confidence=0.1, max_len=3))
    sizes = rules["antecedents"].map(len) + rules["consequents"].map(len)
    products = pd.Series([set(a) | set(c) for a, c in zip(rules["antecedents"], rules["consequents"])])
    planted = products.map(lambda p: p <= {"P1", "P2", "P3"})
    fillers = products.map(lambda p: not p & {"P1", "P2", "P3"})
    assert planted[sizes == 3].any() and fillers[sizes == 3].any()
    assert not rules.loc[planted, "chance"].any()
    assert rules.loc[fillers, "chance"].all()  # drawn at random, in pairs and in threes
