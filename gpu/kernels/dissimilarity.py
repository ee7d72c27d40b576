"""Pairwise dissimilarities between snapshots and distances between subspaces.

Pairwise matrices are computed by blocks of rows through a Gram product
``G = A_blk W B^T`` (``W`` an optional symmetric positive-definite inner
product, e.g. a finite-element mass matrix), so that only one block of the
Gram matrix exists at a time; :func:`iter_dissimilarity_blocks` yields the
blocks for callers that reduce them on the fly. For a set against itself
each block of rows is multiplied only with the columns from its first row on
(the upper triangle), which halves the work; the sine normalizes the
snapshots first, so its Gram blocks hold cosines.

* sine: ``delta(u, v) = sqrt(1 - <u, v>^2 / (|u|^2 |v|^2))``, the sine of the
  angle between the lines spanned by ``u`` and ``v``;
* euclidean: ``|u - v| = sqrt(|u|^2 + |v|^2 - 2 <u, v>)``.

NumPy and CuPy turn the Gram block into dissimilarities with array
expressions; numba fuses that step into one compiled loop; JAX compiles the
whole block. Principal angles between subspaces (:func:`principal_angles`)
use an orthonormalization and two SVDs on the backend's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError

__all__ = ["iter_dissimilarity_blocks", "pairwise_dissimilarity", "principal_angles"]

Kind = Literal["sine", "euclidean"]
_KINDS = ("sine", "euclidean")


def _transform_numpy(gram: Any, left: Any, right: Any, kind: str, xp: Any) -> Any:
    """Dissimilarity from a Gram block: of unit vectors (sine), or with squared norms."""
    if kind == "sine":
        return xp.sqrt(xp.clip(1.0 - gram * gram, 0.0, None))
    return xp.sqrt(xp.clip(left[:, None] + right[None, :] - 2.0 * gram, 0.0, None))


def _transform_inplace(gram: np.ndarray, left: np.ndarray, right: np.ndarray, kind: str) -> None:
    """The NumPy transform without temporaries: ``gram`` becomes the block."""
    if kind == "sine":
        np.multiply(gram, gram, out=gram)
        np.subtract(1.0, gram, out=gram)
    else:
        gram *= -2.0
        gram += left[:, None]
        gram += right[None, :]
    np.maximum(gram, 0.0, out=gram)
    np.sqrt(gram, out=gram)


def _transform_loops(gram: np.ndarray, left: np.ndarray, right: np.ndarray, sine: bool) -> None:
    """In place: ``gram`` becomes the dissimilarity block (numba kernel)."""
    rows, cols = gram.shape
    for i in range(rows):
        for j in range(cols):
            g = gram[i, j]
            value = 1.0 - g * g if sine else left[i] + right[j] - 2.0 * g
            gram[i, j] = np.sqrt(value) if value > 0.0 else 0.0


def _block_jax(a: Any, b: Any, left: Any, right: Any, kind: str) -> Any:
    import jax.numpy as jnp

    return _transform_numpy(a @ b.T, left, right, kind, jnp)


@cache
def _compiled(backend: Backend) -> Any:
    if backend.name == "numba":
        return backend.jit(_transform_loops, cache=False)
    return backend.jit(_block_jax, static_argnums=(4,))


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
    return np.asarray((inner @ x.T).T)


def _gram_host(a: np.ndarray, wb: np.ndarray, rows: slice, cols: slice, same: bool) -> np.ndarray:
    """``a[rows] @ wb[cols].T``; for a set against itself the square on the
    diagonal goes through ``x @ x.T`` (a symmetric rank-k update in BLAS) and
    only the rest through a general product, so no product is computed twice."""
    out = np.empty((rows.stop - rows.start, cols.stop - cols.start), dtype=a.dtype)
    if not same:
        return np.matmul(a[rows], wb[cols].T, out=out)
    width = rows.stop - rows.start
    square = a[rows]
    np.matmul(square, square.T, out=out[:, :width])
    if cols.stop > rows.stop:
        np.matmul(square, a[rows.stop : cols.stop].T, out=out[:, width:])
    return out


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
        Snapshots, one per row.
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
    wb_host = _apply_inner(b_host, inner)
    wa_host = wb_host if symmetric else _apply_inner(a_host, inner)
    left_host = _squared_norms(a_host, wa_host, "a", kind)
    right_host = left_host if symmetric else _squared_norms(b_host, wb_host, "b", kind)
    if kind == "sine":  # unit vectors: the Gram block holds the cosines
        a_host = a_host / np.sqrt(left_host)[:, None]
        same = symmetric and inner is None
        wb_host = a_host if same else wb_host / np.sqrt(right_host)[:, None]
    a_dev = backend.asarray(a_host)
    wb_dev = backend.asarray(wb_host)
    left = backend.asarray(left_host)
    right = backend.asarray(right_host)
    xp = backend.xp
    n_a, n_b = a_host.shape[0], b_host.shape[0]
    for start in range(0, n_a, block_size):
        rows = slice(start, min(start + block_size, n_a))
        cols = slice(start if symmetric else 0, n_b)
        if backend.name == "jax":
            block = np.array(
                _compiled(backend)(a_dev[rows], wb_dev[cols], left[rows], right[cols], kind)
            )
        elif backend.name in ("numpy", "numba"):
            block = _gram_host(a_dev, wb_dev, rows, cols, symmetric and wb_dev is a_dev)
            if backend.name == "numba":
                _compiled(backend)(block, left[rows], right[cols], kind == "sine")
            else:
                _transform_inplace(block, left[rows], right[cols], kind)
        else:
            gram = a_dev[rows] @ wb_dev[cols].T
            block = backend.to_numpy(_transform_numpy(gram, left[rows], right[cols], kind, xp))
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

    Parameters
    ----------
    backend : Backend
        Where to compute.
    a, b, kind, inner, block_size
        As in :func:`iter_dissimilarity_blocks`.
    dtype : numpy dtype
        dtype of the returned matrix (float32 halves its memory).

    Returns
    -------
    numpy.ndarray, shape (n_a, n_b)
        ``D[i, j]`` between ``a[i]`` and ``b[j]`` (``a[j]`` when ``b`` is None;
        then the matrix is symmetric with an exact zero diagonal).
    """
    n_a = np.shape(a)[0]
    n_b = n_a if b is None else np.shape(b)[0]
    out = np.empty((n_a, n_b), dtype=dtype)
    for rows, cols, block in iter_dissimilarity_blocks(
        backend, a, b, kind=kind, inner=inner, block_size=block_size
    ):
        if b is None:
            width = rows.stop - rows.start
            square = np.triu(block[:, :width], 1)  # exact symmetry: the upper part wins
            block[:, :width] = square + square.T
            out[cols, rows] = block.T
        out[rows, cols] = block
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
