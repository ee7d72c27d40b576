"""Forecast-versus-truth plots: ensemble members, their mean, and interval bands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from gpu.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_forecast"]


def _as_series(data: Any, what: str) -> xr.DataArray:
    """``data`` as a DataArray with ``time`` and ``component`` (and ``member`` if it has one)."""
    if not isinstance(data, xr.DataArray):
        raise InputError(f"{what} must be an xarray.DataArray, got {type(data).__name__}")
    if "time" not in data.dims:
        raise InputError(f"{what} has no 'time' dim (dims {tuple(map(str, data.dims))})")
    out = data if "component" in data.dims else data.expand_dims("component", axis=-1)
    extra = set(map(str, out.dims)) - {"member", "time", "component"}
    if extra:
        raise InputError(f"{what} has dims {sorted(extra)}; expected member, time, component")
    return out


def plot_forecast(
    truth: xr.DataArray,
    forecast: xr.DataArray | None = None,
    *,
    band: xr.Dataset | None = None,
    context: xr.DataArray | None = None,
    components: Sequence[int] | None = None,
    lyapunov_time_steps: float | None = None,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Plot a forecast against the truth, one panel per component.

    Parameters
    ----------
    truth : xarray.DataArray
        The true continuation ``(time, component)``.
    forecast : xarray.DataArray, optional
        A forecast ``(member, time, component)`` or ``(time, component)``:
        each member is drawn thin, their mean bold.
    band : xarray.Dataset, optional
        An interval with ``lower`` and ``upper`` ``(time, component)``, e.g. from
        :meth:`~sciml.forecast.ConformalForecaster.forecast` (its ``forecast``
        centre is drawn too).
    context : xarray.DataArray, optional
        The last observed points before the forecast, drawn in grey.
    components : sequence of int, optional
        Positions of the components to plot (default: all, at most 6).
    lyapunov_time_steps : float, optional
        Steps per Lyapunov time: the x axis shows the lead time in Lyapunov
        times instead of the ``time`` coordinate.
    labels : sequence of str, optional
        The y label of each plotted component.
    title : str, optional
        Figure title.
    path : path-like, optional
        Also save the figure there (PNG, PDF, ... by the suffix).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (made without pyplot: no global state, no display needed).

    Raises
    ------
    InputError
        Inputs that are not DataArrays with ``time``, or whose lengths or
        component counts differ from ``truth``.
    """
    from matplotlib.figure import Figure

    truth = _as_series(truth, "truth")
    n_time, n_comp = truth.sizes["time"], truth.sizes["component"]
    series: dict[str, xr.DataArray] = {}
    if forecast is not None:
        series["forecast"] = _as_series(forecast, "forecast")
    if band is not None:
        if not isinstance(band, xr.Dataset) or not {"lower", "upper"} <= set(band.data_vars):
            raise InputError("band must be a Dataset with 'lower' and 'upper'")
        for name in ("lower", "upper", "forecast"):
            if name in band:
                series[f"band_{name}"] = _as_series(band[name], f"band[{name!r}]")
    for name, da in series.items():
        if da.sizes["time"] != n_time or da.sizes["component"] != n_comp:
            raise InputError(
                f"{name} has {da.sizes['time']} times and {da.sizes['component']} components; "
                f"truth has {n_time} and {n_comp}"
            )
    picked = list(range(min(n_comp, 6))) if components is None else [int(c) for c in components]
    if not picked or any(not 0 <= c < n_comp for c in picked):
        raise InputError(f"components must be positions in 0..{n_comp - 1}, got {components!r}")

    if lyapunov_time_steps is not None:
        x = np.arange(1, n_time + 1) / float(lyapunov_time_steps)
        xlabel = "lead time (Lyapunov times)"
    else:
        x = np.asarray(truth["time"].values if "time" in truth.coords else np.arange(n_time))
        xlabel = "time"
    fig = Figure(figsize=(9, 1.6 + 1.9 * len(picked)), layout="constrained")
    axes = fig.subplots(len(picked), 1, sharex=True, squeeze=False)[:, 0]
    step = float(x[1] - x[0]) if n_time > 1 else 1.0
    past = None if context is None else _as_series(context, "context")
    if labels is not None and len(labels) != len(picked):
        raise InputError(f"labels has {len(labels)} entries for {len(picked)} components")
    for i, (ax, c) in enumerate(zip(axes, picked, strict=True)):
        if past is not None:
            ctx = past.isel(component=c).values
            ax.plot(x[0] + step * np.arange(-len(ctx), 0), ctx, color="0.6", lw=1)
        if "band_lower" in series:
            lo, hi = (series[f"band_{k}"].isel(component=c).values for k in ("lower", "upper"))
            ax.fill_between(x, lo, hi, color="C1", alpha=0.25, label="interval")
        if "band_forecast" in series:
            centre = series["band_forecast"].isel(component=c).values
            ax.plot(x, centre, color="C1", lw=1.2, label="interval centre")
        if "forecast" in series:
            fc = series["forecast"].isel(component=c)
            if "member" in fc.dims and fc.sizes["member"] > 1:
                ax.plot(x, fc.transpose("time", "member").values, color="C0", lw=0.4, alpha=0.5)
            mean = fc.mean("member") if "member" in fc.dims else fc
            ax.plot(x, mean.values, color="C0", lw=1.3, label="forecast")
        ax.plot(x, truth.isel(component=c).values, color="k", lw=1.2, label="truth")
        ax.set_ylabel(labels[i] if labels is not None else f"component {c}")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[-1].set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(Path(path), dpi=100)
    return fig
