"""Scores of binary-event forecasts: the Brier score (with the fair ensemble correction),
AUROC and AUPRC.

An event is either given as binary labels (0/1 or booleans) or made from a
continuous variable with ``threshold=`` (the event is ``value >= threshold``,
for the observation and for each ensemble member alike).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import binary_problem
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    as_dims,
    check_binary,
    check_probability,
    finish,
    flatten_leading,
    pool_core,
    prepare,
)

__all__ = ["auprc", "auroc", "brier_score", "event_probability"]


def _event(values: np.ndarray, threshold: float | None) -> np.ndarray:
    """Event indicator as float (NaN stays NaN)."""
    values = values.astype(np.float64)
    if threshold is None:
        return values
    return np.where(np.isnan(values), np.nan, values >= threshold)


def _event_fraction(
    x: np.ndarray, *, threshold: float | None, skipna: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``x``, the fraction of members in which the event happens and their number."""
    events = _event(x, threshold)
    if skipna:
        m = (~np.isnan(events)).sum(axis=-1).astype(np.float64)
        hits = np.nansum(events, axis=-1)
    else:
        m = np.full(events.shape[0], float(events.shape[-1]))
        hits = events.sum(axis=-1)
    p = np.divide(hits, m, out=np.full_like(hits, np.nan), where=m > 0)
    return p, m


def _event_probability_kernel(
    fc: np.ndarray, *, threshold: float | None, skipna: bool
) -> np.ndarray:
    (x,), lead = flatten_leading([fc], [1])
    p, _ = _event_fraction(x, threshold=threshold, skipna=skipna)
    return p.reshape(lead)


def event_probability(
    fc: Any,
    threshold: float | None = None,
    dim: str = "member",
    *,
    skipna: bool = False,
) -> Any:
    """Probability of an event in an ensemble: the fraction of members in which it happens.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``, the last axis of a plain array).
    threshold : float, optional
        The event is ``member >= threshold``; without it the members must be binary.
    dim : str, default "member"
        The ensemble dim.
    skipna : bool, default False
        ``True``: NaN members are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        Event probabilities in [0, 1].
    """
    args = [Arg("fc", fc, (dim,))]
    arrays, plain = prepare(args)
    if threshold is None:
        arrays = [check_binary(arrays[0], "fc")]
    result = apply_kernel(
        _event_probability_kernel,
        arrays,
        args,
        skipna=skipna,
        kwargs={"threshold": threshold, "skipna": skipna},
        name="probability",
        attrs={"units": "1", "long_name": "event probability (fraction of members)"},
    )
    return finish(result, plain)


def _brier_prob_kernel(p: np.ndarray, y: np.ndarray, *, threshold: float | None) -> np.ndarray:
    return (p - _event(y, threshold)) ** 2


def _brier_ensemble_kernel(
    fc: np.ndarray, y: np.ndarray, *, threshold: float | None, fair: bool, skipna: bool
) -> np.ndarray:
    (x, obs), lead = flatten_leading([fc, y], [1, 0])
    p, m = _event_fraction(x, threshold=threshold, skipna=skipna)
    score = (p - _event(obs, threshold)) ** 2
    if fair:
        score -= np.divide(p * (1.0 - p), m - 1.0, out=np.full_like(p, np.nan), where=m >= 2)
    return score.reshape(lead)


def brier_score(
    fc: Any,
    obs: Any,
    *,
    dim: str | None = None,
    threshold: float | None = None,
    fair: bool = False,
    skipna: bool = False,
) -> Any:
    """Brier score of probability forecasts or of ensembles of a binary event.

    With ``dim=None``, ``fc`` holds probabilities in [0, 1] and the score is
    :math:`(p - o)^2`. With ``dim`` (e.g. ``"member"``), ``fc`` is an
    ensemble, :math:`p` is the fraction of members in which the event
    happens, and ``fair=True`` subtracts :math:`p(1 - p)/(M - 1)` (Ferro
    2014), which makes the score of an :math:`M`-member ensemble an unbiased
    estimate of that of the distribution its members are drawn from.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        Probabilities (``dim=None``) or an ensemble (members on ``dim``, the
        last axis of a plain array).
    obs : xarray.DataArray or array_like
        Binary outcomes, or a continuous variable with ``threshold``.
    dim : str, optional
        The ensemble dim of ``fc``; ``None`` when ``fc`` holds probabilities.
    threshold : float, optional
        Event ``value >= threshold`` for ``obs`` and for ensemble members.
        Without it, ``obs`` (and members) must be binary.
    fair : bool, default False
        The fair ensemble correction (needs ``dim`` and two members).
    skipna : bool, default False
        ``False``: a NaN raises :class:`~gpu.errors.InputError`. ``True``: NaN
        members are left out, a NaN observation or probability gives NaN.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The Brier score of each forecast (dimensionless); average it over cases.

    Raises
    ------
    InputError
        Probabilities outside [0, 1], non-binary labels (without ``threshold``),
        a one-member ensemble with ``fair=True``, NaN with ``skipna=False``.
    ConfigError
        ``fair=True`` without an ensemble dim.
    """
    if fair and dim is None:
        raise ConfigError("fair=True needs an ensemble: pass dim= (e.g. dim='member')")
    args = [Arg("fc", fc, () if dim is None else (dim,)), Arg("obs", obs)]
    least = {dim: (2, "the fair Brier score needs two members")} if fair and dim else None
    arrays, plain = prepare(args, min_sizes=least)
    fc_da, obs_da = arrays
    if threshold is None:
        obs_da = check_binary(obs_da, "obs")
        fc_da = check_probability(fc_da, "fc") if dim is None else check_binary(fc_da, "fc")
    elif dim is None:
        fc_da = check_probability(fc_da, "fc")
    kernel: Callable[..., np.ndarray]
    if dim is None:
        kernel, kwargs = _brier_prob_kernel, {"threshold": threshold}
    else:
        kernel = _brier_ensemble_kernel
        kwargs = {"threshold": threshold, "fair": fair, "skipna": skipna}
    result = apply_kernel(
        kernel,
        [fc_da, obs_da],
        args,
        skipna=skipna,
        kwargs=kwargs,
        name="brier_score",
        attrs={"units": "1", "long_name": f"{'fair ' if fair else ''}Brier score"},
    )
    return finish(result, plain)


def _auroc_row(scores: np.ndarray, labels: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)  # average ranks of ties: AUC counts a tie as one half
    n_pos = labels.sum()
    n_neg = labels.size - n_pos
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auprc_row(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    hits = labels[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last index of each distinct score
    tp = np.cumsum(hits)[last]
    precision = tp / (last + 1)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def _ranking_kernel(
    scores: np.ndarray, labels: np.ndarray, *, row: Callable[..., float], ndim: int, skipna: bool
) -> np.ndarray:
    pooled = [pool_core(a, ndim).astype(np.float64) for a in (scores, labels)]
    (s, y), lead = flatten_leading(pooled, [1, 1])
    out = np.full(s.shape[0], np.nan)
    for r in range(s.shape[0]):
        keep = ~(np.isnan(s[r]) | np.isnan(y[r]))
        if not keep.all() and not skipna:
            continue  # NaN result: the caller raises
        yr = y[r][keep]
        problem = binary_problem(yr, name="obs")
        if problem:
            raise InputError(problem)
        positives = yr.astype(bool)
        if positives.all() or not positives.any():
            raise InputError(
                "obs holds only one class in a group of cases: AUROC and AUPRC need "
                "positive and negative cases"
            )
        out[r] = row(s[r][keep], positives)
    return out.reshape(lead)


def _ranking_score(
    row: Callable[..., float],
    fc: Any,
    obs: Any,
    dim: str | list[str] | None,
    skipna: bool,
    name: str,
    long_name: str,
) -> Any:
    if not isinstance(fc, xr.DataArray) and not isinstance(obs, xr.DataArray):
        fc, obs = np.asarray(fc), np.asarray(obs)
        if fc.shape != obs.shape:
            raise InputError(f"fc and obs must have one shape, got {fc.shape} and {obs.shape}")
        if dim is not None:
            raise ConfigError("dim= names DataArray dims; plain arrays are scored as one set")
        fc, obs = fc.ravel(), obs.ravel()
        dims: tuple[str, ...] = ("sample",)
    else:
        present = [*getattr(fc, "dims", ()), *getattr(obs, "dims", ())]
        dims = as_dims(dim, dict.fromkeys(present))
    args = [Arg("fc", fc, tuple(dims)), Arg("obs", obs, tuple(dims))]
    arrays, plain = prepare(args)
    result = apply_kernel(
        _ranking_kernel,
        arrays,
        args,
        skipna=skipna,
        kwargs={"row": row, "ndim": len(dims), "skipna": skipna},
        name=name,
        attrs={"units": "1", "long_name": long_name},
    )
    return finish(result, plain)


def auroc(fc: Any, obs: Any, dim: str | list[str] | None = None, *, skipna: bool = False) -> Any:
    """Area under the ROC curve (the Mann-Whitney probability of ranking a positive first).

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        Scores, larger meaning the event is more likely (probabilities or any
        real score).
    obs : xarray.DataArray or array_like
        Binary outcomes 0/1, same dims as ``fc``.
    dim : str or list of str, optional
        Dims to pool the cases over; all by default (the others are kept).
        Plain arrays are always pooled whole.
    skipna : bool, default False
        ``False``: a NaN raises :class:`~gpu.errors.InputError`; ``True``:
        cases with a NaN score or label are left out.

    Returns
    -------
    xarray.DataArray or float
        AUROC in [0, 1] (0.5: no skill); ties count one half.

    Raises
    ------
    InputError
        Non-binary labels, a group with only one class, NaN with ``skipna=False``.
    """
    return _ranking_score(_auroc_row, fc, obs, dim, skipna, "auroc", "area under the ROC curve")


def auprc(fc: Any, obs: Any, dim: str | list[str] | None = None, *, skipna: bool = False) -> Any:
    """Area under the precision-recall curve, as average precision.

    :math:`\\mathrm{AP} = \\sum_k (R_k - R_{k-1}) P_k` over the distinct score
    thresholds from the highest down (the step-wise estimate, not the
    trapezoidal one, which is optimistic).

    Parameters
    ----------
    fc, obs, dim, skipna
        As in :func:`auroc`.

    Returns
    -------
    xarray.DataArray or float
        Average precision in [0, 1] (the base rate for no skill).
    """
    return _ranking_score(
        _auprc_row, fc, obs, dim, skipna, "auprc", "area under the precision-recall curve"
    )
