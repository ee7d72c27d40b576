"""Distances between two sets of samples, to validate generators and surrogates.

Each function compares a set ``x`` of ``n`` samples with a set ``y`` of ``m``
samples of the same ``d``-dimensional variable: DataArrays with a ``sample``
dim and a ``component`` dim (optional for scalars), or plain arrays of shape
``(n,)`` / ``(n, d)`` (more leading axes broadcast, one distance each).
Other DataArray dims are kept: one distance per, e.g., lead time.

* :func:`sliced_wasserstein` -- sliced Wasserstein-p distance over random directions;
* :func:`mmd2` -- unbiased squared maximum mean discrepancy, Gaussian (RBF) kernel
  with the median-distance bandwidth;
* :func:`energy_distance` -- Székely's energy distance;
* :func:`ks_marginals` -- two-sample Kolmogorov-Smirnov test of each component.

With ``skipna=True`` samples with a NaN component are left out; by default
a NaN raises :class:`~gpu.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from scipy.spatial.distance import cdist, pdist

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import check_count
from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._xr import Arg, apply_kernel, finish, flatten_leading, prepare, units_attrs

__all__ = ["energy_distance", "ks_marginals", "mmd2", "sliced_wasserstein"]

#: Pooled samples used for the median-distance bandwidth (a random subset beyond).
MEDIAN_SUBSET = 2000


def _with_features(value: Any, feature_dim: str) -> Any:
    if isinstance(value, xr.DataArray):
        return value if feature_dim in value.dims else value.expand_dims(feature_dim, axis=-1)
    if isinstance(value, xr.Dataset):
        return value  # prepare() reports it
    array = np.asarray(value)
    return array[:, None] if array.ndim == 1 else array


def _sample_sets(
    x: Any, y: Any, sample_dim: str, feature_dim: str, least: int
) -> tuple[list[xr.DataArray], list[Arg], bool]:
    core = (sample_dim, feature_dim)
    args = [
        Arg("x", _with_features(x, feature_dim), core),
        Arg("y", _with_features(y, feature_dim), core),
    ]
    why = "the unbiased estimate needs two samples in each set"
    arrays, plain = prepare(
        args,
        min_sizes={sample_dim: (least, why)} if least > 1 else None,
        exclude_dims=(sample_dim,),
    )
    return arrays, args, plain


def _rows(
    x: np.ndarray, y: np.ndarray, skipna: bool
) -> tuple[list[tuple[np.ndarray, np.ndarray] | None], tuple[int, ...]]:
    """Per leading index, the two sample sets as float arrays (None: a NaN with skipna=False)."""
    (xs, ys), lead = flatten_leading([x, y], [2, 2])
    rows: list[tuple[np.ndarray, np.ndarray] | None] = []
    for a, b in zip(xs.astype(np.float64), ys.astype(np.float64), strict=True):
        bad_a, bad_b = np.isnan(a).any(axis=-1), np.isnan(b).any(axis=-1)
        if skipna:
            a, b = a[~bad_a], b[~bad_b]
        elif bad_a.any() or bad_b.any():
            rows.append(None)
            continue
        rows.append((a, b))
    return rows, lead


def _per_row(
    row_fn: Callable[[np.ndarray, np.ndarray], float],
    x: np.ndarray,
    y: np.ndarray,
    *,
    skipna: bool,
    least: int = 1,
) -> np.ndarray:
    rows, lead = _rows(x, y, skipna)
    out = np.full(len(rows), np.nan)
    for r, pair in enumerate(rows):
        if pair is not None and min(len(pair[0]), len(pair[1])) >= least:
            out[r] = row_fn(*pair)
    return out.reshape(lead)


def _quantile_grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widths of the intervals between the breakpoints i/n and j/m of [0, 1], and the
    order-statistic index of each sample set on each interval (exact integer arithmetic)."""
    knots = np.union1d(np.arange(n + 1) * m, np.arange(m + 1) * n)  # in units of 1/(n m)
    mid2 = knots[:-1] + knots[1:]  # twice the interval midpoints
    return np.diff(knots) / (n * m), mid2 // (2 * m), mid2 // (2 * n)


def _sw_row(a: np.ndarray, b: np.ndarray, *, theta: np.ndarray, p: float) -> float:
    pa = np.sort(a @ theta.T, axis=0)
    pb = np.sort(b @ theta.T, axis=0)
    if len(pa) == len(pb):
        costs = np.mean(np.abs(pa - pb) ** p, axis=0)
    else:
        widths, ia, ib = _quantile_grid(len(pa), len(pb))
        costs = widths @ (np.abs(pa[ia] - pb[ib]) ** p)
    return float(np.mean(costs) ** (1.0 / p))


def _sw_kernel(
    x: np.ndarray, y: np.ndarray, *, theta: np.ndarray, p: float, skipna: bool
) -> np.ndarray:
    return _per_row(lambda a, b: _sw_row(a, b, theta=theta, p=p), x, y, skipna=skipna)


def sliced_wasserstein(
    x: Any,
    y: Any,
    *,
    p: float = 2.0,
    n_projections: int = 128,
    seed: int = 0,
    sample_dim: str = "sample",
    feature_dim: str = "component",
    skipna: bool = False,
) -> Any:
    """Sliced Wasserstein-p distance between two sample sets.

    .. math::

        SW_p = \\Big(\\frac{1}{L}\\sum_{l=1}^{L}
            W_p^p(\\theta_l^\\top x, \\theta_l^\\top y)\\Big)^{1/p}

    over :math:`L` = ``n_projections`` directions drawn uniformly on the unit
    sphere; each one-dimensional :math:`W_p` is exact (sorted samples, the
    quantile functions matched on the common grid when the set sizes differ).
    For two Gaussians with equal covariance and means :math:`\\Delta` apart
    in :math:`d` dimensions, :math:`SW_2 \\to \\lVert\\Delta\\rVert/\\sqrt{d}`.

    Parameters
    ----------
    x, y : xarray.DataArray or array_like
        The sample sets (see the module docs for the layout).
    p : float, default 2
        Order of the distance (at least 1).
    n_projections : int, default 128
        Number of random directions; the Monte Carlo error decreases as
        ``n_projections ** -0.5``.
    seed : int, default 0
        Seed of the directions.
    sample_dim, feature_dim : str
        The sample and component dims of DataArray inputs.
    skipna : bool, default False
        ``True``: samples with a NaN are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.DataArray or float
        The distance, in the units of the samples.
    """
    if not p >= 1:
        raise ConfigError(f"p must be at least 1 (2 for the sliced W2 distance), got {p!r}")
    n_projections = check_count(n_projections, "n_projections")
    arrays, args, plain = _sample_sets(x, y, sample_dim, feature_dim, 1)
    d = arrays[0].sizes[feature_dim]
    theta = np.random.default_rng(seed).standard_normal((n_projections, d))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    result = apply_kernel(
        _sw_kernel,
        arrays,
        args,
        skipna=skipna,
        exclude_dims=(sample_dim,),
        kwargs={"theta": theta, "p": float(p), "skipna": skipna},
        name="sliced_wasserstein",
        attrs={
            "long_name": f"sliced Wasserstein-{p:g} distance ({n_projections} projections)",
            "n_projections": n_projections,
            **units_attrs(arrays[0]),
        },
    )
    return finish(result, plain)


#: The function of the distance that :func:`_pair_sum_loop` sums.
_GAUSSIAN, _DISTANCE = 0, 1


def _pair_sum_loop(a: np.ndarray, b: np.ndarray, within: bool, kind: int, gamma: float) -> float:
    """Sum of ``exp(-gamma d^2)`` (``kind=_GAUSSIAN``) or ``d`` (``_DISTANCE``) over the
    Euclidean distances ``d`` of the pairs ``(a_i, b_j)``: all of them, or with ``within``
    (``b`` is ``a``) the pairs ``i < j``."""
    n, d = a.shape
    m = b.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(i + 1 if within else 0, m):
            s = 0.0
            for k in range(d):
                t = a[i, k] - b[j, k]
                s += t * t
            total += np.exp(-gamma * s) if kind == _GAUSSIAN else np.sqrt(s)
    return total


def _pair_sum_numpy(a: np.ndarray, b: np.ndarray, within: bool, kind: int, gamma: float) -> float:
    """:func:`_pair_sum_loop` with dense distance matrices (the reference)."""
    sq = pdist(a, "sqeuclidean") if within else cdist(a, b, "sqeuclidean")
    return float((np.exp(-gamma * sq) if kind == _GAUSSIAN else np.sqrt(sq)).sum())


def _pair_sums(
    a: np.ndarray, b: np.ndarray, kind: int, gamma: float, backend: str
) -> tuple[float, float, float]:
    """Sums over the ordered pairs ``i != j`` within ``a``, within ``b``, and over ``a x b``."""
    pair_sum = compiled(_pair_sum_loop) if backend == "numba" else _pair_sum_numpy
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return (
        2.0 * pair_sum(a, a, True, kind, gamma),
        2.0 * pair_sum(b, b, True, kind, gamma),
        pair_sum(a, b, False, kind, gamma),
    )


def median_bandwidth(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float:
    """Median Euclidean distance between the pooled samples of ``a`` and ``b``.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (n, d) and (m, d)
        The two sample sets.
    seed : int, default 0
        Seed of the random subset of :data:`MEDIAN_SUBSET` pooled samples used
        when there are more.

    Returns
    -------
    float
        The median of the pairwise distances (pairs of distinct samples).
    """
    pooled = np.concatenate([a, b])
    if len(pooled) > MEDIAN_SUBSET:
        keep = np.random.default_rng(seed).choice(len(pooled), MEDIAN_SUBSET, replace=False)
        pooled = pooled[keep]
    return float(np.median(pdist(pooled)))


def _mmd2_row(
    a: np.ndarray, b: np.ndarray, *, bandwidth: float | None, seed: int, backend: str
) -> float:
    h = median_bandwidth(a, b, seed) if bandwidth is None else bandwidth
    if not h > 0:
        raise InputError(
            "the median distance between samples is zero (repeated samples): pass bandwidth="
        )
    saa, sbb, sab = _pair_sums(a, b, _GAUSSIAN, 0.5 / h**2, backend)
    n, m = len(a), len(b)
    return saa / (n * (n - 1)) + sbb / (m * (m - 1)) - 2.0 * sab / (n * m)


def _mmd2_kernel(
    x: np.ndarray, y: np.ndarray, *, bandwidth: float | None, seed: int, backend: str, skipna: bool
) -> np.ndarray:
    def row(a: np.ndarray, b: np.ndarray) -> float:
        return _mmd2_row(a, b, bandwidth=bandwidth, seed=seed, backend=backend)

    return _per_row(row, x, y, skipna=skipna, least=2)


def mmd2(
    x: Any,
    y: Any,
    *,
    bandwidth: float | None = None,
    seed: int = 0,
    sample_dim: str = "sample",
    feature_dim: str = "component",
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Unbiased squared maximum mean discrepancy with a Gaussian (RBF) kernel.

    :math:`\\mathrm{MMD}^2_u = \\frac{1}{n(n-1)}\\sum_{i\\ne j} k(x_i, x_j)
    + \\frac{1}{m(m-1)}\\sum_{i\\ne j} k(y_i, y_j) - \\frac{2}{nm}\\sum_{i,j} k(x_i, y_j)`
    with :math:`k(a, b) = \\exp(-\\lVert a - b\\rVert^2 / (2h^2))`. The
    bandwidth :math:`h` is by default the median distance between the pooled
    samples (:func:`median_bandwidth`). Unbiased: its mean is 0 when both sets
    come from one distribution, so single values can be slightly negative.

    Parameters
    ----------
    x, y : xarray.DataArray or array_like
        The sample sets (at least two samples each).
    bandwidth : float, optional
        Kernel length scale :math:`h`; the median heuristic by default.
    seed : int, default 0
        Seed of the subset used for the median when there are many samples.
    sample_dim, feature_dim : str
        The sample and component dims of DataArray inputs.
    skipna : bool, default False
        ``True``: samples with a NaN are left out; ``False``: NaN raises.
    backend : {None, "auto", "numba", "numpy"}
        ``numba``: pairwise loops in O(1) memory; ``numpy``: dense kernel matrices.

    Returns
    -------
    xarray.DataArray or float
        The squared MMD (dimensionless).
    """
    if bandwidth is not None and not bandwidth > 0:
        raise ConfigError(f"bandwidth must be positive (or None for the median), got {bandwidth!r}")
    arrays, args, plain = _sample_sets(x, y, sample_dim, feature_dim, 2)
    kwargs = {
        "bandwidth": bandwidth,
        "seed": seed,
        "backend": kernel_backend(backend),
        "skipna": skipna,
    }
    result = apply_kernel(
        _mmd2_kernel,
        arrays,
        args,
        skipna=skipna,
        exclude_dims=(sample_dim,),
        kwargs=kwargs,
        name="mmd2",
        attrs={"units": "1", "long_name": "unbiased squared MMD (RBF kernel)"},
    )
    return finish(result, plain)


def _energy_row(a: np.ndarray, b: np.ndarray, *, backend: str) -> float:
    saa, sbb, sab = _pair_sums(a, b, _DISTANCE, 0.0, backend)
    n, m = len(a), len(b)
    return float(np.sqrt(max(2.0 * sab / (n * m) - saa / n**2 - sbb / m**2, 0.0)))


def _energy_kernel(x: np.ndarray, y: np.ndarray, *, backend: str, skipna: bool) -> np.ndarray:
    return _per_row(lambda a, b: _energy_row(a, b, backend=backend), x, y, skipna=skipna)


def energy_distance(
    x: Any,
    y: Any,
    *,
    sample_dim: str = "sample",
    feature_dim: str = "component",
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Energy distance between two sample sets.

    :math:`D = \\sqrt{2E\\lVert X - Y\\rVert - E\\lVert X - X'\\rVert - E\\lVert Y - Y'\\rVert}`
    with the expectations over all pairs of the samples (V-statistics, as
    :func:`scipy.stats.energy_distance` in one dimension). Zero only for
    identical empirical distributions.

    Parameters
    ----------
    x, y : xarray.DataArray or array_like
        The sample sets.
    sample_dim, feature_dim : str
        The sample and component dims of DataArray inputs.
    skipna : bool, default False
        ``True``: samples with a NaN are left out; ``False``: NaN raises.
    backend : {None, "auto", "numba", "numpy"}
        ``numba``: pairwise loops in O(1) memory; ``numpy``: dense distance matrices.

    Returns
    -------
    xarray.DataArray or float
        The energy distance, in the units of the samples to the power 1/2.
    """
    arrays, args, plain = _sample_sets(x, y, sample_dim, feature_dim, 1)
    result = apply_kernel(
        _energy_kernel,
        arrays,
        args,
        skipna=skipna,
        exclude_dims=(sample_dim,),
        kwargs={"backend": kernel_backend(backend), "skipna": skipna},
        name="energy_distance",
        attrs={"long_name": "energy distance"},
    )
    return finish(result, plain)


def _ks_kernel(x: np.ndarray, y: np.ndarray, *, skipna: bool) -> np.ndarray:
    from scipy.stats import ks_2samp

    (xs, ys), lead = flatten_leading([x, y], [1, 1])
    out = np.full((xs.shape[0], 2), np.nan)
    for r in range(xs.shape[0]):
        a, b = xs[r].astype(np.float64), ys[r].astype(np.float64)
        if np.isnan(a).any() or np.isnan(b).any():
            if not skipna:
                continue
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if a.size and b.size:
            test = ks_2samp(a, b)
            out[r] = test.statistic, test.pvalue
    return out.reshape(*lead, 2)


def ks_marginals(
    x: Any,
    y: Any,
    *,
    sample_dim: str = "sample",
    feature_dim: str = "component",
    skipna: bool = False,
) -> xr.Dataset:
    """Two-sample Kolmogorov-Smirnov test of each component (marginal) of two sample sets.

    Parameters
    ----------
    x, y : xarray.DataArray or array_like
        The sample sets.
    sample_dim, feature_dim : str
        The sample and component dims of DataArray inputs.
    skipna : bool, default False
        ``True``: NaN values are left out of their marginal; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``statistic`` (the largest distance between the empirical CDFs) and the
        exact or asymptotic ``p_value`` of :func:`scipy.stats.ks_2samp`, per component.
    """
    arrays, args, _ = _sample_sets(x, y, sample_dim, feature_dim, 1)
    marginal = [Arg(arg.name, None, (sample_dim,)) for arg in args]
    result = apply_kernel(
        _ks_kernel,
        arrays,
        marginal,
        skipna=skipna,
        exclude_dims=(sample_dim,),
        output_core_dims=("_stat",),
        output_sizes={"_stat": 2},
        kwargs={"skipna": skipna},
    )
    return xr.Dataset(
        {
            "statistic": result.isel(_stat=0, drop=True).assign_attrs(
                units="1", long_name="Kolmogorov-Smirnov statistic"
            ),
            "p_value": result.isel(_stat=1, drop=True).assign_attrs(
                units="1", long_name="p-value of the two-sample Kolmogorov-Smirnov test"
            ),
        }
    )
