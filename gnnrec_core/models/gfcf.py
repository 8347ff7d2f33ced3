"""GF-CF as a model of its own: graph convolution solved in closed form (Shen et al., "How Powerful
is Graph Convolution for Recommendation?", CIKM 2021). No training.

    scores(r) = r P~ + alpha * r D_i^-1/2 V_k V_k^T D_i^1/2      (graph_filter.GraphFilter)

It is the infinite-depth limit of a linear GCN (LightGCN without its learned embeddings), so it is
the reference a trained GNN has to beat: every table shows it beside the GNN. The low-pass rank k
(64, 256 or 512) and its weight alpha are chosen on a validation slice carved from train, the way
EASE chooses its lambda (one SVD at the largest rank serves every candidate); the chosen filter is
then fitted on the whole train split. Why 512 is a candidate: bspm.py's docstring.

The neighbours kept per item (200, or every one where the catalogue is at most DENSE_ITEMS wide)
are chosen the same way: fixing 200 lost 3.6% and 2.2% of validation nDCG on two of seven datasets
(docs/benchmarks.md, "Closed-form graph filters"). Not searched: the degree-normalisation exponent
(R~ = D_u^-a R D_i^-(1-a)). On validation a = 0.6 was never ahead of GF-CF's 1/2 and a = 0.4 only
on one dataset (+0.7%), while each exponent costs a graph and an SVD more. It stays settable.

The GNNs' blend (models/embedding.py) searches this model (and RP3beta, keeping the one that scores
higher) on the GNN's own validation slice: the same carve as this row's, so inside a run
(shared_parts.sharing) the search is done once.

The score is linear in the history: score(r) = r @ (P~ + alpha * D_i^-1/2 V_k V_k^T D_i^1/2), so a
reason's per-purchase shares sum exactly to the score (`item_item`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..matrix.interactions import MAX_VALID_USERS
from ..progress import Progress
from ..records import Tuning
from .base import check_train
from .graph_filter import (
    DENSE_ITEMS,
    FilterModel,
    GraphFilter,
    LinearFilter,
    best_on_validation,
    validation_slices,
)
from .row_pruning import prune_rows
from .shared_parts import fingerprint, shared

ALPHA_GRID = (0.0, 0.3, 1.0)
RANK_GRID = (64, 256, 512)  # one SVD at 512 serves all three (docs/benchmarks.md, "The low-pass part's rank")
NEIGHBOURS_GRID = (200, 0)  # 0: every neighbour, tried up to graph_filter.DENSE_ITEMS items
LARGE_NNZ = 2_000_000  # above this many interactions only the smaller rank is tried (the SVD dominates)


@dataclass(frozen=True)
class GFCFConfig:
    rank: int | None = None  # the ideal low-pass filter's rank; None: chosen on validation
    alpha: float | None = None  # its weight beside the linear filter; None: chosen on validation
    # item-item entries kept per item; 0: all (catalogues up to 4,096 items); None: chosen on validation
    # (200 or all where the catalogue allows all, else 200)
    neighbours: int | None = None
    exponent: float = 0.5  # degree normalisation R~ = D_u^-a R D_i^-(1-a); 1/2 is GF-CF's symmetric one
    valid_fraction: float = 0.1
    seed: int = 0


class GFCF(FilterModel):
    name = "gfcf"
    config_class = GFCFConfig
    link_label = "graph filter weight"
    filter_: GraphFilter

    def fit(self, train: sp.csr_matrix, valid: sp.csr_matrix | None = None,
            progress: Progress | None = None) -> GFCF:
        self.train_ = check_train(train, self.name)
        cfg = self.config
        searched_on_train = valid is not None  # a given slice: the search's part is train itself (a GNN's blend)
        # The grid follows the whole train split's size: with a given `valid` (a GNN's blend, on its
        # carve) that is part + valid, so the blend searches what the GF-CF row searches.
        pairs = self.train_.nnz + (valid.nnz if valid is not None else 0)
        ranks = (cfg.rank,) if cfg.rank is not None else (RANK_GRID[:1] if pairs > LARGE_NNZ else RANK_GRID)
        alphas = (cfg.alpha,) if cfg.alpha is not None else ALPHA_GRID
        kept = (cfg.neighbours,) if cfg.neighbours is not None else (
            NEIGHBOURS_GRID if self.train_.shape[1] <= DENSE_ITEMS else NEIGHBOURS_GRID[:1])
        n_items = self.train_.shape[1]
        if cfg.neighbours is not None and (cfg.neighbours < 0 or (cfg.neighbours == 0 and n_items > DENSE_ITEMS)):
            raise ConfigError(f"neighbours: expected an integer >= 1 for a catalogue of {n_items:,} items (0, every "
                              f"neighbour, up to {DENSE_ITEMS:,} items), found {cfg.neighbours}")
        self.valid_ndcg_: float | None = None
        self.candidates_ = 1
        rank, alpha, neighbours = ranks[0], alphas[0], kept[0]
        if len(ranks) * len(alphas) * len(kept) > 1:
            part, valid = validation_slices(self.train_, valid, cfg.valid_fraction, cfg.seed)
            # one search per slice in a run: a GNN's blend, on the same carve, reuses this model's
            search = (fingerprint(valid), ranks, alphas, kept, cfg.seed, cfg.exponent, MAX_VALID_USERS)
            chosen, self.valid_ndcg_, self.candidates_ = shared(
                "gfcf_choice", part, search,
                lambda: best_on_validation(self._candidates(part, ranks, alphas, kept), part, valid))
            rank, alpha, neighbours = chosen["rank"], chosen["alpha"], chosen["neighbours"]
        self.rank_, self.alpha_, self.neighbours_ = int(rank), float(alpha), int(neighbours)
        self.filter_ = GraphFilter(self.rank_, self.alpha_, _all_as_none(self.neighbours_), cfg.seed, cfg.exponent)
        searched = self.__dict__.pop("_largest", None)  # dropped before any other fit: 200 MB at 50k products
        if self.candidates_ > 1:  # serve what validation scored: the chosen slice of the largest fit
            # A carve's filter is not train's: only a search on a given slice (train itself) is kept.
            self._cut_from_search(ranks, kept, searched if searched_on_train else None)
        else:
            del searched
            self.filter_.fit(self.train_)
        return self

    def _cut_from_search(self, ranks: tuple[int, ...], kept: tuple[int, ...], searched: GraphFilter | None) -> None:
        """The chosen filter as the search scored it: cut from the filter fitted at the largest rank
        and most neighbours (the leading singular vectors, the strongest entries), its parts shared
        within a run. The search scored each rank as the leading vectors of one sketch at the
        largest: a fresh SVD at the chosen rank sketches fewer columns and resolves its vectors less
        well (the cut scores 4-5% higher on validation at 50,000 products and 6-12% on a 7,720-product
        log: docs/benchmarks.md, "The filters served as their search scored them"), and it cost a
        GNN's blend 12 s of its budget at 50,000 products. A choice with no low-pass part takes no SVD."""
        chosen = self.filter_
        most = None if 0 in kept else max(kept)
        largest = searched or GraphFilter(  # the search's own, else rebuilt from the run's shared parts
            max(ranks), 1.0 if chosen.alpha else 0.0, most, chosen.seed, chosen.exponent).fit(self.train_)
        chosen.linear_ = largest.linear_ if chosen.neighbours == most else prune_rows(largest.linear_,
                                                                                     chosen.neighbours)
        if largest.left_ is not None and largest.right_ is not None and chosen.rank >= 1 and chosen.alpha != 0:
            chosen.left_ = np.ascontiguousarray(largest.left_[:, :chosen.rank])
            chosen.right_ = np.ascontiguousarray(largest.right_[:chosen.rank])

    def _candidates(self, part: sp.csr_matrix, ranks: tuple[int, ...], alphas: tuple[float, ...],
                    kept: tuple[int, ...]) -> Iterator[tuple[dict[str, Any], LinearFilter]]:
        """Every (neighbours, rank, alpha) from one filter fitted on the part with the most
        neighbours and the largest rank: fewer neighbours are a pruning of its item graph, and the
        top singular vectors of a smaller rank are the first of the larger's."""
        cfg = self.config
        most = None if 0 in kept else max(kept)
        fitted = GraphFilter(max(ranks), 1.0, most, cfg.seed, cfg.exponent).fit(part)
        self._largest = fitted  # where `part` is train itself, the chosen filter is cut from it
        for neighbours in kept:
            graph = fitted.linear_ if _all_as_none(neighbours) == most else prune_rows(fitted.linear_, neighbours)
            for rank in ranks:
                left = None if fitted.left_ is None else fitted.left_[:, :rank]
                right = None if fitted.right_ is None else fitted.right_[:rank]
                for alpha in alphas:
                    yield ({"neighbours": neighbours, "rank": rank, "alpha": alpha},
                           LinearFilter(graph, left, right, alpha))

    def tuning(self) -> Tuning | None:
        if getattr(self, "filter_", None) is None:
            return None
        return Tuning(chosen={"rank": self.rank_, "alpha": self.alpha_, "neighbours": self.neighbours_},
                      valid_ndcg=self.valid_ndcg_, candidates=getattr(self, "candidates_", 1))

    def get_state(self) -> dict[str, np.ndarray]:
        return self.filter_.get_state("gf_")

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.filter_ = GraphFilter.from_state(state, "gf_", self.train_.shape[1])
        self.rank_, self.alpha_, self.valid_ndcg_ = self.filter_.rank, self.filter_.alpha, None
        self.neighbours_ = 0 if self.filter_.neighbours is None else self.filter_.neighbours


def _all_as_none(neighbours: int) -> int | None:
    """The config's 0 (every neighbour) as graph_filter's None."""
    return None if neighbours == 0 else neighbours
