"""What the embedding models (LightGCN, feature GCN) share: how they fit by default and how they score.

Fitting by default (`config.auto`): a validation slice is carved from train; settings are chosen
on it by successive halving (LightGCN; its defaults carried beside the winner) or early stopping
alone (feature GCN), inside `config.time_budget`; blend weights for a closed-form filter and a
popularity prior are chosen on it too (fit/tuning.py). The filter is GF-CF or RP3beta, whichever its
own search on the same slice scores higher there: each leads on some of the datasets of
docs/benchmarks.md, and a blend built on the weaker one starts below the filter it has to beat.
The chosen module is then propagated over the whole train graph, so the users' held-out
validation interactions still shape their vectors, without a second training.

Scoring: with the softmax loss, cos(user, item) / temperature + item bias; with BPR the dot
product. With blend weights, each part is standardised per user and the parts are added by
weight. A new basket's user vector is the mean of its items' vectors (the source documents'
history-mean rule). Similar items use cosine alone: the bias is popularity, not similarity.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Iterator

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..fit.train import TrainConfig, Trainer
from ..fit.tuning import (
    SEARCH_SPACE,
    Candidate,
    blend_batch,
    blend_users,
    choose_blend_in_batches,
    standardise,
    successive_halving,
)
from ..matrix.interactions import carve_validation, validation_sample
from ..progress import Progress
from ..records import Tuning
from .base import Recommender, check_valid_fraction
from .gfcf import GFCF
from .graph_filter import GraphFilter, LinearFilter
from .registry import filter_part
from .rp3beta import RP3beta, WalkFilter

NO_BLEND = {"filter": 0.0, "popularity": 0.0}
WALK_STATE = "walk_"  # the saved arrays of a blend's RP3beta filter


@dataclass(frozen=True)
class EmbeddingConfig(TrainConfig):
    """The loop's settings (TrainConfig) plus how the model fits by default, which the loop never
    reads: settings searched on a validation slice carved from train, scores blended with a graph
    filter and a popularity prior by weights chosen there too, the whole fit inside a time budget
    (chosen on validation slices, see docs/benchmarks.md)."""

    auto: bool = True
    blend: bool = True
    time_budget: float = 90.0  # seconds for the whole fit, search included
    valid_fraction: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.time_budget > 0:
            raise ConfigError(f"time_budget: expected a positive number of seconds, found {self.time_budget}")
        check_valid_fraction(self.valid_fraction)


class EmbeddingScores(Recommender):
    explained_by = "history mean"
    link_label = "embedding similarity"
    link_scale = ("how alike the model has learned the two products to be (the cosine of their vectors): 1 alike, "
                  "0 unrelated, below 0 set apart")
    link_top = 1.0
    searches = False  # True: settings chosen by successive halving (fit/tuning.py)

    # -- model-specific ---------------------------------------------------------------------
    def _build(self, settings: dict[str, Any], train: sp.csr_matrix) -> torch.nn.Module:
        raise NotImplementedError

    def _graph(self, train: sp.csr_matrix) -> torch.Tensor:
        raise NotImplementedError

    # -- fitting ------------------------------------------------------------------------------
    def _fit_embeddings(self, train: sp.csr_matrix, valid: sp.csr_matrix | None, progress: Progress | None) -> None:
        cfg = self.config
        started = time.perf_counter()
        self.tuning_: dict[str, Any] = {"search": [], "blend": dict(NO_BLEND)}
        if valid is None and cfg.auto:
            part, valid = carve_validation(train, cfg.valid_fraction, seed=cfg.seed)
        else:
            part = train
        carved = valid  # GF-CF sizes its grid by part + carve: given the carve, it searches as its row does
        if valid is not None:  # the filters' users (the same seeded sample): a choice costs the same at any size
            valid = validation_sample(valid, cfg.seed)
        has_valid = valid is not None and valid.nnz > 0
        # The blend's filter (`_blend_filter`) is fitted on the part and on all of train before
        # training, so that its whole cost is measured inside the budget. (A share guessed for the
        # refit after training overran the budget 2x on a 50k-product catalogue; a reserve scaled
        # from the part's fit was near zero where the part's fit reused a shared SVD and the refit
        # could not.) Blending and the final propagation keep 15%.
        part_filter = train_filter = None
        if cfg.blend and has_valid:
            part_name, part_filter, train_filter = self._blend_filter(part, carved, train)
            # What the filter's searches took of the budget: on a wide catalogue they can take all of a short
            # one (31 s of 20 at 35k products), which the words about the cut training then say
            self.tuning_["filter_seconds"] = round(time.perf_counter() - started, 2)
        deadline = started + cfg.time_budget * 0.85
        defaults = {k: getattr(cfg, k) for k in ("temperature", "layers", "dim", "lr", "weight_decay", "item_bias")}
        build = lambda settings: self._start(settings, part, progress, deadline)  # noqa: E731
        if cfg.auto and self.searches and has_valid:
            result = successive_halving(build, part, valid, defaults, cfg.epochs, deadline, seed=cfg.seed,
                                        report=progress)
            best, self.tuning_["search"] = result.best, result.tried
        else:
            module, trainer = build(defaults)
            trainer.run(module, part, valid if has_valid else None, cfg.epochs)
            best = Candidate(defaults, trainer, module, trainer.best_score, len(trainer.history))
        best.trainer.finish(best.module)
        trained = time.perf_counter() - started  # search and training; the rest is blend and propagation
        self.config = replace(self.config, **best.settings)  # scores use what was chosen
        self.history_, self.best_epoch_ = best.trainer.history, best.trainer.best_epoch
        self.batch_size_, self.stopped_ = best.trainer.batch_size, best.trainer.stopped
        self.filter_: GraphFilter | WalkFilter | None = None
        self.popularity_: np.ndarray | None = None
        if part_filter is not None:
            self._choose_blend(best.module, part, valid, part_filter, part_name)
            self.filter_ = train_filter if filter_part(self.blend_weights)[1] > 0 else None
        self.module_ = best.module
        self._use_graph(train, filter_fitted=True)
        self.tuning_ |= {"chosen": best.settings, "valid_ndcg": best.score if has_valid else None,  # no slice
                         "epochs": len(best.trainer.history),
                         "last_epoch_share": (best.trainer.history or [{}])[-1].get("share_of_epoch"),
                         "best_epoch": best.trainer.best_epoch, "stopped": best.trainer.stopped,
                         "seconds": round(time.perf_counter() - started, 2), "search_seconds": round(trained, 2),
                         "budget": cfg.time_budget}

    def _blend_filter(self, part: sp.csr_matrix, carved: sp.csr_matrix, train: sp.csr_matrix
                      ) -> tuple[str, LinearFilter, GraphFilter | WalkFilter]:
        """The blend's filter as (its weight's key, its fit on the part, its fit on train): GF-CF or
        RP3beta, each with its own validation choice on this slice (the same carve as their rows':
        inside a run's shared_parts.sharing the searches and the filters are those rows'), the one
        whose search scored higher on it (the same validation customers for both), GF-CF on a tie."""
        seed = self.config.seed
        gfcf, walk = GFCF(seed=seed).fit(part, carved), RP3beta(seed=seed).fit(part, carved)
        scored = {"gfcf": gfcf.valid_ndcg_, "rp3beta": walk.valid_ndcg_}
        if (walk.valid_ndcg_ or -np.inf) > (gfcf.valid_ndcg_ or -np.inf):
            self.tuning_["blend_filter"] = {"model": "rp3beta", **walk.chosen_, "valid_ndcg": scored}
            return "rp3beta", walk.filter_, WalkFilter(**walk.chosen_).fit(train)
        chosen = gfcf.filter_
        self.tuning_["blend_filter"] = {"model": "gfcf", "rank": chosen.rank, "alpha": chosen.alpha,
                                        "neighbours": chosen.neighbours or 0, "valid_ndcg": scored}  # 0: all
        return "filter", chosen, chosen if part is train else chosen.settings_copy().fit(train)

    def _start(self, settings: dict[str, Any], train: sp.csr_matrix, progress: Progress | None,
               deadline: float) -> tuple[torch.nn.Module, Trainer]:
        config = replace(self.config, **settings)
        module = self._build(settings, train)
        train_config = TrainConfig(**{k: v for k, v in asdict(config).items() if k in TrainConfig.__dataclass_fields__})
        trainer = Trainer(train_config, progress, deadline)
        trainer.start(module, train)
        return module, trainer

    def _choose_blend(self, module: torch.nn.Module, part: sp.csr_matrix, valid: sp.csr_matrix,
                      part_filter: LinearFilter, part_name: str = "filter") -> None:
        """Blend weights on the validation slice, every part fitted on the train part alone
        (`part_filter`: the blend's filter fitted on it; `part_name`: its weight's key, "filter" for
        GF-CF, "rp3beta" for the walk)."""
        chosen = validation_sample(valid, self.config.seed, blend_users(part.shape[1]))  # the same draw as the fit's
        users = np.flatnonzero(np.diff(chosen.indptr) > 0)
        self.train_ = part
        self._store(module)
        popularity = _log_counts(part)

        def components(batch: np.ndarray) -> dict[str, np.ndarray]:
            return {"gnn": self._gnn_scores(self.user_vectors_[batch]),
                    "filter": part_filter.score_history(part[batch]),
                    "popularity": np.broadcast_to(popularity, (len(batch), part.shape[1]))}

        choice = choose_blend_in_batches(components, users, part, valid, blend_batch(part.shape[1]))
        weights = {part_name: choice.weights["filter"], "popularity": choice.weights["popularity"]}
        self.tuning_["blend"] = weights  # the filter's weight under its part's name (registry.PART_LABELS)
        self.tuning_["blend_valid_ndcg"] = {"gnn_alone": choice.alone, "blended": choice.blended}
        self.tuning_["part_valid_ndcg"] = {part_name if name == "filter" else name: figure
                                           for name, figure in choice.parts.items()}
        self.popularity_ = np.zeros(part.shape[1], np.float32) if weights["popularity"] > 0 else None

    def _use_graph(self, train: sp.csr_matrix, filter_fitted: bool = False) -> None:
        """Propagate the trained module over `train`'s graph and refit the blend's parts on it (the
        graph filter only where it was not fitted on `train` already)."""
        self.module_.adjacency = self._graph(train)
        self.train_ = train
        self._store(self.module_)
        if self.filter_ is not None and not filter_fitted:
            self.filter_.fit(train)
        if self.popularity_ is not None:
            self.popularity_ = _log_counts(train)

    def refit_graph(self, train: sp.csr_matrix) -> "EmbeddingScores":
        """The same trained parameters over another interaction graph (e.g. every interaction, for
        exploring), with no training: users and items keep their indices."""
        self._check_fitted()
        if getattr(self, "module_", None) is None or train.shape != self.train_.shape:
            raise ValueError("refit_graph needs the module from fit() and a matrix of the same shape")
        self._use_graph(sp.csr_matrix(train, dtype=np.float32))
        return self

    # -- scoring ------------------------------------------------------------------------------
    @torch.no_grad()
    def _store(self, module: torch.nn.Module) -> None:
        module.eval()
        users, items = module()
        if self.config.loss == "softmax":
            users, items = F.normalize(users, dim=1), F.normalize(items, dim=1)
        bias = getattr(module, "item_bias", None)
        self.user_vectors_ = users.float().cpu().numpy()
        self.item_vectors_ = items.float().cpu().numpy()
        self.item_bias_ = (bias.float().cpu().numpy() if bias is not None and self.config.item_bias
                           else np.zeros(len(self.item_vectors_), np.float32))

    def _gnn_scores(self, users: np.ndarray) -> np.ndarray:
        if self.config.loss == "bpr":
            dot: np.ndarray = users @ self.item_vectors_.T
            return dot
        unit = users / np.maximum(np.linalg.norm(users, axis=1, keepdims=True), 1e-12)
        # The temperature divides the users' n x dim side, not the n x items scores: one pass over them less.
        cosine: np.ndarray = (unit / np.float32(self.config.temperature)) @ self.item_vectors_.T
        cosine += self.item_bias_
        return cosine

    def _blended(self, gnn: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        weights = self.blend_weights
        if not any(weights.values()):
            return gnn
        scores = standardise(gnn, in_place=True)  # gnn and the filter's scores are this call's own
        weight = filter_part(weights)[1]
        if weight and self.filter_ is not None:
            filtered = standardise(self.filter_.score_history(history), in_place=True)
            filtered *= np.float32(weight)
            scores += filtered
        if weights["popularity"] and self.popularity_ is not None:
            scores += weights["popularity"] * standardise(self.popularity_[None, :])
        return scores

    def tuning(self) -> Tuning | None:
        """The search's choice, its validation nDCG alone and blended; None when fitted without
        validation (auto off) or loaded from a file (which keeps only the blend weights)."""
        found = getattr(self, "tuning_", None)
        if not found or "chosen" not in found:
            return None
        scores = found.get("blend_valid_ndcg") or {}
        return Tuning(chosen=dict(found["chosen"]), valid_ndcg=_float_or_none(found.get("valid_ndcg")),
                      blend=dict(found["blend"]), blend_valid_ndcg=_float_or_none(scores.get("blended")),
                      epochs=found["epochs"], best_epoch=found["best_epoch"], stopped=found["stopped"],
                      budget=found["budget"], seconds=found["seconds"], search_seconds=found["search_seconds"],
                      candidates=_configurations(found.get("search", [])),
                      part_valid_ndcg=dict(found.get("part_valid_ndcg", {})),
                      blend_filter=dict(found.get("blend_filter", {})),
                      last_epoch_share=_float_or_none(found.get("last_epoch_share")),
                      filter_seconds=_float_or_none(found.get("filter_seconds")))

    def without_blend(self) -> EmbeddingScores:
        """The trained GNN alone: a copy sharing the learned arrays that scores without the blend's
        parts (for the row that says what training alone ranks; the blend gets its own)."""
        alone = copy.copy(self)
        alone.tuning_ = {**getattr(self, "tuning_", {}), "blend": dict(NO_BLEND)}
        return alone

    @property
    def blend_weights(self) -> dict[str, float]:
        weights: dict[str, float] = getattr(self, "tuning_", {}).get("blend", NO_BLEND)
        return weights

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users)
        return self._blended(self._gnn_scores(self.user_vectors_[users]), self.train_[users])

    def alone_then_blended(self, users: np.ndarray) -> Iterator[np.ndarray]:
        """The trained GNN's scores alone, then blended, from one product of its vectors (a test
        table scores both rows): the first array is read again for the second, so it is ranked on
        copies (fit.metrics.evaluate_variants)."""
        self._check_fitted()
        users = np.asarray(users)
        gnn = self._gnn_scores(self.user_vectors_[users])
        yield gnn
        yield self._blended(gnn, self.train_[users])

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        history = sp.csr_matrix(history, dtype=np.float32)
        sums = np.maximum(np.asarray(history.sum(1)), 1e-12)
        return self._blended(self._gnn_scores(np.asarray(history @ self.item_vectors_) / sums), history)

    def item_vectors(self) -> np.ndarray:
        vectors: np.ndarray = self.item_vectors_
        return vectors

    # -- persistence --------------------------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        state = {"user_vectors": self.user_vectors_, "item_vectors": self.item_vectors_, "item_bias": self.item_bias_}
        weights = self.blend_weights
        state["blend"] = np.array([filter_part(weights)[1], weights["popularity"]], np.float64)
        if self.filter_ is not None:  # GF-CF's settings under "filter_", RP3beta's walk under "walk_"
            state |= self.filter_.get_state(WALK_STATE if isinstance(self.filter_, WalkFilter) else "filter_")
        if self.popularity_ is not None:
            state["popularity"] = self.popularity_
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.user_vectors_, self.item_vectors_ = state["user_vectors"], state["item_vectors"]
        self.item_bias_ = state.get("item_bias", np.zeros(len(self.item_vectors_), np.float32))
        w_filter, w_pop = state["blend"] if "blend" in state else (0.0, 0.0)
        n_items = len(self.item_vectors_)
        walk = f"{WALK_STATE}settings" in state
        self.tuning_ = {"blend": {"rp3beta" if walk else "filter": float(w_filter), "popularity": float(w_pop)}}
        self.filter_ = (WalkFilter.from_state(state, WALK_STATE, n_items) if walk else
                        GraphFilter.from_state(state, "filter_", n_items) if "filter_settings" in state else None)
        self.popularity_ = state.get("popularity")


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _log_counts(train: sp.csr_matrix) -> np.ndarray:
    """The popularity prior: log(1 + buyers) per item."""
    counts: np.ndarray = np.log1p(np.asarray((train > 0).sum(0)).ravel()).astype(np.float32)
    return counts


def _configurations(search: list[dict[str, Any]]) -> int:
    """How many configurations the search tried: its record has a row per rung a configuration
    trained and one for the winner, so rows are not configurations (8 read as 11)."""
    return len({tuple(sorted((key, row[key]) for key in SEARCH_SPACE if key in row)) for row in search})
