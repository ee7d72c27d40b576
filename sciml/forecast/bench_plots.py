"""Plots of a benchmark result: metric distributions, VPT CDF, forecasts against the truth."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from gpu.errors import InputError

__all__ = ["plot_forecasts", "plot_results"]


def plot_results(ds: xr.Dataset, path: str | Path, metric: str = "smape") -> Path:
    """Distribution of ``metric`` per model (box plot) and the VPT CDF per model, as a PNG.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`run`.
    path : path-like
        The PNG to write.
    metric : str, default "smape"
        The metric of the left panel.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [str(m) for m in ds.model.values]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    values = [ds.score.sel(model=m, metric=metric).values for m in models]
    left.boxplot([v[np.isfinite(v)] for v in values], tick_labels=models)
    left.set(ylabel=metric, title=f"test {metric} over {ds.sizes['system']} systems")
    left.tick_params(axis="x", labelrotation=45)
    for m in models:
        vpt = np.sort(ds.score.sel(model=m, metric="vpt").values)
        vpt = vpt[np.isfinite(vpt)]
        right.step(vpt, np.arange(1, len(vpt) + 1) / max(len(vpt), 1), where="post", label=m)
    right.set(xlabel="valid prediction time (Lyapunov times)", ylabel="fraction of systems")
    right.set_title("VPT CDF (sMAPE > 30)")
    right.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_forecasts(
    ds: xr.Dataset,
    systems: Sequence[str],
    path: str | Path,
    models: Sequence[str] | None = None,
    component: int = 0,
) -> Path:
    """Test forecasts against the truth for chosen systems, one panel per system, as a PNG.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`sciml.forecast.bench.run` (with ``forecast`` and ``truth``).
    systems : sequence of str
        Systems of ``ds`` to draw.
    path : path-like
        The PNG to write.
    models : sequence of str, optional
        Models of ``ds`` to draw (default: all).
    component : int, default 0
        The component drawn (one of the kept ones).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        A system, model or component that ``ds`` does not hold.
    """
    from matplotlib.figure import Figure

    chosen = [str(m) for m in ds.model.values] if models is None else list(models)
    for what, names, known in (("system", systems, ds.system), ("model", chosen, ds.model)):
        missing = sorted(set(names) - set(map(str, known.values)))
        if missing or not names:
            raise InputError(f"{what}s {missing or list(names)} are not in the result")
    if not 0 <= component < ds.sizes["component"]:
        raise InputError(f"component must be in 0..{ds.sizes['component'] - 1}, got {component}")
    fig = Figure(figsize=(10, 1.2 + 2.2 * len(systems)), layout="constrained")
    axes = fig.subplots(len(systems), 1, squeeze=False)[:, 0]
    lead = ds.lead.values
    for ax, system in zip(axes, systems, strict=True):
        truth = ds.truth.sel(system=system).isel(component=component).values
        ax.plot(lead, truth, color="0.3", lw=3, alpha=0.5, label="truth")  # under the forecasts
        for k, model in enumerate(chosen):
            pred = ds.forecast.sel(system=system, model=model).isel(component=component).values
            ax.plot(lead, pred, lw=1, color=f"C{k % 10}", label=model)
        lo, hi = np.nanmin(truth), np.nanmax(truth)
        if np.isfinite(lo) and hi > lo:  # keep diverging forecasts from hiding the truth
            pad = 0.5 * (hi - lo)
            ax.set_ylim(lo - pad, hi + pad)
        ax.set(title=system, ylabel=f"component {component}")
    axes[0].legend(fontsize=7, ncol=min(len(chosen) + 1, 6), loc="upper left")
    axes[-1].set_xlabel("lead (steps)")
    out = Path(path)
    fig.savefig(out, dpi=90)
    return out
