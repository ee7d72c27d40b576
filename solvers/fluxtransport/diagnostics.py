"""History diagnostics of Br maps, batched over members (HipFT's definitions).

All integrals use the grid's dual-cell areas (:class:`SphereGrid`), with the
polar caps' trigonometric factors taken at the cap's mid-colatitude
``dtheta / 2``. Fluxes are in Mx for the solar radius ``R`` (cm), areas in cm^2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers.fluxtransport.grid import SphereGrid

__all__ = ["DIAGNOSTICS", "DiagnosticWeights", "diagnostics", "map_diagnostics"]

#: name -> (units, long_name) of each history variable.
DIAGNOSTICS: dict[str, tuple[str, str]] = {
    "br_min": ("G", "minimum of Br"),
    "br_max": ("G", "maximum of Br"),
    "br_abs_min": ("G", "minimum of |Br|"),
    "flux_positive": ("Mx", "total positive flux"),
    "flux_negative": ("Mx", "total negative flux"),
    "north_flux_positive": ("Mx", "positive flux poleward of the polar latitude limit, north"),
    "north_flux_negative": ("Mx", "negative flux poleward of the polar latitude limit, north"),
    "south_flux_positive": ("Mx", "positive flux poleward of the polar latitude limit, south"),
    "south_flux_negative": ("Mx", "negative flux poleward of the polar latitude limit, south"),
    "north_area": ("cm2", "area poleward of the polar latitude limit, north"),
    "south_area": ("cm2", "area poleward of the polar latitude limit, south"),
    "dipole_equatorial": ("G", "equatorial dipole strength"),
    "dipole_axial": ("G", "axial dipole strength"),
}


class DiagnosticWeights:
    """Host-side weight vectors of one grid, moved to a backend once."""

    def __init__(self, grid: SphereGrid, polar_limit_deg: float, asarray: Any) -> None:
        theta = grid.theta.copy()
        half = 0.5 * grid.dtheta
        sin_t = np.sin(theta)
        cos_t = np.cos(theta)
        sin_t[0], cos_t[0] = np.sin(half), np.cos(half)
        sin_t[-1], cos_t[-1] = np.sin(half), -np.cos(half)
        area = grid.area_weight * grid.dphi
        limit = np.radians(polar_limit_deg)
        north = (grid.theta <= limit + 1e-12).astype(float)
        south = (grid.theta >= np.pi - limit - 1e-12).astype(float)
        self.area = asarray(area[:, None])
        self.north = asarray(north[:, None])
        self.south = asarray(south[:, None])
        self.axial = asarray((area * cos_t)[:, None])
        self.eq_cos = asarray((area * sin_t)[:, None] * np.cos(grid.phi)[None, :])
        self.eq_sin = asarray((area * sin_t)[:, None] * np.sin(grid.phi)[None, :])
        self.north_area = float(np.sum(area * north) * grid.n_phi)
        self.south_area = float(np.sum(area * south) * grid.n_phi)


def diagnostics(xp: Any, f: Any, weights: DiagnosticWeights, radius_cm: float) -> dict[str, Any]:
    """The history variables of ``f`` (members, n_theta, n_phi), each of shape (members,)."""
    r2 = radius_cm * radius_cm
    flux = f * weights.area
    pos = xp.where(flux > 0.0, flux, 0.0)
    neg = xp.where(flux > 0.0, 0.0, flux)
    axes = (1, 2)
    members = f.shape[0]
    ones = xp.ones((members,), dtype=f.dtype)
    scale = 3.0 / (4.0 * np.pi)
    d1 = xp.sum(f * weights.eq_cos, axis=axes) * scale
    d2 = xp.sum(f * weights.eq_sin, axis=axes) * scale
    return {
        "br_min": xp.min(f, axis=axes),
        "br_max": xp.max(f, axis=axes),
        "br_abs_min": xp.min(xp.abs(f), axis=axes),
        "flux_positive": xp.sum(pos, axis=axes) * r2,
        "flux_negative": xp.sum(neg, axis=axes) * r2,
        "north_flux_positive": xp.sum(pos * weights.north, axis=axes) * r2,
        "north_flux_negative": xp.sum(neg * weights.north, axis=axes) * r2,
        "south_flux_positive": xp.sum(pos * weights.south, axis=axes) * r2,
        "south_flux_negative": xp.sum(neg * weights.south, axis=axes) * r2,
        "north_area": ones * (weights.north_area * r2),
        "south_area": ones * (weights.south_area * r2),
        "dipole_equatorial": xp.sqrt(d1 * d1 + d2 * d2),
        "dipole_axial": xp.sum(f * weights.axial, axis=axes) * scale,
    }


def map_diagnostics(
    grid: SphereGrid, br: np.ndarray, *, radius_cm: float = 6.96e10, polar_limit_deg: float = 30.0
) -> dict[str, np.ndarray]:
    """Diagnostics of maps ``br`` of shape (n_theta, n_phi) or (members, n_theta, n_phi).

    Parameters
    ----------
    grid : SphereGrid
    br : numpy.ndarray
        Br in Gauss on ``grid``.
    radius_cm : float
        Solar radius in cm (HipFT: 6.96e10).
    polar_limit_deg : float
        Colatitude of the polar regions' edge, degrees from each pole.

    Returns
    -------
    dict of numpy.ndarray
        Each entry of :data:`DIAGNOSTICS`, one value per member.
    """
    values = np.asarray(br, dtype=np.float64)
    if values.ndim == 2:
        values = values[None]
    weights = DiagnosticWeights(grid, polar_limit_deg, np.asarray)
    return {k: np.asarray(v) for k, v in diagnostics(np, values, weights, radius_cm).items()}
