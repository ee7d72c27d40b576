"""Numba kernels of the pairwise dissimilarities: fused passes, parallel over rows.

Imported only by the ``numba`` backend of :mod:`gpu.kernels.dissimilarity`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["euclidean_inplace", "mirror_upper", "sine_inplace"]


@numba.njit(parallel=True, cache=False)
def sine_inplace(
    out: np.ndarray, r0: int, c0: int, r_rows: np.ndarray, r_cols: np.ndarray, below: float
) -> np.ndarray:
    """The block of ``out`` at ``(r0, c0)``, of Gram values, becomes sines:
    ``g <- sqrt(max(1 - (g r_rows[i] r_cols[j])^2, 0))``.

    ``out`` is the whole C-ordered matrix (so that the inner loop has unit
    stride and vectorizes). Returns the number of sines below ``below`` in
    each row of the block.
    """
    rows, cols = r_rows.shape[0], r_cols.shape[0]
    counts = np.zeros(rows, dtype=np.int64)
    for i in numba.prange(rows):
        ri = r_rows[i]
        row = out[r0 + i, c0 : c0 + cols]
        hits = 0
        for j in range(cols):
            c = row[j] * ri * r_cols[j]
            d = np.sqrt(max(1.0 - c * c, 0.0))
            row[j] = d
            hits += d < below
        counts[i] = hits
    return counts


@numba.njit(parallel=True, cache=False)
def euclidean_inplace(
    out: np.ndarray, r0: int, c0: int, left: np.ndarray, right: np.ndarray
) -> None:
    """The block of ``out`` at ``(r0, c0)``, of Gram values, becomes distances:
    ``g <- sqrt(max(left[i] + right[j] - 2 g, 0))``."""
    rows, cols = left.shape[0], right.shape[0]
    for i in numba.prange(rows):
        li = left[i]
        row = out[r0 + i, c0 : c0 + cols]
        for j in range(cols):
            row[j] = np.sqrt(max(li + right[j] - 2.0 * row[j], 0.0))


@numba.njit(cache=False)
def _mirror_tile_row(out: np.ndarray, bi: int, tile: int) -> None:
    n = out.shape[0]
    i0 = bi * tile
    i1 = min(i0 + tile, n)
    for j0 in range(0, i1, tile):  # tiles left of and on the diagonal
        j1 = min(j0 + tile, n)
        for i in range(i0, i1):
            for j in range(j0, min(j1, i)):
                out[i, j] = out[j, i]


@numba.njit(parallel=True, cache=False)
def mirror_upper(out: np.ndarray, tile: int) -> None:
    """Copy the strict upper triangle of the square ``out`` onto the lower one.

    Works tile by tile so that reads and writes both stay in cache; tile rows
    ``b`` and ``n_tiles - 1 - b`` go to the same thread, which balances the
    triangle between threads.
    """
    n_tiles = (out.shape[0] + tile - 1) // tile
    for b in numba.prange((n_tiles + 1) // 2):
        _mirror_tile_row(out, b, tile)
        if n_tiles - 1 - b != b:
            _mirror_tile_row(out, n_tiles - 1 - b, tile)
