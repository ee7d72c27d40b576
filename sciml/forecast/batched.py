"""Fit and forecast many forecasters at once: one batched kernel call per group.

Models of one class that share their structure (for :class:`~sciml.forecast.ESN`
the reservoir size, the squared features, the washout and the backend; for
:class:`~sciml.forecast.NVAR` and :class:`~sciml.forecast.LinearAR` the delays,
stride and degree) form a group. An ESN group drives all its reservoirs —
each with its own seed, spectral radius, leak, input scaling, density and bias
— through the training series in one numba kernel call, then solves each
readout; an NVAR group builds the features and their Gram matrix once and
solves it for each ridge penalty. Forecasts of a group run closed-loop in one
call too. The results equal those of fitting and forecasting each model alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError
from sciml.forecast.base import Forecaster, check_int

__all__ = ["fit_batch", "forecast_batch"]


def _groups(models: Sequence[Forecaster]) -> list[list[int]]:
    """Indices of ``models`` grouped by class and batch key (models without a key alone)."""
    if not models or not all(isinstance(m, Forecaster) for m in models):
        raise ConfigError("models must be a non-empty sequence of sciml Forecasters")
    groups: dict[Any, list[int]] = {}
    for i, model in enumerate(models):
        key = model._batch_key()
        groups.setdefault(("alone", i) if key is None else (type(model), key), []).append(i)
    return list(groups.values())


def fit_batch(models: Sequence[Forecaster], train: Any) -> list[Forecaster]:
    """Fit every model on ``train``, batching those that share their structure.

    Parameters
    ----------
    models : sequence of Forecaster
        The models, e.g. ESNs that differ by seed or spectral radius, or NVARs
        that differ by ridge penalty. Each is fitted in place.
    train : xarray.DataArray, xarray.Dataset or array_like
        The training series, as for :meth:`Forecaster.fit`.

    Returns
    -------
    list of Forecaster
        ``models``, fitted: each equal to ``model.fit(train)``.

    Raises
    ------
    ConfigError
        ``models`` empty or not forecasters; invalid parameters.
    InputError
        Bad training data, as for :meth:`Forecaster.fit`.
    """
    models = list(models)
    for group in _groups(models):
        members = [models[i] for i in group]
        prepared = [m._prepare(train) for m in members]  # each validates and standardizes
        type(members[0])._fit_batch(members, prepared[0])
    return models


def forecast_batch(models: Sequence[Forecaster], context: Any, horizon: int) -> list[xr.DataArray]:
    """One forecast per fitted model from the same context, batched like :func:`fit_batch`.

    Parameters
    ----------
    models : sequence of Forecaster
        Fitted models.
    context : xarray.DataArray or array_like
        The context, as for :meth:`Forecaster.forecast`.
    horizon : int
        Steps to forecast.

    Returns
    -------
    list of xarray.DataArray
        ``model.forecast(context, horizon)`` for each model (one member each).

    Raises
    ------
    ConfigError
        ``models`` empty or not forecasters, ``horizon`` not a positive integer.
    InputError
        A model not fitted, a bad context, as for :meth:`Forecaster.forecast`.
    """
    models = list(models)
    horizon = check_int("horizon", horizon)
    out: list[xr.DataArray | None] = [None] * len(models)
    for group in _groups(models):
        members = [models[i] for i in group]
        prepared = [m._context(context, 1, 0.0) for m in members]
        batch = np.concatenate([p[0] for p in prepared])
        pred = type(members[0])._predict_batch(members, batch, horizon)
        for row, (i, m) in enumerate(zip(group, members, strict=True)):
            values = pred[row : row + 1] * m.scale_ + m.mean_
            out[i] = m._to_dataarray(values, prepared[row][1])
    return [fc for fc in out if fc is not None]
