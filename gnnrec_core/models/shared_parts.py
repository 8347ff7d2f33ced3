"""One run, each filter part once. GF-CF, BSPM, Turbo-CF and a GNN's blend build the same pruned
item graph and the same low-pass SVD from the same train split (and from the same validation carve
of it), and the blend searches GF-CF on that carve again. Inside `with sharing():`, which a run
(`benchmark`, an experiment) opens around its models, each part is computed once, keyed by the
matrix's content and every argument that changes it, so a reused part is exactly the part that
would have been computed; outside it nothing is kept. A table's fit seconds count a shared part in
the first model that needed it.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

SHARED_BYTES = 1 << 30  # what `sharing` holds at most, and at most 1/8 of the run's memory limit (oldest dropped first)

T = TypeVar("T")
_SHARED: contextvars.ContextVar[dict[tuple[Hashable, ...], tuple[Any, int]] | None] = contextvars.ContextVar(
    "shared_parts", default=None)


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within, `shared` parts are computed once (the module docstring); on leaving, dropped. A
    context variable, so two runs in two threads (two dashboard sessions) never see each other's."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def forget_shared() -> None:
    """Drop what the current `sharing` block holds (a run moving to data its parts cannot serve)."""
    store = _SHARED.get()
    if store is not None:
        store.clear()


def fingerprint(matrix: sp.spmatrix) -> str:
    """A digest of a sparse matrix's content (shape, dtype, CSR arrays): equal for equal matrices."""
    csr = sp.csr_matrix(matrix)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((csr.shape, str(csr.dtype), str(csr.indices.dtype), str(csr.indptr.dtype))).encode())
    for array in (csr.indptr, csr.indices, csr.data):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def shared(kind: str, matrix: sp.spmatrix, arguments: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """compute(), or what it returned before inside the same `sharing` block for the same kind,
    matrix content and arguments. What it returns is shared: callers build new matrices from it and
    never write into it."""
    store = _SHARED.get()
    if store is None:
        return compute()
    key = (kind, fingerprint(matrix), *arguments)
    if key in store:
        value, size = store.pop(key)
        store[key] = (value, size)  # most recently used last
        return value  # type: ignore[no-any-return]
    value = compute()
    size, room = _nbytes(value), _shared_room()
    if size > room:
        return value  # kept by no one: what is held stays
    while store and sum(held for _, held in store.values()) + size > room:
        store.pop(next(iter(store)))  # least recently used first
    store[key] = (value, size)
    return value


def _shared_room() -> float:
    """SHARED_BYTES, or 1/8 of the run's memory limit where that is less: headroom the run's memory
    plan (pipeline/run_memory.py) does not count stage by stage."""
    from ..data.limits import available_bytes

    limit = available_bytes()
    return float(SHARED_BYTES) if limit is None else min(float(SHARED_BYTES), limit / 8)


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if sp.issparse(value):
        csr = sp.csr_matrix(value)
        return int(csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes)
    if isinstance(value, tuple):
        return sum(_nbytes(part) for part in value)
    return 0
