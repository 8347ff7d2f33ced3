"""Model-agnostic training loop for embedding models on the user-item graph.

A module maps the normalised adjacency to (user_embeddings, item_embeddings). Each step takes a
batch of users, propagates once, and scores the batch against every item:

- loss "softmax": multinomial log-likelihood of each user's training items over all items
  (the full-softmax objective of Mult-VAE, Liang et al., WWW 2018), on cosine similarities over
  a temperature. With every item scored at once, one batch is a few dense matrix products, so an
  epoch costs a handful of sparse propagations instead of one per 8k-edge BPR batch.
- loss "bpr": Bayesian personalised ranking with one uniform negative per positive, vectorised
  (Rendle et al., UAI 2009), kept for comparison with the LightGCN paper.

Above `full_softmax_items` items the softmax is sampled: each (user, item) pair is scored against
`sampled_negatives` uniform negatives shared by the batch, whose sum stands in for the catalogue's
(scaled by items / negatives, the logQ correction of uniform sampling). Its cost is batch x
negatives, not batch x catalogue.

Every step propagates over the whole graph, a fixed cost that grows with the graph. So that an
epoch stays a bounded number of propagations on large graphs, the batch grows to
users / `max_steps_per_epoch` when that exceeds `batch_size`.

Early stopping watches nDCG@10 on a validation matrix that the caller carves from train; the test
set never reaches this module.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable, cast

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..progress import Progress, wants_stop
from .data_parallel import distributed_rank, sum_gradients, sum_scalar
from .metrics import evaluate

NEGATIVE_SAMPLING = ("uniform", "popularity")
POPULARITY_POWER = 0.75


@dataclass(frozen=True)
class TrainConfig:
    # Defaults chosen on validation slices carved from train (MovieLens-100k, Online Retail).
    # epochs: a cap; early stopping ends most runs sooner. 120 over 40 was never behind on seven
    # datasets' validation carves (docs/benchmarks.md, "The GNNs' most epochs").
    epochs: int = 120
    lr: float = 0.01
    batch_size: int = 512  # users per step, at least
    max_steps_per_epoch: int = 16  # larger batches beyond this: a step is a full-graph propagation
    loss: str = "softmax"
    temperature: float = 0.2
    weight_decay: float = 0.0
    item_bias: bool = True  # a learned per-item offset in the softmax: popularity, kept out of similarity
    full_softmax_items: int = 20000
    sampled_negatives: int = 4096
    # Where the softmax is sampled: "uniform" negatives, or "popularity" (in proportion to each
    # item's buyers to the power 0.75, word2vec's smoothing), each with its logQ correction. Level
    # with uniform on Gowalla's and a 1M-line log's validation carves (docs/benchmarks.md): not the default.
    negative_sampling: str = "uniform"
    eval_every: int = 5
    patience: int = 3  # evaluations without improvement before stopping (needs a valid matrix)
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.loss not in ("softmax", "bpr"):
            raise ConfigError(f"loss: expected softmax or bpr, found '{self.loss}'")
        if self.negative_sampling not in NEGATIVE_SAMPLING:
            raise ConfigError(f"negative_sampling: expected one of {', '.join(NEGATIVE_SAMPLING)}, found "
                              f"'{self.negative_sampling}'")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device: expected auto, cpu or cuda, found '{self.device}'")
        for name in ("epochs", "batch_size", "max_steps_per_epoch", "eval_every", "patience", "sampled_negatives"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected an integer >= 1, found {getattr(self, name)}")
        if not self.lr > 0 or not self.temperature > 0:
            raise ConfigError("lr and temperature: expected positive numbers")


def resolve_device(device: str) -> torch.device:
    """auto -> cuda when a GPU is present, else cpu; cuda without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device cuda: expected a CUDA GPU, found none; use auto or cpu")
    return torch.device(device)


def device_report() -> str:
    """What `auto` will use, in words, for the dashboard's device selector."""
    if torch.cuda.is_available():
        return f"CUDA GPU detected: {torch.cuda.get_device_name(0)}"
    return "No GPU detected: training runs on the CPU"


_CONFIGURATIONS = itertools.count(1)  # Trainer.configuration: this process's trainers, numbered


class Trainer:
    """Fits `module` (an nn.Module with forward() -> (users_emb, items_emb)) on `train`.

    `fit` is `start` then `run`; a search calls `run` again to continue the same module, optimiser
    and random stream for more epochs (successive halving). Training stops at `deadline` (a
    perf_counter value), within the epoch that runs past it (its record holding `share_of_epoch`;
    see _past_deadline), and each progress record carries an ETA in seconds."""

    def __init__(self, config: TrainConfig, progress: Progress | None = None, deadline: float | None = None) -> None:
        self.config = config
        self.progress = progress
        self.deadline = deadline
        self.history: list[dict[str, Any]] = []
        self.best_epoch: int | None = None
        self.best_score = -1.0
        self.batch_size: int | None = None
        self.stopped = ""  # why training ended early: "patience", "deadline", "cancelled" or ""
        # Which configuration an epoch's progress event is of: a search's second rung continues one
        # trainer after others ran, and its "epoch 6" joined the curve of the configuration before it.
        self.configuration = next(_CONFIGURATIONS)

    def fit(self, module: torch.nn.Module, train: sp.csr_matrix, valid: sp.csr_matrix | None = None) -> torch.nn.Module:
        self.start(module, train)
        self.run(module, train, valid, self.config.epochs)
        return self.finish(module)

    def start(self, module: torch.nn.Module, train: sp.csr_matrix) -> None:
        cfg = self.config
        device = next(module.parameters()).device
        self._generator = torch.Generator(device="cpu").manual_seed(cfg.seed)
        if cfg.loss == "softmax" and cfg.item_bias and not hasattr(module, "item_bias"):
            n_items = module()[1].shape[0]
            module.item_bias = torch.nn.Parameter(torch.zeros(n_items, device=device))
        self._optimizer = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                                           fused=device.type in ("cpu", "cuda"))
        world, _ = distributed_rank()
        if world > 1 and cfg.loss != "softmax":
            raise ConfigError(f"loss: distributed training expects softmax, found '{cfg.loss}'")
        self._users = np.flatnonzero(np.diff(train.indptr) > 0)
        self.batch_size = batch_size_for(len(self._users), cfg)
        self._targets = _row_normalised(train)
        self._bias = getattr(module, "item_bias", None)
        self._sampling = None  # the negatives' distribution where it is not uniform
        if cfg.negative_sampling == "popularity" and cfg.loss == "softmax" and train.shape[1] > cfg.full_softmax_items:
            weight = (np.asarray((train > 0).sum(0)).ravel() + 1.0) ** POPULARITY_POWER
            self._sampling = torch.from_numpy(weight / weight.sum()).float()
        self._best_state: dict[str, torch.Tensor] | None = None
        self._stale = 0
        self._seconds = 0.0
        self._steps = 0  # optimiser steps so far: the deadline cuts an epoch only once there is a model

    def run(self, module: torch.nn.Module, train: sp.csr_matrix, valid: sp.csr_matrix | None, epochs: int,
            patience: int | None = None) -> None:
        """Up to `epochs` more epochs, evaluating every eval_every and at the last one. Stops early
        after `patience` evaluations without improvement (config.patience; 0: never)."""
        cfg = self.config
        patience = cfg.patience if patience is None else patience
        self._stale = 0
        device = next(module.parameters()).device
        world, rank = distributed_rank()
        first = len(self.history) + 1
        last = first + epochs - 1
        self.stopped = ""
        for epoch in range(first, last + 1):
            if self.history and self._past_deadline(world):  # at least one epoch, so there is a model
                self.stopped = "deadline"
                self._validate_last(module, train, valid)
                break
            started = time.perf_counter()
            module.train()
            order = self._users[torch.randperm(len(self._users), generator=self._generator).numpy()]
            total = 0.0
            step = self.batch_size or len(order)  # set by start()
            seen = len(order)  # users this epoch trained on: fewer where the deadline cut it
            for start in range(0, len(order), step):
                if world == 1 and self._steps and self.deadline is not None and time.perf_counter() > self.deadline:
                    seen = start  # an epoch longer than the budget left (a 50,000-product graph's first, or a
                    break  # busy machine's) ends at the deadline: the budget held 1 epoch of 60 s in 137 s
                batch = order[start:start + step]
                shard = batch[rank::world]  # data parallel: each worker takes every world-th user
                user_emb, item_emb = module()
                # Drawn before the shard is looked at, so every process advances the generator alike.
                negatives = self._negatives(item_emb.shape[0], self._generator, device)
                if len(shard):
                    loss = self._loss(user_emb, item_emb, shard, self._targets, train, self._generator, device,
                                      negatives)
                    loss = loss * (len(shard) / len(batch))  # the shard's share of the batch mean
                else:
                    loss = item_emb.sum() * 0.0
                self._optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if world > 1:
                    sum_gradients(module)
                self._optimizer.step()
                self._steps += 1
                total += float(loss.detach()) * len(batch)
            if world > 1:
                total = sum_scalar(total, device)
            record: dict[str, Any] = {"epoch": epoch, "loss": total / max(seen, 1)}
            cut = seen < len(order)
            if cut:
                record["share_of_epoch"] = round(seen / len(order), 3)
            if valid is not None and valid.nnz and (epoch % cfg.eval_every == 0 or epoch == last or cut):
                record["valid_ndcg"] = self.validate(module, train, valid)
                if record["valid_ndcg"] > self.best_score:
                    self.best_score, self.best_epoch = record["valid_ndcg"], epoch
                    self._best_state = _copy_state(module)
                    self._stale = 0
                else:
                    self._stale += 1
            self._seconds += time.perf_counter() - started
            record["seconds"] = self._seconds
            record["eta_seconds"] = self._eta(last - epoch)
            self.history.append(record)
            if wants_stop(self.progress, record | {"epochs": last, "configuration": self.configuration}):
                self.stopped = "cancelled"
                break  # cancelled by the caller: keep what was learned so far
            if cut:
                self.stopped = "deadline"
                break
            if patience and self._stale >= patience:
                self.stopped = "patience"
                break

    def _validate_last(self, module: torch.nn.Module, train: sp.csr_matrix, valid: sp.csr_matrix | None) -> None:
        """Stopped by the deadline between evaluations: score the last epoch, so a search still
        compares candidates and the fit reports a validation score."""
        last = self.history[-1]
        if valid is None or not valid.nnz or "valid_ndcg" in last:
            return
        last["valid_ndcg"] = self.validate(module, train, valid)
        if last["valid_ndcg"] > self.best_score:
            self.best_score, self.best_epoch = last["valid_ndcg"], last["epoch"]
            self._best_state = _copy_state(module)

    def finish(self, module: torch.nn.Module) -> torch.nn.Module:
        """Load the best validated state (when there was validation) and switch to eval mode."""
        if self._best_state is not None:
            module.load_state_dict(self._best_state)
        module.eval()
        return module

    @property
    def epoch_seconds(self) -> float:
        return self._seconds / max(len(self.history), 1)

    def _eta(self, epochs_left: int) -> float:
        eta = self.epoch_seconds * epochs_left
        if self.deadline is not None:
            eta = min(eta, max(self.deadline - time.perf_counter(), 0.0))
        return eta

    def _past_deadline(self, world: int = 1) -> bool:
        """Past the deadline, for one process: an epoch that would overrun is cut there, not skipped
        (skipping left a 1M-line log's LightGCN 16 s of 76 unused). Data-parallel workers cannot cut
        an epoch: for them, when the next one, at the mean so far, would end after the deadline."""
        ahead = self.epoch_seconds if self.history and world > 1 else 0.0
        return self.deadline is not None and time.perf_counter() + ahead > self.deadline

    def _negatives(self, n_items: int, generator: torch.Generator, device: torch.device) -> torch.Tensor | None:
        """The batch's shared negatives when the softmax is sampled (uniform, or by `_sampling`), else None."""
        cfg = self.config
        if cfg.loss != "softmax" or n_items <= cfg.full_softmax_items:
            return None
        if self._sampling is not None:
            return torch.multinomial(self._sampling, cfg.sampled_negatives, replacement=True,
                                     generator=generator).to(device)
        return torch.randint(n_items, (cfg.sampled_negatives,), generator=generator).to(device)

    def _loss(self, user_emb: torch.Tensor, item_emb: torch.Tensor, batch: np.ndarray, targets: sp.csr_matrix,
              train: sp.csr_matrix, generator: torch.Generator, device: torch.device,
              negatives: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.config
        batch_t = torch.from_numpy(batch).to(device)
        if cfg.loss == "bpr":
            return _bpr_loss(user_emb, item_emb, train[batch], batch_t, generator, device)
        users = F.normalize(user_emb[batch_t], dim=1)
        n_items = item_emb.shape[0]
        rows = targets[batch]
        bias = getattr(self, "_bias", None)
        if n_items <= cfg.full_softmax_items:
            # The temperature scales the users (n x dim), the bias enters with the product, and the
            # log-probabilities are read at the targets' entries: no pass over users x items but the
            # softmax's own (docs/benchmarks.md, "LightGCN's softmax steps").
            scaled, items = users / cfg.temperature, F.normalize(item_emb, dim=1)
            logits = scaled @ items.T if bias is None else torch.addmm(bias, scaled, items.T)
            pair_user, pair_item, weight = _pairs(rows, device)
            return -(weight * F.log_softmax(logits, dim=1)[pair_user, pair_item]).sum() / int(rows.shape[0])
        # The softmax is sampled here, so _negatives drew them (never None).
        return _sampled_softmax_loss(users, item_emb, bias, rows, cfg, cast(torch.Tensor, negatives), device,
                                     None if self._sampling is None else self._sampling.to(device))

    @torch.no_grad()
    def validate(self, module: torch.nn.Module, train: sp.csr_matrix, valid: sp.csr_matrix) -> float:
        module.eval()
        user_emb, item_emb = module()
        score = embedding_scorer(user_emb, item_emb, getattr(module, "item_bias", None), self.config)
        return evaluate(lambda users: score(user_emb[torch.from_numpy(users).to(user_emb.device)]), train,
                        valid)["ndcg"]


def embedding_scorer(user_emb: torch.Tensor, item_emb: torch.Tensor, bias: torch.Tensor | None,
                     config: TrainConfig) -> Callable[[torch.Tensor], np.ndarray]:
    """user vectors (n, d) -> scores (n, items) exactly as the loss scored them during training."""
    if config.loss == "bpr":
        return lambda users: (users @ item_emb.T).detach().cpu().numpy()
    items = F.normalize(item_emb, dim=1)
    offset = bias.detach() if bias is not None else torch.zeros(items.shape[0], device=items.device)
    # offset + (users / T) items^T in one addmm: the temperature scales the n x dim side, not the scores.
    return lambda users: torch.addmm(offset, F.normalize(users, dim=1) / config.temperature,
                                     items.T).detach().cpu().numpy()


def batch_size_for(n_users: int, config: TrainConfig) -> int:
    """Users per step: config.batch_size, raised so an epoch takes at most max_steps_per_epoch steps."""
    return max(config.batch_size, -(-n_users // config.max_steps_per_epoch))


def _sampled_softmax_loss(users: torch.Tensor, item_emb: torch.Tensor, bias: torch.Tensor | None, rows: sp.csr_matrix,
                          cfg: TrainConfig, negatives: torch.Tensor, device: torch.device,
                          sampling: torch.Tensor | None = None) -> torch.Tensor:
    """-sum_pairs w_ui log( e^s_ui / (e^s_ui + 1/S sum_{j in negatives} e^s_uj / q_j) ), averaged over
    users: the catalogue's sum estimated from S negatives drawn with probability q (1/N uniform,
    which is N/S times their sum; `sampling` where it is not uniform), the logQ correction.

    users: unit user vectors of the batch; rows: their row-normalised targets (CSR); negatives:
    item indices shared by the batch."""
    n_items = item_emb.shape[0]
    pair_user, pair_item, weight = _pairs(rows, device)
    scaled = users / cfg.temperature  # on the users' side: the batch x negatives logits take no pass for it
    positive = (scaled[pair_user] * F.normalize(item_emb[pair_item], dim=1)).sum(1)
    unit_negatives = F.normalize(item_emb[negatives], dim=1)
    if bias is None:
        negative = scaled @ unit_negatives.T
    else:
        positive = positive + bias[pair_item]
        negative = torch.addmm(bias[negatives], scaled, unit_negatives.T)
    if sampling is None:
        log_rest = torch.logsumexp(negative, dim=1) + float(np.log(n_items / len(negatives)))
    else:
        log_rest = torch.logsumexp(negative - torch.log(sampling[negatives]), dim=1) - float(np.log(len(negatives)))
    log_likelihood = positive - torch.logaddexp(positive, log_rest[pair_user])
    return -(weight * log_likelihood).sum() / int(rows.shape[0])


def _pairs(rows: sp.csr_matrix, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch's (user position, item, weight) for each stored target of its CSR rows."""
    counts = np.diff(rows.indptr)
    pair_user = torch.from_numpy(np.repeat(np.arange(len(counts)), counts)).to(device)
    return pair_user, torch.from_numpy(rows.indices.astype(np.int64)).to(device), torch.from_numpy(rows.data).to(device)


def _bpr_loss(user_emb: torch.Tensor, item_emb: torch.Tensor, rows: sp.csr_matrix, batch_t: torch.Tensor,
              generator: torch.Generator, device: torch.device) -> torch.Tensor:
    counts = np.diff(rows.indptr)
    user_pos = torch.from_numpy(np.repeat(np.arange(len(counts)), counts)).to(device)
    pos = torch.from_numpy(rows.indices.astype(np.int64)).to(device)
    neg = torch.randint(item_emb.shape[0], (len(pos),), generator=generator).to(device)
    u = user_emb[batch_t][user_pos]
    margin = (u * item_emb[pos]).sum(1) - (u * item_emb[neg]).sum(1)
    return -F.logsigmoid(margin).mean()


def _row_normalised(train: sp.csr_matrix) -> sp.csr_matrix:
    """Each user's training weights summing to one: the target distribution of the softmax loss."""
    sums = np.asarray(train.sum(1)).ravel()
    return (sp.diags(1.0 / np.maximum(sums, 1e-12)) @ train).tocsr().astype(np.float32)


def _copy_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
