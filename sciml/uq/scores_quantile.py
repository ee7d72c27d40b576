"""Scores of quantile and interval forecasts: the quantile (pinball) and interval scores.

Both are elementwise: inputs broadcast (xarray by dim name, plain arrays as
in NumPy) and the result keeps every dim, e.g. the ``quantile`` dim of a set
of quantile forecasts -- average it for the (scaled) CRPS of the quantiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError
from sciml.uq._xr import Arg, apply_kernel, finish, prepare, units_attrs

__all__ = ["interval_score", "quantile_score"]


def _check_levels(alpha: np.ndarray) -> None:
    bad = (alpha <= 0) | (alpha >= 1)
    if np.any(bad):
        raise InputError(
            f"alpha must lie strictly between 0 and 1, got e.g. {alpha[bad].flat[0]!r}"
        )


def _quantile_kernel(q: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    _check_levels(alpha)
    return ((y < q) - alpha) * (q - y)


def _interval_kernel(
    y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    _check_levels(alpha)
    if np.any(lower > upper):
        raise InputError("lower must not exceed upper: swap the bounds or check the levels")
    below = np.where(y < lower, lower - y, 0.0)
    above = np.where(y > upper, y - upper, 0.0)
    return (upper - lower) + (2.0 / alpha) * (below + above)


def quantile_score(
    fc: Any,
    obs: Any,
    alpha: Any = None,
    *,
    quantile_dim: str = "quantile",
    skipna: bool = False,
) -> Any:
    """Quantile (pinball) score of quantile forecasts.

    :math:`\\mathrm{QS}_\\alpha(q, y) = (\\mathbf{1}\\{y < q\\} - \\alpha)(q - y)`,
    which is :math:`\\alpha (y - q)` when ``y`` is above the quantile and
    :math:`(1 - \\alpha)(q - y)` below it.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        Forecast quantiles.
    obs : xarray.DataArray or array_like
        Observations; broadcast against ``fc``.
    alpha : xarray.DataArray or array_like, optional
        Quantile levels in (0, 1), broadcast against ``fc``. By default the
        ``quantile_dim`` coordinate of ``fc``.
    quantile_dim : str, default "quantile"
        Dim of ``fc`` whose coordinate holds the levels when ``alpha`` is omitted.
    skipna : bool, default False
        ``False``: a NaN input raises :class:`~gpu.errors.InputError`;
        ``True``: it gives a NaN score.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The score of each quantile forecast, in the units of ``obs``.

    Examples
    --------
    >>> round(quantile_score(1.0, 0.0, 0.3), 12)
    0.7
    """
    if alpha is None:
        if not (isinstance(fc, xr.DataArray) and quantile_dim in fc.coords):
            raise InputError(
                f"pass alpha=, or give fc a {quantile_dim!r} coordinate holding the levels"
            )
        alpha = fc[quantile_dim]
    args = [Arg("fc", fc), Arg("obs", obs), Arg("alpha", alpha)]
    arrays, plain = prepare(args)
    attrs = {"long_name": "quantile (pinball) score", **units_attrs(arrays[1], arrays[0])}
    result = apply_kernel(
        _quantile_kernel, arrays, args, skipna=skipna, name="quantile_score", attrs=attrs
    )
    return finish(result, plain)


def interval_score(obs: Any, lower: Any, upper: Any, alpha: Any, *, skipna: bool = False) -> Any:
    """Interval (Winkler) score of central prediction intervals.

    :math:`\\mathrm{IS}_\\alpha = (u - l) + \\frac{2}{\\alpha}(l - y)\\mathbf{1}\\{y < l\\}
    + \\frac{2}{\\alpha}(y - u)\\mathbf{1}\\{y > u\\}` for the
    :math:`(1 - \\alpha)` interval :math:`[l, u]`.

    Parameters
    ----------
    obs : xarray.DataArray or array_like
        Observations.
    lower, upper : xarray.DataArray or array_like
        Interval bounds, ``lower <= upper``.
    alpha : float or array_like
        Miscoverage level in (0, 1) (0.1 for a 90 % interval).
    skipna : bool, default False
        As in :func:`quantile_score`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The score of each interval, in the units of ``obs``.

    Examples
    --------
    >>> interval_score(0.0, 1.0, 2.0, 0.1)
    21.0
    """
    args = [Arg("obs", obs), Arg("lower", lower), Arg("upper", upper), Arg("alpha", alpha)]
    arrays, plain = prepare(args)
    attrs = {"long_name": "interval score", **units_attrs(*arrays[:3])}
    result = apply_kernel(
        _interval_kernel, arrays, args, skipna=skipna, name="interval_score", attrs=attrs
    )
    return finish(result, plain)
