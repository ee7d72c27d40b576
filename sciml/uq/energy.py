"""Multivariate ensemble scores: the energy score (standard and fair) and the variogram score.

For an ensemble of vectors :math:`x_1, \\dots, x_M` and an observed vector :math:`y`,

.. math::

    \\mathrm{ES} = \\frac{1}{M}\\sum_i \\lVert x_i - y\\rVert
        - \\frac{1}{2M^2}\\sum_i\\sum_j \\lVert x_i - x_j\\rVert ,

with :math:`2M(M-1)` in the second denominator for the fair score. The
pairwise term costs :math:`O(M^2 d)` per forecast; the numba path runs it as
one tight loop with no temporary arrays, the NumPy path (the reference)
broadcasts over blocks of forecasts.

The variogram score of order :math:`p` (Scheuerer & Hamill 2015) compares
the pairwise variogram of the components,
:math:`\\sum_{k,l} w_{kl}\\,(|y_k - y_l|^p - \\frac{1}{M}\\sum_i |x_{ik} - x_{il}|^p)^2`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpu.errors import ConfigError, InputError
from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._xr import Arg, apply_kernel, finish, flatten_leading, prepare, units_attrs

__all__ = ["energy_score", "variogram_score"]

#: Target number of elements of the pairwise temporaries of the NumPy path.
_NUMPY_BLOCK_ELEMENTS = 1 << 22


def _energy_loop(fc: np.ndarray, y: np.ndarray, fair: bool, skipna: bool, out: np.ndarray) -> None:
    """Energy score of each forecast ``fc[r]`` (members x components) against ``y[r]``."""
    n, size, d = fc.shape
    members = np.empty(size, dtype=np.int64)
    for r in range(n):
        m = 0
        for i in range(size):
            ok = True
            if skipna:
                for k in range(d):
                    if np.isnan(fc[r, i, k]):
                        ok = False
            if ok:
                members[m] = i
                m += 1
        if m == 0 or (fair and m < 2):
            out[r] = np.nan
            continue
        to_obs = 0.0
        pairs = 0.0
        for a in range(m):
            i = members[a]
            s = 0.0
            for k in range(d):
                t = fc[r, i, k] - y[r, k]
                s += t * t
            to_obs += np.sqrt(s)
            for b in range(a + 1, m):
                j = members[b]
                s = 0.0
                for k in range(d):
                    t = fc[r, i, k] - fc[r, j, k]
                    s += t * t
                pairs += np.sqrt(s)
        denom = m * (m - 1) if fair else m * m
        out[r] = to_obs / m - pairs / denom


def _energy_numba(fc: np.ndarray, obs: np.ndarray, *, fair: bool, skipna: bool) -> np.ndarray:
    (fc3, y), lead = flatten_leading([fc, obs], [2, 1])
    out = np.empty(fc3.shape[0])
    compiled(_energy_loop)(
        np.ascontiguousarray(fc3, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        fair,
        skipna,
        out,
    )
    return out.reshape(lead)


def _energy_numpy(fc: np.ndarray, obs: np.ndarray, *, fair: bool, skipna: bool) -> np.ndarray:
    (fc3, y), lead = flatten_leading([fc, obs], [2, 1])
    n, size, d = fc3.shape
    out = np.empty(n)
    block = max(1, _NUMPY_BLOCK_ELEMENTS // (size * size * d))
    for start in range(0, n, block):
        x = fc3[start : start + block].astype(np.float64)
        valid = np.isnan(x).sum(axis=-1) == 0 if skipna else np.ones(x.shape[:2], dtype=bool)
        x = np.where(valid[..., None], x, 0.0)
        m = valid.sum(axis=-1)
        to_obs = np.linalg.norm(x - y[start : start + block, None, :], axis=-1)
        to_obs = np.where(valid, to_obs, 0.0).sum(axis=-1)
        dist = np.linalg.norm(x[:, :, None, :] - x[:, None, :, :], axis=-1)
        both = valid[:, :, None] & valid[:, None, :]
        pairs = 0.5 * np.where(both, dist, 0.0).sum(axis=(1, 2))
        denom = (m * (m - 1) if fair else m * m).astype(np.float64)
        res = np.full(m.shape, np.nan)
        ok = denom > 0
        res[ok] = to_obs[ok] / m[ok] - pairs[ok] / denom[ok]
        out[start : start + block] = res
    return out.reshape(lead)


def energy_score(
    fc: Any,
    obs: Any,
    dim: str = "member",
    feature_dim: str = "component",
    *,
    fair: bool = False,
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Energy score of a multivariate ensemble forecast.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble with dims ``dim`` and ``feature_dim``; a plain array has
        shape ``(..., members, components)``.
    obs : xarray.DataArray or array_like
        The observed vectors, with ``feature_dim`` (plain: ``(..., components)``).
    dim : str, default "member"
        The ensemble dim.
    feature_dim : str, default "component"
        The dim of the vector components.
    fair : bool, default False
        The fair energy score (pairs over :math:`M(M-1)`); needs two members.
    skipna : bool, default False
        ``False``: a NaN raises :class:`~gpu.errors.InputError`. ``True``: a
        member with a NaN component is left out, a NaN observation gives NaN.
    backend : {None, "auto", "numba", "numpy"}
        ``numba`` (default): compiled loop; ``numpy``: the reference.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The energy score of each forecast, in the units of ``obs``.

    Examples
    --------
    >>> fc = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    >>> round(energy_score(fc, [1.0, 1.0]), 10)
    0.758714125
    """
    args = [Arg("fc", fc, (dim, feature_dim)), Arg("obs", obs, (feature_dim,))]
    least = {dim: (2, "the fair energy score needs two members")} if fair else None
    arrays, plain = prepare(args, min_sizes=least)
    kernel = _energy_numba if kernel_backend(backend) == "numba" else _energy_numpy
    attrs = {
        "long_name": f"{'fair ' if fair else ''}energy score of the ensemble forecast",
        **units_attrs(arrays[1]),
    }
    result = apply_kernel(
        kernel,
        arrays,
        args,
        skipna=skipna,
        kwargs={"fair": fair, "skipna": skipna},
        name="energy_score",
        attrs=attrs,
    )
    return finish(result, plain)


def _variogram_loop(
    fc: np.ndarray, y: np.ndarray, w: np.ndarray, p: float, out: np.ndarray
) -> None:
    n, size, d = fc.shape
    for r in range(n):
        total = 0.0
        for k in range(d):
            for j in range(d):
                if k == j:
                    continue
                v_fc = 0.0
                for i in range(size):
                    v_fc += abs(fc[r, i, k] - fc[r, i, j]) ** p
                diff = abs(y[r, k] - y[r, j]) ** p - v_fc / size
                total += w[k, j] * diff * diff
        out[r] = total


def _variogram_numba(
    fc: np.ndarray, obs: np.ndarray, *, weights: np.ndarray, p: float
) -> np.ndarray:
    (fc3, y), lead = flatten_leading([fc, obs], [2, 1])
    out = np.empty(fc3.shape[0])
    compiled(_variogram_loop)(
        np.ascontiguousarray(fc3, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        weights,
        float(p),
        out,
    )
    return out.reshape(lead)


def _variogram_numpy(
    fc: np.ndarray, obs: np.ndarray, *, weights: np.ndarray, p: float
) -> np.ndarray:
    (fc3, y), lead = flatten_leading([fc, obs], [2, 1])
    v_fc = (np.abs(fc3[:, :, :, None] - fc3[:, :, None, :]) ** p).mean(axis=1)
    v_obs = np.abs(y[:, :, None] - y[:, None, :]) ** p
    return ((weights * (v_obs - v_fc) ** 2).sum(axis=(1, 2))).reshape(lead)


def variogram_score(
    fc: Any,
    obs: Any,
    dim: str = "member",
    feature_dim: str = "component",
    *,
    p: float = 0.5,
    weights: Any = None,
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Variogram score of order ``p`` of a multivariate ensemble forecast.

    Parameters
    ----------
    fc, obs, dim, feature_dim
        As in :func:`energy_score`.
    p : float, default 0.5
        Order of the variogram (positive).
    weights : array_like, optional
        Non-negative ``(components, components)`` weights of the component
        pairs; all ones by default.
    skipna : bool, default False
        ``False``: a NaN raises :class:`~gpu.errors.InputError`; ``True``: a
        forecast with a NaN gets a NaN score.
    backend : {None, "auto", "numba", "numpy"}
        ``numba`` (default) or ``numpy`` (reference).

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The variogram score of each forecast (units of ``obs`` to the power ``2p``).
    """
    if not p > 0:
        raise ConfigError(f"p must be positive (0.5 is usual), got {p!r}")
    args = [Arg("fc", fc, (dim, feature_dim)), Arg("obs", obs, (feature_dim,))]
    arrays, plain = prepare(args)
    d = arrays[1].sizes[feature_dim]
    w = np.ones((d, d)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (d, d) or np.any(~(w >= 0)):
        raise InputError(
            f"weights must be a non-negative array of shape ({d}, {d}), got shape {w.shape}"
        )
    kernel = _variogram_numba if kernel_backend(backend) == "numba" else _variogram_numpy
    result = apply_kernel(
        kernel,
        arrays,
        args,
        skipna=skipna,
        kwargs={"weights": w, "p": float(p)},
        name="variogram_score",
        attrs={"long_name": f"variogram score of order {p:g}"},
    )
    return finish(result, plain)
