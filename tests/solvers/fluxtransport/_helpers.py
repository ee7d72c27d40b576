"""Shared fixtures of the flux-transport tests: data paths, analytic fields, backends."""

from __future__ import annotations

from math import factorial
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy.special import lpmv

from solvers.fluxtransport import SphereGrid
from tests._markers import has_jax, has_numba

#: The shared HipFT maps and reference run (../shared/data/hipft from the repository).
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "hipft"
requires_data = pytest.mark.skipif(
    not (DATA / "map180x360.h5").is_file(), reason=f"shared HipFT data not found at {DATA}"
)

#: The fastest installed CPU backend, for the long reference runs.
FAST = "numba" if has_numba else "jax" if has_jax else "numpy"

#: km^2/s -> R^2/h for R = 696,000 km.
KM2_S = 3600.0 / 696_000.0**2


def real_harmonic(degree: int, m: int, grid: SphereGrid) -> np.ndarray:
    """Orthonormal real spherical harmonic ``Y_l^m`` (cosine part) on ``grid``."""
    norm = np.sqrt((2 * degree + 1) / (4 * np.pi) * factorial(degree - m) / factorial(degree + m))
    norm *= np.sqrt(2.0) if m else 1.0
    return norm * lpmv(m, degree, np.cos(grid.theta))[:, None] * np.cos(m * grid.phi)[None, :]


def soccer_ball(grid: SphereGrid) -> np.ndarray:
    """``Y_6^0 + sqrt(14/11) Y_6^5``: an eigenfunction of the Laplacian with eigenvalue -42."""
    return real_harmonic(6, 0, grid) + np.sqrt(14.0 / 11.0) * real_harmonic(6, 5, grid)


def as_map(values: np.ndarray, grid: SphereGrid) -> xr.DataArray:
    """A ``(lat, lon)`` DataArray of ``values`` on ``grid``."""
    dims = ("lat", "lon") if values.ndim == 2 else ("member", "lat", "lon")
    return xr.DataArray(values, dims=dims, coords={"lat": grid.lat, "lon": grid.lon}, name="br")


def relative_error(f: np.ndarray, exact: np.ndarray) -> float:
    """``sqrt(sum (f - f*)^2 / sum |f| |f*|)`` (the issue's and HipFT's measure)."""
    return float(np.sqrt(np.sum((f - exact) ** 2) / np.sum(np.abs(f) * np.abs(exact))))
