"""What Turbo-CF and RP3beta share: a closed-form filter whose settings are a small grid searched on
validation, the winner refitted on all of train, its choice kept in the tuning record and the
saved state. A subclass names its settings and their types (CHOSEN, in the order the state stores
them), the prefix of its saved arrays, and how to make each candidate (`_candidates`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..matrix.interactions import MAX_VALID_USERS
from ..records import Tuning
from .graph_filter import FilterModel, LinearFilter, best_on_validation, validation_slices
from .shared_parts import fingerprint, shared


class GridFilter(FilterModel):
    CHOSEN: ClassVar[dict[str, type]]  # setting -> float or int, in the saved state's order
    STATE_PREFIX: ClassVar[str]  # of the saved arrays ("turbo_": turbo_indptr, ..., turbo_chosen)
    filter_: LinearFilter

    def _candidates(self, train: sp.csr_matrix, grid: dict[str, tuple[Any, ...]]
                    ) -> Iterator[tuple[dict[str, Any], LinearFilter]]:
        raise NotImplementedError

    def _search(self, grid: dict[str, tuple[Any, ...]], valid: sp.csr_matrix | None) -> None:
        """The best of `grid` on a validation slice (none where the grid holds one setting), then
        that setting fitted on `train_`."""
        cfg = self.config
        self.valid_ndcg_: float | None = None
        self.candidates_ = 1
        chosen: dict[str, Any] = {name: values[0] for name, values in grid.items()}
        if np.prod([len(values) for values in grid.values()]) > 1:
            part, valid = validation_slices(self.train_, valid, cfg.valid_fraction, cfg.seed)
            # one search per slice in a run: a GNN's blend, on the same carve, reuses this model's
            search = (fingerprint(valid), tuple(sorted(grid.items())), cfg.seed, MAX_VALID_USERS)
            chosen, self.valid_ndcg_, self.candidates_ = shared(
                f"{self.name}_choice", part, search,
                lambda: best_on_validation(self._candidates(part, grid), part, valid))
        self.chosen_ = {name: kind(chosen[name]) for name, kind in self.CHOSEN.items()}
        single = {name: (value,) for name, value in self.chosen_.items()}
        self.filter_ = next(self._candidates(self.train_, single))[1]

    def tuning(self) -> Tuning | None:
        if getattr(self, "filter_", None) is None:
            return None
        return Tuning(chosen=dict(self.chosen_), valid_ndcg=self.valid_ndcg_,
                      candidates=getattr(self, "candidates_", 1))

    def get_state(self) -> dict[str, np.ndarray]:
        chosen = np.array([self.chosen_[name] for name in self.CHOSEN], np.float64)
        return self.filter_.get_state(self.STATE_PREFIX) | {f"{self.STATE_PREFIX}chosen": chosen}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.filter_ = LinearFilter.load_state(state, self.STATE_PREFIX, self.train_.shape[1])
        saved = state[f"{self.STATE_PREFIX}chosen"]
        self.chosen_ = {name: kind(value) for (name, kind), value in zip(self.CHOSEN.items(), saved)}
        self.valid_ndcg_ = None
