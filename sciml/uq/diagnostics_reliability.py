"""Is the stated uncertainty the right size? The spread-skill ratio and the reliability diagram.

* :func:`spread_skill` compares an ensemble's spread with the error of its
  mean: for a calibrated ensemble of :math:`M` members their ratio tends to
  :math:`\\sqrt{1 + 1/M}`.
* :func:`reliability` gives the data of a reliability diagram: the observed
  frequency of an event against the forecast probability, on equal-width
  bins (closed on the right, as :func:`sciml.uq.ece`).

Both average over ``reduce_dims`` (all dims but the ensemble dim by default)
and keep the others. With ``skipna=True`` a case with a NaN anywhere is left
out; by default a NaN raises :class:`~gpu.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from sciml.uq._checks import check_count
from sciml.uq._histograms import bin_coords, probability_bin, resolve_reduce_dims
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    as_dims,
    check_binary,
    check_probability,
    flatten_leading,
    no_nan,
    pool_core,
    prepare,
    units_attrs,
)

__all__ = ["reliability", "spread_skill"]


def _spread_error_kernel(fc: np.ndarray, obs: np.ndarray) -> np.ndarray:
    (x, y), lead = flatten_leading([fc, obs], [1, 0])
    x = x.astype(np.float64)
    mean = x.mean(axis=-1)
    out = np.stack([x.var(axis=-1, ddof=1), (mean - y) ** 2], axis=-1)
    return out.reshape(*lead, 2)


def spread_skill(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    reduce_dims: str | Sequence[str] | None = None,
    skipna: bool = False,
) -> xr.Dataset:
    """Spread and skill of an ensemble and their ratio.

    ``spread`` is the root mean (over cases) ensemble variance (unbiased,
    :math:`1/(M-1)`), ``rmse`` the root mean squared error of the ensemble
    mean, and ``ratio = rmse / spread``. For a calibrated ensemble of
    :math:`M` members, :math:`E[(\\bar{x} - y)^2] = (1 + 1/M)\\,\\sigma^2`, so
    the ratio tends to :math:`\\sqrt{1 + 1/M}` (``expected_ratio``); larger
    means under-dispersive (overconfident), smaller over-dispersive.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``; at least two).
    obs : xarray.DataArray or array_like
        The observations.
    dim : str, default "member"
        The ensemble dim.
    reduce_dims : str or sequence of str, optional
        Dims averaged over; all but ``dim`` by default.
    skipna : bool, default False
        ``True``: cases with a NaN are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``spread``, ``rmse``, ``ratio``, ``expected_ratio`` and ``n_cases``.

    Raises
    ------
    InputError
        A missing or mismatched dim, a one-member ensemble, NaN with ``skipna=False``.
    """
    args = [Arg("fc", fc, (dim,)), Arg("obs", obs)]
    arrays, _ = prepare(args, min_sizes={dim: (2, "a spread needs two members")})
    size = arrays[0].sizes[dim]
    dims = resolve_reduce_dims(arrays, reduce_dims, (dim,))
    per_case = apply_kernel(
        _spread_error_kernel,
        arrays,
        args,
        skipna=skipna,
        output_core_dims=("_stat",),
        output_sizes={"_stat": 2},
    )
    complete = per_case.notnull().all("_stat")
    mean = per_case.where(complete).mean(dims)
    units = units_attrs(arrays[1])
    spread = xr.ufuncs.sqrt(mean.isel(_stat=0, drop=True))
    rmse = xr.ufuncs.sqrt(mean.isel(_stat=1, drop=True))
    return xr.Dataset(
        {
            "spread": spread.assign_attrs(
                long_name="ensemble spread (RMS standard deviation)", **units
            ),
            "rmse": rmse.assign_attrs(long_name="RMSE of the ensemble mean", **units),
            "ratio": xr.where(spread > 0, rmse / spread.where(spread > 0), np.inf).assign_attrs(
                units="1", long_name="RMSE-to-spread ratio"
            ),
            "expected_ratio": xr.DataArray(
                np.sqrt(1.0 + 1.0 / size),
                attrs={"units": "1", "long_name": "ratio of a calibrated ensemble, sqrt(1+1/M)"},
            ),
            "n_cases": complete.sum(dims).assign_attrs(units="1", long_name="number of cases"),
        }
    )


def _reliability_kernel(p: np.ndarray, y: np.ndarray, *, bins: int, ndim: int) -> np.ndarray:
    pooled = [pool_core(a, ndim).astype(np.float64) for a in (p, y)]
    (pp, yy), lead = flatten_leading(pooled, [1, 1])
    ok = ~(np.isnan(pp) | np.isnan(yy))
    rows = np.broadcast_to(np.arange(pp.shape[0])[:, None], pp.shape)[ok]
    codes = rows * bins + probability_bin(pp[ok], bins).astype(np.int64)
    size = pp.shape[0] * bins
    sums = [
        np.bincount(codes, minlength=size),
        np.bincount(codes, weights=pp[ok], minlength=size),
        np.bincount(codes, weights=yy[ok], minlength=size),
    ]
    return np.stack(sums, axis=-1).reshape(*lead, bins, 3).astype(np.float64)


def reliability(
    fc: Any,
    obs: Any,
    bins: int = 10,
    *,
    threshold: float | None = None,
    reduce_dims: str | Sequence[str] | None = None,
    skipna: bool = False,
) -> xr.Dataset:
    """Data of a reliability diagram: observed frequency against forecast probability.

    The forecasts are grouped on ``bins`` equal bins of [0, 1], closed on the
    right with 0 in the first (as :func:`sciml.uq.ece`, so the ECE is
    ``sum(count * |observed_frequency - forecast_probability|) / sum(count)``);
    for each bin the result holds the mean forecast probability, the
    observed frequency of the event and the number of forecasts. A reliable
    forecast lies on the diagonal.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        Forecast probabilities in [0, 1] (for an ensemble, use
        :func:`sciml.uq.event_probability` first).
    obs : xarray.DataArray or array_like
        Binary outcomes, or a continuous variable with ``threshold``.
    bins : int, default 10
        Number of probability bins.
    threshold : float, optional
        The event is ``obs >= threshold``.
    reduce_dims : str or sequence of str, optional
        Dims pooled; all by default. Plain arrays are pooled whole.
    skipna : bool, default False
        ``True``: cases with a NaN are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``forecast_probability``, ``observed_frequency`` (NaN in empty bins)
        and ``count`` over the ``bin`` dim, edges as coordinates.

    Raises
    ------
    InputError
        Probabilities outside [0, 1], non-binary ``obs`` without ``threshold``,
        NaN with ``skipna=False``.
    ConfigError
        ``bins`` not a positive integer.
    """
    bins = check_count(bins, "bins")
    if not isinstance(fc, xr.DataArray) and not isinstance(obs, xr.DataArray):
        fc = xr.DataArray(np.ravel(fc), dims="sample")
        obs = xr.DataArray(np.ravel(obs), dims="sample")
    present = [str(d) for da in (fc, obs) for d in getattr(da, "dims", ())]
    dims = as_dims(reduce_dims, dict.fromkeys(present))
    args = [Arg("fc", fc, dims), Arg("obs", obs, dims)]
    arrays, _ = prepare(args)
    p_da = check_probability(arrays[0], "fc")
    y_da = arrays[1]
    if threshold is None:
        y_da = check_binary(y_da, "obs")
    else:
        y_da = xr.where(y_da.isnull(), np.nan, (y_da >= threshold).astype(np.float64))
    if not skipna:
        p_da, y_da = no_nan(p_da, "fc"), no_nan(y_da, "obs")
    sums = apply_kernel(
        _reliability_kernel,
        [p_da, y_da],
        args,
        skipna=True,
        output_core_dims=("bin", "_stat"),
        output_sizes={"bin": bins, "_stat": 3},
        kwargs={"bins": bins, "ndim": len(dims)},
    )
    count = sums.isel(_stat=0, drop=True)
    nonempty = count.where(count > 0)
    return xr.Dataset(
        {
            "forecast_probability": (sums.isel(_stat=1, drop=True) / nonempty).assign_attrs(
                units="1", long_name="mean forecast probability in the bin"
            ),
            "observed_frequency": (sums.isel(_stat=2, drop=True) / nonempty).assign_attrs(
                units="1", long_name="observed frequency of the event in the bin"
            ),
            "count": count.astype(np.int64).assign_attrs(
                units="1", long_name="number of forecasts in the bin"
            ),
        },
        coords=bin_coords(bins),
    )
