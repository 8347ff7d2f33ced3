"""Association rules from baskets (Agrawal & Srikant, VLDB 1994; FP-growth: Han et al., SIGMOD 2000).

Pair rules A -> B come straight from one sparse product C = X^T X of the binary basket x item
matrix: c_AB baskets hold both, c_A hold A, N baskets in all.
  support = c_AB / N            confidence = c_AB / c_A          lift = confidence / (c_B / N)
  leverage = support - (c_A/N)(c_B/N)        conviction = (1 - c_B/N) / (1 - confidence)
Conviction is infinite when confidence is 1; it is reported as None (null in JSON). Every rule
carries its count of baskets, the Wilson lower bound of its confidence, the shrunk lower bound of
its lift, a thin mark and a "could be chance" mark over every rule that could have been found
(evidence.py); rules rank by the shrunk lift, then support.

Rules with longer antecedents (max_len > 2) use FP-growth from mlxtend, behind a guard: the
number of frequent pairs is counted first (cheap, sparse), and a threshold that would explode the
itemset lattice is refused with a message instead of eating memory.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.catalogue import category_parts
from ..data.limits import env_name, limits
from ..errors import ConfigError
from .associations import BasketStats
from .evidence import FDR, THIN, chance_columns, evidence_columns

RULE_COLUMNS = ["antecedents", "consequents", "count", "customers", "support", "confidence", "confidence_low", "lift",
                "lift_low", "thin", "chance", "chance_q", "leverage", "conviction", "antecedent_support",
                "consequent_support"]
RANKING = ["lift_low", "support"]  # the shrunk lift first: thin evidence never tops a list


MOST_ITEMS = 5  # the longest itemset `max_len` allows: a rule of more products is rarely read, and costs minutes


@dataclass(frozen=True)
class RuleConfig:
    min_support: float = 0.005
    min_confidence: float = 0.1
    max_len: int = 2
    # Products bought together less often than by chance (lift below 1) are no association: the page
    # hid them by its lift box while `rules` printed them as "if bought -> then also" (2,121 against
    # 2,021 on the groceries at one support). One default for both.
    min_lift: float = 1.0
    max_frequent_pairs: int = 50_000  # guard for FP-growth (max_len > 2)
    max_pair_rules: int = field(default_factory=lambda: limits().pair_rules)  # GNNREC_MAX_PAIR_RULES

    def __post_init__(self) -> None:
        if not 0 < self.min_support <= 1:
            raise ConfigError(f"min_support: expected a fraction in (0, 1], found {self.min_support}")
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError(f"min_confidence: expected a fraction in [0, 1], found {self.min_confidence}")
        if not 2 <= self.max_len <= MOST_ITEMS:
            raise ConfigError(f"max_len: expected an itemset size of 2 to {MOST_ITEMS}, found {self.max_len} (longer "
                              "itemsets multiply past what mines in minutes: at 0.03 support, 150 customers' "
                              "orders gave 21,846 rules of up to 4 products in 2 s, and ran over a minute unbounded)")
        if not 0 <= self.min_lift < float("inf"):
            raise ConfigError(f"min_lift: expected a number >= 0, found {self.min_lift}")


def mine_rules(stats: BasketStats, items: np.ndarray, config: RuleConfig = RuleConfig()) -> pd.DataFrame:
    """Rules with antecedents and consequents as tuples of raw item IDs, best-evidenced lift first."""
    pairs = pair_rules(stats, items, config)
    if config.max_len == 2:
        return pairs[pairs["lift"] >= config.min_lift].reset_index(drop=True)
    longer = _fpgrowth_rules(stats, items, config)
    longer = longer[longer["antecedents"].map(len) + longer["consequents"].map(len) > 2]
    found = pd.concat([pairs, longer], ignore_index=True).sort_values(RANKING, ascending=False, ignore_index=True,
                                                                      kind="stable")
    return found[found["lift"] >= config.min_lift].reset_index(drop=True)


def _with_evidence(front: dict[str, object], both: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n: int,
                   leverage: np.ndarray, conviction: np.ndarray, chance: dict[str, np.ndarray],
                   customers: np.ndarray | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({**front, **evidence_columns(both, count_a, count_b, n, customers=customers), **chance,
                          "leverage": leverage,
                          "conviction": conviction, "antecedent_support": np.asarray(count_a, np.float64) / n,
                          "consequent_support": np.asarray(count_b, np.float64) / n})
    return frame[RULE_COLUMNS]


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
    # lift: mine_rules keeps no other (a hair below, so its own filter decides a lift of exactly the minimum)
    keep = confidence / (counts[b] / n) >= config.min_lift * (1 - 1e-9)
    a, b, both, confidence = a[keep], b[keep], both[keep], confidence[keep]
    if len(a) > config.max_pair_rules:  # before a tuple of names per rule is made
        raise ConfigError(f"minimum support {config.min_support}: expected at most {config.max_pair_rules:,} rules, "
                          f"found {len(a):,}; raise the minimum support (--min-support; the page's Min. support) "
                          f"or the minimum confidence ({env_name('pair_rules')} sets the limit)")
    support_a, support_b, support = counts[a] / n, counts[b] / n, both / n
    with np.errstate(divide="ignore"):
        conviction = np.where(confidence < 1, (1 - support_b) / np.maximum(1 - confidence, 1e-12), np.inf)
    # one test per pair (A -> B and B -> A share it), out of every pair of products that reach the support
    reaching = products_reaching(stats, config.min_support)
    pair_keys = np.minimum(a, b).astype(np.int64) * len(counts) + np.maximum(a, b)
    customers = stats.pair_customers(a, b, both)  # the evidence: a customer's repeat orders count once
    chance = chance_columns(both, counts[a], counts[b], n, pair_keys, reaching * (reaching - 1) // 2, customers)
    frame = _with_evidence({"antecedents": [(str(items[i]),) for i in a], "consequents": [(str(items[j]),) for j in b]},
                           both, counts[a], counts[b], n, support - support_a * support_b, conviction, chance,
                           customers)
    # ties in code order, so the order does not hang on how the pairs were counted
    order = np.lexsort((b, a, -frame["support"].to_numpy(), -frame["lift_low"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def products_reaching(stats: BasketStats, min_support: float) -> int:
    """Products in at least `min_support` of the baskets: every pair (or set) of them could have been a
    rule, so the "could be chance" marks count them all as tested."""
    return int((stats.item_counts >= min_support * stats.n_baskets - 1e-9).sum())


def chance_words(chance: int, rules: int, products: int, least: int) -> str:
    """What the "could be chance" mark means, with how many of the rules carry it: said by `rules`
    and the Associations page."""
    return (f"{chance:,} of these {rules:,} rules could be chance: a rule's 95% low holds for that rule alone, and "
            f"with every pair of the {products:,} products in at least {least:,} baskets tested, their baskets "
            f"together are not clearly more than chance gives (at a {FDR:.0%} false discovery rate)")


def _fpgrowth_rules(stats: BasketStats, items: np.ndarray, config: RuleConfig) -> pd.DataFrame:
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    n = stats.n_baskets
    threshold = config.min_support * n
    counts = stats.item_counts
    frequent = np.flatnonzero(counts >= threshold)
    upper = sp.triu(stats.cooc[frequent][:, frequent], k=1)
    n_pairs = int((upper.data >= threshold).sum())
    if n_pairs > config.max_frequent_pairs:
        raise ConfigError(f"minimum support {config.min_support}: expected at most {config.max_frequent_pairs:,} "
                          f"frequent pairs for rules of more than two products, found {n_pairs:,}; raise the minimum "
                          "support "
                          "(--min-support; the page's Min. support) or keep rules to pairs (--max-len 2; the page's "
                          "Itemset size 2)")
    baskets = stats.baskets[:, frequent]
    baskets = baskets[np.asarray(baskets.sum(1)).ravel() > 0]
    frame = pd.DataFrame.sparse.from_spmatrix(baskets.astype(bool), columns=[str(items[i]) for i in frequent])
    # No itemset is longer than the longest basket of frequent products: the same rules, and mlxtend's
    # loop up to max_len ran for minutes at --max-len 100000
    longest = int(np.asarray((baskets > 0).sum(1)).max()) if baskets.shape[0] else 2
    itemsets = fpgrowth(frame, min_support=threshold / max(baskets.shape[0], 1), use_colnames=True,
                        max_len=max(2, min(config.max_len, longest)))
    if itemsets.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    # Supports above are over baskets holding a frequent item; rescale to all N baskets.
    itemsets["support"] = itemsets["support"] * baskets.shape[0] / n
    rules = association_rules(itemsets, num_itemsets=n, metric="confidence", min_threshold=config.min_confidence)
    def counted(column: str) -> np.ndarray:  # supports back to counts of baskets
        return np.asarray(np.round(rules[column].to_numpy(np.float64) * n), np.float64)
    antecedents = rules["antecedents"].map(lambda s: tuple(sorted(s))).tolist()
    consequents = rules["consequents"].map(lambda s: tuple(sorted(s))).tolist()
    both, count_a, count_b = counted("support"), counted("antecedent support"), counted("consequent support")
    return _with_evidence({"antecedents": antecedents, "consequents": consequents}, both, count_a, count_b, n,
                          rules["leverage"].to_numpy(), rules["conviction"].to_numpy(),
                          _layered_chance(antecedents, consequents, both, count_a, count_b, n,
                                          products_reaching(stats, config.min_support)))


def _layered_chance(antecedents: list[tuple[str, ...]], consequents: list[tuple[str, ...]], both: np.ndarray,
                    count_a: np.ndarray, count_b: np.ndarray, n: int, reaching: int) -> dict[str, np.ndarray]:
    """chance_columns for rules of several sizes, each size its own family: the splits of every set
    of s of the `reaching` products into two sides, C(reaching, s) (2^(s-1) - 1) tests (a size with
    many more candidates does not dilute the pairs' evidence; Webb's layering, Machine Learning 2008)."""
    from math import comb

    sizes = np.array([len(x) + len(y) for x, y in zip(antecedents, consequents)], np.int64)
    keys = np.array(["|".join(sorted((",".join(x), ",".join(y)))) for x, y in zip(antecedents, consequents)],
                    dtype=object)
    chance = {"chance_q": np.ones(len(sizes)), "chance": np.ones(len(sizes), bool)}
    for size in np.unique(sizes):
        at = np.flatnonzero(sizes == size)
        layer = chance_columns(both[at], count_a[at], count_b[at], n, keys[at].astype(str),
                               comb(reaching, int(size)) * (2 ** (int(size) - 1) - 1))
        for column, values in layer.items():
            chance[column][at] = values
    return chance


MAX_DEFAULT_PAIRS = 20_000  # the default min support keeps at most this many pairs (a table one can read)


def default_min_count(stats: BasketStats, max_pairs: int = MAX_DEFAULT_PAIRS) -> int:
    """The default minimum baskets of a rule: evidence.THIN (no default rule is thin; all baskets
    when there are fewer), raised until at most `max_pairs` product pairs reach it."""
    return _min_count_of(sp.triu(stats.cooc, k=1).tocoo().data, stats.n_baskets, max_pairs)


def _min_count_of(pair_counts: np.ndarray, n_baskets: int, max_pairs: int = MAX_DEFAULT_PAIRS) -> int:
    """default_min_count from the pairs' counts, each pair once (every pair of at least the floor)."""
    floor = max(1, min(THIN, n_baskets))
    counts = np.sort(pair_counts[pair_counts >= floor])[::-1]
    if len(counts) <= max_pairs:
        return floor
    return int(counts[max_pairs]) + 1  # the (max_pairs + 1)-th pair falls below


def default_min_support(stats: BasketStats, max_pairs: int = MAX_DEFAULT_PAIRS) -> float:
    """default_min_count as a share of the baskets (what RuleConfig.min_support reads)."""
    return _as_support(default_min_count(stats, max_pairs), stats.n_baskets)


def _as_support(min_count: int, n_baskets: int) -> float:
    return min(1.0, min_count / max(n_baskets, 1))


def suggested_min_support(stats: BasketStats) -> float:
    """The minimum support `rules` and the Associations page start from: default_min_support to four
    decimals (the page's field), never below its least step. The CLI's fixed 0.005 kept pairs of 4
    baskets in 800 (356 rules) where the page kept those of 10 (25)."""
    return _in_field(default_min_support(stats))


def _in_field(support: float) -> float:
    return max(round(support, 4), 0.0001)


def default_support_stats(baskets: sp.csr_matrix, buyers: np.ndarray | None = None) -> tuple[BasketStats, float]:
    """Basket stats holding every pair `suggested_min_support` keeps (and no pair below it), and
    that support, without counting every pair: pairs of at least t baskets join only products of at
    least t, so pairs are counted among the best sellers first (t: the 800th product's count), and t
    is halved down to THIN only while at most MAX_DEFAULT_PAIRS pairs reach it. `rules` on 25,900
    invoices: every pair counted took 3.2 s, this 0.86 s written through COO, 0.3 s kept in CSR."""
    from ..matrix.cooccurrence import frequent_pairs, spread_pairs

    binary = sp.csr_matrix(baskets, dtype=np.float32, copy=True)
    binary.data[:] = 1.0
    n = baskets.shape[0]
    counts = np.asarray(binary.sum(0)).ravel()
    floor = max(1, min(THIN, n))
    t = max(floor, int(np.sort(counts)[-min(len(counts), 800)])) if len(counts) else floor
    while True:
        pairs, frequent, counts = frequent_pairs(binary, t)
        upper = _pairs_reaching(pairs, t)
        if t == floor or len(upper) > MAX_DEFAULT_PAIRS:
            break
        t = max(floor, t // 2)
    # Every pair of at least t is counted, and more than MAX_DEFAULT_PAIRS reach t (or t is the
    # floor): the (MAX_DEFAULT_PAIRS + 1)-th count is the one every pair counted gives.
    support = _in_field(_as_support(_min_count_of(upper, n), n))
    least = max(1, int(np.ceil(support * n - 1e-9)))
    if least < t:  # rounded to four decimals below t: count the pairs between too
        pairs, frequent, counts = frequent_pairs(binary, least)
    return BasketStats(baskets, spread_pairs(pairs, frequent, counts, min_pair=least), buyers=buyers), support


def _pairs_reaching(pairs: sp.csr_matrix, t: int) -> np.ndarray:
    """The counts of at least t in a symmetric CSR of pair counts, each pair once (its upper half;
    the diagonal left out), found among those entries alone: sp.triu walked all 5M counts."""
    at = np.flatnonzero(pairs.data >= t)
    rows = np.searchsorted(pairs.indptr, at, side="right") - 1
    return np.asarray(pairs.data[at[rows < pairs.indices[at]]])


def frequently_bought_together(stats: BasketStats, item: int, k: int = 10, min_count: int | None = None
                               ) -> pd.DataFrame:
    """Co-purchase partners in at least `min_count` baskets (None: stats.min_count, scaled with the
    data), ranked by lift's shrunk lower bound (evidence.lift_low): lift divides out the partner's
    popularity (raw counts would list best-sellers for everything), the bound stops a pair seen
    twice among rare items from outranking a pair seen fifty times. `thin` marks fewer than 10."""
    return stats.partners(item, stats.min_count if min_count is None else min_count).head(k)


def rules_json(rules: pd.DataFrame, names: pd.Series | None = None) -> list[dict]:
    """Rules as the CLI contract writes them, each side's codes and (with `names`, code -> display
    name, as `catalogue.display_names` gives) their names in the same order; infinite conviction becomes None."""
    out = []
    lookup = names.to_dict() if names is not None else {}  # Series.get per code: 0.6 s over 28,753 rules
    for row in rules.itertuples(index=False):
        conviction = None if not np.isfinite(row.conviction) else float(row.conviction)
        antecedents, consequents = list(row.antecedents), list(row.consequents)
        out.append({"antecedents": antecedents, "consequents": consequents,
                    "antecedent_names": [str(lookup.get(c, c)) for c in antecedents],
                    "consequent_names": [str(lookup.get(c, c)) for c in consequents],
                    "count": int(row.count), "customers": int(row.customers), "support": float(row.support),
                    "confidence": float(row.confidence),
                    "confidence_low": float(row.confidence_low), "lift": float(row.lift),
                    "lift_low": float(row.lift_low), "thin": bool(row.thin), "chance": bool(row.chance),
                    "chance_q": float(row.chance_q), "leverage": float(row.leverage),
                    "conviction": conviction})
    return out


def rules_about(rules: pd.DataFrame, names: Mapping[str, str], product: str = "",
                category_of: Mapping[str, str] | None = None, categories: Sequence[str] = ()) -> pd.DataFrame:
    """The rules with, on either side, a product whose code or name holds `product` (any case) and a
    product in one of `categories` (by `category_of`, code -> category); each filter only where given.
    The Associations page's two filters and `rules --product / --category`, one reading; any case and
    any accent ("creme" finds "CRÈME")."""
    text = plain(product.strip())
    if text:
        def named(codes: frozenset[str]) -> bool:
            return any(text in plain(str(code)) or text in plain(str(names.get(code, ""))) for code in codes)
        rules = rules[rules["antecedents"].map(named) | rules["consequents"].map(named)]
    if categories:
        wanted, of = set(categories), category_of or {}

        def in_category(codes: frozenset[str]) -> bool:  # "Comedy|Romance" is in Comedy
            return any(wanted.intersection(category_parts(of.get(code))) for code in codes)
        rules = rules[rules["antecedents"].map(in_category) | rules["consequents"].map(in_category)]
    return rules


def plain(text: str) -> str:
    """`text` in any case, its accents dropped: "Crème" -> "creme" (other scripts kept as they are)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
