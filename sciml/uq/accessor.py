"""The ``.sciml`` xarray accessor: UQ verbs on DataArrays and Datasets.

Importing :mod:`sciml.uq` registers it::

    import sciml.uq
    fc.sciml.crps(obs)                 # fc: ensemble DataArray with a member dim
    fc.sciml.rank_histogram(obs)
    fc.sciml.plot_reliability(obs, threshold=1.0)
    ds.sciml.crps(obs_ds)              # every variable with a member dim

On a DataArray each verb calls the function of :mod:`sciml.uq` with the
array as the forecast. On a Dataset it applies to every data variable that
carries the ensemble dim (the sample dims for :meth:`mc_estimate`), with
``obs`` a Dataset holding the same variable names or one DataArray for all:
per-forecast scores come back as a Dataset of the same variables, the
pooled diagnostics as one Dataset with a new ``variable`` dim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import xarray as xr

from gpu.errors import InputError
from sciml.uq import binary, diagnostics, energy, montecarlo, plots, scores_ensemble

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SciMLDataArrayAccessor", "SciMLDatasetAccessor"]


@xr.register_dataarray_accessor("sciml")
class SciMLDataArrayAccessor:
    """UQ verbs on a forecast DataArray (``da.sciml``)."""

    def __init__(self, obj: xr.DataArray) -> None:
        self._obj = obj

    def crps(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.DataArray:
        """CRPS of the ensemble; see :func:`sciml.uq.crps_ensemble`."""
        return scores_ensemble.crps_ensemble(self._obj, obs, dim, **kwargs)

    def energy_score(
        self, obs: Any, dim: str = "member", feature_dim: str = "component", **kwargs: Any
    ) -> xr.DataArray:
        """Energy score of the ensemble; see :func:`sciml.uq.energy_score`."""
        return energy.energy_score(self._obj, obs, dim, feature_dim, **kwargs)

    def brier_score(self, obs: Any, **kwargs: Any) -> xr.DataArray:
        """Brier score; see :func:`sciml.uq.brier_score`."""
        return binary.brier_score(self._obj, obs, **kwargs)

    def event_probability(
        self, threshold: float | None = None, dim: str = "member", **kwargs: Any
    ) -> xr.DataArray:
        """Fraction of members with the event; see :func:`sciml.uq.event_probability`."""
        return binary.event_probability(self._obj, threshold, dim, **kwargs)

    def rank_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Rank histogram; see :func:`sciml.uq.rank_histogram`."""
        return diagnostics.rank_histogram(self._obj, obs, dim, **kwargs)

    def pit(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.DataArray:
        """Randomized PIT values; see :func:`sciml.uq.pit`."""
        return diagnostics.pit(self._obj, obs, dim, **kwargs)

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
        """PIT histogram of the ensemble; see :func:`sciml.uq.pit` and
        :func:`sciml.uq.pit_histogram`."""
        values = diagnostics.pit(self._obj, obs, dim, seed=seed, skipna=skipna, backend=backend)
        return diagnostics.pit_histogram(values, bins, reduce_dims=reduce_dims, skipna=skipna)

    def spread_skill(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Spread, skill and their ratio; see :func:`sciml.uq.spread_skill`."""
        return diagnostics.spread_skill(self._obj, obs, dim, **kwargs)

    def reliability(
        self,
        obs: Any,
        bins: int = 10,
        *,
        threshold: float | None = None,
        dim: str | None = None,
        **kwargs: Any,
    ) -> xr.Dataset:
        """Reliability-diagram data; see :func:`sciml.uq.reliability`.

        With ``dim`` (an ensemble dim) the forecast probability is first the
        fraction of members with the event (``threshold``, as for ``obs``).
        """
        prob = self._obj
        if dim is not None:
            prob = binary.event_probability(
                prob, threshold, dim, skipna=kwargs.get("skipna", False)
            )
        return diagnostics.reliability(prob, obs, bins, threshold=threshold, **kwargs)

    def ensemble_summary(self, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Ensemble mean, variance and quantiles; see :func:`sciml.uq.ensemble_summary`."""
        return diagnostics.ensemble_summary(self._obj, dim, **kwargs)

    def entropy_decomposition(
        self, dim: str = "member", class_dim: str = "class", **kwargs: Any
    ) -> xr.Dataset:
        """Total, aleatoric and epistemic entropy; see :func:`sciml.uq.entropy_decomposition`."""
        return diagnostics.entropy_decomposition(self._obj, dim, class_dim, **kwargs)

    def mc_estimate(self, dim: str | Sequence[str] = "sample", **kwargs: Any) -> xr.Dataset:
        """Monte Carlo estimates with intervals; see :func:`sciml.uq.mc_estimate`."""
        return montecarlo.mc_estimate(self._obj, dim, **kwargs)

    def conformal_interval(
        self, obs: Any, dim: str = "member", alpha: float = 0.1, **kwargs: Any
    ) -> xr.Dataset:
        """Conformal intervals per lead time; see
        :func:`sciml.uq.conformal_forecast.conformal_interval`."""
        from sciml.uq.conformal_forecast import conformal_interval

        return conformal_interval(self._obj, obs, dim, alpha, **kwargs)

    def plot_rank_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Compute and plot the rank histogram; keyword arguments go to :meth:`rank_histogram`."""
        return plots.plot_rank_histogram(self.rank_histogram(obs, dim, **kwargs), ax)

    def plot_reliability(self, obs: Any, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Compute and plot the reliability diagram; keyword arguments go to :meth:`reliability`."""
        return plots.plot_reliability(self.reliability(obs, **kwargs), ax)

    def plot_pit_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Compute and plot the PIT histogram; keyword arguments go to :meth:`pit_histogram`."""
        return plots.plot_pit_histogram(self.pit_histogram(obs, dim, **kwargs), ax)


def _obs_of(obs: Any, name: str) -> Any:
    if isinstance(obs, xr.Dataset):
        if name not in obs.data_vars:
            raise InputError(f"obs has no variable {name!r} to match the forecast's")
        return obs[name]
    return obs


@xr.register_dataset_accessor("sciml")
class SciMLDatasetAccessor:
    """UQ verbs mapped over the variables of a Dataset (``ds.sciml``)."""

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
        """CRPS of each ensemble variable; see :func:`sciml.uq.crps_ensemble`."""
        return self._scores(lambda v, o: v.sciml.crps(o, dim, **kwargs), obs, [dim])

    def energy_score(
        self, obs: Any, dim: str = "member", feature_dim: str = "component", **kwargs: Any
    ) -> xr.Dataset:
        """Energy score of each multivariate ensemble variable (:func:`sciml.uq.energy_score`)."""
        verb = lambda v, o: v.sciml.energy_score(o, dim, feature_dim, **kwargs)  # noqa: E731
        return self._scores(verb, obs, [dim, feature_dim])

    def brier_score(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Brier score of each ensemble variable; see :func:`sciml.uq.brier_score`."""
        return self._scores(lambda v, o: v.sciml.brier_score(o, dim=dim, **kwargs), obs, [dim])

    def rank_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Rank histogram of each ensemble variable along ``variable``."""
        return self._pooled(
            lambda v, n: v.sciml.rank_histogram(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def pit_histogram(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """PIT histogram of each ensemble variable along ``variable``."""
        return self._pooled(
            lambda v, n: v.sciml.pit_histogram(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def spread_skill(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Spread-skill of each ensemble variable along ``variable``."""
        return self._pooled(
            lambda v, n: v.sciml.spread_skill(_obs_of(obs, n), dim, **kwargs), [dim]
        )

    def reliability(self, obs: Any, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Reliability data of each ensemble variable (event fraction of the members)."""
        return self._pooled(
            lambda v, n: v.sciml.reliability(_obs_of(obs, n), dim=dim, **kwargs), [dim]
        )

    def ensemble_summary(self, dim: str = "member", **kwargs: Any) -> xr.Dataset:
        """Ensemble summary of each ensemble variable along ``variable``."""
        return self._pooled(lambda v, n: v.sciml.ensemble_summary(dim, **kwargs), [dim])

    def mc_estimate(self, dim: str | Sequence[str] = "sample", **kwargs: Any) -> xr.Dataset:
        """Monte Carlo estimates of each variable with the sample dim(s) along ``variable``."""
        dims = [dim] if isinstance(dim, str) else list(dim)
        return self._pooled(lambda v, n: v.sciml.mc_estimate(dim, **kwargs), dims)

    def plot_rank_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Rank histograms of the ensemble variables, one series each."""
        return plots.plot_rank_histogram(self.rank_histogram(obs, dim, **kwargs), ax)

    def plot_reliability(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """Reliability diagrams of the ensemble variables, one series each."""
        return plots.plot_reliability(self.reliability(obs, dim, **kwargs), ax)

    def plot_pit_histogram(
        self, obs: Any, dim: str = "member", ax: Axes | None = None, **kwargs: Any
    ) -> Axes:
        """PIT histograms of the ensemble variables, one series each."""
        return plots.plot_pit_histogram(self.pit_histogram(obs, dim, **kwargs), ax)
