"""What an ensemble says, case by case: its moments and quantiles, and for probabilistic
ensembles the split of the predictive entropy into aleatoric and epistemic parts.

Both keep every dim but the ensemble dim (and the class dim). With
``skipna=True`` NaN members are left out (a case with a NaN class
probability gets NaN); by default a NaN raises :class:`~gpu.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import entr

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import check_levels
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    check_probability,
    flatten_leading,
    no_nan,
    prepare,
    units_attrs,
)

__all__ = ["ensemble_summary", "entropy_decomposition"]


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

    Raises
    ------
    InputError
        A missing ``dim``, a one-member ensemble, NaN with ``skipna=False``.
    ConfigError
        Quantile levels outside [0, 1].
    """
    levels = check_levels(quantiles, "quantiles")
    arrays, _ = prepare(
        [Arg("fc", fc, (dim,))], min_sizes={dim: (2, "a variance needs two members")}
    )
    da = arrays[0]
    if da.chunks is not None:
        da = da.chunk({dim: -1})
    if not skipna:
        da = no_nan(da, "fc")
    units = units_attrs(da)
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
            f"class probabilities must sum to 1 over the class dim, found a sum of {worst:.6g}: "
            "normalize them, or check that class_dim names the class dim"
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

    Raises
    ------
    InputError
        Missing dims, probabilities outside [0, 1] or not summing to one,
        NaN with ``skipna=False``.
    ConfigError
        ``base`` not larger than 1.
    """
    if base is not None and not base > 1:
        raise ConfigError(f"base must be larger than 1 (2 for bits), got {base!r}")
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
