"""Attractor statistics used as forecast metrics: spectra, invariant measure, dimension.

All take a trajectory Dataset from :func:`~solvers.chaos.trajectory` (or its
``x`` DataArray with dims ``member``, ``time``, ``component``) and pool or
average over members where the statistic is a property of the attractor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError

__all__ = ["correlation_dimension", "invariant_measure", "power_spectrum"]


def _state(data: xr.Dataset | xr.DataArray) -> xr.DataArray:
    x = data["x"] if isinstance(data, xr.Dataset) else data
    if not isinstance(x, xr.DataArray) or set(x.dims) != {"member", "time", "component"}:
        raise InputError("expected a trajectory with dims (member, time, component), e.g. ds.x")
    return x.transpose("member", "time", "component")


def power_spectrum(data: xr.Dataset | xr.DataArray) -> xr.DataArray:
    """Power spectral density of each component, averaged over members.

    A Hann-windowed periodogram of the mean-removed series, scaled so that
    ``psd.sum("frequency") * df`` equals the variance of each component.

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        A trajectory on a uniform time grid.

    Returns
    -------
    xarray.DataArray
        ``power_spectral_density`` (frequency, component), frequency in cycles
        per model time unit.
    """
    x = _state(data)
    values = np.asarray(x.values, dtype=float)
    if values.shape[1] < 4:
        raise InputError("a power spectrum needs at least 4 time points")
    dt = float(x["time"].values[1] - x["time"].values[0])
    n = values.shape[1]
    window = np.hanning(n)[None, :, None]
    centred = values - values.mean(axis=1, keepdims=True)
    coefficients = np.fft.rfft(centred * window, axis=1)
    psd = np.abs(coefficients) ** 2 * dt / np.sum(window**2)
    psd[:, 1 : -1 if n % 2 == 0 else None] *= 2.0  # one-sided: fold the negative frequencies
    freq = np.fft.rfftfreq(n, dt)
    return xr.DataArray(
        np.nanmean(psd, axis=0),
        dims=("frequency", "component"),
        coords={
            "frequency": (
                "frequency",
                freq,
                {"units": "1", "long_name": "frequency (cycles per time unit)"},
            ),
            "component": x["component"].values,
        },
        name="power_spectral_density",
        attrs={"units": "1", "long_name": "power spectral density"},
    )


def invariant_measure(
    data: xr.Dataset | xr.DataArray, bins: int = 50, value_range: Any = None
) -> xr.DataArray:
    """Histogram density of each component on the attractor, pooled over members and time.

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        A trajectory.
    bins : int
        Number of bins per component.
    value_range : sequence of (low, high) per component, optional
        Bin ranges (default: each component's finite range), so that two
        trajectories can share bins for a comparison.

    Returns
    -------
    xarray.DataArray
        ``invariant_density`` (component, bin) integrating to 1 per component,
        with ``bin_center`` and ``bin_width`` coordinates.
    """
    x = _state(data)
    if isinstance(bins, bool) or int(bins) != bins or bins < 1:
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    values = np.asarray(x.values, dtype=float).reshape(-1, x.sizes["component"])
    densities, centers, widths = [], [], []
    for c in range(values.shape[1]):
        column = values[:, c][np.isfinite(values[:, c])]
        if column.size == 0:
            raise InputError(f"component {c} has no finite values")
        limits = (column.min(), column.max()) if value_range is None else tuple(value_range[c])
        density, edges = np.histogram(column, bins=int(bins), range=limits, density=True)
        densities.append(density)
        centers.append(0.5 * (edges[1:] + edges[:-1]))
        widths.append(np.diff(edges))
    return xr.DataArray(
        np.array(densities),
        dims=("component", "bin"),
        coords={
            "component": x["component"].values,
            "bin_center": (("component", "bin"), np.array(centers), {"units": "1"}),
            "bin_width": (("component", "bin"), np.array(widths), {"units": "1"}),
        },
        name="invariant_density",
        attrs={"units": "1", "long_name": "invariant measure (histogram density)"},
    )


def correlation_dimension(
    points: Any,
    *,
    max_points: int = 2000,
    fit_range: tuple[float, float] = (0.001, 0.05),
    seed: int = 0,
) -> float:
    """Grassberger–Procaccia correlation dimension of a point cloud.

    The correlation sum ``C(r)`` (fraction of pairs closer than ``r``) is
    fitted as ``C ~ r^D`` between the ``fit_range`` quantiles of the pair
    distances.

    Parameters
    ----------
    points : array_like, shape (n, dim), or a trajectory Dataset/DataArray
        Points on the attractor (a trajectory is pooled over members and time).
    max_points : int
        Random subsample size (the pair count grows as its square).
    fit_range : (float, float)
        Quantiles of the pair distances delimiting the fitted scaling range.
    seed : int
        Seeds the subsample.

    Returns
    -------
    float
    """
    if isinstance(points, (xr.Dataset, xr.DataArray)):
        x = _state(points)
        cloud = np.asarray(x.values, dtype=float).reshape(-1, x.sizes["component"])
    else:
        cloud = np.asarray(points, dtype=float)
        if cloud.ndim == 1:
            cloud = cloud[:, None]
    cloud = cloud[np.all(np.isfinite(cloud), axis=1)]
    if cloud.ndim != 2 or cloud.shape[0] < 10:
        raise InputError(
            "a correlation dimension needs at least 10 finite points of shape (n, dim)"
        )
    low, high = fit_range
    if not 0.0 < low < high < 1.0:
        raise InputError(f"fit_range must satisfy 0 < low < high < 1, got {fit_range}")
    if cloud.shape[0] > max_points:
        cloud = cloud[np.random.default_rng(seed).choice(cloud.shape[0], max_points, replace=False)]
    diff = cloud[:, None, :] - cloud[None, :, :]
    dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))[np.triu_indices(cloud.shape[0], k=1)]
    dist = np.sort(dist[dist > 0])
    radii = np.geomspace(np.quantile(dist, low), np.quantile(dist, high), 12)
    counts = np.searchsorted(dist, radii) / dist.size
    return float(np.polyfit(np.log(radii), np.log(counts), 1)[0])
