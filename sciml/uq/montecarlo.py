"""Monte Carlo estimators of a quantity of interest over ensemble members or samples.

:func:`mc_estimate` gives the mean, the variance, quantiles and exceedance
probabilities of a quantity sampled along ``member`` or ``sample``, each
with a confidence interval, and the number of samples that a target
relative error would need.

Confidence intervals (level ``confidence``):

* ``method="normal"`` -- large-sample intervals: the mean ± z s/√n; the
  variance ± z times its asymptotic standard error (from the fourth central
  moment, so valid beyond Gaussian data); distribution-free order-statistic
  intervals for the quantiles (ranks nq ± z√(nq(1-q))); Wilson score
  intervals for the exceedance probabilities.
* ``method="bootstrap"`` -- percentile intervals from ``n_bootstrap``
  resamples. Every cell uses the same resampling indices (drawn from
  ``seed``), so results do not depend on how a dask input is chunked.

Samples needed for a relative half-width ``rel_error`` of the interval:
:math:`n = (z s / (\\varepsilon \\bar{x}))^2` for the mean,
:math:`z^2 (\\hat m_4/s^4 - 1)/\\varepsilon^2` for the variance and
:math:`z^2 (1 - p)/(\\varepsilon^2 p)` for an exceedance probability
(infinite when the estimate is 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import ndtri

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import check_levels
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    as_dims,
    flatten_leading,
    pool_core,
    prepare,
    units_attrs,
)

__all__ = ["mc_estimate"]

#: Elements of one block of bootstrap resamples.
_BOOTSTRAP_BLOCK = 1 << 22
_POINT = (
    "mean",
    "mean_lower",
    "mean_upper",
    "std_error",
    "variance",
    "variance_lower",
    "variance_upper",
    "n_samples",
    "fourth_moment",
)


def _point_stats(x: np.ndarray, levels: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Mean, variance (ddof=1), quantiles and exceedance fractions along the last axis."""
    mean = x.mean(axis=-1)
    var = x.var(axis=-1, ddof=1)
    quant = np.quantile(x, levels, axis=-1).T if levels.size else np.empty((len(x), 0))
    exceed = (x[..., None, :] > thresholds[:, None]).mean(axis=-1)
    return np.column_stack([mean, var, quant, exceed])


def _normal_row(x: np.ndarray, z: float, levels: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    n = x.size
    mean = x.mean()
    var = x.var(ddof=1)
    m4 = np.mean((x - mean) ** 4)
    se_mean = np.sqrt(var / n)
    se_var = np.sqrt(max(m4 - var**2 * (n - 3) / (n - 1), 0.0) / n)
    xs = np.sort(x)
    spread = z * np.sqrt(n * levels * (1 - levels))
    lo_rank = np.clip(np.floor(n * levels - spread), 1, n).astype(np.int64)
    hi_rank = np.clip(np.ceil(n * levels + spread), 1, n).astype(np.int64)
    q = np.quantile(x, levels) if levels.size else levels
    p = (x[:, None] > thresholds).mean(axis=0)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    head = [
        mean,
        mean - z * se_mean,
        mean + z * se_mean,
        se_mean,
        var,
        var - z * se_var,
        var + z * se_var,
        n,
        m4,
    ]
    return np.concatenate(
        [head, q, xs[lo_rank - 1], xs[hi_rank - 1], p, centre - half, centre + half]
    )


def _bootstrap_row(
    x: np.ndarray,
    confidence: float,
    levels: np.ndarray,
    thresholds: np.ndarray,
    n_bootstrap: int,
    seed: int,
) -> np.ndarray:
    n = x.size
    rng = np.random.default_rng(seed)
    block = max(1, _BOOTSTRAP_BLOCK // n)
    draws = []
    for start in range(0, n_bootstrap, block):
        idx = rng.integers(0, n, size=(min(block, n_bootstrap - start), n))
        draws.append(_point_stats(x[idx], levels, thresholds))
    resampled = np.concatenate(draws)  # (B, 2 + Q + T)
    tail = (1 - confidence) / 2
    lower, upper = np.quantile(resampled, [tail, 1 - tail], axis=0)
    point = _point_stats(x[None, :], levels, thresholds)[0]
    mean, var = point[0], point[1]
    m4 = np.mean((x - mean) ** 4)
    q_count = levels.size
    head = [mean, lower[0], upper[0], resampled[:, 0].std(ddof=1), var, lower[1], upper[1], n, m4]
    sl_q, sl_p = slice(2, 2 + q_count), slice(2 + q_count, None)
    return np.concatenate(
        [head, point[sl_q], lower[sl_q], upper[sl_q], point[sl_p], lower[sl_p], upper[sl_p]]
    )


def _mc_kernel(
    x: np.ndarray,
    *,
    ndim: int,
    confidence: float,
    method: str,
    levels: np.ndarray,
    thresholds: np.ndarray,
    n_bootstrap: int,
    seed: int,
    skipna: bool,
) -> np.ndarray:
    (rows,), lead = flatten_leading([pool_core(x, ndim).astype(np.float64)], [1])
    width = len(_POINT) + 3 * (levels.size + thresholds.size)
    out = np.full((rows.shape[0], width), np.nan)
    z = float(ndtri(0.5 + confidence / 2))
    for r, row in enumerate(rows):
        nan = np.isnan(row)
        if nan.any():
            if not skipna:
                continue
            row = row[~nan]
        if row.size < 2:
            continue
        if method == "normal":
            out[r] = _normal_row(row, z, levels, thresholds)
        else:
            out[r] = _bootstrap_row(row, confidence, levels, thresholds, n_bootstrap, seed)
    return out.reshape(*lead, width)


def mc_estimate(
    da: Any,
    dim: str | Sequence[str] = "sample",
    *,
    quantiles: Sequence[float] = (),
    thresholds: Sequence[float] = (),
    confidence: float = 0.95,
    method: str = "normal",
    n_bootstrap: int = 1000,
    rel_error: float = 0.01,
    seed: int = 0,
    skipna: bool = False,
) -> xr.Dataset:
    """Monte Carlo estimates with confidence intervals and the sample sizes they need.

    Parameters
    ----------
    da : xarray.DataArray or array_like
        Samples of the quantity of interest (a plain array: samples on the last axis).
    dim : str or sequence of str, default "sample"
        The sample dim(s), e.g. ``"member"`` or ``["member", "sample"]``.
    quantiles : sequence of float, optional
        Quantile levels in [0, 1] to estimate.
    thresholds : sequence of float, optional
        Thresholds ``t`` whose exceedance probability ``P(X > t)`` to estimate.
    confidence : float, default 0.95
        Level of the confidence intervals.
    method : {"normal", "bootstrap"}
        How the intervals are made (see the module docs).
    n_bootstrap : int, default 1000
        Number of bootstrap resamples.
    rel_error : float, default 0.01
        Target relative half-width of the intervals for the ``n_required_*`` variables.
    seed : int, default 0
        Seed of the bootstrap resampling.
    skipna : bool, default False
        ``True``: NaN samples are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``mean``, ``variance``, and with the levels and thresholds given
        ``quantiles`` (dim ``quantile``) and ``exceedance`` (dim ``threshold``),
        each with ``*_lower``/``*_upper`` bounds; ``std_error`` of the mean,
        ``n_samples`` and ``n_required_mean``, ``n_required_variance``,
        ``n_required_exceedance``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(1.0, 2.0, size=10000)
    >>> est = mc_estimate(x, thresholds=[3.0])
    >>> bool(est.mean_lower < 1.0 < est.mean_upper)
    True
    """
    if method not in ("normal", "bootstrap"):
        raise ConfigError(f"method must be 'normal' or 'bootstrap', got {method!r}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if not rel_error > 0:
        raise ConfigError(f"rel_error must be positive, got {rel_error!r}")
    if not (isinstance(n_bootstrap, int | np.integer) and n_bootstrap >= 10):
        raise ConfigError(f"n_bootstrap must be an integer of at least 10, got {n_bootstrap!r}")
    levels = check_levels(quantiles, "quantiles")
    cuts = check_levels(thresholds, "thresholds", unit_interval=False)
    if not isinstance(da, xr.DataArray) and not isinstance(dim, str):
        raise ConfigError("a plain array has one sample axis (the last): pass dim as one name")
    dims = as_dims(dim, ())
    arg = Arg("da", da, dims)
    arrays, _ = prepare([arg], min_sizes=dict.fromkeys(dims, (1, "no samples")))
    if np.prod([arrays[0].sizes[d] for d in dims]) < 2:
        raise InputError("at least two samples are needed for a variance and an interval")
    q_count, t_count = levels.size, cuts.size
    stats = apply_kernel(
        _mc_kernel,
        arrays,
        [arg],
        skipna=skipna,
        output_core_dims=("_stat",),
        output_sizes={"_stat": len(_POINT) + 3 * (q_count + t_count)},
        kwargs={
            "ndim": len(dims),
            "confidence": confidence,
            "method": method,
            "levels": levels,
            "thresholds": cuts,
            "n_bootstrap": int(n_bootstrap),
            "seed": seed,
            "skipna": skipna,
        },
    )
    return _unpack(stats, arrays[0], levels, cuts, confidence, rel_error, method)


def _unpack(
    stats: xr.DataArray,
    da: xr.DataArray,
    levels: np.ndarray,
    cuts: np.ndarray,
    confidence: float,
    rel_error: float,
    method: str,
) -> xr.Dataset:
    units = units_attrs(da)
    pct = f"{100 * confidence:g} %"
    ci = f"{pct} {method} confidence bound"
    one = dict(
        zip(_POINT, (stats.isel(_stat=i, drop=True) for i in range(len(_POINT))), strict=True)
    )
    data: dict[str, xr.DataArray] = {
        "mean": one["mean"].assign_attrs(long_name="Monte Carlo mean", **units),
        "mean_lower": one["mean_lower"].assign_attrs(long_name=f"lower {ci} of the mean", **units),
        "mean_upper": one["mean_upper"].assign_attrs(long_name=f"upper {ci} of the mean", **units),
        "std_error": one["std_error"].assign_attrs(long_name="standard error of the mean", **units),
        "variance": one["variance"].assign_attrs(long_name="sample variance (unbiased)"),
        "variance_lower": one["variance_lower"].assign_attrs(
            long_name=f"lower {ci} of the variance"
        ),
        "variance_upper": one["variance_upper"].assign_attrs(
            long_name=f"upper {ci} of the variance"
        ),
        "n_samples": one["n_samples"].assign_attrs(units="1", long_name="number of samples used"),
    }
    z = float(ndtri(0.5 + confidence / 2))
    mean, var = one["mean"], one["variance"]
    need = f"samples needed for a relative error of {rel_error:g} at {pct}"
    data["n_required_mean"] = xr.where(
        mean == 0, np.inf, xr.ufuncs.ceil(z**2 * var / (rel_error**2 * mean.where(mean != 0) ** 2))
    ).assign_attrs(units="1", long_name=f"{need} (mean)")
    data["n_required_variance"] = xr.ufuncs.ceil(
        z**2 * (one["fourth_moment"] / var.where(var > 0) ** 2 - 1) / rel_error**2
    ).assign_attrs(units="1", long_name=f"{need} (variance)")
    start = len(_POINT)
    for name, dim, values, long_name in (
        ("quantiles", "quantile", levels, "quantile"),
        ("exceedance", "threshold", cuts, "exceedance probability"),
    ):
        count = values.size
        if not count:
            continue
        parts = [
            stats.isel(_stat=slice(start + k * count, start + (k + 1) * count))
            .rename(_stat=dim)
            .assign_coords({dim: values})
            for k in range(3)
        ]
        start += 3 * count
        attrs = units if name == "quantiles" else {"units": "1"}
        data[name] = parts[0].assign_attrs(long_name=f"Monte Carlo {long_name}", **attrs)
        data[f"{name}_lower"] = parts[1].assign_attrs(
            long_name=f"lower {ci} of the {long_name}", **attrs
        )
        data[f"{name}_upper"] = parts[2].assign_attrs(
            long_name=f"upper {ci} of the {long_name}", **attrs
        )
        if name == "exceedance":
            p = parts[0]
            data["n_required_exceedance"] = xr.where(
                p == 0, np.inf, xr.ufuncs.ceil(z**2 * (1 - p) / (rel_error**2 * p.where(p > 0)))
            ).assign_attrs(units="1", long_name=f"{need} (exceedance)")
    ds = xr.Dataset(data)
    if "quantile" in ds.coords:
        ds["quantile"].attrs.update(units="1", long_name="quantile level")
    if "threshold" in ds.coords:
        ds["threshold"].attrs.update(long_name="exceedance threshold", **units)
    ds.attrs.update(method=method, confidence=confidence, rel_error=rel_error)
    return ds
