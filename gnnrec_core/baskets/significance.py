"""The tests behind "what changed" and "could be chance": Fisher's exact test on many 2x2 tables at
once, a pair's count against chance (Poisson), and Benjamini-Hochberg q-values over a family of
tests (Benjamini & Hochberg, JRSS B 1995), of which only some need be computed."""

from __future__ import annotations

import numpy as np


def fisher_two_sided(x_b: np.ndarray, total: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """Fisher's exact test per 2x2 table, vectorised: `total` baskets hold the thing, x_b of them
    on side b; under no change x_b ~ Hypergeometric(n_a + n_b, total, n_b). Two-sided by doubling
    the smaller tail. Tables sharing a total share one distribution: each is computed once, its
    whole probability mass from log-gammas, and every table reads its tails from the running sums
    (scipy's hypergeom.cdf and .sf took 77 s for the 847,585 pairs of a year of Online Retail
    baskets; docs/benchmarks.md, "What changed between periods")."""
    from scipy.special import gammaln

    x_b, total = np.asarray(x_b, np.int64), np.asarray(total, np.int64)
    p_values = np.ones(len(x_b))
    totals, group = np.unique(total, return_inverse=True)
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(len(totals) + 1))
    for index, held in enumerate(totals):
        members = order[starts[index]:starts[index + 1]]
        low, high = max(0, int(held) - n_a), min(int(held), n_b)  # x_b's support
        x = np.arange(low, high + 1)
        log_mass = (-gammaln(x + 1) - gammaln(held - x + 1) - gammaln(n_b - x + 1)
                    - gammaln(n_a - held + x + 1))  # x's share, up to a factor common to the support
        mass = np.exp(log_mass - log_mass.max())
        mass /= mass.sum()
        at = x_b[members] - low
        below = np.cumsum(mass)[at]  # P(X <= x)
        above = np.cumsum(mass[::-1])[::-1][at]  # P(X >= x)
        p_values[members] = 2 * np.minimum(below, above)
    clipped: np.ndarray = np.clip(p_values, 0.0, 1.0)
    return clipped


def benjamini_hochberg(p: np.ndarray, family: int | None = None) -> np.ndarray:
    """q-values: the smallest false discovery rate at which each test would be a discovery. `family`
    counts every test of the family (default: those given); the tests not given count as p = 1, the
    most any of them could be, so the q-values are never below what all the p-values would give
    (a rules table computes p only for the pairs that reached it, out of every pair that could have)."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p) if family is None else max(int(family), len(p))
    if not len(p):
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, len(p) + 1)
    q = np.empty_like(p)
    q[order] = np.minimum.accumulate(scaled[::-1])[::-1]  # step-up: the least over every later rank
    clipped: np.ndarray = np.clip(q, 0.0, 1.0)
    return clipped


def chance_p(both: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(a count of at least `both` | chance), the count under chance Poisson with mean `expected`
    (evidence.lift_low's model): one-sided, as only "more often than chance" is an association."""
    from scipy.special import gammainc  # P(X >= k) = P(k, lambda), the regularised lower gamma, for k >= 1

    both = np.asarray(both, np.float64)
    expected = np.asarray(expected, np.float64)
    p: np.ndarray = np.where(both >= 1, gammainc(np.maximum(both, 1.0), np.maximum(expected, 1e-300)), 1.0)
    return p
