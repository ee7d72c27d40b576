"""Snapshot dissimilarities and Grassmann distances, on any backend.

The sine dissimilarity ``delta(u, v) = sqrt(1 - <u, v>^2 / (|u|^2 |v|^2))``
is the relative projection error of ``u`` onto the line spanned by ``v``:
invariant to the scale and sign of either snapshot, it groups snapshots that
one small basis represents well. Grassmann distances compare subspaces
through their principal angles ``theta_i``: chordal ``|sin theta|_2``,
geodesic ``|theta|_2`` and projection ``max sin theta``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from gpu import get_backend
from gpu.errors import ConfigError
from gpu.kernels.dissimilarity import pairwise_dissimilarity, principal_angles
from solvers.rom._snapshots import as_matrix

__all__ = ["euclidean_dissimilarity", "grassmann_distance", "sine_dissimilarity"]


def _matrix(x: Any, name: str) -> np.ndarray:
    """Snapshots as rows; float32 input stays float32 (computed in float32)."""
    single = getattr(x, "dtype", None) == np.float32
    return as_matrix(x, name=name, dtype=np.float32 if single else float).values


def sine_dissimilarity(
    a: Any,
    b: Any = None,
    inner: Any = None,
    *,
    backend: str | None = "numpy",
    block_size: int = 1024,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Pairwise sine dissimilarity, computed by blocks.

    Parameters
    ----------
    a : xarray.DataArray or array_like
        Snapshots (``snapshot`` dim, or rows of a 2-D array).
    b : xarray.DataArray or array_like, optional
        Second set; by default ``a`` against itself (symmetric, zero diagonal).
    inner : array_like or sparse matrix, optional
        Symmetric positive-definite inner product, e.g. a mass matrix.
    backend : str
        Array backend (``numpy``, ``numba``, ``jax``, ``cupy``, ``auto``).
    block_size : int
        Rows per block: memory is one ``block_size``-row Gram block at a time.
    dtype : numpy dtype
        dtype of the result. The computation runs in float64 unless both
        sets are float32 arrays (a user choice: half the memory, absolute
        errors up to about 1e-4).

    Returns
    -------
    numpy.ndarray, shape (n_a, n_b)
        Values in [0, 1]; near-parallel pairs are refined to an absolute
        error of a few ``eps`` (see :mod:`gpu.kernels.dissimilarity`).

    Raises
    ------
    InputError
        NaN or zero snapshots (the sine is undefined for a zero vector), or
        sets of different dof counts.
    """
    return pairwise_dissimilarity(
        get_backend(backend),
        _matrix(a, "a"),
        None if b is None else _matrix(b, "b"),
        kind="sine",
        inner=inner,
        block_size=block_size,
        dtype=dtype,
    )


def euclidean_dissimilarity(
    a: Any,
    b: Any = None,
    inner: Any = None,
    *,
    backend: str | None = "numpy",
    block_size: int = 1024,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Pairwise Euclidean distance ``|u - v|`` (in the ``inner`` norm), by blocks.

    Parameters and errors are those of :func:`sine_dissimilarity`, except
    that zero snapshots are allowed.

    Returns
    -------
    numpy.ndarray, shape (n_a, n_b)
    """
    return pairwise_dissimilarity(
        get_backend(backend),
        _matrix(a, "a"),
        None if b is None else _matrix(b, "b"),
        kind="euclidean",
        inner=inner,
        block_size=block_size,
        dtype=dtype,
    )


def grassmann_distance(
    a: Any,
    b: Any,
    kind: Literal["chordal", "geodesic", "projection"] = "geodesic",
    *,
    backend: str | None = "numpy",
) -> float:
    """Distance between the subspaces spanned by the columns of ``a`` and ``b``.

    Parameters
    ----------
    a, b : array_like, shape (n_dofs, k)
        Bases of two k-dimensional subspaces (orthonormal or not).
    kind : {"chordal", "geodesic", "projection"}
        ``chordal``: ``sqrt(sum sin^2 theta_i)``; ``geodesic`` (arc length on
        the Grassmann manifold): ``sqrt(sum theta_i^2)``; ``projection``
        (``|P_a - P_b|_2``): ``max sin theta_i``.
    backend : str
        Array backend for the QR and SVDs.

    Returns
    -------
    float
        Zero for the same subspace whatever its basis.

    Raises
    ------
    InputError
        Shapes differ, NaN, or a rank-deficient basis.
    ConfigError
        Unknown ``kind``.
    """
    if kind not in ("chordal", "geodesic", "projection"):
        raise ConfigError(f"kind must be chordal, geodesic or projection, got {kind!r}")
    theta = principal_angles(get_backend(backend), a, b)
    if kind == "geodesic":
        return float(np.linalg.norm(theta))
    sines = np.sin(theta)
    return float(np.linalg.norm(sines) if kind == "chordal" else sines.max())
