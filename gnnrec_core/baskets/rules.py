"""Association rules from baskets (Agrawal & Srikant, VLDB 1994; FP-growth: Han et al., SIGMOD 2000).

Pair rules A -> B come straight from one sparse product C = X^T X of the binary basket x item
matrix: c_AB baskets hold both, c_A hold A, N baskets in all.
  support = c_AB / N            confidence = c_AB / c_A          lift = confidence / (c_B / N)
  leverage = support - (c_A/N)(c_B/N)        conviction = (1 - c_B/N) / (1 - confidence)
Conviction is infinite when confidence is 1; it is reported as None (null in JSON).

Rules with longer antecedents (max_len > 2) use FP-growth from mlxtend, behind a guard: the
number of frequent pairs is counted first (cheap, sparse), and a threshold that would explode the
itemset lattice is refused with a message instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError
from .associations import BasketStats

RULE_COLUMNS = ["antecedents", "consequents", "support", "confidence", "lift", "leverage", "conviction",
                "count", "antecedent_support", "consequent_support"]


@dataclass(frozen=True)
class RuleConfig:
    min_support: float = 0.005
    min_confidence: float = 0.1
    max_len: int = 2
    max_frequent_pairs: int = 50_000  # guard for FP-growth (max_len > 2)

    def __post_init__(self) -> None:
        if not 0 < self.min_support <= 1:
            raise ConfigError(f"min_support: expected a fraction in (0, 1], found {self.min_support}")
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError(f"min_confidence: expected a fraction in [0, 1], found {self.min_confidence}")
        if self.max_len < 2:
            raise ConfigError(f"max_len: expected an itemset size >= 2, found {self.max_len}")


def mine_rules(stats: BasketStats, items: np.ndarray, config: RuleConfig = RuleConfig()) -> pd.DataFrame:
    """Rules with antecedents and consequents as tuples of raw item IDs, strongest lift first."""
    pairs = pair_rules(stats, items, config)
    if config.max_len == 2:
        return pairs
    longer = _fpgrowth_rules(stats, items, config)
    longer = longer[longer["antecedents"].map(len) + longer["consequents"].map(len) > 2]
    return pd.concat([pairs, longer], ignore_index=True).sort_values(
        ["lift", "support"], ascending=False, ignore_index=True)


def pair_rules(stats: BasketStats, items: np.ndarray, config: RuleConfig = RuleConfig()) -> pd.DataFrame:
    n = stats.n_baskets
    if n == 0:
        return pd.DataFrame(columns=RULE_COLUMNS)
    threshold = config.min_support * n
    counts = stats.item_counts.astype(np.float64)
    cooc = sp.coo_matrix(stats.cooc)
    keep = (cooc.row != cooc.col) & (cooc.data >= threshold - 1e-9)
    a, b, both = cooc.row[keep], cooc.col[keep], cooc.data[keep].astype(np.float64)
    confidence = both / counts[a]
    keep = confidence >= config.min_confidence
    a, b, both, confidence = a[keep], b[keep], both[keep], confidence[keep]
    support_a, support_b, support = counts[a] / n, counts[b] / n, both / n
    with np.errstate(divide="ignore"):
        conviction = np.where(confidence < 1, (1 - support_b) / np.maximum(1 - confidence, 1e-12), np.inf)
    frame = pd.DataFrame({
        "antecedents": [(str(items[i]),) for i in a], "consequents": [(str(items[j]),) for j in b],
        "support": support, "confidence": confidence, "lift": confidence / support_b,
        "leverage": support - support_a * support_b, "conviction": conviction, "count": both.astype(np.int64),
        "antecedent_support": support_a, "consequent_support": support_b,
    })
    return frame.sort_values(["lift", "support"], ascending=False, ignore_index=True)


def _fpgrowth_rules(stats: BasketStats, items: np.ndarray, config: RuleConfig) -> pd.DataFrame:
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    n = stats.n_baskets
    threshold = config.min_support * n
    counts = stats.item_counts
    frequent = np.flatnonzero(counts >= threshold)
    upper = sp.triu(stats.cooc[frequent][:, frequent], k=1)
    n_pairs = int((upper.data >= threshold).sum())
    if n_pairs > config.max_frequent_pairs:
        raise ConfigError(f"min_support {config.min_support}: expected at most {config.max_frequent_pairs:,} "
                          f"frequent pairs for itemsets longer than 2, found {n_pairs:,}; raise the minimum support "
                          "or keep rules to pairs (max_len 2)")
    baskets = stats.baskets[:, frequent]
    baskets = baskets[np.asarray(baskets.sum(1)).ravel() > 0]
    frame = pd.DataFrame.sparse.from_spmatrix(baskets.astype(bool), columns=[str(items[i]) for i in frequent])
    itemsets = fpgrowth(frame, min_support=threshold / max(baskets.shape[0], 1), use_colnames=True,
                        max_len=config.max_len)
    if itemsets.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    # Supports above are over baskets holding a frequent item; rescale to all N baskets.
    itemsets["support"] = itemsets["support"] * baskets.shape[0] / n
    rules = association_rules(itemsets, num_itemsets=n, metric="confidence", min_threshold=config.min_confidence)
    return pd.DataFrame({
        "antecedents": rules["antecedents"].map(lambda s: tuple(sorted(s))),
        "consequents": rules["consequents"].map(lambda s: tuple(sorted(s))),
        "support": rules["support"], "confidence": rules["confidence"], "lift": rules["lift"],
        "leverage": rules["leverage"], "conviction": rules["conviction"],
        "count": np.round(rules["support"] * n).astype(np.int64),
        "antecedent_support": rules["antecedent support"], "consequent_support": rules["consequent support"],
    })


def frequently_bought_together(stats: BasketStats, item: int, k: int = 10, min_count: int = 2,
                               shrink: float = 5.0) -> pd.DataFrame:
    """Co-purchase partners ranked by lift shrunk toward 1 for thin evidence:
    score = 1 + (lift - 1) * c / (c + shrink). Lift already divides out the partner's popularity
    (raw counts would list best-sellers for everything); the shrinkage stops a pair seen twice
    among rare items from outranking a pair seen fifty times."""
    partners = stats.partners(item, min_count)
    partners["score"] = 1 + (partners["lift"] - 1) * partners["co_purchases"] / (partners["co_purchases"] + shrink)
    return partners.sort_values(["score", "co_purchases"], ascending=False, ignore_index=True).head(k)


def rules_json(rules: pd.DataFrame) -> list[dict]:
    """Rules as the CLI contract writes them; infinite conviction becomes None."""
    out = []
    for row in rules.itertuples(index=False):
        conviction = None if not np.isfinite(row.conviction) else float(row.conviction)
        out.append({"antecedents": list(row.antecedents), "consequents": list(row.consequents),
                    "support": float(row.support), "confidence": float(row.confidence), "lift": float(row.lift),
                    "leverage": float(row.leverage), "conviction": conviction})
    return out
