"""Will the run fit in memory? Each model's stage of a Train run or a benchmark is estimated before
anything starts, from the data's shape and the model's settings, as the arrays the stage holds at
its peak; a stage over the memory available is refused with the estimate and the limit in one line.

The estimate is an inventory, not a fit: the dense and sparse arrays each model builds (EASE's
items x items solve, an item-item product's entries, a GNN's embeddings, optimiser state,
propagated layers and softmax logits, the blend's filter, the scoring batches), each counted in
the bytes of its dtype and in as many copies as the code makes. `python -m benchmarks.run_memory`
measures each stage's peak resident memory on six datasets of different shapes: every stage took
at most its estimate, and every stage of more than 100 MB at least 30% of it (docs/benchmarks.md,
"Memory before a run starts").

The limit is GNNREC_MAX_RUN_MB when set, else the memory the machine has available now
(MemAvailable, Linux); where neither is known nothing is refused. The main model's stage over
the limit refuses the run; a comparison model over it is left out with a note, as EASE is above
its dense cap, so the rest of the table still comes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from ..data.limits import MAX_RUN_ENV, available_bytes, limits
from ..errors import ConfigError
from .run_clock import Shape

F32, F64, SPARSE_ENTRY = 4, 8, 12  # bytes: float32, float64, one CSR entry (float64 value + int32 index)
GIB = 1024 ** 3
BASE = 24 * 2 ** 20  # the stage's own Python objects, split views and metrics
TORCH_RUNTIME = 160 * 2 ** 20  # torch's libraries, loaded by the first GNN of a process


@dataclass(frozen=True)
class StageMemory:
    model: str
    bytes: float
    largest: str  # the biggest array, in words: what the message names

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "bytes": self.bytes, "largest": self.largest}


def _scoring(shape: Shape) -> float:
    """Every stage scores validation and test users in batches held to GNNREC_MAX_SCORE_MB."""
    return 2.0 * min(limits().score_mb * 2 ** 20, shape.cells * F32)


def _gram(shape: Shape) -> tuple[float, str]:
    entries = min(shape.pair_products, float(shape.items) ** 2)
    return 3 * entries * SPARSE_ENTRY, f"the item x item co-occurrence ({entries:,.0f} entries)"


def _ease(shape: Shape) -> tuple[float, str]:
    items, users = float(shape.items), float(shape.users)
    if items <= users:  # item space: the Gram matrix, its inverse and B in float64, the weights in float32
        return items ** 2 * (3 * F64 + F32), f"EASE's dense {shape.items:,} x {shape.items:,} solve"
    return (users ** 2 * 2 * F64 + users * items * 3 * F64 + items ** 2 * (F64 + F32),
            f"EASE's dense {shape.items:,} x {shape.items:,} weights")


def _filter(shape: Shape, copies: int = 3) -> tuple[float, str]:
    from ..models.gfcf import LARGE_NNZ, RANK_GRID
    from ..models.graph_filter import BLOCK_CELLS, DENSE_ITEMS, OVERSAMPLE, PRODUCT_THREADS

    rank = RANK_GRID[0] if shape.pairs > LARGE_NNZ else max(RANK_GRID)  # the one SVD the candidates are read from
    # Every co-purchased pair's entry is kept up to DENSE_ITEMS products, the top 200 a row above.
    kept = min(shape.pair_products, float(shape.items) ** 2 if shape.items <= DENSE_ITEMS else shape.items * 200.0)
    spectral = shape.items * (rank + OVERSAMPLE) * F64 * 4  # the randomised SVD's sketch, its iterates, factors
    blocks = (PRODUCT_THREADS - 1) * min(BLOCK_CELLS, kept) * SPARSE_ENTRY  # a product's block per thread, one more
    return copies * kept * SPARSE_ENTRY + spectral + blocks, f"the item x item filter ({kept:,.0f} entries)"


def _polynomial(shape: Shape) -> tuple[float, str]:
    """BSPM's and Turbo-CF's powers of the item graph fill in to every product pair of the catalogue
    below DENSE_ITEMS, the top 200 a row above."""
    from ..models.graph_filter import DENSE_ITEMS

    kept = float(shape.items) ** 2 if shape.items <= DENSE_ITEMS else shape.items * 200.0
    powers = 6 * kept * SPARSE_ENTRY + _filter(shape, copies=0)[0]
    return powers, f"the item x item filter's powers ({kept:,.0f} entries)"


def _walk(shape: Shape) -> tuple[float, str]:
    """RP3beta's walk: its two step matrices, a block of the product per thread (with the copies
    its diagonal's removal makes), and the walk graph (every co-purchased pair below DENSE_ITEMS
    products, the top 200 a row above) with pruned copies of it."""
    from ..models.graph_filter import BLOCK_CELLS, DENSE_ITEMS, PRODUCT_THREADS

    kept = min(shape.pair_products, float(shape.items) ** 2 if shape.items <= DENSE_ITEMS else shape.items * 200.0)
    blocks = PRODUCT_THREADS * 3 * min(float(BLOCK_CELLS), shape.pair_products) * SPARSE_ENTRY
    arrays = (3 * kept + 2 * shape.pairs) * SPARSE_ENTRY + blocks
    return arrays, f"the random walk's item x item graph ({kept:,.0f} entries)"


def _gnn(name: str, shape: Shape, settings: dict[str, Any]) -> tuple[float, str]:
    """The least a GNN's stage needs: the default candidate's embeddings, optimiser state and
    propagated layers, the softmax logits of a batch, the graph, and the blend's graph filter and
    score matrices. The search keeps further candidates only while memory allows (fit/tuning.py)."""
    from ..fit.train import TrainConfig, batch_size_for
    from ..fit.tuning import MAX_BLEND_CELLS, MAX_BLEND_USERS, SEARCH_SPACE, candidate_bytes
    from ..models.registry import SPECS

    config_class = SPECS[name].load().config_class
    known = {f.name for f in fields(config_class)}
    cfg = config_class(**{k: v for k, v in settings.items() if k in known})
    nodes = shape.users + shape.items
    candidate = candidate_bytes(nodes, {k: getattr(cfg, k) for k in SEARCH_SPACE})
    train = TrainConfig()
    columns = shape.items if shape.items <= train.full_softmax_items else train.sampled_negatives
    logits = batch_size_for(shape.users, train) * float(columns) * F32 * 4  # logits, softmax, their gradients
    graph = 2.0 * shape.pairs * 2 * (SPARSE_ENTRY + F64)  # both directions, scipy and torch copies
    blend_cells = min(float(MAX_BLEND_CELLS), min(shape.users, MAX_BLEND_USERS) * float(shape.items))
    # The blend fits both its candidate filters, GF-CF and RP3beta, before keeping one (models/embedding.py).
    blend = _filter(shape)[0] + _walk(shape)[0] + 4 * blend_cells * F32 if getattr(cfg, "blend", False) else 0.0
    largest = max((candidate, f"{cfg.dim}-wide embeddings of {nodes:,} customers and products"),
                  (logits, f"the softmax over {columns:,} products for each batch"),
                  (graph, f"the graph of {shape.pairs:,} purchases"), (blend, "the blend's graph filters"))
    return TORCH_RUNTIME + candidate + logits + graph + blend, largest[1]


def stage_memory(model: str, shape: Shape, settings: dict[str, Any] | None = None) -> StageMemory:
    """A model's stage (fit on train, validation figure, test scoring) at its peak, in bytes."""
    from ..models.registry import SPECS

    settings = settings or {}
    if SPECS[model].is_gnn:
        arrays, largest = _gnn(model, shape, settings)
    elif model == "ease":
        arrays, largest = _ease(shape)
    elif model in ("itemknn", "cooc"):
        arrays, largest = _gram(shape)
    elif SPECS[model].is_filter:
        arrays, largest = {"gfcf": _filter, "rp3beta": _walk}.get(model, _polynomial)(shape)
    else:
        arrays, largest = shape.items * F64, "the popularity counts"
    return StageMemory(model, BASE + arrays + _scoring(shape), largest)


def _gib(value: float) -> str:
    return f"{value / GIB:.1f} GiB" if value >= GIB else f"{value / 2 ** 20:,.0f} MB"


def plan_memory(models: list[str], shape: Shape, settings: dict[str, dict[str, Any]],
                required: frozenset[str] = frozenset()) -> dict[str, str]:
    """Check every model's stage before the run starts (`settings`: model -> its settings). A
    required model over the limit raises ConfigError; each other one over it comes back as
    model -> the note that says why it was left out."""
    from ..models.registry import SPECS

    limit = available_bytes()
    if limit is None:
        return {}
    where = MAX_RUN_ENV if os.environ.get(MAX_RUN_ENV, "").strip() else f"available now; {MAX_RUN_ENV} sets it"
    left_out: dict[str, str] = {}
    for model in models:
        if model == "ease" and shape.items > limits().dense_items:
            continue  # EASE refuses this catalogue itself, naming the models that cover it
        stage = stage_memory(model, shape, settings.get(model, {}))
        if stage.bytes <= limit:
            continue
        found = (f"expected {SPECS[model].label} to fit in {_gib(limit)} of memory ({where}), found it needs about "
                 f"{_gib(stage.bytes)} for {shape.users:,} customers x {shape.items:,} products "
                 f"(largest: {stage.largest})")
        if model in required:
            raise ConfigError(f"{found}; use a sample of the data, a smaller model, or a machine with more memory")
        left_out[model] = f"{SPECS[model].label} left out: {found}"
    return left_out
