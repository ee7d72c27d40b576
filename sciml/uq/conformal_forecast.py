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
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.calibration_inputs import SAMPLE_DIM, check_alpha
from sciml.uq.conformal_base import min_calibration_size

__all__ = ["conformal_interval"]


def _centre_and_spread(
    fc: xr.DataArray, dim: str, score: str, what: str
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
    centre = fc.mean(dim)
    if score == "absolute":
        return centre, None
    spread = fc.std(dim, ddof=1)
    if bool((spread <= 0).any()):
        raise InputError(
            f"{what} has zero ensemble spread somewhere: the normalized score is undefined "
            "there (use score='absolute')"
        )
    return centre, spread


def _ranks(n_valid: np.ndarray, alpha: float) -> np.ndarray:
    """Vectorized ``ceil((n + 1)(1 - alpha))`` (see :func:`conformal_rank`)."""
    return np.ceil(np.round((n_valid + 1) * (1.0 - alpha), 9)).astype(np.int64)


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
        Calibrate each lead time on the cases with an observation there
        (NaN in ``obs`` marks a missing one) instead of raising.

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
    centre, spread = _centre_and_spread(fc, dim, score, "fc")
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
    if bool(centre.isnull().any()):
        raise InputError("fc contains NaN: drop or fill the incomplete forecasts first")
    missing = obs_aligned.isnull()
    if bool(missing.any()) and not skipna:
        raise InputError(
            f"obs contains {int(missing.sum())} NaN value(s): pass skipna=True to calibrate "
            "each lead time on the cases observed there"
        )
    errors = abs(obs_aligned - centre)
    scores = errors if spread is None else errors / spread
    other_dims = [d for d in scores.dims if d != sample_dim]
    values = scores.transpose(sample_dim, *other_dims).values
    n_cases = values.shape[0]
    flat = values.reshape(n_cases, -1)
    ordered = np.sort(flat, axis=0)  # NaN last
    n_valid = np.sum(~np.isnan(flat), axis=0)
    if target is None:
        valid = ~np.isnan(flat)
        others = n_valid[None, :] - valid
        rank = _ranks(others, alpha)
        # position of the rank-th smallest of the others: one further when the case's own
        # score sits at or below it
        position = np.clip(rank - 1, 0, n_cases - 1)
        at_rank = np.take_along_axis(ordered, position, axis=0)
        position = position + (valid & (flat <= at_rank))
        available = others
        half_flat = np.take_along_axis(ordered, np.clip(position, 0, n_cases - 1), axis=0)
        out_centre, out_spread, out_dims = centre, spread, scores.dims
        calibration: str | int = "leave-one-out"
    else:
        rank = _ranks(n_valid, alpha)
        available = n_valid
        half_flat = np.take_along_axis(ordered, np.clip(rank - 1, 0, n_cases - 1)[None, :], 0)[0]
        out_centre, out_spread = _centre_and_spread(target, dim, score, "target")
        calibration = n_cases
    too_few = rank > available
    if np.any(too_few):
        if not allow_infinite:
            fewest = int(available.min())
            raise InputError(
                f"as few as {fewest} calibration case(s) at some lead time: coverage "
                f"{1 - alpha:g} needs at least {min_calibration_size(alpha)} (add cases, "
                "raise alpha, or pass allow_infinite=True)"
            )
        half_flat = np.where(too_few, np.inf, half_flat)
    if target is None:
        half = xr.DataArray(
            half_flat.reshape(values.shape), dims=(sample_dim, *other_dims)
        ).transpose(*out_dims)
    else:
        half = xr.DataArray(half_flat.reshape(values.shape[1:]), dims=other_dims)
        lacking = [str(d) for d in (sample_dim, *other_dims) if d not in out_centre.dims]
        if lacking:
            raise InputError(f"target must have the dims of fc; it lacks {lacking}")
        half = half.assign_coords({d: scores[d] for d in other_dims if d in scores.coords})
        try:
            half, out_centre = xr.align(half, out_centre, join="exact", exclude=[sample_dim])
        except ValueError as exc:
            raise InputError(f"target coordinates differ from fc's: {exc}") from exc
    if out_spread is not None:
        half = half * out_spread
    units = obs.attrs.get("units")
    attrs = {} if units is None else {"units": units}
    lower = (out_centre - half).rename("lower")
    upper = (out_centre + half).rename("upper")
    lower.attrs = {**attrs, "long_name": f"lower bound of the {1 - alpha:.0%} conformal interval"}
    upper.attrs = {**attrs, "long_name": f"upper bound of the {1 - alpha:.0%} conformal interval"}
    return xr.Dataset(
        {"lower": lower, "upper": upper},
        attrs={"alpha": alpha, "score": score, "calibration": calibration},
    )
