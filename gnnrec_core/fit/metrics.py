"""Top-k ranking metrics with full ranking over all items and seen items masked.

Definitions (binary relevance, k = cut-off, R_u = user u's held-out items):
  precision@k = hits / k             recall@k = hits / |R_u|
  nDCG@k      = DCG / IDCG, DCG = sum over hit ranks r (1-based) of 1 / log2(r + 1),
                IDCG the same for min(|R_u|, k) hits at the top
  MAP@k       = sum over hit ranks r of precision@r, divided by min(|R_u|, k)
  hit rate@k  = share of users with at least one hit
  coverage@k  = distinct items in anyone's top k / all items
Each per-user figure is averaged over users with at least one held-out item.

Memory: `evaluate` scores users in batches sized to a budget (`score_budget_bytes`, 256 MB by
default), so a catalogue of millions of products costs a few users per batch, never users x items
for 2,048 users at once; `top_k` ranks its rows in chunks whose work stays under `work_bytes`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import torch

METRICS = ("ndcg", "precision", "recall", "map", "hit_rate", "coverage")
ScoreFn = Callable[[np.ndarray], np.ndarray]

BYTES_PER_SCORE = 16  # a float32 score plus up to three temporaries of its size (the GNN blend, the graph filter)
TOP_K_WORK_BYTES = 32 * 2**20  # top_k's own work per chunk of rows (a copy, int64 positions, masks)
TOP_K_BYTES_PER_CELL = 16  # float32 copy + int64 argpartition positions + two boolean masks, rounded up
MAX_USERS_PER_BATCH = 2048
TOP_K_BLOCK = 64  # cells per block of the numpy ranking's first pass (_top_k_by_blocks)


def score_budget_bytes() -> int:
    """Bytes one evaluation batch may take: GNNREC_MAX_SCORE_MB (data/limits.py), 256 MB by default."""
    from ..data.limits import limits

    return int(limits().score_mb) * 2**20


def users_per_batch(n_items: int, budget: int | None = None) -> int:
    """Users scored at once so that users x items x BYTES_PER_SCORE, plus the top-k work (a quarter
    of the budget), stays within `budget` bytes: at least 1, at most MAX_USERS_PER_BATCH."""
    budget = score_budget_bytes() if budget is None else int(budget)
    scores_part = budget - budget // 4
    return int(min(MAX_USERS_PER_BATCH, max(1, scores_part // max(1, n_items * BYTES_PER_SCORE))))


def cutoff_notes(ks: tuple[int, ...], n_items: int) -> list[str]:
    """Where a cut-off reaches the whole catalogue, a note saying so (else none): every list then holds
    every product, so the figures at it rank nothing (`--k 100000` on 2,479 products gave a verdict)."""
    over = [cut for cut in ks if cut >= n_items]
    if not over:
        return []
    found = " and ".join(f"{cut:,}" for cut in over)
    return [f"k = {found} reaches the whole catalogue of {n_items:,} products: every list holds every product, so the "
            "figures at that cut-off say nothing of ranking; a smaller k does"]


def top_k(scores: np.ndarray | torch.Tensor, k: int, exclude: sp.csr_matrix | None = None,
          work_bytes: int = TOP_K_WORK_BYTES, overwrite: bool = False) -> np.ndarray:
    """Indices of the k best items per row, best first; entries of `exclude` (rows aligned with
    `scores`) rank last, as do nan scores (read as -inf on both paths, which otherwise disagree on
    where nan goes). scores: (n, items) array, or a torch tensor when a model made one. Rows are
    ranked in chunks whose work stays under `work_bytes`, so ranking adds little to the scores' own
    memory. Where fewer than k items are left unexcluded, the row ends in excluded (-inf) items:
    callers that show a list drop them (serving.merchandising.available). `overwrite`: the caller
    drops `scores` afterwards, so exclusions may be written into them rather than into a copy
    (taken only for a float32 numpy array that owns its memory, never a model's stored one)."""
    n, width = scores.shape
    k = min(k, width)
    if k <= 0 or n == 0:
        return np.zeros((n, max(k, 0)), np.int64)
    exclude = sp.csr_matrix(exclude) if exclude is not None and exclude.nnz else None
    rank_rows = _top_k_torch if "torch" in sys.modules else _top_k_numpy  # torch's topk is multi-threaded
    in_place = (overwrite and isinstance(scores, np.ndarray) and scores.dtype == np.float32
                and scores.base is None and scores.flags.writeable and scores.flags.c_contiguous)
    rows = max(1, int(work_bytes) // max(1, width * TOP_K_BYTES_PER_CELL))
    if rows >= n:
        return rank_rows(scores, k, exclude, in_place)
    top = np.empty((n, k), np.int64)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        top[start:stop] = rank_rows(scores[start:stop], k, None if exclude is None else exclude[start:stop], in_place)
    return top


def _top_k_numpy(scores: np.ndarray | torch.Tensor, k: int, exclude: sp.csr_matrix | None,
                 in_place: bool = False) -> np.ndarray:
    scores = _ranked_copy(np.asarray(scores, dtype=np.float32), in_place)
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    if scores.shape[1] >= 4 * (k + 1) * TOP_K_BLOCK:
        top, next_best = _top_k_by_blocks(scores, k)
        return _ties_to_lower_index(scores, top, next_best)
    np.negative(scores, out=scores)  # argpartition finds the smallest: negate in place, not in a copy
    part = np.argpartition(scores, k - 1, axis=1)[:, :k].copy()  # the copy frees the full positions now
    np.negative(scores, out=scores)
    return _ties_to_lower_index(scores, part)


def _top_k_by_blocks(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best positions (in no order) and its (k+1)-th best score, from a pass over the
    scores for block maxima and a partition of the k+1 best blocks' cells (plus the last, short
    block): popularity's evaluation at 50k items takes a fifth of its time with argpartition over
    whole rows (docs/benchmarks.md, "Ranking by blocks"). Exact: the k+1 best scores lie in
    the k+1 blocks of highest maximum (a block whose maximum is above the (k+1)-th best holds one
    of the k better scores, so there are at most k of them; equal maxima each hold an equal
    score), and ties at the cut are read from the full row by _ties_to_lower_index, as on the
    torch path."""
    n, width = scores.shape
    blocks = width // TOP_K_BLOCK
    body = scores[:, :blocks * TOP_K_BLOCK].reshape(n, blocks, TOP_K_BLOCK)  # a view: one axis split
    best_blocks = np.argpartition(-body.max(axis=2), k, axis=1)[:, :k + 1]
    cells = (best_blocks[:, :, None] * TOP_K_BLOCK + np.arange(TOP_K_BLOCK)).reshape(n, -1)
    cells = np.concatenate([cells, np.broadcast_to(np.arange(blocks * TOP_K_BLOCK, width), (n, width % TOP_K_BLOCK))],
                           axis=1)
    values = np.take_along_axis(scores, cells, axis=1)
    order = np.argpartition(-values, k, axis=1)[:, :k + 1]
    best = np.take_along_axis(values, order, axis=1)
    last = np.argmin(best, axis=1)  # the (k+1)-th best of the k+1 taken
    next_best = best[np.arange(n), last]
    keep = np.ones(order.shape, bool)
    keep[np.arange(n), last] = False
    top = np.take_along_axis(cells, order[keep].reshape(n, k), axis=1)
    return top, next_best


def _ranked_copy(scores: np.ndarray, in_place: bool) -> np.ndarray:
    """What exclusions are written into: the scores themselves where the caller allows, else a copy;
    nan read as -inf. The nan check is a sum (nan propagates; a false alarm from inf - inf only
    costs the conversion), a read-only pass far cheaper than converting every score."""
    if not np.isnan(scores.sum()):
        return scores if in_place else scores.copy()
    converted: np.ndarray = np.nan_to_num(scores, copy=not in_place, nan=-np.inf, posinf=np.inf, neginf=-np.inf)
    return converted


def _ties_to_lower_index(scores: np.ndarray, top: np.ndarray, next_best: np.ndarray | None = None) -> np.ndarray:
    """One ranking rule whichever path found the top k: equal scores rank by lower item index.
    argpartition and torch.topk each break ties their own way, so popularity's many equal counts
    used to score differently depending on whether torch happened to be loaded. `next_best`, each
    row's (k+1)-th best score where known, finds the rows tied at the cut without a pass over every
    score: a row is tied there exactly when it equals the k-th best."""
    top = top.astype(np.int64)
    k = top.shape[1]
    if k == 0 or top.shape[0] == 0:
        return top
    threshold = np.take_along_axis(scores, top, axis=1).min(axis=1)
    if next_best is None:
        tied = np.flatnonzero((scores >= threshold[:, None]).sum(axis=1) > k)
    else:
        tied = np.flatnonzero(next_best == threshold)
    for row in tied:  # a tie at the cut
        above = np.flatnonzero(scores[row] > threshold[row])
        equal = np.flatnonzero(scores[row] == threshold[row])[: k - len(above)]
        top[row] = np.concatenate([above, equal])
    values = np.take_along_axis(scores, top, axis=1)
    return np.take_along_axis(top, np.lexsort((top, -values), axis=1), axis=1)


def _top_k_torch(scores: np.ndarray | torch.Tensor, k: int, exclude: sp.csr_matrix | None,
                 in_place: bool = False) -> np.ndarray:
    import torch

    if isinstance(scores, torch.Tensor):
        tensor = scores.to(torch.float32)
        if not bool(torch.isnan(tensor.sum())):
            tensor = tensor.clone() if tensor.data_ptr() == scores.data_ptr() else tensor
        else:
            tensor = torch.nan_to_num(tensor, nan=-torch.inf, posinf=torch.inf, neginf=-torch.inf)
    else:
        tensor = torch.from_numpy(_ranked_copy(np.asarray(scores, dtype=np.float32), in_place))
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        rows, cols = (torch.from_numpy(a.astype(np.int64)).to(tensor.device) for a in (coo.row, coo.col))
        tensor[rows, cols] = -torch.inf
    width = tensor.shape[1]
    # One more than k: a tie at the cut shows as k-th == (k+1)-th.
    if tensor.device.type == "cpu" and width >= 4 * (k + 1) * TOP_K_BLOCK:
        values, indices = _torch_top_by_blocks(tensor, k + 1)
    else:
        values, indices = torch.topk(tensor, min(k + 1, width), dim=1)
    top = indices[:, :k].cpu().numpy()
    next_best = values[:, k].cpu().numpy() if width > k else np.full(len(top), np.nan, np.float32)
    return _ties_to_lower_index(tensor.cpu().numpy(), top, next_best)


def _torch_top_by_blocks(tensor: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.topk's `count` best values and positions per row (best first), from the cells of each
    row's `count` blocks of highest maximum and the short last block: exact by _top_k_by_blocks'
    argument. On CPU it takes about a quarter of torch.topk's own time over 50,000-wide rows, and a
    test evaluation at that width 0.69-0.87x of its time (docs/benchmarks.md, "Ranking by blocks")."""
    import torch

    n, width = tensor.shape
    blocks = width // TOP_K_BLOCK
    maxima = tensor[:, :blocks * TOP_K_BLOCK].reshape(n, blocks, TOP_K_BLOCK).amax(dim=2)
    best_blocks = torch.topk(maxima, count, dim=1).indices
    offsets = torch.arange(TOP_K_BLOCK, device=tensor.device)
    cells = (best_blocks[:, :, None] * TOP_K_BLOCK + offsets).reshape(n, -1)
    tail = torch.arange(blocks * TOP_K_BLOCK, width, device=tensor.device).expand(n, width - blocks * TOP_K_BLOCK)
    cells = torch.cat([cells, tail], dim=1)
    values, order = torch.topk(torch.gather(tensor, 1, cells), count, dim=1)
    return values, torch.gather(cells, 1, order)


def ranking_metrics(top: np.ndarray, relevant: sp.csr_matrix, k: int) -> dict[str, np.ndarray]:
    """Per-user metrics from ranked lists `top` (n x k) and a relevance CSR (n x items)."""
    n = top.shape[0]
    rows = np.repeat(np.arange(n), top.shape[1])
    hits = np.asarray(relevant[rows, top.ravel()]).reshape(top.shape) > 0
    n_rel = np.diff(relevant.indptr)
    discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = np.cumsum(np.r_[0.0, discounts])[np.minimum(n_rel, k)]
    cum_hits = np.cumsum(hits, axis=1)
    precision_at_rank = cum_hits / np.arange(1, top.shape[1] + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "ndcg": (hits * discounts).sum(1) / ideal,
            "precision": hits.sum(1) / k,
            "recall": hits.sum(1) / n_rel,
            "map": (precision_at_rank * hits).sum(1) / np.minimum(n_rel, k),
            "hit_rate": hits.any(1).astype(np.float64),
        }


# The cut-off every model chooses its settings on (each search, a GNN's epochs and blend), and so the
# one every validation figure is read at, whatever k a table reports on test: a `--k 20` run's
# validation column mixed the searches' @10 with refitted baselines' @20, and put EASE first.
VALIDATION_K = 10


def evaluate(score_users: ScoreFn, train: sp.csr_matrix, test: sp.csr_matrix, k: int = VALIDATION_K,
             batch_size: int | None = None, exclude_extra: sp.csr_matrix | None = None,
             memory_budget: int | None = None) -> dict[str, float]:
    """Mean metrics@k over users with held-out items. score_users(user_indices) -> (n, items).

    Users are scored in batches of at most `batch_size` (default MAX_USERS_PER_BATCH), fewer where
    the catalogue is wide: users_per_batch keeps a batch within `memory_budget` bytes
    (default score_budget_bytes()). The batching never changes the figures."""
    found = evaluate_at(score_users, train, test, (k,), batch_size, exclude_extra, memory_budget)
    return found.by_k[k] | {"users": len(found.users)}


@dataclass(frozen=True)
class Evaluation:
    """Metrics at several cut-offs from one scoring pass, and each test user's nDCG and recall at
    each, aligned with `users` (for paired intervals between models on the same users)."""

    users: np.ndarray
    by_k: dict[int, dict[str, float]]
    per_user: dict[int, dict[str, np.ndarray]]


def evaluate_at(score_users: ScoreFn, train: sp.csr_matrix, test: sp.csr_matrix, ks: tuple[int, ...] = (10,),
                batch_size: int | None = None, exclude_extra: sp.csr_matrix | None = None,
                memory_budget: int | None = None) -> Evaluation:
    """`evaluate` at every cut-off in `ks` at once: users are scored and ranked once, to the largest
    k; a smaller k's list is the first k of it (lists are sorted best first)."""
    def alone(users: np.ndarray) -> Iterator[np.ndarray]:  # scores only when asked: one batch's at a time
        yield score_users(users)

    return evaluate_variants(alone, 1, train, test, ks, batch_size, exclude_extra, memory_budget)[0]


VariantsFn = Callable[[np.ndarray], Iterator[np.ndarray]]


def evaluate_variants(score_variants: VariantsFn, count: int, train: sp.csr_matrix, test: sp.csr_matrix,
                      ks: tuple[int, ...] = (10,), batch_size: int | None = None,
                      exclude_extra: sp.csr_matrix | None = None, memory_budget: int | None = None) -> list[Evaluation]:
    """`evaluate_at` for `count` scorers that share their work (a GNN alone, then its blend, from one
    product of its vectors): score_variants(users) yields each one's scores for a batch in turn,
    each ranked before the next is asked for. Every array but the last may be read again by the
    scorer, so it is ranked on copies; the last is the evaluation's to overwrite."""
    ks = tuple(sorted(set(int(k) for k in ks)))
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if len(users) == 0:
        return [Evaluation(users, {k: {m: float("nan") for m in METRICS} for k in ks},
                           {k: {"ndcg": np.zeros(0), "recall": np.zeros(0)} for k in ks}) for _ in range(count)]
    budget = score_budget_bytes() if memory_budget is None else int(memory_budget)
    step = min(batch_size or MAX_USERS_PER_BATCH, users_per_batch(train.shape[1], budget))
    work = max(1, budget // 4)
    seen = train if exclude_extra is None else (train + exclude_extra).tocsr()
    largest = max(ks)
    per_user: list[dict[int, dict[str, list[np.ndarray]]]] = [
        {k: {m: [] for m in METRICS if m != "coverage"} for k in ks} for _ in range(count)]
    recommended = [{k: np.zeros(train.shape[1], bool) for k in ks} for _ in range(count)]
    for start in range(0, len(users), step):
        batch = users[start:start + step]
        excluded, relevant = seen[batch], test[batch]
        variants = score_variants(batch)
        for index in range(count):
            scores = next(variants)
            top = top_k(scores, largest, excluded, work_bytes=work, overwrite=index == count - 1)
            del scores  # the next batch's scores take its place, not a place beside it
            for k in ks:
                recommended[index][k][top[:, :k].ravel()] = True
                for name, values in ranking_metrics(top[:, :k], relevant, k).items():
                    per_user[index][k][name].append(np.asarray(values, np.float64))
        del variants  # a finished scorer may still hold its last scores: dropped before the next batch's
    return [_evaluation(users, found, shown) for found, shown in zip(per_user, recommended)]


def _evaluation(users: np.ndarray, per_user: dict[int, dict[str, list[np.ndarray]]],
                recommended: dict[int, np.ndarray]) -> Evaluation:
    joined = {k: {name: np.concatenate(parts) for name, parts in found.items()} for k, found in per_user.items()}
    by_k = {k: {name: float(values.sum() / len(users)) for name, values in found.items()}
            | {"coverage": float(recommended[k].mean())} for k, found in joined.items()}
    return Evaluation(users, by_k, {k: {"ndcg": found["ndcg"], "recall": found["recall"]}
                                    for k, found in joined.items()})
