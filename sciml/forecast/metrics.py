"""Forecast metrics on xarray, vectorized over every dim but ``time`` and ``component``.

Every metric takes a prediction and the truth as :class:`xarray.DataArray`
with dims ``time`` and ``component`` (a 1-D series may omit ``component``)
plus any others (``system``, ``member``, ``model`` ...), broadcast against
each other, and reduces over ``time`` and ``component``. The two must have
the same number of time points; the forecast's time coordinate is replaced
by the truth's (forecasts are often labelled by lead time).

Conventions follow ``dysts.metrics`` so that numbers compare with the seed
study: percentages are in percent, ``smape`` runs from 0 to 200, ``nrmse``
divides by each component's standard deviation over time, correlations are
computed per component and averaged.

Valid prediction time (VPT), in Lyapunov times: the first lead at which the
*cumulative* sMAPE (over leads ``0..k``) exceeds ``threshold`` (30), or, in
the NRMSE variant, the first lead at which the instantaneous NRMSE exceeds
``threshold`` (0.5); the number of valid leads before it divided by the
number of steps per Lyapunov time. A forecast that never crosses is valid
over its whole horizon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq import crps_ensemble

__all__ = [
    "METRICS",
    "bounded",
    "coefficient_of_variation",
    "compute_metrics",
    "correlation_dimension_error",
    "coverage",
    "crps",
    "hellinger_distance",
    "interval_width",
    "kendall",
    "kl_divergence",
    "mae",
    "mape",
    "mase",
    "mse",
    "mutual_information",
    "nrmse",
    "pearson",
    "r2",
    "rmse",
    "smape",
    "spearman",
    "valid_prediction_time",
    "valid_prediction_time_nrmse",
    "wape",
]

EPS = 1e-10
#: Magnitude a diverged forecast is scored at (see :func:`bounded`).
DIVERGED = 1e12


def bounded(pred: xr.DataArray, limit: float = DIVERGED) -> xr.DataArray:
    """``pred`` with NaN taken as ``+limit`` and every value clipped to ``[-limit, limit]``.

    A forecast that diverges is then scored as a very large error rather than
    dropped as missing data, and no metric of it overflows to infinity (sMAPE
    near 200, RMSE near ``limit``).

    Parameters
    ----------
    pred : xarray.DataArray
        A forecast.
    limit : float, default 1e12
        The largest magnitude kept (standardized chaotic states are O(1)).

    Returns
    -------
    xarray.DataArray
    """
    values = np.clip(
        np.nan_to_num(pred.values, nan=limit, posinf=limit, neginf=-limit), -limit, limit
    )
    return pred.copy(data=values)


TIME, COMP = "time", "component"
CORE = (TIME, COMP)


def _pair(pred: Any, truth: Any) -> tuple[xr.DataArray, xr.DataArray]:
    """Check and align a prediction with the truth; both get a ``component`` dim."""
    for what, arr in (("pred", pred), ("truth", truth)):
        if not isinstance(arr, xr.DataArray):
            raise InputError(f"{what} must be an xarray.DataArray, got {type(arr).__name__}")
        if TIME not in arr.dims:
            raise InputError(f"{what} has no 'time' dim (dims {tuple(map(str, arr.dims))})")
    if pred.sizes[TIME] != truth.sizes[TIME]:
        raise InputError(
            f"pred has {pred.sizes[TIME]} time points but truth has {truth.sizes[TIME]}: "
            "compare forecasts with the truth over the same leads"
        )
    if pred.sizes[TIME] < 1:
        raise InputError("pred and truth have no time points")
    pred = pred if COMP in pred.dims else pred.expand_dims(COMP, axis=-1)
    truth = truth if COMP in truth.dims else truth.expand_dims(COMP, axis=-1)
    if pred.sizes[COMP] != truth.sizes[COMP]:
        raise InputError(
            f"pred has {pred.sizes[COMP]} components but truth has {truth.sizes[COMP]}"
        )
    pred = pred.drop_vars([c for c in pred.coords if TIME in pred[c].dims or c == COMP])
    truth = truth.drop_vars([c for c in truth.coords if TIME in truth[c].dims or c == COMP])
    pred, truth = xr.broadcast(pred.astype(float), truth.astype(float))
    return pred, truth.transpose(*pred.dims)


def _named(out: xr.DataArray, name: str, units: str = "1") -> xr.DataArray:
    out.name = name
    out.attrs = {"long_name": name.replace("_", " "), "units": units}
    return out


def mse(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Mean squared error over time and components.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth with dims ``time`` (and ``component``), any others broadcast.

    Returns
    -------
    xarray.DataArray
        The metric over the remaining dims.
    """
    p, t = _pair(pred, truth)
    return _named(((p - t) ** 2).mean(CORE), "mse")


def mae(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Mean absolute error over time and components (see :func:`mse` for the parameters)."""
    p, t = _pair(pred, truth)
    return _named(abs(p - t).mean(CORE), "mae")


def rmse(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Root mean squared error (see :func:`mse` for the parameters)."""
    return _named(mse(pred, truth) ** 0.5, "rmse")


def _scale(t: xr.DataArray, scale: Any) -> xr.DataArray:
    if scale is None:
        return t.std(TIME)
    s = scale if isinstance(scale, xr.DataArray) else xr.DataArray(np.asarray(scale), dims=COMP)
    return s.drop_vars([c for c in s.coords if c == COMP])


def nrmse(pred: xr.DataArray, truth: xr.DataArray, scale: Any = None) -> xr.DataArray:
    """Root mean squared error with each component divided by its standard deviation.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    scale : array_like or xarray.DataArray, optional
        Per-component scale (default: the truth's standard deviation over time).

    Returns
    -------
    xarray.DataArray
    """
    p, t = _pair(pred, truth)
    sigma = _scale(t, scale)
    return _named((((p - t) ** 2 / (sigma**2 + EPS)).mean(CORE)) ** 0.5, "nrmse")


def _smape_terms(p: xr.DataArray, t: xr.DataArray) -> xr.DataArray:
    return abs(p - t) / (abs(p) + abs(t) + EPS)


def smape(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Symmetric mean absolute percentage error, ``200 mean(|p - t| / (|p| + |t|))``, in 0-200.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).

    Returns
    -------
    xarray.DataArray
        In percent.
    """
    p, t = _pair(pred, truth)
    return _named(200.0 * _smape_terms(p, t).mean(CORE), "smape", "%")


def mape(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Mean absolute percentage error ``100 mean(|(t - p) / t|)`` (see :func:`mse`)."""
    p, t = _pair(pred, truth)
    return _named(100.0 * abs((t - p) / (t + EPS)).mean(CORE), "mape", "%")


def wape(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Weighted absolute percentage error ``100 sum|t - p| / sum|t|`` (see :func:`mse`)."""
    p, t = _pair(pred, truth)
    return _named(100.0 * abs(t - p).sum(CORE) / (abs(t).sum(CORE) + EPS), "wape", "%")


def mase(
    pred: xr.DataArray, truth: xr.DataArray, train: xr.DataArray | None = None, m: int = 1
) -> xr.DataArray:
    """Mean absolute scaled error: the MAE over that of the lag-``m`` naive forecast.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    train : xarray.DataArray, optional
        Series whose naive-forecast error scales the MAE (default: the truth).
    m : int, default 1
        Season length (lag of the naive forecast), in time steps.

    Returns
    -------
    xarray.DataArray
    """
    p, t = _pair(pred, truth)
    ref = t if train is None else _pair(train, train)[0]
    if isinstance(m, bool) or int(m) != m or not 0 < m < ref.sizes[TIME]:
        raise ConfigError(f"m must be an integer in [1, {ref.sizes[TIME] - 1}], got {m!r}")
    n = ref.sizes[TIME]
    naive = abs(ref.isel(time=slice(m, None)) - ref.isel(time=slice(0, n - m)).values)
    return _named(abs(t - p).mean(CORE) / (naive.mean(CORE) + EPS), "mase")


def r2(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Coefficient of determination ``1 - SS_res / SS_tot`` over time and components."""
    p, t = _pair(pred, truth)
    ss_tot = ((t - t.mean(CORE)) ** 2).sum(CORE)
    return _named(1.0 - ((t - p) ** 2).sum(CORE) / ss_tot, "r2")


def coefficient_of_variation(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """``100 std(t - p) / mean(t)`` over time and components (see :func:`mse`)."""
    p, t = _pair(pred, truth)
    return _named(100.0 * (t - p).std(CORE) / (t.mean(CORE) + EPS), "coefficient_of_variation", "%")


def _per_component(
    name: str,
    kernel: Callable[[np.ndarray, np.ndarray], float],
    pred: xr.DataArray,
    truth: xr.DataArray,
) -> xr.DataArray:
    """Apply ``kernel(pred_series, truth_series)`` to each component's series and average."""
    p, t = _pair(pred, truth)
    out = xr.apply_ufunc(
        kernel,
        p,
        t,
        input_core_dims=[[TIME], [TIME]],
        vectorize=True,
        output_dtypes=[float],
    )
    return _named(out.mean(COMP), name)


def _rank(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.asarray(rankdata(x), dtype=float)


def _pearson_kernel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else np.nan


def _kendall_kernel(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import kendalltau

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return np.nan
    return float(kendalltau(a, b)[0])


def pearson(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Pearson correlation of each component's series, averaged over components."""
    return _per_component("pearson", _pearson_kernel, pred, truth)


def spearman(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Spearman rank correlation of each component's series, averaged over components."""
    return _per_component("spearman", lambda a, b: _pearson_kernel(_rank(a), _rank(b)), pred, truth)


def kendall(pred: xr.DataArray, truth: xr.DataArray) -> xr.DataArray:
    """Kendall's tau-b of each component's series, averaged over components."""
    return _per_component("kendall", _kendall_kernel, pred, truth)


def mutual_information(
    pred: xr.DataArray, truth: xr.DataArray, n_neighbors: int = 3
) -> xr.DataArray:
    """Mutual information (nats, k-nearest-neighbour estimate) per component, averaged.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    n_neighbors : int, default 3
        Neighbours of the Kraskov estimator
        (:func:`sklearn.feature_selection.mutual_info_regression`).

    Returns
    -------
    xarray.DataArray
    """
    from sklearn.feature_selection import mutual_info_regression

    def kernel(a: np.ndarray, b: np.ndarray) -> float:
        return float(
            mutual_info_regression(b[:, None], a, n_neighbors=n_neighbors, random_state=0)[0]
        )

    out = _per_component("mutual_information", kernel, pred, truth)
    out.attrs["units"] = "nat"
    return out


def _log_mixture(points: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """Log density at ``points`` of equal-weight isotropic Gaussians at ``centres``."""
    from scipy.special import logsumexp

    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    dim = points.shape[1]
    log_norm = -0.5 * dim * np.log(2 * np.pi * sigma**2) - np.log(len(centres))
    return np.asarray(logsumexp(-0.5 * d2 / sigma**2, axis=1) + log_norm)


def kl_divergence(
    pred: xr.DataArray,
    truth: xr.DataArray,
    sigma: float = 1.0,
    n_samples: int = 1000,
    seed: int = 0,
) -> xr.DataArray:
    """KL divergence ``KL(truth || pred)`` between the invariant measures of the two orbits.

    Each orbit's measure is smoothed into a mixture of isotropic Gaussians of
    width ``sigma`` centred at its points (Hess et al. 2023); the divergence
    is the Monte Carlo mean of ``log p(x) / q(x)`` over ``n_samples`` draws
    from the truth's mixture.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    sigma : float, default 1.0
        Kernel width, in the units of the data.
    n_samples : int, default 1000
        Monte Carlo draws.
    seed : int, default 0
        Seeds the draws.

    Returns
    -------
    xarray.DataArray
        In nats.
    """
    if not sigma > 0:
        raise ConfigError(f"sigma must be positive, got {sigma!r}")

    def kernel(a: np.ndarray, b: np.ndarray) -> float:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(b), size=n_samples)
        draws = b[picks] + sigma * rng.standard_normal((n_samples, b.shape[1]))
        return float(np.mean(_log_mixture(draws, b, sigma) - _log_mixture(draws, a, sigma)))

    p, t = _pair(pred, truth)
    out = xr.apply_ufunc(
        kernel, p, t, input_core_dims=[list(CORE)] * 2, vectorize=True, output_dtypes=[float]
    )
    return _named(out, "kl_divergence", "nat")


def hellinger_distance(
    pred: xr.DataArray, truth: xr.DataArray, num_freq_bins: int = 100
) -> xr.DataArray:
    """Hellinger distance between the power spectra of each component, averaged.

    The spectra (squared FFT moduli of the lowest ``num_freq_bins`` bins)
    are normalized to sum to one (Mikhaeil et al. 2022).

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    num_freq_bins : int, default 100
        Number of the lowest frequency bins compared.

    Returns
    -------
    xarray.DataArray
    """

    def kernel(a: np.ndarray, b: np.ndarray) -> float:
        fa = (np.abs(np.fft.fft(a)) ** 2)[:num_freq_bins]
        fb = (np.abs(np.fft.fft(b)) ** 2)[:num_freq_bins]
        overlap = np.sum(np.sqrt(fa / fa.sum() * fb / fb.sum()))
        return float(np.sqrt(max(1.0 - overlap, 0.0)))

    return _per_component("hellinger_distance", kernel, pred, truth)


def correlation_dimension_error(
    pred: xr.DataArray, truth: xr.DataArray, max_points: int = 1000
) -> xr.DataArray:
    """``|D2(pred) - D2(truth)|``: difference of Grassberger–Procaccia correlation dimensions.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`); each series is one point cloud.
    max_points : int, default 1000
        Subsample size of :func:`solvers.chaos.correlation_dimension`.

    Returns
    -------
    xarray.DataArray
    """
    from solvers.chaos import correlation_dimension

    def kernel(a: np.ndarray, b: np.ndarray) -> float:
        da = correlation_dimension(a, max_points=max_points)
        db = correlation_dimension(b, max_points=max_points)
        return float(abs(da - db))

    p, t = _pair(pred, truth)
    out = xr.apply_ufunc(
        kernel, p, t, input_core_dims=[list(CORE)] * 2, vectorize=True, output_dtypes=[float]
    )
    return _named(out, "correlation_dimension_error")


def _first_crossing(err: xr.DataArray, threshold: float, lyapunov_time_steps: Any) -> xr.DataArray:
    """Valid leads before ``err`` first exceeds ``threshold``, in Lyapunov times."""
    steps = lyapunov_time_steps
    if not isinstance(steps, xr.DataArray):
        steps = xr.DataArray(np.asarray(steps, dtype=float))
    if np.any(~(steps.values > 0)):
        raise InputError(f"lyapunov_time_steps must be positive, got {steps.values!r}")
    over = err > threshold
    n = err.sizes[TIME]
    first = xr.where(over.any(TIME), over.argmax(TIME), n)
    out = first / steps
    return _named(out, "valid_prediction_time", "lyapunov_time")


def valid_prediction_time(
    pred: xr.DataArray,
    truth: xr.DataArray,
    lyapunov_time_steps: Any,
    threshold: float = 30.0,
) -> xr.DataArray:
    """Valid prediction time: leads before the cumulative sMAPE first exceeds ``threshold``.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`), the first time point being the first lead.
    lyapunov_time_steps : float or xarray.DataArray
        Time steps per Lyapunov time (per system, say, as a DataArray).
    threshold : float, default 30
        sMAPE level (percent, 0-200 scale).

    Returns
    -------
    xarray.DataArray
        VPT in Lyapunov times; the whole horizon where the forecast never crosses.
    """
    p, t = _pair(pred, truth)
    step = _smape_terms(p, t).mean(COMP)
    count = xr.DataArray(np.arange(1, p.sizes[TIME] + 1), dims=TIME)
    cumulative = 200.0 * step.cumsum(TIME) / count
    return _first_crossing(cumulative, threshold, lyapunov_time_steps)


def valid_prediction_time_nrmse(
    pred: xr.DataArray,
    truth: xr.DataArray,
    lyapunov_time_steps: Any,
    threshold: float = 0.5,
    scale: Any = None,
) -> xr.DataArray:
    """Valid prediction time: leads before the instantaneous NRMSE first exceeds ``threshold``.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    lyapunov_time_steps : float or xarray.DataArray
        Time steps per Lyapunov time.
    threshold : float, default 0.5
        NRMSE level.
    scale : array_like, optional
        Per-component scale (default: the truth's standard deviation over time).

    Returns
    -------
    xarray.DataArray
        VPT in Lyapunov times.
    """
    p, t = _pair(pred, truth)
    sigma = _scale(t, scale)
    err = (((p - t) ** 2 / (sigma**2 + EPS)).mean(COMP)) ** 0.5
    out = _first_crossing(err, threshold, lyapunov_time_steps)
    out.name = "valid_prediction_time_nrmse"
    return out


def crps(ensemble: xr.DataArray, truth: xr.DataArray, dim: str = "member") -> xr.DataArray:
    """CRPS of an ensemble forecast, averaged over time and components.

    The score is :func:`sciml.uq.crps_ensemble` at each point.

    Parameters
    ----------
    ensemble : xarray.DataArray
        Forecast with an ensemble dim ``dim``.
    truth : xarray.DataArray
        The truth (no ``dim``).
    dim : str, default "member"
        The ensemble dim.

    Returns
    -------
    xarray.DataArray
    """
    if not isinstance(ensemble, xr.DataArray) or dim not in ensemble.dims:
        raise InputError(f"ensemble must be an xarray.DataArray with a {dim!r} dim")
    if dim in truth.dims:
        raise InputError(f"truth must not have the ensemble dim {dim!r}")
    p, t = _pair(ensemble, truth.expand_dims({dim: ensemble.sizes[dim]}))
    score = crps_ensemble(p, t.isel({dim: 0}, drop=True), dim=dim)
    return _named(score.mean(CORE), "crps", truth.attrs.get("units", "1"))


def _interval(
    lower: xr.DataArray, upper: xr.DataArray, truth: xr.DataArray
) -> tuple[xr.DataArray, ...]:
    lo, t = _pair(lower, truth)
    hi, _ = _pair(upper, truth)
    if bool((hi < lo).any()):
        raise InputError("upper is below lower somewhere: not an interval")
    return lo, hi, t


def coverage(
    lower: xr.DataArray, upper: xr.DataArray, truth: xr.DataArray, dim: Sequence[str] = CORE
) -> xr.DataArray:
    """Fraction of truth values inside ``[lower, upper]``.

    Parameters
    ----------
    lower, upper : xarray.DataArray
        Interval bounds (see :func:`mse` for the layout).
    truth : xarray.DataArray
        The truth.
    dim : sequence of str, default ("time", "component")
        Dims pooled (e.g. only ``("component",)`` for the coverage at each lead).

    Returns
    -------
    xarray.DataArray
    """
    lo, hi, t = _interval(lower, upper, truth)
    return _named(((t >= lo) & (t <= hi)).mean(list(dim)), "coverage")


def interval_width(
    lower: xr.DataArray, upper: xr.DataArray, truth: xr.DataArray, dim: Sequence[str] = CORE
) -> xr.DataArray:
    """Mean width ``upper - lower`` (parameters as in :func:`coverage`)."""
    lo, hi, _ = _interval(lower, upper, truth)
    return _named((hi - lo).mean(list(dim)), "interval_width", truth.attrs.get("units", "1"))


#: The point metrics of :func:`compute_metrics`, by name.
METRICS: dict[str, Callable[[xr.DataArray, xr.DataArray], xr.DataArray]] = {
    "mse": mse,
    "mae": mae,
    "rmse": rmse,
    "nrmse": nrmse,
    "smape": smape,
    "mape": mape,
    "wape": wape,
    "mase": mase,
    "r2": r2,
    "spearman": spearman,
    "pearson": pearson,
    "kendall": kendall,
    "coefficient_of_variation": coefficient_of_variation,
    "mutual_information": mutual_information,
    "kl_divergence": kl_divergence,
    "hellinger_distance": hellinger_distance,
    "correlation_dimension_error": correlation_dimension_error,
}


def compute_metrics(
    pred: xr.DataArray,
    truth: xr.DataArray,
    include: Sequence[str] | None = None,
    lyapunov_time_steps: Any = None,
) -> xr.Dataset:
    """Several point metrics at once, plus both VPTs when ``lyapunov_time_steps`` is given.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Forecast and truth (see :func:`mse`).
    include : sequence of str, optional
        Names from :data:`METRICS` (default: all).
    lyapunov_time_steps : float or xarray.DataArray, optional
        Time steps per Lyapunov time, for ``valid_prediction_time`` and
        ``valid_prediction_time_nrmse``.

    Returns
    -------
    xarray.Dataset
        One variable per metric.
    """
    names = list(METRICS) if include is None else list(include)
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise ConfigError(f"unknown metric(s) {unknown}; choose from {sorted(METRICS)}")
    out = {name: METRICS[name](pred, truth) for name in names}
    if lyapunov_time_steps is not None:
        out["valid_prediction_time"] = valid_prediction_time(pred, truth, lyapunov_time_steps)
        out["valid_prediction_time_nrmse"] = valid_prediction_time_nrmse(
            pred, truth, lyapunov_time_steps
        )
    return xr.Dataset(out)
