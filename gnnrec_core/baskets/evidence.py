"""How much evidence stands behind an association, and the shrunk figures lists rank by.

Lift on a handful of baskets ranks noise first: two rare products bought together twice show a
lift of several hundred. Every association therefore carries its count of baskets and two shrunk
figures, and every list (bought together, rules, pairs) ranks by the shrunk lift:

- confidence_low: the Wilson score lower bound of confidence c_AB / c_A, one-sided 95%
  (Wilson, JASA 1927);
- lift_low: the 5% quantile of lift's posterior when the shared count is Poisson with mean
  lift * E (E = c_A c_B / N, the count expected by chance) and lift has a Gamma(alpha, alpha) prior
  centred on 1 (no association): posterior Gamma(c_AB + alpha, E + alpha). This is DuMouchel's
  EB05 ("Bayesian data mining in large frequency tables", The American Statistician 1999) with one
  gamma component. Two baskets give at most about 0.8 whatever the raw lift; ten at lift 10 give
  3.1, fifty at lift 10 give 6.6: lift shrunk toward 1 by the evidence, then read from below.
  A product's partner list reads each bound at LEVEL / its candidates (Bonferroni), so the bounds
  hold for all of them at once: the best of a best seller's thousand chance partners cleared 1.

A rules table lists thousands of pairs out of every pair that could have reached it, so some clear
their own bound by chance (on a sparse grocery log most rules at lift 2-2.5 were such). Each rule
therefore carries `chance_q`, the Benjamini-Hochberg q-value of its count against chance (Poisson,
the model above) over every pair of products that could have been a rule, and `chance` where that
exceeds FDR: the rules not so marked hold with at most 5% of them chance.

Where customers place several orders, the evidence is their customers, not their baskets: a
customer's twenty orders of one pair are one customer's habit. The bound (and the chance test) read
the shared count and its expectation scaled to the distinct customers behind it, the lift kept, and
"thin" counts customers (`customers=`; a basket list's baskets are each their own customer).

THIN: fewer than 10 shared baskets (or buyers) behind a figure marks it thin: a count of 10 has a
relative standard error of about 30%. `min_evidence(total)` is the default minimum of a list,
scaled with the data: 0.2% of the baskets (or customers), at least 2, at most THIN.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.log_words import PURCHASES, LogWords

THIN = 10  # shared baskets or buyers below which a figure is marked thin
FDR = 0.05  # a rule "could be chance" where its q-value is above this false discovery rate
LEVEL = 0.05  # one-sided: the lower figures are 95% lower bounds
# What a product's partner list says of its lift bounds (BasketStats.partners), on every page that lists them
PARTNER_BOUND_WORDS = ("a partner's lift low holds for all the product's candidate partners at once, so the best "
                       "of many bought with it by chance is not read as an association")
Z = 1.6448536269514722  # the standard normal's 95% quantile, for Wilson's bound
PRIOR = 1.0  # alpha: the gamma prior's weight, in expected baskets; its mean lift is 1
SCALE = 0.002  # the default minimum is this share of the baskets (or customers)


def min_evidence(total: int) -> int:
    """Default minimum shared baskets (buyers) of a list over `total` baskets (customers):
    0.2% of them, at least 2, at most THIN."""
    return int(min(THIN, max(2, math.ceil(SCALE * max(int(total), 0)))))


def wilson_low(successes: np.ndarray, trials: np.ndarray, z: float = Z) -> np.ndarray:
    """Wilson score lower bound of successes / trials (0 where there are no trials)."""
    x = np.asarray(successes, np.float64)
    n = np.asarray(trials, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = (centre - spread) / (1 + z * z / n)
    result: np.ndarray = np.where(n > 0, np.clip(low, 0.0, 1.0), 0.0)
    return result


def _effective(both: np.ndarray, expected: np.ndarray, customers: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The shared count and its chance expectation as evidence: with `customers` (the distinct customers
    behind each shared count), both scaled to them, the lift kept: one customer's twenty orders of a
    pair are one customer's habit (lift 859 "95% low 13.8" from a single shopper topped a list)."""
    both = np.asarray(both, np.float64)
    if customers is None:
        return both, expected
    scale = np.where(both > 0, np.asarray(customers, np.float64) / np.maximum(both, 1.0), 1.0)
    return both * scale, expected * scale


def lift_low(both: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n_baskets: int,
             prior: float = PRIOR, level: float = LEVEL, customers: np.ndarray | None = None) -> np.ndarray:
    """The `level` quantile of lift's gamma posterior (see the module docstring): a lower bound
    of lift, shrunk toward 1 by the number of shared baskets (by their customers, where given)."""
    from scipy.special import gammaincinv  # on first use: scipy.special adds 0.2 s to every light command

    expected = np.asarray(count_a, np.float64) * np.asarray(count_b, np.float64) / max(int(n_baskets), 1)
    seen, chance = _effective(both, expected, customers)
    low: np.ndarray = gammaincinv(seen + prior, level) / (chance + prior)
    # Never above the lift itself: shrunk toward 1, a pair below chance (never together: lift 0) read
    # "lift 0.00, 95% low 0.05", a lower bound above the figure it bounds
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(expected > 0, np.asarray(both, np.float64) / expected, np.inf)
    bounded: np.ndarray = np.minimum(low, raw)
    return bounded


def thin(count: np.ndarray) -> np.ndarray:
    """True where fewer than THIN baskets (buyers) stand behind a figure."""
    marked: np.ndarray = np.asarray(count) < THIN
    return marked


def evidence_columns(both: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n_baskets: int,
                     level: float = LEVEL, customers: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """For pairs (A -> B): count (baskets), customers (distinct, where given; else the count),
    support, confidence, its Wilson lower bound, lift, its shrunk lower bound (at `level`, on the
    customers' evidence) and the thin mark (fewer than THIN customers), as arrays (one per pair)."""
    both = np.asarray(both, np.float64)
    a, b = np.asarray(count_a, np.float64), np.asarray(count_b, np.float64)
    n = max(int(n_baskets), 1)
    behind = both if customers is None else np.asarray(customers, np.float64)
    return {
        "count": both.astype(np.int64), "customers": behind.astype(np.int64), "support": both / n,
        "confidence": both / np.maximum(a, 1), "confidence_low": wilson_low(both, a),
        "lift": both * n / np.maximum(a * b, 1), "lift_low": lift_low(both, a, b, n, level=level, customers=customers),
        "thin": thin(behind),
    }


def thin_anchor_words(buyers: int, words: LogWords = PURCHASES) -> str:
    """Said beside a product's similar list when the product itself has fewer than THIN buyers: what
    the model knows of it comes from so few customers that its neighbours are a guess, however high
    their similarity reads. Empty where it has enough."""
    if buyers >= THIN:
        return ""
    return (f"this product has {buyers:,} {words.buyer}{'' if buyers == 1 else 's'} (fewer than {THIN}): what the "
            "model knows of it, and so this list, rests on too few customers to trust, however high the "
            "similarities read")


def chance_columns(both: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n_baskets: int, keys: np.ndarray,
                   family: int, customers: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per rule: `chance_q`, the Benjamini-Hochberg q-value of its shared count against chance over
    `family` tests (every rule that could have been found; those not found count as p = 1), and
    `chance`, True where that is above FDR. Rules with one key (A -> B and B -> A) are one test."""
    from .significance import benjamini_hochberg, chance_p

    expected = np.asarray(count_a, np.float64) * np.asarray(count_b, np.float64) / max(int(n_baskets), 1)
    p = chance_p(*_effective(both, expected, customers))
    if not len(p):
        return {"chance_q": p, "chance": np.zeros(0, bool)}
    _, first, inverse = np.unique(np.asarray(keys), return_index=True, return_inverse=True)
    q = benjamini_hochberg(p[first], family)[inverse.ravel()]
    return {"chance_q": q, "chance": q > FDR}
