"""Pairwise dissimilarities between snapshots and distances between subspaces.

Pairwise matrices are computed by blocks of rows through a Gram product
``G = A_blk W B^T`` (``W`` an optional symmetric positive-definite inner
product, e.g. a finite-element mass matrix), so that only one block of the
Gram matrix exists at a time; :func:`iter_dissimilarity_blocks` yields the
blocks for callers that reduce them on the fly. For a set against itself
each block of rows is multiplied only with the columns from its first row on
(the upper triangle, its diagonal square through a symmetric rank-k update),
which halves the work, and the lower triangle is mirrored from the upper one.

* sine: ``delta(u, v) = sqrt(1 - c^2)``, ``c = <u, v> / (|u| |v|)``, the sine
  of the angle between the lines spanned by ``u`` and ``v``;
* euclidean: ``|u - v| = sqrt(|u|^2 + |v|^2 - 2 <u, v>)``.

The Gram block is written straight into the output matrix and turned into
dissimilarities in place, the normalization by ``1 / (|u| |v|)`` fused into
that pass (no normalized copy of the snapshots): NumPy runs its ufuncs on
cache-sized strips of rows, numba one parallel loop; JAX compiles the whole
block and CuPy runs array expressions.

Near-parallel pairs: ``c`` carries a rounding error of about ``eps``, so
``sqrt(1 - c^2)`` has an absolute error of about ``eps / delta`` and loses
all digits below ``delta ~ sqrt(eps)``. Pairs below ``eps^(1/4)`` (1.2e-4 in
float64) are therefore recomputed from the normalized difference
``w = |u/|u| - s v/|v||`` (``s`` the sign of ``c``), an accurate chord of the
angle, as ``delta = w sqrt(1 - w^2 / 4)``, at ``O(n_dofs)`` per pair; a
snapshot with more than 16 such partners in a block row (a set of nearly
parallel snapshots, such as scaled copies) keeps ``sqrt(1 - c^2)`` for them,
with an absolute error of about ``sqrt(eps)``.

Principal angles between subspaces (:func:`principal_angles`) use an
orthonormalization and two SVDs on the backend's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError

__all__ = ["iter_dissimilarity_blocks", "pairwise_dissimilarity", "principal_angles"]

Kind = Literal["sine", "euclidean"]
_KINDS = ("sine", "euclidean")
_STRIP = 1 << 15  # elements per NumPy strip (256 KiB in float64): stays in L2
_REFINE_PER_ROW = 16  # near-parallel partners refined per snapshot and block row
_REFINE_CHUNK = 256  # pairs refined at once
_MIRROR_TILE = 64  # rows and columns of a mirrored tile


@dataclass(frozen=True)
class _Sets:
    """Checked inputs: ``left``/``right`` are reciprocal norms (sine) or squared norms."""

    a: np.ndarray
    b: np.ndarray
    wa: np.ndarray
    wb: np.ndarray
    left: np.ndarray
    right: np.ndarray
    kind: str
    symmetric: bool
    syrk: bool  # the diagonal squares are a[rows] @ a[rows].T


def _check_set(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise InputError(f"{name} must be 2-D (snapshots, dofs), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{name} is empty: shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite values: remove those snapshots")
    return arr


def _squared_norms(x: np.ndarray, wx: np.ndarray, name: str, kind: str) -> np.ndarray:
    norms = np.einsum("ij,ij->i", x, wx)
    if kind == "sine":
        zero = np.flatnonzero(norms <= 0.0)
        if zero.size:
            raise InputError(
                f"{name} has {zero.size} zero snapshot(s) (first at index {zero[0]}): "
                "the sine dissimilarity is undefined for a zero vector, which spans no line; "
                "remove them"
            )
    return norms


def _apply_inner(x: np.ndarray, inner: Any) -> np.ndarray:
    if inner is None:
        return x
    if getattr(inner, "shape", None) != (x.shape[1], x.shape[1]):
        raise InputError(
            f"inner must be a ({x.shape[1]}, {x.shape[1]}) matrix to match the dof count, "
            f"got shape {getattr(inner, 'shape', None)}"
        )
    return np.ascontiguousarray(np.asarray((inner @ x.T).T), dtype=x.dtype)


def _prepare(a: Any, b: Any, kind: str, inner: Any, block_size: int) -> _Sets:
    if kind not in _KINDS:
        raise ConfigError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if block_size < 1:
        raise ConfigError(f"block_size must be at least 1, got {block_size}")
    a_host = _check_set(a, "a")
    symmetric = b is None
    b_host = a_host if symmetric else _check_set(b, "b")
    if b_host.shape[1] != a_host.shape[1]:
        raise InputError(
            f"a and b must have the same dof count, got {a_host.shape[1]} and {b_host.shape[1]}"
        )
    dtype = np.result_type(a_host.dtype, b_host.dtype, np.float32)  # integers -> float64
    a_host = np.ascontiguousarray(a_host, dtype=dtype)
    b_host = a_host if symmetric else np.ascontiguousarray(b_host, dtype=dtype)
    wb = _apply_inner(b_host, inner)
    wa = wb if symmetric else _apply_inner(a_host, inner)
    left = _squared_norms(a_host, wa, "a", kind)
    right = left if symmetric else _squared_norms(b_host, wb, "b", kind)
    if kind == "sine":
        left = 1.0 / np.sqrt(left)
        right = left if symmetric else 1.0 / np.sqrt(right)
    return _Sets(a_host, b_host, wa, wb, left, right, kind, symmetric, symmetric and inner is None)


def _tiles(sets: _Sets, block_size: int) -> Iterator[tuple[slice, slice]]:
    n_a, n_b = sets.a.shape[0], sets.b.shape[0]
    for start in range(0, n_a, block_size):
        yield slice(start, min(start + block_size, n_a)), slice(start if sets.symmetric else 0, n_b)


def _gram_host(sets: _Sets, rows: slice, cols: slice, out: np.ndarray) -> None:
    """``out <- a[rows] @ wb[cols].T``; a diagonal square of a set against itself
    goes through ``x @ x.T`` (a symmetric rank-k update in BLAS), the rest
    through a general product, so no product is computed twice."""
    if not sets.syrk:
        np.matmul(sets.a[rows], sets.wb[cols].T, out=out)
        return
    width = rows.stop - rows.start
    square = sets.a[rows]
    np.matmul(square, square.T, out=out[:, :width])
    if cols.stop > rows.stop:
        np.matmul(square, sets.a[rows.stop : cols.stop].T, out=out[:, width:])


def _transform_strips(
    gram: np.ndarray, left: np.ndarray, right: np.ndarray, kind: str, below: float
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy: ``gram`` becomes the dissimilarity block, strip by strip of rows.

    Returns the (row, column) indices of the sines below ``below``.
    """
    step = max(1, _STRIP // gram.shape[1])
    hits_i, hits_j = [], []
    for i in range(0, gram.shape[0], step):
        g = gram[i : i + step]
        if kind == "sine":
            g *= left[i : i + step, None]
            g *= right[None, :]
            np.multiply(g, g, out=g)
            np.subtract(1.0, g, out=g)
        else:
            g *= -2.0
            g += left[i : i + step, None]
            g += right[None, :]
        np.maximum(g, 0.0, out=g)
        np.sqrt(g, out=g)
        if kind == "sine":
            ii, jj = np.nonzero(g < below)
            hits_i.append(ii + i)
            hits_j.append(jj)
    if not hits_i:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    return np.concatenate(hits_i), np.concatenate(hits_j)


def _transform_xp(gram: Any, left: Any, right: Any, kind: str, xp: Any) -> Any:
    """Dissimilarity from a Gram block, as one array expression."""
    if kind == "sine":
        cos = gram * left[:, None] * right[None, :]
        return xp.sqrt(xp.clip(1.0 - cos * cos, 0.0, None))
    return xp.sqrt(xp.clip(left[:, None] + right[None, :] - 2.0 * gram, 0.0, None))


def _block_jax(a: Any, b: Any, left: Any, right: Any, kind: str) -> Any:
    import jax.numpy as jnp

    return _transform_xp(a @ b.T, left, right, kind, jnp)


@cache
def _compiled_jax(backend: Backend) -> Any:
    return backend.jit(_block_jax, static_argnums=(4,))


def _refine(
    sets: _Sets, rows: slice, cols: slice, dest: np.ndarray, ii: np.ndarray, jj: np.ndarray
) -> None:
    """Recompute near-parallel pairs ``dest[ii, jj]`` of a sine block from
    normalized differences."""
    if sets.symmetric:  # the diagonal is set to exact zeros
        off_diagonal = ii + rows.start != jj + cols.start
        ii, jj = ii[off_diagonal], jj[off_diagonal]
    if ii.size == 0:
        return
    keep = np.bincount(ii, minlength=dest.shape[0])[ii] <= _REFINE_PER_ROW
    ii, jj = ii[keep], jj[keep]
    for k in range(0, ii.size, _REFINE_CHUNK):
        bi, bj = ii[k : k + _REFINE_CHUNK], jj[k : k + _REFINE_CHUNK]
        gi, gj = bi + rows.start, bj + cols.start
        su, sv = sets.left[gi, None], sets.right[gj, None]
        wv = sets.wb[gj] * sv
        u = sets.a[gi] * su
        sign = np.where(np.einsum("ij,ij->i", u, wv) < 0.0, -1.0, 1.0)[:, None]
        diff = u - sign * (sets.b[gj] * sv)
        wdiff = diff if sets.wa is sets.a else sets.wa[gi] * su - sign * wv
        chord2 = np.clip(np.einsum("ij,ij->i", diff, wdiff), 0.0, 2.0)
        dest[bi, bj] = np.sqrt(chord2 * (1.0 - 0.25 * chord2))


def _fill(
    backend: Backend,
    sets: _Sets,
    device: Any,
    rows: slice,
    cols: slice,
    base: np.ndarray,
    offset: tuple[int, int],
) -> None:
    """Write the dissimilarities ``D[rows, cols]`` into the C-ordered ``base``
    (the result matrix, or a block of it) from row and column ``offset`` on."""
    r0, c0 = offset
    dest = base[r0 : r0 + rows.stop - rows.start, c0 : c0 + cols.stop - cols.start]
    below = float(np.finfo(sets.a.dtype).eps ** 0.25)  # refined under this sine
    hits: tuple[Any, Any]  # (row, column) indices of the sines below it
    if backend.name in ("numpy", "numba"):
        cast = dest.dtype != sets.a.dtype  # then compute in a block of the input's dtype
        if cast:
            base, r0, c0 = np.empty(dest.shape, sets.a.dtype), 0, 0
        gram = base[r0 : r0 + dest.shape[0], c0 : c0 + dest.shape[1]]
        _gram_host(sets, rows, cols, gram)
        left, right = sets.left[rows], sets.right[cols]
        if backend.name == "numpy":
            hits = _transform_strips(gram, left, right, sets.kind, below)
        else:
            from gpu.kernels import _dissimilarity_numba as kernels

            if sets.kind == "sine":
                counts = kernels.sine_inplace(base, r0, c0, left, right, below)
                rows_hit = np.flatnonzero(counts)  # usually few: search only those rows
                ii, jj = np.nonzero(gram[rows_hit] < below)
                hits = (rows_hit[ii], jj)
            else:
                kernels.euclidean_inplace(base, r0, c0, left, right)
                hits = (np.empty(0, dtype=np.intp),) * 2
        if cast:
            dest[...] = gram
    else:
        a_dev, wb_dev, left_dev, right_dev = device
        if backend.name == "jax":
            block = _compiled_jax(backend)(
                a_dev[rows], wb_dev[cols], left_dev[rows], right_dev[cols], sets.kind
            )
        else:
            gram = a_dev[rows] @ wb_dev[cols].T
            block = _transform_xp(gram, left_dev[rows], right_dev[cols], sets.kind, backend.xp)
        dest[...] = backend.to_numpy(block)
        ii, jj = np.nonzero(dest < below)
        hits = (ii, jj)
    if sets.kind == "sine":
        _refine(sets, rows, cols, dest, *hits)
    if sets.symmetric:
        diag = np.arange(rows.stop - rows.start)
        dest[diag, diag] = 0.0


def _device_arrays(backend: Backend, sets: _Sets) -> Any:
    if backend.name in ("numpy", "numba"):
        return None
    return tuple(backend.asarray(x) for x in (sets.a, sets.wb, sets.left, sets.right))


def _mirror(backend: Backend, out: np.ndarray) -> None:
    """Copy the strict upper triangle of the square ``out`` onto the lower one."""
    if backend.name == "numba":
        from gpu.kernels import _dissimilarity_numba as kernels

        kernels.mirror_upper(out, _MIRROR_TILE)
        return
    for r0 in range(0, out.shape[0], _MIRROR_TILE):  # strips of rows: cache-sized copies
        r1 = min(r0 + _MIRROR_TILE, out.shape[0])
        out[r0:r1, :r0] = out[:r0, r0:r1].T
        tile = out[r0:r1, r0:r1]
        lower = np.tril_indices(r1 - r0, -1)
        tile[lower] = tile.T[lower]


def iter_dissimilarity_blocks(
    backend: Backend,
    a: Any,
    b: Any = None,
    *,
    kind: Kind = "sine",
    inner: Any = None,
    block_size: int = 1024,
) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """Yield the pairwise dissimilarity matrix block by block.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    a : array_like, shape (n_a, n_dofs)
        Snapshots, one per row (float32 input is computed in float32).
    b : array_like, shape (n_b, n_dofs), optional
        Second set; ``None`` compares ``a`` with itself, computing for each
        block of rows only the columns from the block's first row on
        (``cols.start == rows.start``): the upper triangle and the diagonal.
    kind : {"sine", "euclidean"}
        Which dissimilarity.
    inner : array_like or sparse matrix, shape (n_dofs, n_dofs), optional
        Symmetric positive-definite inner-product matrix (default: identity).
    block_size : int
        Rows per block: a block holds at most ``block_size * n_b`` values.

    Yields
    ------
    rows, cols : slice
        Where the block sits in the full matrix.
    block : numpy.ndarray
        The dissimilarities ``D[rows, cols]``, in host memory.

    Raises
    ------
    InputError
        Shapes do not match, values are not finite, or (sine) a snapshot is zero.
    ConfigError
        Unknown ``kind`` or a block size below 1.
    """
    sets = _prepare(a, b, kind, inner, block_size)
    device = _device_arrays(backend, sets)
    for rows, cols in _tiles(sets, block_size):
        block = np.empty((rows.stop - rows.start, cols.stop - cols.start), dtype=sets.a.dtype)
        _fill(backend, sets, device, rows, cols, block, (0, 0))
        yield rows, cols, block


def pairwise_dissimilarity(
    backend: Backend,
    a: Any,
    b: Any = None,
    *,
    kind: Kind = "sine",
    inner: Any = None,
    block_size: int = 1024,
    dtype: Any = np.float64,
) -> np.ndarray:
    """The full pairwise dissimilarity matrix, assembled from blocks.

    On numpy and numba each Gram block is computed straight into the
    returned matrix (when ``dtype`` is the computing dtype) and transformed
    there, so beyond the result only the snapshots and their norms are held.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    a, b, kind, inner, block_size
        As in :func:`iter_dissimilarity_blocks`.
    dtype : numpy dtype
        dtype of the returned matrix (float32 halves its memory; computing
        stays in the input's precision, float64 unless both sets are float32).

    Returns
    -------
    numpy.ndarray, shape (n_a, n_b)
        ``D[i, j]`` between ``a[i]`` and ``b[j]`` (``a[j]`` when ``b`` is None;
        then the matrix is symmetric with an exact zero diagonal).
    """
    sets = _prepare(a, b, kind, inner, block_size)
    device = _device_arrays(backend, sets)
    out = np.empty((sets.a.shape[0], sets.b.shape[0]), dtype=dtype)
    for rows, cols in _tiles(sets, block_size):
        _fill(backend, sets, device, rows, cols, out, (rows.start, cols.start))
    if sets.symmetric:
        _mirror(backend, out)
    return out


def principal_angles(backend: Backend, a: Any, b: Any) -> np.ndarray:
    """Principal angles between the column spaces of ``a`` and ``b``.

    Cosines come from the singular values of ``Qa^T Qb``, sines from those of
    ``Qb - Qa Qa^T Qb``; each angle is taken from whichever is better
    conditioned (arcsin below pi/4, arccos above), so small angles keep full
    accuracy.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    a, b : array_like, shape (n_dofs, k)
        Bases (any, not necessarily orthonormal) of two k-dimensional subspaces.

    Returns
    -------
    numpy.ndarray, shape (k,)
        The angles in [0, pi/2], ascending.

    Raises
    ------
    InputError
        Shapes differ, values are not finite, or a basis is rank deficient.
    """
    a_host, b_host = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_host.ndim != 2 or a_host.shape != b_host.shape:
        raise InputError(
            f"bases must be 2-D (n_dofs, k) with the same shape, got {a_host.shape} "
            f"and {b_host.shape}"
        )
    if a_host.shape[1] > a_host.shape[0]:
        raise InputError(f"a basis has more columns ({a_host.shape[1]}) than dofs")
    if not (np.all(np.isfinite(a_host)) and np.all(np.isfinite(b_host))):
        raise InputError("bases contain NaN or infinite values")
    xp = backend.xp
    qs = []
    for name, host in (("a", a_host), ("b", b_host)):
        q, r = xp.linalg.qr(backend.asarray(host))
        diag = np.abs(backend.to_numpy(xp.diagonal(r)))
        if diag.min() <= 1e-12 * max(diag.max(), np.finfo(float).tiny):
            raise InputError(f"basis {name} is rank deficient: its columns are not independent")
        qs.append(q)
    qa, qb = qs
    cross = qa.T @ qb
    cos = np.clip(backend.to_numpy(xp.linalg.svd(cross, compute_uv=False)), 0.0, 1.0)
    sin = np.clip(backend.to_numpy(xp.linalg.svd(qb - qa @ cross, compute_uv=False)), 0.0, 1.0)
    cos = np.sort(cos)[::-1]
    sin = np.sort(sin)
    return np.where(cos**2 >= 0.5, np.arcsin(sin), np.arccos(cos))
