"""BSPM, blurring-sharpening process models (Choi et al., "Blurring-Sharpening Process Models for
Collaborative Filtering", SIGIR 2023). No training: a history is blurred by heat equations on the
item graph and sharpened by the reverse one, each ODE solved by a few fixed steps.

    blur:     dr/dt = r P~ - r     one Euler step of T_b = 1 from r:   r P~
    ideal:    dr/dt = r L  - r     one Euler step of 1 from r:          r L
    sharpen:  dr/dt = -r P~        from y0 = r P~ + beta r L, steps of h up to T_s

P~ and L are GF-CF's linear and ideal low-pass filters (graph_filter.py, symmetric normalisation).
One solver step multiplies by a polynomial in P~: Euler I - h P~; RK4 sum_{j<=4} (-h P~)^j / j!.
So after K steps the score is y0 S(P~) with S = step^K: linear in the history,

    scores(r) = r P~ S(P~) + beta * (r L) S(P~)           ("final sharpening": L is sharpened too)

and with the authors' "t-point combination" the mean of the blurred point and every sharpened one,
(r P~ + sum_j y0 step^j) / (1 + K). The authors' best variants (their README) are the candidates:

    "rk4"    Gowalla:  one RK4 step, T_s = 2.5, beta = 0.2, final sharpening
    "euler"  Yelp2018: one Euler step, T_s = 1.2, beta = 0.3, final sharpening, t-point combination

(Amazon-book's, two RK4 steps without L, is a degree-9 polynomial: not a candidate.) The variant,
the form (below) and the rank k of L (64, 256 or 512: one SVD at 512 serves all three) are chosen
on a validation slice carved from train; the chosen filter is then fitted on the whole train split.
512 joined the candidates for wide catalogues: on Gowalla's validation carve k = 448-512 ranks
ahead of 256 (the authors use 448 there), and on the seven datasets of the defaults table it is
never chosen, while the 256 candidate, now the top of a 528-column sketch, gains on the
grocery-shaped log.

Two forms of the same filter; the form is a setting of a candidate, as the variant and the rank are:
- "pruned": P~ S(P~) materialised, a polynomial in P~ evaluated by Horner (graph_filter.polynomial):
  P~ is pruned to `neighbours` per item, the products go through its `product_neighbours` strongest
  entries (all of them where graph_filter.PRODUCT_WORK allows: exact on small catalogues, 16 at 50k
  items), and every step is pruned block by block, so memory is items x neighbours. L S(P~) keeps
  L's factored form: D^-1/2 V_k (V_k^T D^1/2 S(P~)), k x items dense rows through the sparse graph.
  Against the exact ODE solution on validation it is ahead by the mean of five seeds on all seven
  datasets up to 9k items, behind in a few runs (docs/results/filters.json).
- "exact": nothing pruned; every power of P~ applied through R~ when a history is scored, the
  same filter as the authors' ODE steps on their unpruned item graph (exact_filter.py). At 41k
  items (Gowalla) the pruned RK4 polynomial is 2.6-3.7% behind it on validation. Its cost is per
  scored history (2 nnz(R~) per power), so it is a candidate only where scoring every user once is
  affordable (exact_filter.EXACT_WORK) and where pruning changes the filter at all; the search
  tries it for each variant at the rank the pruned form chose (docs/benchmarks.md, "BSPM exact
  where it is affordable").

The score is linear in the history, so a reason's per-purchase shares sum exactly to the score
(`item_item`: score_history(h) = h @ item_item(all items)).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..progress import Progress
from ..records import Tuning
from .base import check_train
from .exact_filter import ExactPolynomialFilter, affordable
from .graph_filter import (
    FilterModel,
    ItemFilter,
    LinearFilter,
    best_of,
    check_neighbours,
    dense_polynomial,
    item_graph,
    low_pass_factors,
    low_pass_vectors,
    normalise,
    polynomial,
    product_neighbours,
    validation_scores,
    validation_slices,
)
from .row_pruning import prune_rows

RANK_GRID = (64, 256, 512)  # one SVD at 512 serves all three (docs/benchmarks.md, "The low-pass part's rank")
LARGE_NNZ = 2_000_000  # above this many interactions only the smaller rank is tried (as GF-CF)


@dataclass(frozen=True)
class Variant:
    solver: str  # "euler" or "rk4"
    steps: int  # K
    time: float  # T_s
    beta: float  # weight of the ideal low-pass filter
    t_point: bool  # the mean of the blurred and every sharpened point, not the last point alone


VARIANTS = {"rk4": Variant("rk4", 1, 2.5, 0.2, False), "euler": Variant("euler", 1, 1.2, 0.3, True)}


def sharpening(variant: Variant) -> tuple[np.ndarray, float, float]:
    """(S's coefficients in P~ from P~^0, the blurred point's weight, the sharpened points' weight)."""
    h = variant.time / variant.steps
    if variant.solver == "rk4":
        step = np.array([(-h) ** j / factorial(j) for j in range(5)])
    else:
        step = np.array([1.0, -h])
    points, power = [], np.array([1.0])
    for _ in range(variant.steps):
        power = np.convolve(power, step)
        points.append(power)
    if not variant.t_point:
        return points[-1], 0.0, 1.0
    width = max(len(p) for p in points)
    total = sum(np.pad(p, (0, width - len(p))) for p in points)
    share = 1.0 / (1 + variant.steps)
    return np.asarray(total, np.float64), share, share


def linear_powers(variant: Variant) -> list[float]:
    """The coefficients of P~^1, P~^2, ... of the first part, blur_w P~ + sharp_w P~ S(P~)."""
    coefficients, blur_weight, sharp_weight = sharpening(variant)
    powers = sharp_weight * coefficients
    powers[0] += blur_weight
    return list(powers)


def exact_operator(normalised: sp.csr_matrix, left: np.ndarray | None, right: np.ndarray | None,
                   variant: Variant) -> ExactPolynomialFilter:
    """The same filter as bspm_operator with nothing pruned: every power of P~ applied through R~
    at scoring time (exact_filter.py), L's sharpening S(P~) too."""
    coefficients, _, sharp_weight = sharpening(variant)
    exact = ExactPolynomialFilter(normalised, linear_powers(variant))
    if left is not None and right is not None and variant.beta != 0:
        sharpened = exact.polynomial_columns(np.ascontiguousarray(right.T), list(coefficients)).T
        exact.left_, exact.right_, exact.alpha = left, np.ascontiguousarray(sharpened), variant.beta * sharp_weight
    return exact


def bspm_operator(graph: sp.csr_matrix, left: np.ndarray | None, right: np.ndarray | None, variant: Variant,
                  neighbours: int | None, product_neighbours: int | None,
                  linear: sp.csr_matrix | None = None) -> LinearFilter:
    """The filter r -> r [blur_w P~ + sharp_w P~ S(P~)] + beta sharp_w (r L) S(P~) for this variant;
    `linear`, the first part, where already computed (it does not depend on L's rank)."""
    coefficients, _, sharp_weight = sharpening(variant)
    if linear is None:
        linear = polynomial(graph, linear_powers(variant), neighbours, product_neighbours)
    if left is None or right is None or variant.beta == 0:
        return LinearFilter(linear)
    sharpened = dense_polynomial(right, prune_rows(graph, product_neighbours), list(coefficients))
    return LinearFilter(linear, left, sharpened, variant.beta * sharp_weight)


@dataclass(frozen=True)
class FilterParts:
    """What every candidate of one search is built from: R~ and the low-pass factors of one SVD."""

    normalised: sp.csr_matrix
    left: np.ndarray
    right: np.ndarray


FORMS = ("pruned", "exact")  # materialised and pruned (graph_filter.polynomial), or applied through R~ (exact_filter)


@dataclass(frozen=True)
class BSPMConfig:
    rank: int | None = None  # the ideal low-pass filter's rank; None: chosen on validation
    variant: str | None = None  # "rk4" (Gowalla's) or "euler" (Yelp2018's); None: chosen on validation
    # "pruned" or "exact"; None: chosen on validation where the exact form is affordable (exact_filter.py)
    form: str | None = None
    neighbours: int | None = 200  # item-item entries kept per item; None: all (catalogues up to 4,096 items)
    # entries per item the ODE steps' products go through; None: as many as graph_filter.PRODUCT_WORK allows
    product_neighbours: int | None = None
    valid_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant is not None and self.variant not in VARIANTS:
            raise ConfigError(f"variant: expected one of {', '.join(VARIANTS)}, found '{self.variant}'")
        if self.form is not None and self.form not in FORMS:
            raise ConfigError(f"form: expected one of {', '.join(FORMS)}, found '{self.form}'")
        if self.rank is not None and self.rank < 1:
            raise ConfigError(f"rank: expected an integer >= 1, found {self.rank}")


class BSPM(FilterModel):
    name = "bspm"
    config_class = BSPMConfig
    link_label = "BSPM filter weight"

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> BSPM:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        check_neighbours(cfg.neighbours, self.train_.shape[1])
        ranks = (cfg.rank,) if cfg.rank is not None else (
            RANK_GRID[:1] if self.train_.nnz > LARGE_NNZ else RANK_GRID)
        variants = (cfg.variant,) if cfg.variant is not None else tuple(VARIANTS)
        forms = {name: self._forms(name) for name in variants}
        self.valid_ndcg_: float | None = None
        self.candidates_ = 1
        chosen: dict[str, Any] = {"variant": variants[0], "rank": ranks[0], "form": forms[variants[0]][0]}
        if len(ranks) > 1 or len(variants) > 1 or any(len(f) > 1 for f in forms.values()):
            chosen, self.valid_ndcg_, self.candidates_ = self._search(ranks, variants, forms, valid)
        self.rank_, self.variant_, self.form_ = int(chosen["rank"]), str(chosen["variant"]), str(chosen["form"])
        # The chosen rank as the search scored it: a slice of one SVD at the largest rank (docs/benchmarks.md,
        # "The filters served as their search scored them"), shared with GF-CF's row within a run.
        largest = self._parts(self.train_, max(ranks))
        parts = FilterParts(largest.normalised, np.ascontiguousarray(largest.left[:, :self.rank_]),
                            np.ascontiguousarray(largest.right[:self.rank_]))  # not views holding the largest
        del largest
        single = (self.rank_,), (self.variant_,)
        self.filter_ = next(self._exact(parts, *single) if self.form_ == "exact" else
                            self._candidates(parts, *single))[1]
        return self

    def refit_settings(self, chosen: dict[str, Any], train: sp.csr_matrix) -> tuple[dict[str, Any], str | None]:
        """The exact form carries over only where scoring on `train` stays within the work bound: the
        bound was checked on the train split, and every interaction is more (1.33x at the default
        test share, 4.2e11 against 3.5e11 on Gowalla with its test pairs)."""
        if chosen.get("form") != "exact" or affordable(train, len(linear_powers(VARIANTS[chosen["variant"]]))):
            return chosen, None
        return chosen | {"form": "pruned"}, ("Blur-sharpen filter (BSPM): served in its pruned form; its table row "
                                             "scored the exact form, which on every interaction passes the scoring "
                                             "work bound (exact_filter.EXACT_WORK)")

    def _forms(self, variant: str) -> tuple[str, ...]:
        """The forms a variant is fitted in: the pruned one, and the exact one where scoring every user
        (or every product's row) through R~ is affordable and pruning would change the filter (on
        small catalogues the products are exact already, and 200 neighbours cover the items)."""
        cfg = self.config
        if cfg.form is not None:
            return (cfg.form,)
        n_items = self.train_.shape[1]
        through = cfg.product_neighbours or product_neighbours(n_items, cfg.neighbours)
        pruned_is_exact = (through is None or through >= n_items) and (cfg.neighbours is None
                                                                         or cfg.neighbours >= n_items)
        degree = len(linear_powers(VARIANTS[variant]))
        return ("pruned",) if pruned_is_exact or not affordable(self.train_, degree) else FORMS

    def _search(self, ranks: tuple[int, ...], variants: tuple[str, ...], forms: dict[str, tuple[str, ...]],
                valid: sp.csr_matrix | None) -> tuple[dict[str, Any], float, int]:
        """Every (variant, rank) in its pruned form, then each variant's exact form at the rank its
        pruned form chose (an exact candidate costs a full pass through R~ per power of P~ on every
        validation user, so the rank, which changes only the low-pass part, is not searched again);
        where the exact form is the only one (`form="exact"`), every rank in it. One graph and one
        SVD at the largest rank serve every candidate."""
        cfg = self.config
        part, valid = validation_slices(self.train_, valid, cfg.valid_fraction, cfg.seed)
        parts = self._parts(part, max(ranks))
        pruned = tuple(name for name in variants if "pruned" in forms[name])
        scored = validation_scores(self._candidates(parts, ranks, pruned), part, valid) if pruned else []
        for name in variants:
            if "exact" in forms[name]:
                own = [(settings, score) for settings, score in scored if settings["variant"] == name]
                tried = (best_of(own)[0]["rank"],) if own else ranks
                scored += validation_scores(self._exact(parts, tried, (name,)), part, valid)
        chosen, score = best_of(scored)
        return chosen, score, len(scored)

    def _parts(self, train: sp.csr_matrix, svd_rank: int) -> FilterParts:
        """R~, and L's factors from one SVD at `svd_rank` (every candidate's rank is a slice of it)."""
        normalised, item_scale = normalise(train, 0.5)
        left, right = low_pass_factors(low_pass_vectors(normalised, svd_rank, self.config.seed), item_scale)
        return FilterParts(normalised, left, right)

    def _candidates(self, parts: FilterParts, ranks: tuple[int, ...], variants: tuple[str, ...]
                    ) -> Iterator[tuple[dict[str, Any], ItemFilter]]:
        """Every (variant, rank) in the pruned form, from one pruned item graph."""
        cfg = self.config
        graph = item_graph(parts.normalised, cfg.neighbours)
        through = cfg.product_neighbours or product_neighbours(parts.normalised.shape[1], cfg.neighbours)
        for name in variants:
            linear = None
            for rank in ranks:
                candidate = bspm_operator(graph, parts.left[:, :rank], parts.right[:rank], VARIANTS[name],
                                          cfg.neighbours, through, linear)
                linear = candidate.linear_
                yield {"variant": name, "rank": rank, "form": "pruned"}, candidate

    def _exact(self, parts: FilterParts, ranks: tuple[int, ...], variants: tuple[str, ...]
               ) -> Iterator[tuple[dict[str, Any], ItemFilter]]:
        """Every (variant, rank) in the exact form (nothing pruned: exact_filter.py)."""
        for name in variants:
            for rank in ranks:
                yield ({"variant": name, "rank": rank, "form": "exact"},
                       exact_operator(parts.normalised, parts.left[:, :rank], parts.right[:rank], VARIANTS[name]))

    def tuning(self) -> Tuning | None:
        if getattr(self, "filter_", None) is None:
            return None
        return Tuning(chosen={"variant": self.variant_, "rank": self.rank_, "form": self.form_},
                      valid_ndcg=self.valid_ndcg_, candidates=getattr(self, "candidates_", 1))

    def get_state(self) -> dict[str, np.ndarray]:
        return self.filter_.get_state("bspm_") | {"bspm_chosen": np.array(
            [self.rank_, list(VARIANTS).index(self.variant_), FORMS.index(self.form_)], np.int64)}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        chosen = state["bspm_chosen"]
        self.form_ = FORMS[int(chosen[2])] if len(chosen) > 2 else "pruned"  # files from before the exact form
        n_items = self.train_.shape[1]
        self.filter_ = (ExactPolynomialFilter.load_state(state, "bspm_", n_items) if self.form_ == "exact"
                        else LinearFilter.load_state(state, "bspm_", n_items))
        self.rank_, self.variant_, self.valid_ndcg_ = int(chosen[0]), list(VARIANTS)[int(chosen[1])], None
