"""Pooled histograms shared by the diagnostics and the calibration errors.

* :func:`resolve_reduce_dims` -- which dims a diagnostic pools (``reduce_dims``);
* :func:`probability_bin` -- the equal-width bin of a probability in [0, 1],
  one convention for the reliability diagram, the PIT histogram and the ECE:
  bins are closed on the right, :math:`(e_{b-1}, e_b]`, with 0 in the first
  (scikit-learn's ``calibration_curve``), so a probability exactly on an edge
  falls in the same bin everywhere in :mod:`sciml.uq`;
* :func:`bin_coords` -- the bin index and edges as CF-labelled coordinates;
* :func:`pooled_counts` -- counts of integer codes pooled over ``reduce_dims``,
  chunk by chunk for dask input;
* :func:`flatness` -- the chi-squared test that a histogram is flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import chdtrc

from gpu.errors import InputError
from sciml.uq._xr import Arg, apply_kernel, as_dims, flatten_leading, pool_core

__all__ = ["bin_coords", "flatness", "pooled_counts", "probability_bin", "resolve_reduce_dims"]


def resolve_reduce_dims(
    arrays: Sequence[xr.DataArray], reduce_dims: Any, exclude: Sequence[str]
) -> tuple[str, ...]:
    """The dims to pool: ``reduce_dims``, or by default every dim of ``arrays`` but ``exclude``.

    Parameters
    ----------
    arrays : sequence of xarray.DataArray
        The prepared inputs.
    reduce_dims : str, sequence of str or None
        The caller's argument.
    exclude : sequence of str
        Core dims that are never pooled (the ensemble dim).

    Returns
    -------
    tuple of str
    """
    present = [str(d) for da in arrays for d in da.dims if str(d) not in exclude]
    dims = as_dims(reduce_dims, dict.fromkeys(present))
    missing = [d for d in dims if d not in present]
    if missing:
        raise InputError(
            f"reduce_dims {missing} are not dims of the inputs ({sorted(set(present))}): "
            "name dims the inputs have"
        )
    return dims


def probability_bin(values: np.ndarray, bins: int) -> np.ndarray:
    """Index of the equal-width bin of [0, 1] holding each value (right-closed, 0 in the first).

    Parameters
    ----------
    values : numpy.ndarray
        Probabilities in [0, 1]; NaN stays NaN.
    bins : int
        Number of bins.

    Returns
    -------
    numpy.ndarray
        Float bin indices ``0 .. bins - 1`` (NaN where ``values`` is NaN).
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.searchsorted(edges[1:-1], values, side="left").astype(np.float64)
    return np.where(np.isnan(values), np.nan, index)


def bin_coords(bins: int) -> dict[str, Any]:
    """Coordinates ``bin``, ``bin_lower`` and ``bin_upper`` of ``bins`` equal bins of [0, 1]."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "bin": ("bin", np.arange(bins), {"units": "1", "long_name": "probability bin"}),
        "bin_lower": ("bin", edges[:-1], {"units": "1", "long_name": "lower bin edge"}),
        "bin_upper": ("bin", edges[1:], {"units": "1", "long_name": "upper bin edge"}),
    }


def _bincount_kernel(index: np.ndarray, *, n_bins: int, ndim: int) -> np.ndarray:
    (flat,), lead = flatten_leading([pool_core(index, ndim)], [1])
    rows = np.broadcast_to(np.arange(flat.shape[0])[:, None], flat.shape)
    ok = ~np.isnan(flat)
    codes = rows[ok] * n_bins + flat[ok].astype(np.int64)
    counts = np.bincount(codes, minlength=flat.shape[0] * n_bins)
    return counts.reshape(*lead, n_bins).astype(np.float64)


def pooled_counts(
    index: xr.DataArray, n_bins: int, reduce_dims: tuple[str, ...], bin_dim: str
) -> xr.DataArray:
    """Counts of the integer-valued ``index`` (NaN left out) pooled over ``reduce_dims``.

    Parameters
    ----------
    index : xarray.DataArray
        Bin indices ``0 .. n_bins - 1`` (float, NaN for cases left out).
    n_bins : int
        Number of bins.
    reduce_dims : tuple of str
        Dims pooled into one histogram; the others are kept.
    bin_dim : str
        Name of the new dim of the counts.

    Returns
    -------
    xarray.DataArray
        int64 counts over the kept dims and ``bin_dim``.
    """
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


def flatness(
    counts: xr.DataArray, bin_dim: str
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray]:
    """Cases, chi-squared statistic, its p-value and the squared deviation sum of ``counts``.

    Parameters
    ----------
    counts : xarray.DataArray
        A histogram over ``bin_dim``.
    bin_dim : str
        Its bin dim.

    Returns
    -------
    n, chi2, p_value, sq_dev : xarray.DataArray
        Number of cases, :math:`\\chi^2 = \\sum_k (s_k - N/K)^2 / (N/K)` with
        :math:`K - 1` degrees of freedom, its p-value, and :math:`\\sum_k (s_k - N/K)^2`.
    """
    n_bins = counts.sizes[bin_dim]
    n = counts.sum(bin_dim)
    expected = n.where(n > 0) / n_bins
    sq_dev = ((counts - expected) ** 2).sum(bin_dim)
    chi2 = sq_dev / expected
    p_value = xr.apply_ufunc(
        chdtrc, n_bins - 1, chi2, dask="parallelized", output_dtypes=[np.float64]
    )
    return n, chi2, p_value, sq_dev
