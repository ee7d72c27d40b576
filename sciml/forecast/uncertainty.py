"""Uncertainty around forecasters: seed ensembles and per-lead-time conformal intervals.

* :class:`SeedEnsemble` fits copies of a forecaster with different seeds
  (reservoirs, initial weights: a deep ensemble for the neural models) and
  pools their forecasts, each member's context optionally perturbed
  (perturbed initial conditions).
* :class:`ConformalForecaster` wraps any forecaster: it forecasts from many
  windows of a calibration series, and gives split-conformal intervals at
  every lead time and component with :func:`sciml.uq.conformal_interval`.
"""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast.base import Forecaster, check_fraction, check_int, series_array
from sciml.forecast.batched import fit_batch
from sciml.forecast.metrics import bounded
from sciml.uq import conformal_interval

__all__ = ["ConformalForecaster", "SeedEnsemble"]


def _clone(model: Forecaster, seed: int | None) -> Forecaster:
    if not isinstance(model, Forecaster):
        raise ConfigError(f"model must be a sciml Forecaster, got {type(model).__name__}")
    return type(model)(**{**model.get_params(), "seed": seed})


class SeedEnsemble:
    """Copies of one forecaster fitted with different seeds; their forecasts pooled.

    Parameters
    ----------
    model : Forecaster
        The template (its parameters are copied; it is not fitted itself).
    n_models : int, default 5
        Number of copies.
    seed : int, optional
        Seeds the copies through ``numpy.random.SeedSequence(seed).spawn(n_models)``.
    """

    def __init__(self, model: Forecaster, *, n_models: int = 5, seed: int | None = 0) -> None:
        self.model = model
        self.n_models = n_models
        self.seed = seed

    def fit(self, train: Any) -> Self:
        """Fit every copy on ``train`` (see :meth:`Forecaster.fit`), batched where the model
        allows (:func:`~sciml.forecast.fit_batch`: one reservoir run for all ESN seeds);
        returns ``self``."""
        check_int("n_models", self.n_models)
        children = np.random.SeedSequence(self.seed).spawn(self.n_models)
        seeds = [int(child.generate_state(1)[0]) for child in children]
        self.models_ = fit_batch([_clone(self.model, s) for s in seeds], train)
        return self

    def forecast(
        self, context: Any, horizon: int, members: int = 1, perturbation: float = 0.0
    ) -> xr.DataArray:
        """Pooled forecasts: ``members`` from each copy (``n_models * members`` in all).

        Parameters
        ----------
        context, horizon, members, perturbation
            As in :meth:`Forecaster.forecast`.

        Returns
        -------
        xarray.DataArray
            ``(member, time, component)``.
        """
        if not hasattr(self, "models_"):
            raise InputError("this SeedEnsemble is not fitted yet: call fit(train) first")
        parts = [m.forecast(context, horizon, members, perturbation) for m in self.models_]
        out = xr.concat(parts, dim="member")
        return out.assign_coords(member=np.arange(out.sizes["member"]))


class ConformalForecaster:
    """Per-lead-time conformal prediction intervals around any forecaster.

    :meth:`fit` fits the model on the training series, then forecasts
    ``horizon`` steps from ``n_windows`` evenly spaced starts of the
    calibration series and stores the forecasts with the truth; intervals of
    new forecasts are calibrated on them, separately at every lead and
    component (split conformal, exchangeable windows assumed); a forecast that
    diverges is bounded by 1e12 (:func:`~sciml.forecast.metrics.bounded`: a
    very large error, in calibration as in use, so coverage holds). The calibrated
    quantile of the scores is kept in ``quantile_`` (lead, component).

    Parameters
    ----------
    model : Forecaster or SeedEnsemble
        The point (or ensemble) forecaster.
    alpha : float, default 0.1
        Miscoverage: intervals cover with probability ``>= 1 - alpha``.
    horizon : int, default 200
        Longest lead calibrated.
    context : int, default 100
        Context points given to each calibration forecast.
    n_windows : int, default 50
        Calibration windows.
    members : int, default 1
        Members of each forecast (with ``perturbation``): the centre is their mean.
    perturbation : float, default 0
        Initial-condition perturbation of the members (see :meth:`Forecaster.forecast`).
    score : {"absolute", "normalized"}, default "absolute"
        Conformity score of :func:`sciml.uq.conformal_interval`; ``normalized``
        needs an ensemble.
    """

    def __init__(
        self,
        model: Forecaster | SeedEnsemble,
        *,
        alpha: float = 0.1,
        horizon: int = 200,
        context: int = 100,
        n_windows: int = 50,
        members: int = 1,
        perturbation: float = 0.0,
        score: Literal["absolute", "normalized"] = "absolute",
    ) -> None:
        self.model = model
        self.alpha = alpha
        self.horizon = horizon
        self.context = context
        self.n_windows = n_windows
        self.members = members
        self.perturbation = perturbation
        self.score = score

    def _raw(self, context: Any, horizon: int) -> xr.DataArray:
        with np.errstate(over="ignore", invalid="ignore"):
            fc = self.model.forecast(context, horizon, self.members, self.perturbation)
        # a diverged forecast is a very large error, not missing data (in calibration and use)
        fc = bounded(fc)
        return fc if self.score == "normalized" else fc.mean("member")

    def fit(self, train: Any, calibration: Any) -> Self:
        """Fit the model on ``train`` and calibrate on windows of ``calibration``.

        Parameters
        ----------
        train : xarray.DataArray or array_like
            Training series (see :meth:`Forecaster.fit`).
        calibration : xarray.DataArray or array_like
            A series not used for training, ``(time, component)``, at least
            ``context + horizon`` points long.

        Returns
        -------
        ConformalForecaster
            ``self``.
        """
        check_fraction("alpha", self.alpha)
        horizon = check_int("horizon", self.horizon)
        context = check_int("context", self.context)
        n_windows = check_int("n_windows", self.n_windows, 2)
        if self.score not in ("absolute", "normalized"):
            raise ConfigError(f"score must be 'absolute' or 'normalized', got {self.score!r}")
        values, _ = series_array(calibration, "calibration")
        if values.shape[0] != 1:
            raise InputError("calibration must be one series (time, component)")
        series = values[0]
        last = len(series) - context - horizon
        if last < 0:
            raise InputError(
                f"calibration has {len(series)} points; context + horizon = {context + horizon}"
            )
        self.model.fit(train)
        starts = np.unique(np.linspace(0, last, n_windows).round().astype(int))
        fc_list, obs_list = [], []
        for s in starts:
            fc_list.append(self._raw(series[s : s + context], horizon).values)
            obs_list.append(series[s + context : s + context + horizon])
        lead = np.arange(1, horizon + 1)
        dims: tuple[str, ...] = ("sample", "time", "component")
        if self.score == "normalized":
            dims = ("sample", "member", "time", "component")
        fc = xr.DataArray(np.stack(fc_list), dims=dims, coords={"time": lead})
        obs = xr.DataArray(
            np.stack(obs_list), dims=("sample", "time", "component"), coords={"time": lead}
        )
        # the calibrated quantile of the scores does not depend on the new forecast: take it
        # once, as the half-width of a unit-spread interval around one of the cases
        one = fc.isel(sample=slice(0, 1))
        bands = conformal_interval(fc, obs, alpha=self.alpha, score=self.score, target=one)
        half = (bands["upper"] - bands["lower"]).isel(sample=0, drop=True) / 2
        if self.score == "normalized":
            half = half / one.std("member", ddof=1).isel(sample=0, drop=True)
        self.quantile_ = half.values
        self.n_calibration_ = len(starts)
        return self

    def forecast(self, context: Any, horizon: int) -> xr.Dataset:
        """Forecast with conformal intervals.

        Parameters
        ----------
        context : xarray.DataArray or array_like
            As in :meth:`Forecaster.forecast`.
        horizon : int
            Steps, at most the calibrated ``horizon``.

        Returns
        -------
        xarray.Dataset
            ``forecast`` (the centre), ``lower`` and ``upper`` with dims
            ``time`` and ``component``; attrs ``alpha`` and ``calibration``.
        """
        if not hasattr(self, "quantile_"):
            raise InputError("this ConformalForecaster is not fitted yet: call fit first")
        if check_int("horizon", horizon) > len(self.quantile_):
            raise ConfigError(f"horizon {horizon} exceeds the calibrated {len(self.quantile_)}")
        raw = self._raw(context, horizon)
        half = self.quantile_[:horizon]
        if "member" in raw.dims:
            centre = raw.mean("member")
            half = half * raw.std("member", ddof=1).values
        else:
            centre = raw
        attrs = {"units": raw.attrs.get("units", "1")}
        out = xr.Dataset(
            {
                "forecast": centre.assign_attrs(long_name="forecast centre", **attrs),
                "lower": (centre - half).assign_attrs(
                    long_name=f"lower bound of the {1 - self.alpha:.0%} conformal interval", **attrs
                ),
                "upper": (centre + half).assign_attrs(
                    long_name=f"upper bound of the {1 - self.alpha:.0%} conformal interval", **attrs
                ),
            },
            attrs={"alpha": self.alpha, "score": self.score, "calibration": self.n_calibration_},
        )
        return out
