"""Plots of a flux-transport run: a map, the butterfly diagram, polar fields and dipoles.

Each function takes the Dataset returned by :func:`solvers.fluxtransport.run`
and returns the matplotlib Figure (matplotlib is imported only here).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["plot_butterfly", "plot_history", "plot_map", "sample_map_path"]


def sample_map_path() -> Path:
    """Path of the 180 x 360 HMI map of CR 2252 shipped with sciml (Apache-2.0, HipFT)."""
    return Path(str(resources.files("solvers.fluxtransport") / "data" / "map180x360.h5"))


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def plot_map(ds: xr.Dataset, *, member: int = 0, map_time: int = -1, limit: float = 100.0) -> Any:
    """Br of one realization at one map time, saturated at ``limit`` Gauss."""
    plt = _pyplot()
    br = ds["br"].isel(member=member, map_time=map_time)
    fig, ax = plt.subplots(figsize=(8, 4))
    mesh = ax.pcolormesh(
        ds["lon"], ds["lat"], br, cmap="RdBu_r", vmin=-limit, vmax=limit, shading="auto"
    )
    fig.colorbar(mesh, ax=ax, label="Br [G]")
    hours = float(ds["map_time"].isel(map_time=map_time))
    ax.set(
        xlabel="longitude [deg]", ylabel="latitude [deg]", title=f"member {member}, t = {hours:g} h"
    )
    fig.tight_layout()
    return fig


def plot_butterfly(ds: xr.Dataset, *, member: int = 0, limit: float = 20.0) -> Any:
    """Longitude-averaged Br against time and latitude (the butterfly diagram)."""
    plt = _pyplot()
    mean = ds["br"].isel(member=member).mean("lon")
    fig, ax = plt.subplots(figsize=(8, 4))
    mesh = ax.pcolormesh(
        ds["map_time"], ds["lat"], mean.T, cmap="RdBu_r", vmin=-limit, vmax=limit, shading="auto"
    )
    fig.colorbar(mesh, ax=ax, label="<Br>_lon [G]")
    ax.set(xlabel="time [h]", ylabel="latitude [deg]", title=f"butterfly diagram, member {member}")
    fig.tight_layout()
    return fig


def plot_history(ds: xr.Dataset) -> Any:
    """Polar fluxes and dipoles of every realization, with the ensemble mean and spread."""
    plt = _pyplot()
    panels = [
        ("north_flux_positive", "north_flux_negative", "net north polar flux [Mx]"),
        ("south_flux_positive", "south_flux_negative", "net south polar flux [Mx]"),
        ("dipole_axial", None, "axial dipole [G]"),
        ("dipole_equatorial", None, "equatorial dipole [G]"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    t = ds["time"].values
    for ax, (first, second, label) in zip(axes.flat, panels, strict=True):
        values = ds[first] + ds[second] if second else ds[first]
        data = np.asarray(values.transpose("member", "time"))
        for row in data:
            ax.plot(t, row, color="0.7", lw=0.8)
        mean, spread = data.mean(axis=0), data.std(axis=0)
        ax.fill_between(t, mean - spread, mean + spread, color="tab:blue", alpha=0.3)
        ax.plot(t, mean, color="tab:blue", lw=1.5, label="mean +- 1 sd")
        ax.set(ylabel=label)
    for ax in axes[-1]:
        ax.set(xlabel="time [h]")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{ds.sizes['member']} realizations")
    fig.tight_layout()
    return fig
