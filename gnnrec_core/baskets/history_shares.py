"""What a product's and a pair's share is taken of when a log has no orders at all (ratings,
reviews, check-ins), so that two periods of different lengths compare.

There a customer's lines within a period are their basket there (changes.split_by_time). A longer
period gives longer histories, so the share of customers holding any product grows with the
period's length: a review log uniform in time, split at a third of its span, named 140 products
"falling" at q 1e-96. Each product is therefore tested on its share of the period's
customer-product pairs, and each pair on its share of the product pairs within those histories
(sum over customers of h (h - 1) / 2, h their products in the period): both stay put when every
history grows alike.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def history_totals(histories: sp.csr_matrix) -> tuple[int, int]:
    """(customer-product pairs, product pairs within histories) of one side's binary history matrix."""
    lengths = np.diff(histories.indptr).astype(np.int64)
    return int(lengths.sum()), int((lengths * (lengths - 1) // 2).sum())


HISTORY_SHARE_WORDS = ("With no orders at all, a longer period's histories are longer, so each product is tested on "
                       "its share of the period's customer-product pairs, and each pair on its share of the product "
                       "pairs within those histories, not on the share of customers holding it.")


def share_of(pair_shares: bool) -> str:
    """What a comparison's shares are taken of (`pair_shares`: ChangeReport.pair_shares), in every
    front end's words."""
    return ("share of the period's customer-product pairs (a pair's: of the product pairs within customers' "
            "histories), as the log has no orders" if pair_shares else "share of baskets")


def pair_share_words(pair_shares: bool) -> str:
    """What a pair rises or falls by, as the CLI's and the Compare page's words say it."""
    return ("its share of the product pairs within customers' histories, as the log has no orders" if pair_shares
            else "the share of baskets holding both")


def share_text(share: float) -> str:
    """A share as a percentage that never reads 0.00% for a share above zero (a pair's share of the
    product pairs within histories is often under 0.005%)."""
    return f"{share:.2%}" if share == 0 or share >= 1e-4 else f"{share * 100:.2g}%"
