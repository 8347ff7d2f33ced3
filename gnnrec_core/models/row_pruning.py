"""Each row of a sparse matrix cut to its `neighbours` entries of largest magnitude: how the graph
filters keep item-item graphs and their polynomials at items x neighbours (graph_filter.py).

The rule: an entry is kept when its magnitude is above its row's neighbours-th largest (the row's
threshold); entries equal to the threshold fill the places left in the order they are stored (the
lower columns where a row's indices are sorted); nan counts as magnitude 0. Finding the thresholds
is the only costly part, done one of two ways with the same result:
- where the long rows are mostly full on average (products of a small catalogue's item graph: 70%
  of the cells at 2.5k items) they are scattered into dense blocks and partitioned, linear in the
  width; a row that stores one cell twice sends the matrix to the other way;
- else each row's entries are copied into a block of rows of similar length and partitioned,
  linear in the entries. It replaced one sort of (row, magnitude) keys, five times slower on a
  synthetic block shaped like a 50k-product catalogue's polynomial products (rows of about 3,000
  entries) and 0.73 of BSPM and Turbo-CF's fits there (docs/benchmarks.md, "Pruning rows by threshold").
With the dense way the sample's BSPM and Turbo-CF fits take half the time they took when every
long row was sorted; the two ways cross near 40% of the cells.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DENSE_SHARE = 0.4  # long rows filling this share of the width on average: thresholds by dense partition
DENSE_CHUNK_CELLS = 1 << 23  # rows x width of one dense block (32 MB of float32)
PADDED_CHUNK_CELLS = 1 << 22  # rows x longest row of one block of entries (16 MB of float32)


def prune_rows(matrix: sp.csr_matrix, neighbours: int | None) -> sp.csr_matrix:
    """Each row's `neighbours` entries of largest magnitude (the module's rule), None keeps all. The
    kept entries stay in their stored order."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    counts = np.diff(matrix.indptr)
    if neighbours is None or counts.max(initial=0) <= neighbours:
        return matrix
    neighbours = int(neighbours)
    if neighbours < 1:
        return sp.csr_matrix(matrix.shape, dtype=np.float32)
    magnitude = np.fmax(np.abs(matrix.data), np.float32(0))  # fmax reads nan as 0
    long_rows = np.flatnonzero(counts > neighbours)
    threshold = np.full(matrix.shape[0], -np.inf, np.float32)  # a short row keeps every entry
    threshold[long_rows] = _thresholds(matrix, long_rows, neighbours)
    # Work per entry, no row index array: what a row needs is repeated over its entries.
    row_threshold = np.repeat(threshold, counts)
    above = magnitude > row_threshold
    equal = magnitude == row_threshold
    index = np.int32 if matrix.nnz < 2**31 else np.int64
    above_so_far = np.concatenate([[0], np.cumsum(above, dtype=index)])
    equal_so_far = np.concatenate([[0], np.cumsum(equal, dtype=index)])
    starts, ends = matrix.indptr[:-1], matrix.indptr[1:]
    places_left = neighbours - (above_so_far[ends] - above_so_far[starts])
    last_equal_kept = equal_so_far[starts] + places_left  # counted across rows, as equal_so_far
    keep = above | (equal & (equal_so_far[1:] <= np.repeat(last_equal_kept, counts)))
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, neighbours))])  # exactly k of a long row
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def _thresholds(matrix: sp.csr_matrix, long_rows: np.ndarray, k: int) -> np.ndarray:
    """The k-th largest magnitude of each of `long_rows` (each longer than k)."""
    width = matrix.shape[1]
    counts = np.diff(matrix.indptr)[long_rows]
    if counts.sum() >= DENSE_SHARE * len(long_rows) * width:
        dense = _dense_thresholds(matrix, long_rows, k)
        if dense is not None:
            return dense
    return _partitioned_thresholds(matrix, long_rows, k)


def _dense_thresholds(matrix: sp.csr_matrix, long_rows: np.ndarray, k: int) -> np.ndarray | None:
    """Thresholds by partitioning dense blocks of rows; the cells no entry holds are zeros, which
    cannot change a k-th largest of non-negative magnitudes from a row of more than k entries.
    None where a row stores one cell twice (a dense block would add them): the partition of entries then decides."""
    width = matrix.shape[1]
    found = np.empty(len(long_rows), np.float32)
    step = max(1, DENSE_CHUNK_CELLS // width)
    for start in range(0, len(long_rows), step):
        rows = matrix[long_rows[start:start + step]]
        occupied = sp.csr_matrix((np.ones(rows.nnz, bool), rows.indices, rows.indptr), shape=rows.shape)
        if np.count_nonzero(occupied.toarray()) != rows.nnz:
            return None
        block = rows.toarray()
        np.fmax(np.abs(block, out=block), np.float32(0), out=block)
        found[start:start + len(block)] = np.partition(block, width - k, axis=1)[:, width - k]
    return found


def _partitioned_thresholds(matrix: sp.csr_matrix, long_rows: np.ndarray, k: int) -> np.ndarray:
    """Thresholds by partitioning the rows' entries, copied into blocks of rows of similar length
    (each bin's rows differ by under 19% in entries) padded with -1, below every magnitude; a row
    of more than k entries so keeps its own k-th largest. A cell stored twice is two entries here."""
    starts = matrix.indptr[long_rows]
    counts = matrix.indptr[long_rows + 1] - starts
    magnitude = np.fmax(np.abs(matrix.data), np.float32(0))
    length_bin = np.ceil(np.log2(counts) * 4).astype(np.int64)
    order = np.lexsort((counts, length_bin))
    found = np.empty(len(long_rows), np.float32)
    for group in np.split(order, np.flatnonzero(np.diff(length_bin[order])) + 1):
        longest = int(counts[group].max())
        step = max(1, PADDED_CHUNK_CELLS // longest)
        for start in range(0, len(group), step):
            rows = group[start:start + step]
            lengths = counts[rows]
            offset = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            block = np.full((len(rows), longest), -1.0, np.float32)
            block.ravel()[np.repeat(np.arange(len(rows), dtype=np.int64) * longest, lengths) + offset] = \
                magnitude[np.repeat(starts[rows], lengths) + offset]
            found[rows] = np.partition(block, longest - k, axis=1)[:, longest - k]
    return found
