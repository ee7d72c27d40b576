"""Ensemble diagnostics: rank and PIT histograms, spread-skill, reliability, summaries
and the entropy decomposition of probabilistic ensembles.

The histograms and averages pool the cases over ``reduce_dims`` (all dims
but the ensemble dim by default) and keep the others, e.g. a rank histogram
per lead time with ``reduce_dims=["sample"]``. Each returns a Dataset with
CF attributes. With ``skipna=True`` a case with a NaN anywhere (observation
or a member) is left out of the pooled statistics; by default a NaN raises
:class:`~gpu.errors.InputError`.

Ties between the observation and members are broken at random (the
observation takes each of the tied ranks with equal probability), from a
hash of the case's position and ``seed``, so results are reproducible and
do not depend on how a dask input is chunked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import chdtrc, entr

from gpu.errors import InputError
from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    as_dims,
    case_uniforms,
    check_binary,
    check_probability,
    finish,
    flatten_leading,
    no_nan,
    prepare,
)

__all__ = [
    "ensemble_summary",
    "entropy_decomposition",
    "pit",
    "pit_histogram",
    "rank_histogram",
    "reliability",
    "spread_skill",
]

#: Streams of the tie-breaking and PIT-randomization uniforms.
_TIE_STREAM, _PIT_STREAM = 0, 1


def _rank_loop(fc: np.ndarray, y: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    """Rank of ``y[r]`` among ``fc[r]`` (ties broken by ``u[r]``), NaN if a NaN is involved."""
    n, size = fc.shape
    for r in range(n):
        yr = y[r]
        below = 0
        tied = 0
        above = 0
        for i in range(size):  # branch-free counting: NaN falls in no class
            v = fc[r, i]
            below += v < yr
            tied += v == yr
            above += v > yr
        if below + tied + above < size or np.isnan(yr):
            out[r] = np.nan
        else:
            out[r] = below + np.floor(u[r] * (tied + 1))


def _rank_numba(fc: np.ndarray, obs: np.ndarray, u: np.ndarray) -> np.ndarray:
    (x, y, uu), lead = flatten_leading([fc, obs, u], [1, 0, 0])
    out = np.empty(x.shape[0])
    compiled(_rank_loop)(x, y, uu, out)
    return out.reshape(lead)


def _rank_numpy(fc: np.ndarray, obs: np.ndarray, u: np.ndarray) -> np.ndarray:
    (x, y, uu), lead = flatten_leading([fc, obs, u], [1, 0, 0])
    below = (x < y[:, None]).sum(axis=-1)
    tied = (x == y[:, None]).sum(axis=-1)
    rank = below + np.floor(uu * (tied + 1))
    bad = np.isnan(y) | np.isnan(x).any(axis=-1)
    return np.where(bad, np.nan, rank).reshape(lead)


def _ranks(
    fc: Any, obs: Any, dim: str, seed: int, skipna: bool, backend: str | None
) -> tuple[xr.DataArray, list[xr.DataArray], list[Arg], bool]:
    args = [Arg("fc", fc, (dim,)), Arg("obs", obs)]
    arrays, plain = prepare(args)
    u = case_uniforms(arrays, args, seed=seed, stream=_TIE_STREAM)
    kernel = _rank_numba if kernel_backend(backend) == "numba" else _rank_numpy
    ranks = apply_kernel(
        kernel,
        [*arrays, u],
        [*args, Arg("u", None)],
        skipna=skipna,
        name="rank",
        attrs={"units": "1", "long_name": "rank of the observation in the ensemble"},
    )
    return ranks, arrays, args, plain


def _bincount_kernel(index: np.ndarray, *, n_bins: int, ndim: int) -> np.ndarray:
    pooled = index.reshape(*index.shape[: index.ndim - ndim], -1)
    (flat,), lead = flatten_leading([pooled], [1])
    rows = np.broadcast_to(np.arange(flat.shape[0])[:, None], flat.shape)
    ok = ~np.isnan(flat)
    codes = rows[ok] * n_bins + flat[ok].astype(np.int64)
    counts = np.bincount(codes, minlength=flat.shape[0] * n_bins)
    return counts.reshape(*lead, n_bins).astype(np.float64)


def _histogram(
    index: xr.DataArray, n_bins: int, reduce_dims: tuple[str, ...], bin_dim: str
) -> xr.DataArray:
    """Counts of the integer-valued ``index`` (NaN left out) pooled over ``reduce_dims``."""
    arg = Arg("index", index, reduce_dims)
    counts = apply_kernel(
        _bincount_kernel,
        [index],
        [arg],
        skipna=True,
        output_core_dims=(bin_dim,),
        output_sizes={bin_dim: n_bins},
        kwargs={"n_bins": n_bins, "ndim": len(reduce_dims)},
    )
    return counts.astype(np.int64)


def _reduce_dims(
    arrays: Sequence[xr.DataArray], reduce_dims: Any, exclude: Sequence[str]
) -> tuple[str, ...]:
    present = [str(d) for da in arrays for d in da.dims if str(d) not in exclude]
    dims = as_dims(reduce_dims, dict.fromkeys(present))
    missing = [d for d in dims if d not in present]
    if missing:
        raise InputError(
            f"reduce_dims {missing} are not dims of the inputs ({sorted(set(present))})"
        )
    return dims


def _flatness(
    counts: xr.DataArray, bin_dim: str
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray]:
    """Cases, chi-squared statistic, its p-value and the squared deviation sum of ``counts``."""
    n_bins = counts.sizes[bin_dim]
    n = counts.sum(bin_dim)
    expected = n.where(n > 0) / n_bins
    sq_dev = ((counts - expected) ** 2).sum(bin_dim)
    chi2 = sq_dev / expected
    p_value = xr.apply_ufunc(
        chdtrc, n_bins - 1, chi2, dask="parallelized", output_dtypes=[np.float64]
    )
    return n, chi2, p_value, sq_dev


def rank_histogram(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    reduce_dims: str | Sequence[str] | None = None,
    seed: int = 0,
    skipna: bool = False,
    backend: str | None = None,
) -> xr.Dataset:
    """Rank (Talagrand) histogram of an ensemble, with its flatness statistics.

    The rank of the observation among the :math:`M` members, :math:`0..M`,
    is uniform for a calibrated ensemble. Besides the counts the result holds
    the Candille-Talagrand :math:`\\delta = \\Delta/\\Delta_0`, with
    :math:`\\Delta = \\sum_k (s_k - N/(M+1))^2` and :math:`\\Delta_0 = NM/(M+1)`
    (about 1 when flat, much larger when not), and the :math:`\\chi^2` test
    of flatness with :math:`M` degrees of freedom.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``, the last axis of a plain array).
    obs : xarray.DataArray or array_like
        The observations (``fc`` without ``dim``).
    dim : str, default "member"
        The ensemble dim.
    reduce_dims : str or sequence of str, optional
        Dims pooled into one histogram; all but ``dim`` by default.
    seed : int, default 0
        Seed of the random tie-breaking.
    skipna : bool, default False
        ``True``: cases with a NaN are left out; ``False``: NaN raises.
    backend : {None, "auto", "numba", "numpy"}
        Where the ranking loop runs.

    Returns
    -------
    xarray.Dataset
        ``count`` and ``frequency`` over the ``rank`` dim; ``n_cases``,
        ``delta``, ``chi2`` and ``p_value`` over the kept dims.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rh = rank_histogram(rng.normal(size=(10000, 9)), rng.normal(size=10000))
    >>> rh.sizes["rank"], bool(rh.p_value > 0.001)
    (10, True)
    """
    ranks, arrays, _, _ = _ranks(fc, obs, dim, seed, skipna, backend)
    size = arrays[0].sizes[dim]
    dims = _reduce_dims(arrays, reduce_dims, (dim,))
    counts = _histogram(ranks, size + 1, dims, "rank")
    n, chi2, p_value, sq_dev = _flatness(counts, "rank")
    delta = sq_dev / (n.where(n > 0) * size / (size + 1))
    ds = xr.Dataset(
        {
            "count": counts.assign_attrs(units="1", long_name="number of cases with this rank"),
            "frequency": (counts / n.where(n > 0)).assign_attrs(
                units="1", long_name="relative frequency of the rank"
            ),
            "n_cases": n.assign_attrs(units="1", long_name="number of cases"),
            "delta": delta.assign_attrs(
                units="1", long_name="Candille-Talagrand delta (1 for a flat histogram)"
            ),
            "chi2": chi2.assign_attrs(units="1", long_name="chi-squared flatness statistic"),
            "p_value": p_value.assign_attrs(
                units="1", long_name="p-value of the chi-squared flatness test"
            ),
        },
        coords={"rank": ("rank", np.arange(size + 1), {"units": "1", "long_name": "rank"})},
    )
    ds.attrs["n_members"] = size
    return ds


def pit(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    seed: int = 0,
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Randomized probability integral transform (PIT) of observations in an ensemble.

    :math:`u = (r + V)/(M + 1)` with :math:`r` the rank of the observation
    (ties broken at random) and :math:`V \\sim U(0, 1)`, so :math:`u` is
    uniform on (0, 1) exactly when the ensemble is calibrated.

    Parameters
    ----------
    fc, obs, dim, seed, skipna, backend
        As in :func:`rank_histogram`.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The PIT value of each case (NaN for cases left out with ``skipna=True``).
    """
    ranks, arrays, args, plain = _ranks(fc, obs, dim, seed, skipna, backend)
    size = arrays[0].sizes[dim]
    v = case_uniforms(arrays, args, seed=seed, stream=_PIT_STREAM)
    values = ((ranks + v) / (size + 1)).rename("pit")
    values.attrs.update(units="1", long_name="randomized PIT value")
    return finish(values, plain)


def _bin_index(values: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum(np.floor(values * bins), bins - 1)


def _pit_index_kernel(values: np.ndarray, *, bins: int) -> np.ndarray:
    return _bin_index(values.astype(np.float64), bins)


def _bin_coords(bins: int) -> dict[str, Any]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "bin": ("bin", np.arange(bins), {"units": "1", "long_name": "probability bin"}),
        "bin_lower": ("bin", edges[:-1], {"units": "1", "long_name": "lower bin edge"}),
        "bin_upper": ("bin", edges[1:], {"units": "1", "long_name": "upper bin edge"}),
    }


def pit_histogram(
    values: Any,
    bins: int = 10,
    *,
    reduce_dims: str | Sequence[str] | None = None,
    skipna: bool = False,
) -> xr.Dataset:
    """Histogram of PIT values on ``bins`` equal bins of [0, 1], with a flatness test.

    Parameters
    ----------
    values : xarray.DataArray or array_like
        PIT values in [0, 1] (from :func:`pit`, or a CDF evaluated at the observations).
    bins : int, default 10
        Number of bins.
    reduce_dims : str or sequence of str, optional
        Dims pooled into one histogram; all by default.
    skipna : bool, default False
        ``True``: NaN values are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``count`` and ``density`` (1 for a flat histogram) over ``bin``, with
        the edges as coordinates; ``n_cases``, ``chi2`` and ``p_value``.
    """
    if not (isinstance(bins, int | np.integer) and bins >= 1):
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    arg = Arg("pit", values)
    arrays, _ = prepare([arg])
    da = check_probability(arrays[0], "PIT values")
    index = apply_kernel(_pit_index_kernel, [da], [arg], skipna=skipna, kwargs={"bins": bins})
    dims = _reduce_dims([da], reduce_dims, ())
    counts = _histogram(index, bins, dims, "bin")
    n, chi2, p_value, _ = _flatness(counts, "bin")
    return xr.Dataset(
        {
            "count": counts.assign_attrs(units="1", long_name="number of PIT values in the bin"),
            "density": (counts * bins / n.where(n > 0)).assign_attrs(
                units="1", long_name="PIT density (1 when calibrated)"
            ),
            "n_cases": n.assign_attrs(units="1", long_name="number of cases"),
            "chi2": chi2.assign_attrs(units="1", long_name="chi-squared flatness statistic"),
            "p_value": p_value.assign_attrs(
                units="1", long_name="p-value of the chi-squared flatness test"
            ),
        },
        coords=_bin_coords(bins),
    )


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
    """
    args = [Arg("fc", fc, (dim,)), Arg("obs", obs)]
    arrays, _ = prepare(args, min_sizes={dim: (2, "a spread needs two members")})
    size = arrays[0].sizes[dim]
    dims = _reduce_dims(arrays, reduce_dims, (dim,))
    per_case = apply_kernel(
        _spread_error_kernel,
        arrays,
        args,
        skipna=skipna,
        output_core_dims=("_stat",),
        output_sizes={"_stat": 2},
    )
    complete = per_case.notnull().all("_stat")
    per_case = per_case.where(complete)
    mean = per_case.mean(dims)
    units = {"units": arrays[1].attrs["units"]} if arrays[1].attrs.get("units") else {}
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
    pooled = [a.reshape(*a.shape[: a.ndim - ndim], -1).astype(np.float64) for a in (p, y)]
    (pp, yy), lead = flatten_leading(pooled, [1, 1])
    ok = ~(np.isnan(pp) | np.isnan(yy))
    rows = np.broadcast_to(np.arange(pp.shape[0])[:, None], pp.shape)[ok]
    codes = rows * bins + _bin_index(pp[ok], bins).astype(np.int64)
    size = pp.shape[0] * bins
    stats_ = [
        np.bincount(codes, minlength=size),
        np.bincount(codes, weights=pp[ok], minlength=size),
        np.bincount(codes, weights=yy[ok], minlength=size),
    ]
    return np.stack(stats_, axis=-1).reshape(*lead, bins, 3).astype(np.float64)


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

    The forecasts are grouped on ``bins`` equal bins of [0, 1]; for each bin
    the result holds the mean forecast probability, the observed frequency of
    the event and the number of forecasts. A reliable forecast lies on the
    diagonal.

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
        Dims pooled; all by default.
    skipna : bool, default False
        ``True``: cases with a NaN are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``forecast_probability``, ``observed_frequency`` (NaN in empty bins)
        and ``count`` over the ``bin`` dim, edges as coordinates.
    """
    if not (isinstance(bins, int | np.integer) and bins >= 1):
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    plain_inputs = not isinstance(fc, xr.DataArray) and not isinstance(obs, xr.DataArray)
    if plain_inputs:
        fc, obs = np.asarray(fc), np.asarray(obs)
        fc, obs = (
            xr.DataArray(np.ravel(fc), dims="sample"),
            xr.DataArray(np.ravel(obs), dims="sample"),
        )
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
        coords=_bin_coords(bins),
    )


def ensemble_summary(
    fc: Any,
    dim: str = "member",
    *,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    skipna: bool = False,
) -> xr.Dataset:
    """Ensemble mean, variance (unbiased), standard deviation and quantiles.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``; at least two).
    dim : str, default "member"
        The ensemble dim.
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Quantile levels in [0, 1] (linear interpolation between members).
    skipna : bool, default False
        ``True``: NaN members are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``mean``, ``variance``, ``std`` and ``quantiles`` (over the ``quantile`` dim).
    """
    levels = np.asarray(quantiles, dtype=np.float64)
    if levels.ndim != 1 or np.any(~((levels >= 0) & (levels <= 1))):
        raise InputError(f"quantiles must be levels in [0, 1], got {quantiles!r}")
    arrays, _ = prepare(
        [Arg("fc", fc, (dim,))], min_sizes={dim: (2, "a variance needs two members")}
    )
    da = arrays[0]
    if da.chunks is not None:
        da = da.chunk({dim: -1})
    if not skipna:
        da = no_nan(da, "fc")
    units = {"units": da.attrs["units"]} if da.attrs.get("units") else {}
    variance = da.var(dim, ddof=1, skipna=skipna)
    q = da.quantile(levels, dim=dim, skipna=skipna)
    q.coords["quantile"].attrs.update(units="1", long_name="quantile level")
    return xr.Dataset(
        {
            "mean": da.mean(dim, skipna=skipna).assign_attrs(long_name="ensemble mean", **units),
            "variance": variance.assign_attrs(long_name="ensemble variance (unbiased)"),
            "std": xr.ufuncs.sqrt(variance).assign_attrs(
                long_name="ensemble standard deviation", **units
            ),
            "quantiles": q.assign_attrs(long_name="ensemble quantiles", **units),
        }
    )


def _entropy_kernel(prob: np.ndarray, *, tol: float) -> np.ndarray:
    (p,), lead = flatten_leading([prob.astype(np.float64)], [2])
    sums = p.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > tol):
        worst = sums.flat[np.nanargmax(np.abs(sums - 1.0))]
        raise InputError(
            f"class probabilities must sum to 1 over the class dim, found a sum of {worst:.6g}"
        )
    total = entr(p.mean(axis=1)).sum(axis=-1)
    aleatoric = entr(p).sum(axis=-1).mean(axis=-1)
    out = np.stack([total, aleatoric, total - aleatoric], axis=-1)
    return out.reshape(*lead, 3)


def entropy_decomposition(
    prob: Any,
    dim: str = "member",
    class_dim: str = "class",
    *,
    base: float | None = None,
    skipna: bool = False,
) -> xr.Dataset:
    """Split the predictive entropy of a probabilistic ensemble into aleatoric and epistemic parts.

    For members each predicting class probabilities :math:`p_m`,
    total :math:`H(\\bar p)` = aleatoric :math:`\\frac{1}{M}\\sum_m H(p_m)`
    (expected entropy) + epistemic (the mutual information between the
    prediction and the member, non-negative by Jensen's inequality).

    Parameters
    ----------
    prob : xarray.DataArray or array_like
        Class probabilities with dims ``dim`` and ``class_dim`` (plain arrays:
        shape ``(..., members, classes)``), summing to one over the classes.
    dim : str, default "member"
        The ensemble dim.
    class_dim : str, default "class"
        The class dim.
    base : float, optional
        Logarithm base (2 for bits); natural logarithm (nats) by default.
    skipna : bool, default False
        ``True``: a case with a NaN gets NaN; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``total``, ``aleatoric`` and ``epistemic`` entropy of each case.
    """
    if base is not None and not base > 1:
        raise InputError(f"base must be larger than 1, got {base!r}")
    arg = Arg("prob", prob, (dim, class_dim))
    arrays, _ = prepare([arg])
    da = check_probability(arrays[0], "prob")
    parts = apply_kernel(
        _entropy_kernel,
        [da],
        [arg],
        skipna=skipna,
        output_core_dims=("_stat",),
        output_sizes={"_stat": 3},
        kwargs={"tol": 1e-6},
    )
    if base is not None:
        parts = parts / np.log(base)
    unit = "nat" if base is None else ("bit" if base == 2 else f"log base {base:g}")
    names = ("total", "aleatoric", "epistemic")
    long_names = (
        "total predictive entropy",
        "aleatoric entropy (expected entropy of the members)",
        "epistemic entropy (mutual information)",
    )
    return xr.Dataset(
        {
            name: parts.isel(_stat=i, drop=True).assign_attrs(units=unit, long_name=long_name)
            for i, (name, long_name) in enumerate(zip(names, long_names, strict=True))
        }
    )
