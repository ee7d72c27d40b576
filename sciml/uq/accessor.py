"""The ``.sciml`` xarray accessor: UQ verbs on DataArrays and Datasets.

The DataArray accessor lives here, the Dataset one in
:mod:`sciml.uq.dataset_accessor`.

Importing :mod:`sciml.uq` registers it::

    import sciml.uq
    fc.sciml.crps(obs)                 # fc: ensemble DataArray with a member dim
    fc.sciml.rank_histogram(obs)
    fc.sciml.plot_reliability(obs, threshold=1.0, dim="member")
    ds.sciml.crps(obs_ds)              # every variable with a member dim

On a DataArray each verb calls the function of :mod:`sciml.uq` with the
array as the forecast. On a Dataset it applies to every data variable that
carries the ensemble dim (the sample dims for :meth:`mc_estimate`), with
``obs`` a Dataset holding the same variable names or one DataArray for all:
per-forecast scores come back as a Dataset of the same variables, the
pooled diagnostics as one Dataset with a new ``variable`` dim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import xarray as xr

from sciml.uq import (
    binary,
    conformal_forecast,
    diagnostics_rank,
    diagnostics_reliability,
    diagnostics_summary,
    energy,
    montecarlo,
    plots,
    scores_ensemble,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SciMLDataArrayAccessor"]


@xr.register_dataarray_accessor("sciml")
class SciMLDataArrayAccessor:
    """UQ verbs on a forecast DataArray (``da.sciml``).

    Parameters
    ----------
    obj : xarray.DataArray
        The forecast: an ensemble (with a ``member`` dim), probabilities, or samples.
    """

    def __init__(self, obj: xr.DataArray) -> None:
        self._obj = obj

    def crps(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.DataArray:
        """CRPS of the ensemble.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``fair``, ``skipna``, ``backend`` of :func:`sciml.uq.crps_ensemble`.

        Returns
        -------
        xarray.DataArray
            The CRPS of each forecast.
        """
        result: xr.DataArray = scores_ensemble.crps_ensemble(self._obj, obs, dim, **kwargs)
        return result

    def energy_score(
        self, obs: Any, dim: str = "member", feature_dim: str = "component", **kwargs: Any
    ) -> xr.DataArray:
        """Energy score of the multivariate ensemble.

        Parameters
        ----------
        obs : xarray.DataArray
            The observed vectors: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        feature_dim : str, default "component"
            The dim of the vector components.
        **kwargs
            ``fair``, ``skipna``, ``backend`` of :func:`sciml.uq.energy_score`.

        Returns
        -------
        xarray.DataArray
            The energy score of each forecast.
        """
        result: xr.DataArray = energy.energy_score(self._obj, obs, dim, feature_dim, **kwargs)
        return result

    def brier_score(self, obs: Any, **kwargs: Any) -> xr.DataArray:
        """Brier score of probabilities, or of an ensemble with ``dim=``.

        Parameters
        ----------
        obs : xarray.DataArray
            Binary outcomes, or a continuous variable with ``threshold=``.
        **kwargs
            ``dim``, ``threshold``, ``fair``, ``skipna`` of :func:`sciml.uq.brier_score`.

        Returns
        -------
        xarray.DataArray
            The Brier score of each forecast.
        """
        result: xr.DataArray = binary.brier_score(self._obj, obs, **kwargs)
        return result

    def event_probability(
        self, threshold: float | None = None, dim: str = "member", **kwargs: Any
    ) -> xr.DataArray:
        """Probability of an event: the fraction of members in which it happens.

        Parameters
        ----------
        threshold : float, optional
            The event is ``member >= threshold``; without it the members must be binary.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``skipna`` of :func:`sciml.uq.event_probability`.

        Returns
        -------
        xarray.DataArray
            Event probabilities in [0, 1].
        """
        result: xr.DataArray = binary.event_probability(self._obj, threshold, dim, **kwargs)
        return result

    def rank_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Rank histogram of the ensemble with its flatness statistics.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``reduce_dims``, ``seed``, ``skipna``, ``backend`` of
            :func:`sciml.uq.rank_histogram`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.rank_histogram`.
        """
        return diagnostics_rank.rank_histogram(self._obj, obs, dim, **kwargs)

    def pit(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.DataArray:
        """Randomized PIT values of the observations in the ensemble.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``seed``, ``skipna``, ``backend`` of :func:`sciml.uq.pit`.

        Returns
        -------
        xarray.DataArray
            The PIT value of each case.
        """
        result: xr.DataArray = diagnostics_rank.pit(self._obj, obs, dim, **kwargs)
        return result

    def pit_histogram(
        self,
        obs: Any,
        dim: str = "member",
        bins: int = 10,
        *,
        reduce_dims: str | Sequence[str] | None = None,
        seed: int = 0,
        skipna: bool = False,
        backend: str | None = None,
    ) -> xr.Dataset:
        """PIT histogram of the ensemble (:func:`sciml.uq.pit`, :func:`sciml.uq.pit_histogram`).

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        bins : int, default 10
            Number of bins.
        reduce_dims : str or sequence of str, optional
            Dims pooled into one histogram; all but ``dim`` by default.
        seed : int, default 0
            Seed of the PIT randomization.
        skipna : bool, default False
            ``True``: cases with a NaN are left out; ``False``: NaN raises.
        backend : {None, "auto", "numba", "numpy"}
            Where the ranking loop runs.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.pit_histogram`.
        """
        values = diagnostics_rank.pit(
            self._obj, obs, dim, seed=seed, skipna=skipna, backend=backend
        )
        return diagnostics_rank.pit_histogram(values, bins, reduce_dims=reduce_dims, skipna=skipna)

    def spread_skill(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Spread, skill (RMSE of the ensemble mean) and their ratio.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``reduce_dims``, ``skipna`` of :func:`sciml.uq.spread_skill`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.spread_skill`.
        """
        return diagnostics_reliability.spread_skill(self._obj, obs, dim, **kwargs)

    def reliability(
        self,
        obs: Any,
        bins: int = 10,
        *,
        threshold: float | None = None,
        dim: str | None = None,
        **kwargs: Any,
    ) -> xr.Dataset:
        """Reliability-diagram data of probabilities, or of an ensemble with ``dim=``.

        Parameters
        ----------
        obs : xarray.DataArray
            Binary outcomes, or a continuous variable with ``threshold``.
        bins : int, default 10
            Number of probability bins.
        threshold : float, optional
            The event is ``value >= threshold`` (for ``obs`` and the members).
        dim : str, optional
            The ensemble dim: the forecast probability is then the fraction
            of members with the event. Without it the array holds probabilities.
        **kwargs
            ``reduce_dims``, ``skipna`` of :func:`sciml.uq.reliability`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.reliability`.
        """
        prob = self._obj
        if dim is not None:
            prob = binary.event_probability(
                prob, threshold, dim, skipna=kwargs.get("skipna", False)
            )
        return diagnostics_reliability.reliability(prob, obs, bins, threshold=threshold, **kwargs)

    def ensemble_summary(self, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Ensemble mean, variance, standard deviation and quantiles.

        Parameters
        ----------
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``quantiles``, ``skipna`` of :func:`sciml.uq.ensemble_summary`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.ensemble_summary`.
        """
        return diagnostics_summary.ensemble_summary(self._obj, dim, **kwargs)

    def entropy_decomposition(
        self, dim: str = "member", class_dim: str = "class", **kwargs: Any
    ) -> xr.Dataset:
        """Total, aleatoric and epistemic entropy of a probabilistic ensemble.

        Parameters
        ----------
        dim : str, default "member"
            The ensemble dim.
        class_dim : str, default "class"
            The class dim.
        **kwargs
            ``base``, ``skipna`` of :func:`sciml.uq.entropy_decomposition`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.entropy_decomposition`.
        """
        return diagnostics_summary.entropy_decomposition(self._obj, dim, class_dim, **kwargs)

    def mc_estimate(self, dim: str | Sequence[str] = "sample", **kwargs: Any) -> xr.Dataset:
        """Monte Carlo estimates with confidence intervals over the sample dim(s).

        Parameters
        ----------
        dim : str or sequence of str, default "sample"
            The sample dim(s).
        **kwargs
            ``quantiles``, ``thresholds``, ``confidence``, ``method`` ... of
            :func:`sciml.uq.mc_estimate`.

        Returns
        -------
        xarray.Dataset
            See :func:`sciml.uq.mc_estimate`.
        """
        return montecarlo.mc_estimate(self._obj, dim, **kwargs)

    def conformal_interval(
        self, obs: Any, dim: str = "member", alpha: float = 0.1, **kwargs: Any
    ) -> xr.Dataset:
        """Conformal intervals at every lead time of a forecast archive.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim (absent for point forecasts).
        alpha : float, default 0.1
            Miscoverage level.
        **kwargs
            ``sample_dim``, ``score``, ``target``, ``allow_infinite``, ``skipna``
            of :func:`sciml.uq.conformal_interval`.

        Returns
        -------
        xarray.Dataset
            ``lower`` and ``upper``; see :func:`sciml.uq.conformal_interval`.
        """
        return conformal_forecast.conformal_interval(self._obj, obs, dim, alpha, **kwargs)

    def plot_rank_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Compute and plot the rank histogram.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure by default.
        **kwargs
            Passed to :meth:`rank_histogram`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plots.plot_rank_histogram(self.rank_histogram(obs, dim, **kwargs), ax)

    def plot_reliability(self, obs: Any, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Compute and plot the reliability diagram.

        Parameters
        ----------
        obs : xarray.DataArray
            Binary outcomes, or a continuous variable with ``threshold=``.
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure by default.
        **kwargs
            Passed to :meth:`reliability` (``dim=`` for an ensemble, ``threshold=``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plots.plot_reliability(self.reliability(obs, **kwargs), ax)

    def plot_pit_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Compute and plot the PIT histogram.

        Parameters
        ----------
        obs : xarray.DataArray
            The observations: the forecast's dims without ``dim``.
        dim : str, default "member"
            The ensemble dim.
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure by default.
        **kwargs
            Passed to :meth:`pit_histogram`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plots.plot_pit_histogram(self.pit_histogram(obs, dim, **kwargs), ax)
