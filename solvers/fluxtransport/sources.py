"""Flux emergence: bipolar active regions from a list, and random emergence.

A bipolar region is two Gaussian patches of opposite sign, each normalized on
the grid to carry exactly its flux (so the region adds no net flux beyond
rounding). The leading patch lies at larger longitude (ahead in the direction
of rotation) and, by Joy's law, closer to the equator: the pair is tilted from
the east-west line by ``tilt = 0.5 |latitude|`` (Wang & Sheeley 1989) unless a
tilt is given.

Random emergence draws, for each realization from its own random stream,
a Poisson number of regions per emergence interval, with uniform longitude,
latitude uniform in a band of either hemisphere, log-normal flux, Joy's-law
tilt and Hale's polarity rule. HipFT draws one stream for all realizations;
here realization ``m`` uses child ``m`` of ``numpy.random.SeedSequence(seed)``,
so its regions do not depend on how many realizations run beside it.
"""

from __future__ import annotations

import numpy as np

from solvers.fluxtransport.config import RandomEmergenceConfig, RegionConfig
from solvers.fluxtransport.grid import SphereGrid

__all__ = ["bipole", "joy_tilt", "random_regions"]


def joy_tilt(lat_deg: float) -> float:
    """Joy's-law tilt in degrees: ``0.5 |latitude|``."""
    return 0.5 * abs(lat_deg)


def _patch(grid: SphereGrid, lat_deg: float, lon_deg: float, width_deg: float) -> np.ndarray:
    """A unit-flux Gaussian patch (in Br per unit area of the unit sphere)."""
    lat0, lon0 = np.radians(lat_deg), np.radians(lon_deg)
    lat = np.radians(grid.lat)[:, None]
    cos_d = np.sin(lat) * np.sin(lat0) + np.cos(lat) * np.cos(lat0) * np.cos(grid.phi - lon0)
    distance = np.arccos(np.clip(cos_d, -1.0, 1.0))
    shape = np.exp(-0.5 * (distance / np.radians(width_deg)) ** 2)
    shape[0, :] = shape[0].mean()
    shape[-1, :] = shape[-1].mean()
    return shape / float(np.sum(shape * grid.cell_area))


def bipole(grid: SphereGrid, region: RegionConfig, radius_cm: float) -> np.ndarray:
    """Br (Gauss) of one bipolar region on ``grid``.

    ``region.flux_mx`` is the signed flux of the leading polarity; the
    following polarity carries the opposite flux.
    """
    tilt = joy_tilt(region.lat_deg) if region.tilt_deg is None else region.tilt_deg
    half = 0.5 * region.separation_deg
    toward_equator = -np.sign(region.lat_deg) if region.lat_deg != 0.0 else 0.0
    d_lat = half * np.sin(np.radians(tilt)) * toward_equator
    d_lon = half * np.cos(np.radians(tilt)) / max(np.cos(np.radians(region.lat_deg)), 1e-3)
    lead = _patch(grid, region.lat_deg + d_lat, region.lon_deg + d_lon, region.width_deg)
    follow = _patch(grid, region.lat_deg - d_lat, region.lon_deg - d_lon, region.width_deg)
    return region.flux_mx / radius_cm**2 * (lead - follow)


def random_regions(
    rng: np.random.Generator, config: RandomEmergenceConfig, rate_per_day: float, hours: float
) -> list[RegionConfig]:
    """Regions emerging over ``hours`` for one realization's stream ``rng``."""
    count = int(rng.poisson(rate_per_day * hours / 24.0))
    regions = []
    low, high = config.lat_band_deg
    for _ in range(count):
        hemisphere = 1.0 if rng.random() < 0.5 else -1.0
        lat = hemisphere * rng.uniform(low, high)
        flux = float(np.exp(rng.normal(np.log(config.flux_median_mx), config.flux_log_sigma)))
        sign = config.hale_sign_north * hemisphere
        regions.append(
            RegionConfig(
                time_h=0.0,
                lat_deg=float(lat),
                lon_deg=float(rng.uniform(0.0, 360.0)),
                flux_mx=sign * flux,
                separation_deg=config.separation_deg,
                width_deg=config.width_deg,
            )
        )
    return regions
