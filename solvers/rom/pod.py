"""Proper orthogonal decomposition and projection errors.

POD of a snapshot matrix ``X`` (one snapshot per row) is its truncated SVD
``X ~ U S V^T``; the modes are the rows of ``V^T``. Truncation by ``tol``
keeps the fewest modes ``N`` with relative Frobenius residual
``sqrt(sum_{i>N} s_i^2 / sum_i s_i^2) <= tol`` (equivalently a retained
energy fraction of at least ``1 - tol^2``). For large sets a randomized SVD
(a Gaussian range finder with power iterations, Halko, Martinsson & Tropp
2011) replaces the full one.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from solvers.contract import with_provenance
from solvers.rom._snapshots import SnapshotMatrix, as_matrix

__all__ = ["basis_matrix", "pod", "projection_error"]

#: Above this many snapshots and dofs, ``method="auto"`` uses the randomized SVD.
RANDOMIZED_ABOVE = 2000


def _randomized_svd(
    x: np.ndarray, rank: int, seed: int, oversample: int = 10, power: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    width = min(rank + oversample, min(x.shape))
    q, _ = np.linalg.qr(x.T @ rng.standard_normal((x.shape[0], width)))
    for _ in range(power):
        p, _ = np.linalg.qr(x @ q)
        q, _ = np.linalg.qr(x.T @ p)
    _, s, vt = np.linalg.svd(x @ q, full_matrices=False)
    return s[:rank], (vt @ q.T)[:rank]


def pod(
    snapshots: Any,
    n_modes: int | None = None,
    tol: float | None = None,
    center: bool = False,
    *,
    method: Literal["auto", "svd", "randomized"] = "auto",
    seed: int = 0,
) -> xr.Dataset:
    """POD basis of a snapshot set.

    Parameters
    ----------
    snapshots : xarray.DataArray or array_like
        ``(snapshot, dof...)`` DataArray or ``(n_snapshots, n_dofs)`` array.
    n_modes : int, optional
        Number of modes to keep (an upper bound when ``tol`` is also given).
    tol : float, optional
        Relative Frobenius projection-error target in (0, 1): keep the fewest
        modes whose residual ``sqrt(sum_{i>N} s_i^2 / sum s_i^2)`` is below it.
    center : bool
        Subtract the mean snapshot first (the mean is returned as ``mean``).
    method : {"auto", "svd", "randomized"}
        ``auto`` takes the randomized SVD when ``n_modes`` is given, is below a
        tenth of ``min(n_snapshots, n_dofs)``, and both exceed 2000.
    seed : int
        Seed of the randomized SVD.

    Returns
    -------
    xarray.Dataset
        ``modes`` (``mode``, dof...) orthonormal, ``singular_values`` and
        ``residual`` (relative Frobenius error with modes ``0..mode`` kept)
        along ``mode``, and ``mean`` (dof...; zero unless centred).

    Raises
    ------
    ConfigError
        Neither or invalid ``n_modes``/``tol``, or an unknown ``method``.
    InputError
        Bad snapshots (NaN, empty), or ``n_modes`` above the rank bound
        ``min(n_snapshots, n_dofs)``.
    """
    mat = as_matrix(snapshots)
    x = mat.values
    if n_modes is None and tol is None:
        raise ConfigError("give n_modes, tol or both to truncate the POD")
    if tol is not None and not 0.0 < tol < 1.0:
        raise ConfigError(f"tol must be in (0, 1), got {tol}")
    bound = min(x.shape)
    if n_modes is not None:
        if n_modes < 1:
            raise ConfigError(f"n_modes must be at least 1, got {n_modes}")
        if n_modes > bound:
            raise InputError(
                f"n_modes={n_modes} exceeds min(n_snapshots, n_dofs) = {bound}: "
                "a set of that size spans no more modes"
            )
    if method not in ("auto", "svd", "randomized"):
        raise ConfigError(f"method must be auto, svd or randomized, got {method!r}")
    mean = x.mean(axis=0) if center else np.zeros(x.shape[1])
    xc = x - mean
    total = float(np.sum(xc * xc))
    if total == 0.0:
        raise InputError(
            "the snapshots (after centring) are all zero: there is nothing to compress"
        )
    randomized = method == "randomized" or (
        method == "auto"
        and n_modes is not None
        and bound > RANDOMIZED_ABOVE
        and n_modes < bound // 10
    )
    if randomized:
        rank = n_modes if n_modes is not None else bound
        s, vt = _randomized_svd(xc, rank, seed)
    else:
        _, s, vt = np.linalg.svd(xc, full_matrices=False)
    residual = np.sqrt(np.clip(total - np.cumsum(s**2), 0.0, None) / total)
    keep = len(s) if n_modes is None else min(n_modes, len(s))
    if tol is not None:
        below = np.flatnonzero(residual[:keep] <= tol)
        keep = int(below[0]) + 1 if below.size else keep
    modes = mat.fields(vt[:keep], "mode", {"mode": np.arange(keep)})
    ds = xr.Dataset(
        {
            "modes": modes.assign_attrs(units="1", long_name="POD mode (orthonormal)"),
            "singular_values": (
                "mode",
                s[:keep],
                {"units": "1", "long_name": "singular value of the snapshot matrix"},
            ),
            "residual": (
                "mode",
                residual[:keep],
                {"units": "1", "long_name": "relative Frobenius projection error"},
            ),
            "mean": mat.fields(mean[None, :], "mode", {})
            .isel(mode=0)
            .assign_attrs(units="1", long_name="mean snapshot subtracted before the POD"),
        },
        coords={"mode": np.arange(keep)},
    )
    config = {"n_modes": n_modes, "tol": tol, "center": center, "randomized": randomized}
    return with_provenance(ds, backend="numpy", seed=seed if randomized else None, config=config)


def basis_matrix(basis: Any, n_dofs: int) -> tuple[np.ndarray, np.ndarray]:
    """(orthonormal modes as rows ``(N, n_dofs)``, mean ``(n_dofs,)``) of a basis.

    ``basis`` is a :func:`pod` Dataset, a ``(mode, dof...)`` DataArray or a
    ``(N, n_dofs)`` array of modes as rows (orthonormalized here).

    Raises
    ------
    InputError
        The basis has a different dof count than the snapshots, or NaN.
    """
    mean = np.zeros(n_dofs)
    if isinstance(basis, xr.Dataset):
        mean = np.asarray(basis["mean"].values, dtype=float).reshape(-1)
        basis = basis["modes"]
    if isinstance(basis, xr.DataArray):
        if "mode" not in basis.dims:
            raise InputError(f"a basis DataArray needs a 'mode' dimension, got {basis.dims}")
        basis = basis.transpose("mode", ...).values.reshape(basis.sizes["mode"], -1)
    v = np.asarray(basis, dtype=float)
    if v.ndim != 2 or v.shape[1] != n_dofs or mean.shape != (n_dofs,):
        raise InputError(
            f"the basis has {v.shape[-1] if v.ndim else 0} dofs per mode but the snapshots have "
            f"{n_dofs}: a basis must come from snapshots of the same discretization"
        )
    if not np.all(np.isfinite(v)):
        raise InputError("the basis contains NaN or infinite values")
    q, _ = np.linalg.qr(v.T)
    return q.T, mean


def _errors(mat: SnapshotMatrix, modes: np.ndarray, mean: np.ndarray) -> np.ndarray:
    x = mat.values - mean
    residual = x - (x @ modes.T) @ modes
    return np.linalg.norm(residual, axis=1) / np.linalg.norm(mat.values, axis=1)


def projection_error(snapshots: Any, basis: Any) -> xr.DataArray:
    """Relative projection error of each snapshot onto a basis.

    ``|u - m - P(u - m)| / |u|`` with ``P`` the orthogonal projector onto the
    span of the modes and ``m`` the basis's mean (zero unless a centred POD).

    Parameters
    ----------
    snapshots : xarray.DataArray or array_like
        Snapshot set (no zero snapshots: the relative error is undefined).
    basis : xarray.Dataset, xarray.DataArray or array_like
        A :func:`pod` result, a ``(mode, dof...)`` DataArray, or modes as rows.

    Returns
    -------
    xarray.DataArray
        Dim ``snapshot``.

    Raises
    ------
    InputError
        Bad snapshots, or a basis with the wrong dof count.
    """
    mat = as_matrix(snapshots, allow_zero=False)
    modes, mean = basis_matrix(basis, mat.n_dofs)
    return xr.DataArray(
        _errors(mat, modes, mean),
        dims="snapshot",
        name="projection_error",
        attrs={"units": "1", "long_name": "relative projection error"},
    )
