"""Closed-form CRPS and log score of parametric forecasts: normal, logistic, normal mixture.

All inputs broadcast against each other (xarray by dim name, plain arrays as
in NumPy); the mixture functions take the mixture components along a core
dim (``mixture`` by default, the last axis of plain arrays). Scale
parameters must be positive. The log score is the negative log density
(lower is better), in nats.

References: Gneiting & Raftery (2007) for the normal CRPS; Taillardat et al.
(2016) for the logistic; Grimit et al. (2006) for the normal mixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import logsumexp, ndtr

from sciml.uq._xr import (
    Arg,
    apply_kernel,
    check_positive,
    finish,
    flatten_leading,
    prepare,
    units_attrs,
)

__all__ = [
    "crps_logistic",
    "crps_mixnorm",
    "crps_normal",
    "log_score_logistic",
    "log_score_mixnorm",
    "log_score_normal",
]

_INV_SQRT_PI = 1.0 / np.sqrt(np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def _crps_normal_kernel(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (y - mu) / sigma
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return sigma * (z * (2.0 * ndtr(z) - 1.0) + 2.0 * pdf - _INV_SQRT_PI)


def _crps_logistic_kernel(y: np.ndarray, mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    z = (y - mu) / s
    # log F(z) = -log(1 + exp(-z)), evaluated stably
    return s * (z + 2.0 * np.logaddexp(0.0, -z) - 1.0)


def _log_score_normal_kernel(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (y - mu) / sigma
    return _HALF_LOG_2PI + np.log(sigma) + 0.5 * z * z


def _log_score_logistic_kernel(y: np.ndarray, mu: np.ndarray, s: np.ndarray) -> np.ndarray:
    z = (y - mu) / s
    return np.log(s) + z + 2.0 * np.logaddexp(0.0, -z)


def _a_term(m: np.ndarray, var: np.ndarray) -> np.ndarray:
    """E|X| for X ~ N(m, var)."""
    sd = np.sqrt(var)
    z = m / sd
    return m * (2.0 * ndtr(z) - 1.0) + 2.0 * sd * _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def _mixture_inputs(
    arrays: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    (y, mu, sigma, w), lead = flatten_leading(arrays, [0, 1, 1, 1])
    w = w / w.sum(axis=-1, keepdims=True)
    return y, mu, sigma, w, lead


def _crps_mixnorm_kernel(*arrays: np.ndarray) -> np.ndarray:
    y, mu, sigma, w, lead = _mixture_inputs(arrays)
    var = sigma * sigma
    first = (w * _a_term(y[:, None] - mu, var)).sum(axis=-1)
    pair = _a_term(mu[:, :, None] - mu[:, None, :], var[:, :, None] + var[:, None, :])
    second = 0.5 * np.einsum("ni,nj,nij->n", w, w, pair)
    return (first - second).reshape(lead)


def _log_score_mixnorm_kernel(*arrays: np.ndarray) -> np.ndarray:
    y, mu, sigma, w, lead = _mixture_inputs(arrays)
    z = (y[:, None] - mu) / sigma
    log_pdf = -_HALF_LOG_2PI - np.log(sigma) - 0.5 * z * z
    return (-logsumexp(log_pdf, b=w, axis=-1)).reshape(lead)


def _score(
    kernel: Callable[..., np.ndarray],
    args: list[Arg],
    positive: Sequence[str],
    *,
    skipna: bool,
    name: str,
    long_name: str,
    units_from_obs: bool = True,
    mixture_dim: str | None = None,
) -> Any:
    arrays, plain = prepare(args)
    arrays = [
        check_positive(da, arg.name) if arg.name in positive else da
        for arg, da in zip(args, arrays, strict=True)
    ]
    if mixture_dim is not None:
        if len(args) == 4:
            arrays[3] = check_positive(arrays[3], "weights", strict=False)
        else:  # equal weights
            size = arrays[1].sizes[mixture_dim]
            args = [*args, Arg("weights", None, (mixture_dim,))]
            arrays.append(xr.DataArray(np.ones(size), dims=(mixture_dim,)))
    attrs = {
        "long_name": long_name,
        **(units_attrs(arrays[0]) if units_from_obs else {"units": "1"}),
    }
    result = apply_kernel(kernel, arrays, args, skipna=skipna, name=name, attrs=attrs)
    return finish(result, plain)


def crps_normal(obs: Any, mu: Any, sigma: Any, *, skipna: bool = False) -> Any:
    """CRPS of a normal forecast :math:`N(\\mu, \\sigma^2)`, in closed form.

    :math:`\\mathrm{CRPS} = \\sigma\\,[z(2\\Phi(z) - 1) + 2\\varphi(z) - 1/\\sqrt{\\pi}]`
    with :math:`z = (y - \\mu)/\\sigma`.

    Parameters
    ----------
    obs, mu, sigma : xarray.DataArray or array_like
        Observation, mean and standard deviation (positive); they broadcast.
    skipna : bool, default False
        ``False``: a NaN input raises :class:`~gpu.errors.InputError`;
        ``True``: it gives a NaN score.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The CRPS, in the units of ``obs`` (a float for scalar inputs).

    Examples
    --------
    >>> round(crps_normal(0.0, 0.0, 1.0), 12)
    0.233694977255
    """
    args = [Arg("obs", obs), Arg("mu", mu), Arg("sigma", sigma)]
    return _score(
        _crps_normal_kernel,
        args,
        ("sigma",),
        skipna=skipna,
        name="crps",
        long_name="CRPS of the normal forecast",
    )


def crps_logistic(obs: Any, mu: Any, s: Any, *, skipna: bool = False) -> Any:
    """CRPS of a logistic forecast with location ``mu`` and scale ``s``, in closed form.

    :math:`\\mathrm{CRPS} = s\\,[z - 2\\log F(z) - 1]` with :math:`z = (y - \\mu)/s`
    and :math:`F` the standard logistic CDF.

    Parameters
    ----------
    obs, mu, s : xarray.DataArray or array_like
        Observation, location and scale (positive); they broadcast.
    skipna : bool, default False
        As in :func:`crps_normal`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The CRPS, in the units of ``obs``.
    """
    args = [Arg("obs", obs), Arg("mu", mu), Arg("s", s)]
    return _score(
        _crps_logistic_kernel,
        args,
        ("s",),
        skipna=skipna,
        name="crps",
        long_name="CRPS of the logistic forecast",
    )


def _mixture_args(obs: Any, mu: Any, sigma: Any, weights: Any, dim: str) -> list[Arg]:
    args = [Arg("obs", obs), Arg("mu", mu, (dim,)), Arg("sigma", sigma, (dim,))]
    if weights is not None:
        args.append(Arg("weights", weights, (dim,)))
    return args


def crps_mixnorm(
    obs: Any,
    mu: Any,
    sigma: Any,
    weights: Any = None,
    dim: str = "mixture",
    *,
    skipna: bool = False,
) -> Any:
    """CRPS of a mixture of normals, in closed form (Grimit et al. 2006).

    Parameters
    ----------
    obs : xarray.DataArray or array_like
        Observations.
    mu, sigma : xarray.DataArray or array_like
        Means and standard deviations (positive) of the components along
        ``dim`` (the last axis of plain arrays).
    weights : xarray.DataArray or array_like, optional
        Non-negative component weights along ``dim``, normalized to sum to
        one; equal weights by default.
    dim : str, default "mixture"
        The component dim.
    skipna : bool, default False
        As in :func:`crps_normal`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The CRPS, in the units of ``obs``.
    """
    args = _mixture_args(obs, mu, sigma, weights, dim)
    return _score(
        _crps_mixnorm_kernel,
        args,
        ("sigma",),
        skipna=skipna,
        name="crps",
        long_name="CRPS of the normal-mixture forecast",
        mixture_dim=dim,
    )


def log_score_normal(obs: Any, mu: Any, sigma: Any, *, skipna: bool = False) -> Any:
    """Log score (negative log density, nats) of a normal forecast.

    Parameters
    ----------
    obs, mu, sigma : xarray.DataArray or array_like
        Observation, mean and standard deviation (positive); they broadcast.
    skipna : bool, default False
        As in :func:`crps_normal`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        :math:`-\\log f(y)` in nats.
    """
    args = [Arg("obs", obs), Arg("mu", mu), Arg("sigma", sigma)]
    return _score(
        _log_score_normal_kernel,
        args,
        ("sigma",),
        skipna=skipna,
        name="log_score",
        long_name="log score of the normal forecast",
        units_from_obs=False,
    )


def log_score_logistic(obs: Any, mu: Any, s: Any, *, skipna: bool = False) -> Any:
    """Log score (negative log density, nats) of a logistic forecast.

    Parameters
    ----------
    obs, mu, s : xarray.DataArray or array_like
        Observation, location and scale (positive); they broadcast.
    skipna : bool, default False
        As in :func:`crps_normal`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        :math:`-\\log f(y)` in nats.
    """
    args = [Arg("obs", obs), Arg("mu", mu), Arg("s", s)]
    return _score(
        _log_score_logistic_kernel,
        args,
        ("s",),
        skipna=skipna,
        name="log_score",
        long_name="log score of the logistic forecast",
        units_from_obs=False,
    )


def log_score_mixnorm(
    obs: Any,
    mu: Any,
    sigma: Any,
    weights: Any = None,
    dim: str = "mixture",
    *,
    skipna: bool = False,
) -> Any:
    """Log score (negative log density, nats) of a mixture of normals.

    Parameters
    ----------
    obs, mu, sigma, weights, dim, skipna
        As in :func:`crps_mixnorm`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        :math:`-\\log \\sum_k w_k \\varphi((y - \\mu_k)/\\sigma_k)/\\sigma_k` in nats.
    """
    args = _mixture_args(obs, mu, sigma, weights, dim)
    return _score(
        _log_score_mixnorm_kernel,
        args,
        ("sigma",),
        skipna=skipna,
        name="log_score",
        long_name="log score of the normal-mixture forecast",
        units_from_obs=False,
        mixture_dim=dim,
    )
