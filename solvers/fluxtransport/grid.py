"""The colatitude-longitude grid of the flux-transport solver (HipFT's layout).

``Br`` lives on the nodes ``theta_i = i * dtheta`` (``i = 0 .. n_theta - 1``,
both poles included) and ``phi_k = k * dphi`` (``k = 0 .. n_phi - 1``, periodic:
files repeat the first column at ``phi = 2 pi``, the grid does not).

Each node owns a dual cell. An interior node owns ``sin(theta_i) dtheta dphi``
(the midpoint rule); a pole row is one polar cap of area
``2 pi * sin(dtheta / 2) * dtheta / 4``, updated from the net flux through its
first ring of faces. These are the weights HipFT's diagnostics use, and every
operator here is written in flux form against them, so the discrete net flux
``sum(area * Br)`` changes only by rounding.

Velocities are staggered: ``v_theta`` on the theta faces (half-way between
nodes, with one mirrored ghost face beyond each pole) at the phi nodes, and
``v_phi`` on the theta nodes at the phi faces (face ``k`` lies west of node
``k``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gpu.errors import InputError

__all__ = ["SphereGrid"]

#: Relative tolerance when checking that file coordinates form a uniform grid
#: (HipFT's files store their scales in float32).
_COORD_RTOL = 1e-5


@dataclass(frozen=True)
class SphereGrid:
    """A uniform colatitude-longitude grid with both poles and periodic longitude.

    Parameters
    ----------
    n_theta : int
        Number of colatitude nodes, poles included (``>= 5``).
    n_phi : int
        Number of distinct longitudes (``>= 4``); a HipFT file has ``n_phi + 1``
        columns.

    Attributes
    ----------
    theta, phi : numpy.ndarray
        Node coordinates in radians.
    dtheta, dphi : float
        Spacings in radians.
    theta_faces : numpy.ndarray, shape (n_theta + 1,)
        Colatitude of the theta faces: face ``i`` lies between nodes ``i - 1``
        and ``i``; faces ``0`` and ``n_theta`` are ghost faces beyond the poles.
    sin_theta : numpy.ndarray
        ``sin(theta)`` at the nodes, exactly zero at the poles.
    sin_faces : numpy.ndarray
        ``sin(|theta_faces|)`` (ghost faces mirrored).
    area_weight : numpy.ndarray, shape (n_theta,)
        Dual-cell area per radian of longitude: ``sin(theta_i) dtheta`` in the
        interior and the polar-cap area divided by ``2 pi`` at the poles.
    """

    n_theta: int
    n_phi: int
    theta: np.ndarray = field(init=False, repr=False, compare=False)
    phi: np.ndarray = field(init=False, repr=False, compare=False)
    theta_faces: np.ndarray = field(init=False, repr=False, compare=False)
    sin_theta: np.ndarray = field(init=False, repr=False, compare=False)
    sin_faces: np.ndarray = field(init=False, repr=False, compare=False)
    area_weight: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.n_theta < 5 or self.n_phi < 4:
            raise InputError(
                f"a grid needs at least 5 colatitudes and 4 longitudes, "
                f"got {self.n_theta} x {self.n_phi}"
            )
        theta = np.linspace(0.0, np.pi, self.n_theta)
        dtheta = np.pi / (self.n_theta - 1)
        faces = (np.arange(self.n_theta + 1) - 0.5) * dtheta
        sin_theta = np.sin(theta)
        sin_theta[0] = sin_theta[-1] = 0.0
        weight = sin_theta * dtheta
        cap = np.sin(0.5 * dtheta) * dtheta / 4.0
        weight[0] = weight[-1] = cap
        values = {
            "theta": theta,
            "phi": np.arange(self.n_phi) * (2.0 * np.pi / self.n_phi),
            "theta_faces": faces,
            "sin_theta": sin_theta,
            "sin_faces": np.sin(np.abs(faces)),
            "area_weight": weight,
        }
        for name, value in values.items():
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def dtheta(self) -> float:
        """Colatitude spacing in radians."""
        return float(np.pi / (self.n_theta - 1))

    @property
    def dphi(self) -> float:
        """Longitude spacing in radians."""
        return float(2.0 * np.pi / self.n_phi)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_theta, n_phi)``: the shape of a field on this grid."""
        return (self.n_theta, self.n_phi)

    @property
    def cell_area(self) -> np.ndarray:
        """Dual-cell areas on the unit sphere, shape ``(n_theta, n_phi)``.

        The pole rows share their cap's area equally among the ``n_phi``
        copies of the pole value, so ``cell_area.sum()`` is the sphere's area
        (to second order in the spacing).
        """
        return np.broadcast_to(self.area_weight[:, None] * self.dphi, self.shape)

    @property
    def lat(self) -> np.ndarray:
        """Latitude of the nodes in degrees north (90 at the north pole)."""
        return 90.0 - np.degrees(self.theta)

    @property
    def lon(self) -> np.ndarray:
        """Longitude of the nodes in degrees east."""
        return np.degrees(self.phi)

    @classmethod
    def from_coordinates(cls, theta: np.ndarray, phi: np.ndarray) -> SphereGrid:
        """The grid whose nodes are ``theta`` and ``phi`` (radians), checked.

        ``phi`` may or may not repeat the first longitude at ``2 pi`` (HipFT's
        files do).

        Raises
        ------
        InputError
            If the coordinates are not a uniform pole-to-pole, full-circle grid.
        """
        theta = np.asarray(theta, dtype=np.float64)
        phi = np.asarray(phi, dtype=np.float64)
        if theta.ndim != 1 or phi.ndim != 1 or theta.size < 5 or phi.size < 4:
            raise InputError(
                f"theta and phi must be 1-D with at least 5 and 4 values, "
                f"got shapes {theta.shape} and {phi.shape}"
            )
        if np.isclose(phi[-1] - phi[0], 2.0 * np.pi, rtol=0.0, atol=1e-5):
            phi = phi[:-1]
        grid = cls(theta.size, phi.size)
        span_theta = _COORD_RTOL * np.pi
        if not np.allclose(theta, grid.theta, rtol=0.0, atol=span_theta):
            raise InputError(
                "theta must run uniformly from 0 to pi with both poles included "
                f"(got {theta[0]:.6g} .. {theta[-1]:.6g} over {theta.size} values, "
                "or uneven spacing); regrid the map first"
            )
        if not np.allclose(phi, grid.phi, rtol=0.0, atol=2.0 * span_theta):
            raise InputError(
                "phi must run uniformly from 0 over the full circle "
                f"(got {phi[0]:.6g} .. {phi[-1]:.6g} over {phi.size} distinct values); "
                "regrid the map first"
            )
        return grid

    def total_flux(self, br: np.ndarray) -> np.ndarray:
        """Net flux ``sum(area * br)`` over the last two axes (unit sphere)."""
        return np.asarray(np.sum(np.asarray(br) * self.cell_area, axis=(-2, -1)))
