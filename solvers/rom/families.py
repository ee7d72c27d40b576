"""Parametric snapshot families with a known structure, for tests and demos."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gpu.errors import ConfigError
from solvers.rom._snapshots import make_snapshots

__all__ = ["moving_front"]


def moving_front(
    n_snapshots: int,
    n_dofs: int = 200,
    *,
    amplitude: tuple[float, float] = (0.1, 3.0),
    position: tuple[float, float] = (0.15, 0.85),
    width: float = 0.02,
    seed: int = 0,
) -> xr.DataArray:
    """Snapshots of a front ``a tanh((x - p) / w)`` on ``x`` in [0, 1].

    The position ``p`` is uniform and the amplitude ``a`` log-uniform over
    the given ranges (equal bounds hold it fixed). A moving front has a
    slowly decaying Kolmogorov n-width, so one global basis is poor, while
    snapshots with nearby ``p`` span a small subspace whatever their ``a``.

    Parameters
    ----------
    n_snapshots, n_dofs : int
        Set size and grid points.
    amplitude, position : tuple of float
        Ranges of ``a`` (positive) and ``p``.
    width : float
        Front width ``w``.
    seed : int
        Seed of the parameter draws.

    Returns
    -------
    xarray.DataArray
        Dims ``(snapshot, node)``, coordinates ``x`` (along ``node``),
        ``position`` and ``amplitude`` (along ``snapshot``).
    """
    lo, hi = amplitude
    if not 0.0 < lo <= hi or width <= 0.0 or n_snapshots < 1 or n_dofs < 2:
        raise ConfigError(
            "moving_front needs 0 < amplitude[0] <= amplitude[1], width > 0, "
            "n_snapshots >= 1 and n_dofs >= 2"
        )
    rng = np.random.default_rng(seed)
    p = rng.uniform(*position, size=n_snapshots)
    a = np.exp(rng.uniform(np.log(lo), np.log(hi), size=n_snapshots))
    x = np.linspace(0.0, 1.0, n_dofs)
    values = a[:, None] * np.tanh((x[None, :] - p[:, None]) / width)
    da = make_snapshots(values, {"position": p, "amplitude": a}, long_name="moving front")
    return da.assign_coords(x=("node", x, {"units": "1", "long_name": "position"}))
