"""The ``.sciml`` accessor on Datasets: the UQ verbs mapped over data variables.

Registered when :mod:`sciml.uq` is imported (through :mod:`sciml.uq.accessor`).
Per-forecast scores come back as a Dataset of the same variables; pooled
diagnostics as one Dataset with a new ``variable`` dim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import xarray as xr

from gpu.errors import InputError
from sciml.uq import (
    plots,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SciMLDatasetAccessor"]


def _obs_of(obs: Any, name: str) -> Any:
    if isinstance(obs, xr.Dataset):
        if name not in obs.data_vars:
            raise InputError(f"obs has no variable {name!r} to match the forecast's")
        return obs[name]
    return obs


@xr.register_dataset_accessor("sciml")
class SciMLDatasetAccessor:
    """UQ verbs mapped over the variables of a Dataset (``ds.sciml``).

    Scores come back as a Dataset of the same variables; pooled diagnostics
    as one Dataset with a new ``variable`` dim. Variables without the
    ensemble dim (or the sample dims) are left out.

    Parameters
    ----------
    obj : xarray.Dataset
        The forecasts, one variable each.
    """

    def __init__(self, obj: xr.Dataset) -> None:
        self._obj = obj

    def _names(self, dims: Sequence[str]) -> list[str]:
        names = [str(n) for n, v in self._obj.data_vars.items() if set(dims) <= set(v.dims)]
        if not names:
            raise InputError(f"no data variable of the Dataset has the dim(s) {list(dims)}")
        return names

    def _scores(self, verb: Callable[..., Any], obs: Any, dims: Sequence[str]) -> xr.Dataset:
        return xr.Dataset({n: verb(self._obj[n], _obs_of(obs, n)) for n in self._names(dims)})

    def _pooled(self, verb: Callable[..., xr.Dataset], dims: Sequence[str]) -> xr.Dataset:
        names = self._names(dims)
        parts = [verb(self._obj[n], n) for n in names]
        return xr.concat(parts, dim=xr.DataArray(names, dims="variable", name="variable"))

    def crps(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """CRPS of each ensemble variable.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            As in :func:`sciml.uq.crps_ensemble`.

        Returns
        -------
        xarray.Dataset
            The CRPS of each forecast, one variable each.
        """
        return self._scores(lambda v, o: v.sciml.crps(o, dim, **kwargs), obs, [dim])

    def energy_score(
        self, obs: Any, dim: str = "member", feature_dim: str = "component", **kwargs: Any
    ) -> xr.Dataset:
        """Energy score of each multivariate ensemble variable.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        feature_dim : str, default "component"
            The dim of the vector components.
        **kwargs
            As in :func:`sciml.uq.energy_score`.

        Returns
        -------
        xarray.Dataset
            The energy score of each forecast, one variable each.
        """
        verb = lambda v, o: v.sciml.energy_score(o, dim, feature_dim, **kwargs)  # noqa: E731
        return self._scores(verb, obs, [dim, feature_dim])

    def brier_score(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Brier score of each ensemble variable.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``threshold``, ``fair``, ``skipna`` of :func:`sciml.uq.brier_score`.

        Returns
        -------
        xarray.Dataset
            The Brier score of each forecast, one variable each.
        """
        return self._scores(lambda v, o: v.sciml.brier_score(o, dim=dim, **kwargs), obs, [dim])

    def rank_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Rank histogram of each ensemble variable, along a new ``variable`` dim.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            As in :func:`sciml.uq.rank_histogram`.

        Returns
        -------
        xarray.Dataset
        """
        return self._pooled(
            lambda v, n: v.sciml.rank_histogram(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def pit_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """PIT histogram of each ensemble variable, along a new ``variable`` dim.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            As in :meth:`sciml.uq.accessor.SciMLDataArrayAccessor.pit_histogram`.

        Returns
        -------
        xarray.Dataset
        """
        return self._pooled(
            lambda v, n: v.sciml.pit_histogram(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def spread_skill(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Spread-skill of each ensemble variable, along a new ``variable`` dim.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            As in :func:`sciml.uq.spread_skill`.

        Returns
        -------
        xarray.Dataset
        """
        return self._pooled(
            lambda v, n: v.sciml.spread_skill(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def reliability(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Reliability data of each ensemble variable (event fraction of the members).

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            ``bins``, ``threshold``, ``reduce_dims``, ``skipna`` of
            :func:`sciml.uq.reliability`.

        Returns
        -------
        xarray.Dataset
        """
        return self._pooled(
            lambda v, n: v.sciml.reliability(_obs_of(obs, n), dim=dim, **kwargs), [dim]
        )

    def ensemble_summary(self, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Ensemble summary of each ensemble variable, along a new ``variable`` dim.

        Parameters
        ----------
        dim : str, default "member"
            The ensemble dim.
        **kwargs
            As in :func:`sciml.uq.ensemble_summary`.

        Returns
        -------
        xarray.Dataset
        """
        return self._pooled(lambda v, n: v.sciml.ensemble_summary(dim, **kwargs), [dim])

    def mc_estimate(self, dim: str | Sequence[str] = "sample", **kwargs: Any) -> xr.Dataset:
        """Monte Carlo estimates of each variable with the sample dim(s), along ``variable``.

        Parameters
        ----------
        dim : str or sequence of str, default "sample"
            The sample dim(s).
        **kwargs
            As in :func:`sciml.uq.mc_estimate`.

        Returns
        -------
        xarray.Dataset
        """
        dims = [dim] if isinstance(dim, str) else list(dim)
        return self._pooled(lambda v, n: v.sciml.mc_estimate(dim, **kwargs), dims)

    def plot_rank_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Rank histograms of the ensemble variables, one series each.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
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

    def plot_reliability(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Reliability diagrams of the ensemble variables, one series each.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
        dim : str, default "member"
            The ensemble dim.
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure by default.
        **kwargs
            Passed to :meth:`reliability`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plots.plot_reliability(self.reliability(obs, dim, **kwargs), ax)

    def plot_pit_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """PIT histograms of the ensemble variables, one series each.

        Parameters
        ----------
        obs : xarray.Dataset or xarray.DataArray
            The observations: a Dataset with the forecast variables' names,
            or one DataArray for every variable.
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
