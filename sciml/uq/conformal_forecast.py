"""Per-lead-time conformal intervals for ensemble or point forecasts of a trajectory.

A forecast archive holds many cases (dim ``sample``: start dates, runs ...),
each a trajectory over lead time (dim ``time``), from an ensemble (dim
``member``) or a single model run. Errors grow with lead time, so the
intervals are calibrated separately at every lead time — and at every
position along any other dim (variable, location ...) — over the cases.

The score is ``|obs - centre|`` (``"absolute"``; the centre is the ensemble
mean or the point forecast) or ``|obs - mean| / spread`` (``"normalized"``,
ensembles only; the spread is the ensemble standard deviation), giving
intervals ``centre -/+ q`` or ``mean -/+ q spread``.

Without ``target`` the intervals are for the archive's own cases, each
calibrated on all the *other* cases (leave-one-out): valid because the
forecasts were not fitted to these observations. With ``target`` (new
forecasts, same layout) every case of the archive calibrates.

The scores are sorted along ``sample`` with :func:`xarray.apply_ufunc`
(``dask="parallelized"``), so a chunked archive is processed chunk by chunk
along the other dims; checks on dask data (NaN, zero spread, too few cases)
raise when the chunk holding the problem is computed.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import nan_problem
from sciml.uq._xr import guard, units_attrs
from sciml.uq.calibration_inputs import SAMPLE_DIM, check_alpha
from sciml.uq.conformal_base import conformal_ranks, too_few

__all__ = ["conformal_interval"]


def _centre_and_spread(
    fc: xr.DataArray, dim: str, score: str, what: str, skipna: bool
) -> tuple[xr.DataArray, xr.DataArray | None]:
    if not isinstance(fc, xr.DataArray):
        raise InputError(f"{what} must be an xarray.DataArray, got {type(fc).__name__}")
    if dim not in fc.dims:
        if score == "normalized":
            raise ConfigError(
                f"score='normalized' divides by the ensemble spread, but {what} has no "
                f"{dim!r} dim: use score='absolute' for point forecasts"
            )
        return fc, None
    if fc.sizes[dim] < 2 and score == "normalized":
        raise InputError(f"the ensemble spread needs at least 2 members, {what} has 1")
    centre = fc.mean(dim, skipna=skipna)
    if score == "absolute":
        return centre, None
    spread = guard(fc.std(dim, ddof=1, skipna=skipna), partial(_zero_spread_problem, what=what))
    return centre, spread


def _zero_spread_problem(block: np.ndarray, *, what: str) -> str | None:
    if np.any(block <= 0):
        return (
            f"{what} has zero ensemble spread somewhere: the normalized score is undefined "
            "there (use score='absolute')"
        )
    return None


def _half_width_kernel(
    scores: np.ndarray, *, alpha: float, leave_one_out: bool, allow_infinite: bool
) -> np.ndarray:
    """Conformal half-widths from calibration scores along the last axis (NaN: no case there).

    Leave-one-out: for each case the rank-th smallest of the *other* cases' scores
    (shape kept); else the rank-th smallest of all (last axis removed).
    """
    n_cases = scores.shape[-1]
    ordered = np.sort(scores, axis=-1)  # NaN last
    valid = ~np.isnan(scores)
    n_valid = valid.sum(axis=-1, keepdims=True)
    if leave_one_out:
        available = n_valid - valid
        rank = conformal_ranks(available, alpha)
        # position of the rank-th smallest of the others: one further when the case's own
        # score sits at or below it
        position = np.clip(rank - 1, 0, n_cases - 1)
        at_rank = np.take_along_axis(ordered, position, axis=-1)
        position = position + (valid & (scores <= at_rank))
        half = np.take_along_axis(ordered, np.clip(position, 0, n_cases - 1), axis=-1)
    else:
        available = n_valid[..., 0]
        rank = conformal_ranks(available, alpha)
        position = np.clip(rank - 1, 0, n_cases - 1)[..., None]
        half = np.take_along_axis(ordered, position, axis=-1)[..., 0]
    short = rank > available
    if np.any(short):
        if not allow_infinite:
            raise too_few(int(available.min()), alpha, "calibration case(s) at some lead time")
        half = np.where(short, np.inf, half)
    return half


def conformal_interval(
    fc: xr.DataArray,
    obs: xr.DataArray,
    dim: str = "member",
    alpha: float = 0.1,
    *,
    sample_dim: str = SAMPLE_DIM,
    score: Literal["absolute", "normalized"] = "absolute",
    target: xr.DataArray | None = None,
    allow_infinite: bool = False,
    skipna: bool = False,
) -> xr.Dataset:
    """Conformal prediction intervals at every lead time of a forecast archive.

    Parameters
    ----------
    fc : xarray.DataArray
        Forecasts with dims ``sample`` (cases), usually ``time`` (lead
        time), optionally ``dim`` (ensemble members) and any others.
    obs : xarray.DataArray
        Observations with the dims of ``fc`` except ``dim``.
    dim : str, default "member"
        Ensemble dimension; absent from ``fc`` for point forecasts.
    alpha : float, default 0.1
        Miscoverage level: each lead time's interval covers with
        probability ``>= 1 - alpha``.
    sample_dim : str, default "sample"
        The case dimension, over which the scores are calibrated.
    score : {"absolute", "normalized"}, default "absolute"
        Conformity score (see the module notes).
    target : xarray.DataArray, optional
        New forecasts to give intervals for (layout of ``fc``, any number of
        cases). Default: leave-one-out intervals for the cases of ``fc``.
    allow_infinite : bool, default False
        Give infinite bounds where there are too few cases for the level,
        instead of raising :class:`InputError`.
    skipna : bool, default False
        ``True``: NaN members are left out of the ensemble mean and spread,
        and each lead time is calibrated on the cases with a forecast and an
        observation there (NaN marks a missing one); ``False``: a NaN raises.

    Returns
    -------
    xarray.Dataset
        ``lower`` and ``upper`` with the dims of the centre (``fc`` or
        ``target`` without ``dim``), ``units`` from ``obs``; attrs ``alpha``,
        ``score`` and ``calibration`` (``"leave-one-out"`` or the number of cases).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(200, 5))
    >>> fc = xr.DataArray(truth[:, None, :] + rng.normal(size=(200, 8, 5)),
    ...                   dims=("sample", "member", "time"))
    >>> obs = xr.DataArray(truth, dims=("sample", "time"))
    >>> out = conformal_interval(fc, obs, alpha=0.2)
    >>> sorted(out.data_vars)
    ['lower', 'upper']
    """
    alpha = check_alpha(alpha)
    if score not in ("absolute", "normalized"):
        raise ConfigError(f"score must be 'absolute' or 'normalized', got {score!r}")
    if not isinstance(obs, xr.DataArray):
        raise InputError(f"obs must be an xarray.DataArray, got {type(obs).__name__}")
    centre, spread = _centre_and_spread(fc, dim, score, "fc", skipna)
    for what, arr in (("fc", centre), ("obs", obs)):
        if sample_dim not in arr.dims:
            raise InputError(f"{what} has no {sample_dim!r} dim (the forecast cases)")
    if set(obs.dims) != set(centre.dims):
        raise InputError(
            f"obs has dims {tuple(map(str, obs.dims))}, but the forecasts without {dim!r} have "
            f"{tuple(map(str, centre.dims))}"
        )
    try:
        centre, obs_aligned = xr.align(centre, obs, join="exact")
    except ValueError as exc:
        raise InputError(f"fc and obs coordinates differ: {exc}") from exc
    if not skipna:
        centre = guard(centre, partial(nan_problem, name="fc"))
        obs_aligned = guard(obs_aligned, partial(nan_problem, name="obs"))
    errors = abs(obs_aligned - centre)
    scores = errors if spread is None else errors / spread
    if scores.chunks is not None:
        scores = scores.chunk({sample_dim: -1})
    half = xr.apply_ufunc(
        _half_width_kernel,
        scores,
        input_core_dims=[[sample_dim]],
        output_core_dims=[[sample_dim] if target is None else []],
        dask="parallelized",
        output_dtypes=[np.float64],
        kwargs={
            "alpha": alpha,
            "leave_one_out": target is None,
            "allow_infinite": allow_infinite,
        },
    )
    calibration: str | int
    if target is None:
        out_centre, out_spread, calibration = centre, spread, "leave-one-out"
    else:
        out_centre, out_spread = _centre_and_spread(target, dim, score, "target", skipna)
        if not skipna:
            out_centre = guard(out_centre, partial(nan_problem, name="target"))
        lacking = [str(d) for d in scores.dims if d not in out_centre.dims]
        if lacking:
            raise InputError(f"target must have the dims of fc; it lacks {lacking}")
        try:
            half, out_centre = xr.align(half, out_centre, join="exact", exclude=[sample_dim])
        except ValueError as exc:
            raise InputError(f"target coordinates differ from fc's: {exc}") from exc
        calibration = scores.sizes[sample_dim]
    if out_spread is not None:
        half = half * out_spread
    attrs = units_attrs(obs)
    lower = (out_centre - half).rename("lower")
    upper = (out_centre + half).rename("upper")
    lower.attrs = {**attrs, "long_name": f"lower bound of the {1 - alpha:.0%} conformal interval"}
    upper.attrs = {**attrs, "long_name": f"upper bound of the {1 - alpha:.0%} conformal interval"}
    return xr.Dataset(
        {"lower": lower, "upper": upper},
        attrs={"alpha": alpha, "score": score, "calibration": calibration},
    )
