"""Whether a pair goes together more or less than before, beyond its products' own sales.

A pair's share of baskets rises when either product sells more: the cake tins' pairs "rose" with the
tins, and the hot water bottles' pairs "fell" with winter while their lift doubled. So each pair tested
also gets a test of its association: on each side, the 2x2 table of buyers (holding both in one basket,
one of them only, neither), its log odds ratio with half a buyer added to each cell (Haldane), the
variance the sum of the cells' inverses; Woolf's test of the two odds ratios (Woolf, "On estimating
the relation between blood group and disease", Ann. Hum. Genet. 1955) gives z = difference / sqrt(sum
of the variances) and a two-sided normal p; Benjamini-Hochberg over the pairs tested. A pair's
association is "stronger" or "weaker" where its q-value is at most the threshold, else left blank.

Counts are of buyers, as the share tests' (a customer's repeat orders are one buyer). A buyer of both
products in different baskets counts for each product alone; the neither-cell is clipped at 0."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .buyers import buyer_total
from .significance import benjamini_hochberg

ASSOCIATION_READ = ("'stronger' or 'weaker': the pair goes together more or less than before beyond each "
                    "product's own sales (Woolf's test of its odds ratios over buyers, q-value at most the threshold "
                    "above)")


def _log_odds(pair: np.ndarray, first: np.ndarray, second: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    cells = [pair, np.maximum(first - pair, 0), np.maximum(second - pair, 0),
             np.maximum(total - first - second + pair, 0)]
    both, first_only, second_only, neither = (cell.astype(np.float64) + 0.5 for cell in cells)
    return np.log(both * neither / (first_only * second_only)), sum(1.0 / cell for cell in
                                                                  (both, first_only, second_only, neither))


def with_association_change(pairs: pd.DataFrame, items: np.ndarray, item_buyers: tuple[np.ndarray, np.ndarray],
                            buyers_of: Callable[[str], np.ndarray], threshold: float) -> pd.DataFrame:
    """`pairs` (changes._pair_table's: a, b, buyers_a, buyers_b) with `association` and
    `association_q`; `item_buyers`: each side's buyers of every product of `items`; `buyers_of`: a
    side's ("a", "b") basket -> buyer codes (SplitBaskets.buyers_of)."""
    if pairs.empty:
        return pairs.assign(association=pd.Series(dtype=object), association_q=pd.Series(dtype=np.float64))
    where = pd.Index(items)
    first, second = where.get_indexer(pairs["a"]), where.get_indexer(pairs["b"])
    (log_a, var_a), (log_b, var_b) = (
        _log_odds(pairs[f"buyers_{side}"].to_numpy(), counts[first], counts[second], buyer_total(buyers_of(side)))
        for side, counts in zip("ab", item_buyers))
    z = (log_b - log_a) / np.sqrt(var_a + var_b)
    q = benjamini_hochberg(2 * ndtr(-np.abs(z)))
    changed = np.where(z > 0, "stronger", "weaker")
    return pairs.assign(association=np.where(q <= threshold, changed, ""), association_q=q)
