"""Plots of the ensemble diagnostics: rank histogram, reliability diagram, PIT histogram.

Each takes the Dataset returned by the matching function of
:mod:`sciml.uq` (:func:`~sciml.uq.rank_histogram`, :func:`~sciml.uq.reliability`,
:func:`~sciml.uq.pit_histogram`) and draws on ``ax`` (a new figure when omitted),
one series per value of at most one extra dim (e.g. ``variable`` from the
``ds.sciml`` accessor, or a lead time kept with ``reduce_dims``). Matplotlib
is imported only when a plot is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from gpu.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_pit_histogram", "plot_rank_histogram", "plot_reliability"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(5.5, 4.0))
    return new


def _series(ds: xr.Dataset, core: str) -> list[tuple[str, xr.Dataset]]:
    extra = [str(d) for d in ds.dims if d != core]
    if not extra:
        return [("", ds)]
    if len(extra) > 1:
        raise InputError(
            f"can plot one extra dim at most, found {extra}: select with .sel()/.isel() first"
        )
    dim = extra[0]
    labels = ds[dim].values if dim in ds.coords else np.arange(ds.sizes[dim])
    return [(f"{label}", ds.isel({dim: i})) for i, label in enumerate(labels)]


def plot_rank_histogram(rh: xr.Dataset, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bar chart of a rank histogram's relative frequencies, flat line at 1/(M+1).

    Parameters
    ----------
    rh : xarray.Dataset
        From :func:`sciml.uq.rank_histogram`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    series = _series(rh, "rank")
    ranks = rh["rank"].values
    width = 0.9 / len(series)
    for k, (label, one) in enumerate(series):
        stats = f"δ={float(one['delta']):.2f}, p={float(one['p_value']):.2g}"
        name = f"{label}: {stats}" if label else stats
        offset = (k - (len(series) - 1) / 2) * width
        ax.bar(ranks + offset, one["frequency"].values, width=width, label=name, **kwargs)
    ax.axhline(1.0 / ranks.size, color="k", ls="--", lw=1, label="flat")
    ax.set(xlabel="rank of the observation", ylabel="relative frequency", title="Rank histogram")
    ax.legend(fontsize=8)
    return ax


def plot_reliability(rel: xr.Dataset, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Reliability diagram: observed frequency against forecast probability.

    Parameters
    ----------
    rel : xarray.Dataset
        From :func:`sciml.uq.reliability`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], color="k", ls="--", lw=1, label="perfectly reliable")
    for label, one in _series(rel, "bin"):
        ax.plot(
            one["forecast_probability"].values,
            one["observed_frequency"].values,
            marker="o",
            label=label or "forecast",
            **kwargs,
        )
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="forecast probability",
        ylabel="observed frequency",
        title="Reliability diagram",
    )
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_pit_histogram(ph: xr.Dataset, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Histogram of PIT values as a density, flat line at 1.

    Parameters
    ----------
    ph : xarray.Dataset
        From :func:`sciml.uq.pit_histogram`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.stairs`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    edges = np.r_[ph["bin_lower"].values, ph["bin_upper"].values[-1]]
    for label, one in _series(ph, "bin"):
        stats = f"p={float(one['p_value']):.2g}"
        ax.stairs(
            one["density"].values, edges, label=f"{label}: {stats}" if label else stats, **kwargs
        )
    ax.axhline(1.0, color="k", ls="--", lw=1, label="uniform")
    ax.set(xlim=(0, 1), xlabel="PIT value", ylabel="density", title="PIT histogram")
    ax.legend(fontsize=8)
    return ax
