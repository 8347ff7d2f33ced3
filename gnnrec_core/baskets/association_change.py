"""Whether a pair goes together more or less than before, beyond its products' own sales.

A pair's share of baskets rises when either product sells more: the cake tins' pairs "rose" with the
tins, and the hot water bottles' pairs "fell" with winter while their lift doubled. So each pair tested
also gets a test of its association, on the unit its lift counts: on each side, the 2x2 table of
baskets (holding both, one of them only, neither), its log odds ratio with half a basket added to each
cell (Haldane), the variance the sum of the cells' inverses; Woolf's test of the two odds ratios
(Woolf, "On estimating the relation between blood group and disease", Ann. Hum. Genet. 1955) gives
z = difference / sqrt(sum of the variances) and a two-sided normal p; Benjamini-Hochberg over the
pairs tested. A pair's association is "stronger" or "weaker" where its q-value is at most the
threshold, else left blank.

A customer's repeat orders are not independent evidence (the share tests count buyers for that), so
each side's cells are divided by its baskets per buyer (Kish's design effect) before the variance is
read: the odds ratio is the baskets', the evidence the buyers'. Counting buyers in the cells instead
(those holding both in one basket) was wrong: a buyer of both in different baskets counted for each
alone, so a side of more baskets per customer read every pair "weaker" (347 of 601 independent pairs,
one order a customer against three).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .buyers import buyer_total
from .significance import benjamini_hochberg

if TYPE_CHECKING:
    from .changes import SplitBaskets

ASSOCIATION_READ = ("'stronger' or 'weaker': the pair goes together more or less than before beyond each "
                    "product's own sales (Woolf's test of its odds ratios over baskets, each side's "
                    "evidence counted in buyers; q-value at most the threshold above)")


def _log_odds(pair: np.ndarray, first: np.ndarray, second: np.ndarray, total: int,
              per_buyer: float) -> tuple[np.ndarray, np.ndarray]:
    cells = [pair, first - pair, second - pair, total - first - second + pair]  # a partition of the baskets
    both, first_only, second_only, neither = (np.maximum(cell, 0) / per_buyer + 0.5 for cell in cells)
    return np.log(both * neither / (first_only * second_only)), sum(1.0 / cell for cell in
                                                                  (both, first_only, second_only, neither))


def with_association_change(pairs: pd.DataFrame, split: SplitBaskets, item_baskets: tuple[np.ndarray, np.ndarray],
                            threshold: float) -> pd.DataFrame:
    """`pairs` (changes._pair_table's: a, b, baskets_a, baskets_b) with `association` and
    `association_q`; `item_baskets`: each side's baskets holding every product of `split.items`."""
    if pairs.empty:
        return pairs.assign(association=pd.Series(dtype=object), association_q=pd.Series(dtype=np.float64))
    where = pd.Index(split.items)
    first, second = where.get_indexer(pairs["a"]), where.get_indexer(pairs["b"])
    sides = []
    for side, counts in zip("ab", item_baskets):
        total = getattr(split, side).shape[0]
        per_buyer = total / max(buyer_total(split.buyers_of(side)), 1)
        sides.append(_log_odds(pairs[f"baskets_{side}"].to_numpy(np.float64), counts[first].astype(np.float64),
                               counts[second].astype(np.float64), total, max(per_buyer, 1.0)))
    (log_a, var_a), (log_b, var_b) = sides
    z = (log_b - log_a) / np.sqrt(var_a + var_b)
    q = benjamini_hochberg(2 * ndtr(-np.abs(z)))
    changed = np.where(z > 0, "stronger", "weaker")
    return pairs.assign(association=np.where(q <= threshold, changed, ""), association_q=q)
