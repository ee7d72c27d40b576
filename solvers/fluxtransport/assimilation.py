"""Assimilation of observed maps into a batch of realizations.

At each observation time the realizations take the increment
``w (obs - Br)`` (replace mode) or ``w obs`` (add mode), with per-realization
weights ``w = mu^p`` above a ``mu`` limit (or the file's own weights), zero
near the poles, and, if asked, the increment's positive and negative parts
scaled so that it adds no net flux.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gpu.errors import InputError
from solvers.fluxtransport.config import ObservationConfig, SFTConfig
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.hipft_io import map_to_grid, read_map
from solvers.fluxtransport.regrid import regrid_values

__all__ = ["Observation", "balance_increment", "load_observation"]


class Observation:
    """An observed map on the run grid with its mu (or file weights)."""

    def __init__(self, data: np.ndarray, mu: np.ndarray | None, weight: np.ndarray | None):
        self.data, self.mu, self.weight = data, mu, weight

    def weights(self, cfg: SFTConfig, grid: SphereGrid) -> np.ndarray:
        """Per-realization weights, shape (members, n_theta, n_phi)."""
        members = cfg.n_realizations
        a = cfg.assimilation
        if a.weights == "file":
            if self.weight is None:
                raise InputError(
                    "assimilation.weights = 'file' needs HipFT assimilation files of three "
                    "slices (data, weight, mu)"
                )
            w = np.broadcast_to(self.weight, (members, *grid.shape)).copy()
        elif self.mu is None:
            w = np.ones((members, *grid.shape))
        else:
            power = np.asarray(cfg.member_values("assimilation", "mu_power"))[:, None, None]
            limit = np.asarray(cfg.member_values("assimilation", "mu_limit"))[:, None, None]
            mu = np.clip(self.mu, 0.0, None)[None]
            w = np.where(mu > limit, mu**power, 0.0)
        lat_limit = np.radians(cfg.member_values("assimilation", "lat_limit_deg"))[:, None, None]
        theta = grid.theta[None, :, None]
        polar = (theta < lat_limit) | (theta > np.pi - lat_limit)
        return np.where(polar & (lat_limit > 0.0), 0.0, w)


def _mu(grid: SphereGrid, center_lon_deg: float, b0_deg: float) -> np.ndarray:
    lat = np.radians(grid.lat)[:, None]
    b0 = np.radians(b0_deg)
    dlon = grid.phi[None, :] - np.radians(center_lon_deg)
    return np.sin(lat) * np.sin(b0) + np.cos(lat) * np.cos(b0) * np.cos(dlon)


def load_observation(entry: ObservationConfig, grid: SphereGrid, regrid: bool) -> Observation:
    """Read one observation on the run grid (regridding it if ``regrid``).

    Raises
    ------
    InputError
        If the file is on another grid and ``regrid`` is False, or unreadable.
    """
    path = Path(entry.path).expanduser()
    own_grid, values = map_to_grid(read_map(path, "assimilation"))
    if own_grid != grid:
        if not regrid:
            raise InputError(
                f"assimilation map {path} is on a {own_grid.n_theta} x {own_grid.n_phi} grid, "
                f"the run on {grid.n_theta} x {grid.n_phi}: set assimilation.regrid = true "
                "or regrid the map first"
            )
        values = regrid_values(values, own_grid, grid)
    if values.ndim == 3:
        if values.shape[0] < 3:
            raise InputError(f"{path}: an assimilation file of slices needs (data, weight, mu)")
        return Observation(values[0], values[2], values[1])
    mu = None if entry.center_lon_deg is None else _mu(grid, entry.center_lon_deg, entry.b0_deg)
    return Observation(values, mu, None)


def balance_increment(delta: np.ndarray, grid: SphereGrid) -> np.ndarray:
    """Scale positive parts by 1/r and negative parts by r, r = sqrt(|F+ / F-|), per member."""
    area = grid.cell_area
    positive = np.sum(np.where(delta > 0.0, delta, 0.0) * area, axis=(-2, -1))
    negative = np.sum(np.where(delta < 0.0, delta, 0.0) * area, axis=(-2, -1))
    safe = np.where(negative < 0.0, negative, -1.0)
    ratio = np.where((positive > 0.0) & (negative < 0.0), np.sqrt(np.abs(positive / safe)), 1.0)
    ratio = ratio[:, None, None]
    return np.where(delta > 0.0, delta / ratio, delta * ratio)
