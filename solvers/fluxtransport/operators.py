"""Array-namespace-generic operators of surface flux transport, batched over members.

Every field has shape ``(members, n_theta, n_phi)``; every per-member parameter
has shape ``(members, 1, 1)``. The functions take the array namespace ``xp``
(NumPy, CuPy or ``jax.numpy``) and never write into their inputs, so the same
code runs eagerly on NumPy and CuPy and under ``jax.jit``.

Discretization (unit sphere, time in hours):

* advection ``df/dt = -div(v f)`` in flux form, with upwind or third-order
  WENO reconstruction of local Lax-Friedrichs split fluxes (Jiang & Shu 1996,
  with the cell width as the smoothness epsilon, Cravero & Semplice 2016), as
  in HipFT; the faces next to the poles use upwinding;
* diffusion ``df/dt = div(nu grad f)`` with the conservative five-point
  operator;
* each polar cap changes by the net flux through its first ring of faces.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from solvers.fluxtransport.grid import SphereGrid

__all__ = [
    "Geometry",
    "advection_rhs",
    "attenuate",
    "diffusion_rhs",
    "lax_friedrichs_speeds",
    "rkg2_coefficients",
    "rkl2_coefficients",
    "sts_stages",
]


class Geometry(NamedTuple):
    """Grid factors as backend arrays (a pytree, so JAX can close over it)."""

    dtheta: float
    dphi: float
    sin_faces: Any  # (n_theta - 1, 1): sin at the interior theta faces 1 .. n_theta - 1
    inv_sin_dtheta: Any  # (n_theta - 2, 1): 1 / (sin(theta) dtheta), interior rows
    inv_sin_dphi: Any  # (n_theta - 2, 1): 1 / (sin(theta) dphi), interior rows
    inv_sin2_dphi: Any  # (n_theta - 2, 1): 1 / (sin(theta)^2 dphi), interior rows
    north_cap: float  # dphi / cap area: ring flux -> pole tendency
    south_cap: float


def geometry(grid: SphereGrid, asarray: Any) -> Geometry:
    """Precompute the grid factors of ``grid`` with ``asarray`` (a backend's)."""
    sin_int = grid.sin_theta[1:-1, None]
    cap = grid.area_weight[0] * 2.0 * np.pi
    return Geometry(
        dtheta=grid.dtheta,
        dphi=grid.dphi,
        sin_faces=asarray(grid.sin_faces[1:-1, None]),
        inv_sin_dtheta=asarray(1.0 / (sin_int * grid.dtheta)),
        inv_sin_dphi=asarray(1.0 / (sin_int * grid.dphi)),
        inv_sin2_dphi=asarray(1.0 / (sin_int**2 * grid.dphi)),
        north_cap=float(grid.dphi / cap),
        south_cap=float(grid.dphi / cap),
    )


def _with_poles(xp: Any, north: Any, interior: Any, south: Any) -> Any:
    """Stack pole tendencies (shape (members,)) around the interior rows."""
    n_phi = interior.shape[-1]
    shape = (interior.shape[0], 1, n_phi)
    north_row = xp.broadcast_to(north[:, None, None], shape)
    south_row = xp.broadcast_to(south[:, None, None], shape)
    return xp.concatenate((north_row, interior, south_row), axis=1)


def diffusion_rhs(xp: Any, f: Any, k_theta: Any, k_phi: Any, geo: Geometry) -> Any:
    """``div(nu grad f)`` with the conservative five-point stencil.

    Parameters
    ----------
    f : array, shape (members, n_theta, n_phi)
    k_theta : array, broadcastable to (members, n_theta - 1, n_phi)
        Diffusivity on the interior theta faces (R^2/h).
    k_phi : array, broadcastable to (members, n_theta - 2, n_phi)
        Diffusivity on the phi faces of the interior rows (face k west of node k).
    """
    grad_t = geo.sin_faces * k_theta * (f[:, 1:, :] - f[:, :-1, :]) / geo.dtheta
    inner = f[:, 1:-1, :]
    grad_p = k_phi * (inner - xp.roll(inner, 1, axis=2)) / geo.dphi
    interior = (grad_t[:, 1:, :] - grad_t[:, :-1, :]) * geo.inv_sin_dtheta + (
        xp.roll(grad_p, -1, axis=2) - grad_p
    ) * geo.inv_sin2_dphi
    north = xp.sum(grad_t[:, 0, :], axis=-1) * geo.north_cap
    south = -xp.sum(grad_t[:, -1, :], axis=-1) * geo.south_cap
    return _with_poles(xp, north, interior, south)


def lax_friedrichs_speeds(xp: Any, v_theta: Any, v_phi: Any) -> tuple[Any, Any]:
    """Local Lax-Friedrichs speeds: the largest ``|v|`` over six faces around each node.

    ``v_theta`` has shape (members, n_theta + 1, n_phi) (faces 0 .. n_theta,
    ghosts included), ``v_phi`` (members, n_theta, n_phi) (west faces). For
    node ``i`` the window is faces ``i - 2 .. i + 3`` (truncated at the
    ghosts in theta, periodic in phi), HipFT's choice.
    """
    speed_t = xp.abs(v_theta)
    n_theta = v_theta.shape[1] - 1
    zeros2 = xp.zeros_like(speed_t[:, :2, :])
    zeros3 = xp.zeros_like(speed_t[:, :3, :])
    padded = xp.concatenate((zeros2, speed_t, zeros3), axis=1)
    alpha_t = padded[:, 0:n_theta, :]
    for shift in range(1, 6):
        alpha_t = xp.maximum(alpha_t, padded[:, shift : shift + n_theta, :])
    speed_p = xp.abs(v_phi)
    alpha_p = speed_p
    for shift in (2, 1, -1, -2, -3):
        alpha_p = xp.maximum(alpha_p, xp.roll(speed_p, shift, axis=2))
    return alpha_t, alpha_p


def _weno3(far: Any, near: Any, across: Any, eps: float) -> Any:
    """WENO3 value at a face from the split flux at three nodes.

    ``near`` is the node next to the face on the upwind side, ``far`` the one
    behind it, ``across`` the node on the other side of the face.
    """
    p0 = 1.5 * near - 0.5 * far
    p1 = 0.5 * (near + across)
    w0 = (1.0 / 3.0) / (eps + (near - far) ** 2) ** 2
    w1 = (2.0 / 3.0) / (eps + (across - near) ** 2) ** 2
    return (w0 * p0 + w1 * p1) / (w0 + w1)


def _upwind(v: Any, left: Any, right: Any, xp: Any) -> Any:
    return v * xp.where(v >= 0.0, left, right)


def advection_rhs(
    xp: Any,
    f: Any,
    v_theta: Any,
    v_phi: Any,
    alpha_t: Any,
    alpha_p: Any,
    geo: Geometry,
    weno: bool,
) -> Any:
    """``div(v f)`` in flux form (the tendency is its negative).

    Parameters
    ----------
    f : array, shape (members, n_theta, n_phi)
    v_theta : array, broadcastable to (members, n_theta + 1, n_phi)
        Colatitude velocity (R/h) on the theta faces 0 .. n_theta.
    v_phi : array, broadcastable to (members, n_theta, n_phi)
        Longitude velocity (R/h) on the west phi face of each node.
    alpha_t, alpha_p : arrays
        Lax-Friedrichs speeds from :func:`lax_friedrichs_speeds` (WENO only).
    weno : bool
        Third-order WENO (True) or first-order upwind (False).
    """
    n_theta = f.shape[1]
    vt = xp.broadcast_to(v_theta, (f.shape[0], n_theta + 1, f.shape[2]))
    inner = f[:, 1:-1, :]
    vp = xp.broadcast_to(v_phi, f.shape)[:, 1:-1, :]
    if weno:
        neg = 0.5 * f * (vt[:, :-1, :] + alpha_t)  # moves toward larger theta
        pos = 0.5 * f * (vt[:, 1:, :] - alpha_t)  # moves toward smaller theta
        # faces 2 .. n_theta - 2
        minus = _weno3(neg[:, :-3, :], neg[:, 1:-2, :], neg[:, 2:-1, :], geo.dtheta)
        plus = _weno3(pos[:, 3:, :], pos[:, 2:-1, :], pos[:, 1:-2, :], geo.dtheta)
        first = _upwind(vt[:, 1:2, :], f[:, 0:1, :], f[:, 1:2, :], xp)
        last = _upwind(vt[:, -2:-1, :], f[:, -2:-1, :], f[:, -1:, :], xp)
        flux_t = xp.concatenate((first, minus + plus, last), axis=1)
        a_p = alpha_p[:, 1:-1, :]
        neg_p = 0.5 * inner * (vp + a_p)
        pos_p = 0.5 * inner * (xp.roll(vp, -1, axis=2) - a_p)
        minus_p = _weno3(xp.roll(neg_p, 2, axis=2), xp.roll(neg_p, 1, axis=2), neg_p, geo.dphi)
        plus_p = _weno3(xp.roll(pos_p, -1, axis=2), pos_p, xp.roll(pos_p, 1, axis=2), geo.dphi)
        flux_p = minus_p + plus_p
    else:
        flux_t = _upwind(vt[:, 1:-1, :], f[:, :-1, :], f[:, 1:, :], xp)
        flux_p = _upwind(vp, xp.roll(inner, 1, axis=2), inner, xp)
    ring = geo.sin_faces * flux_t
    interior = (ring[:, 1:, :] - ring[:, :-1, :]) * geo.inv_sin_dtheta + (
        xp.roll(flux_p, -1, axis=2) - flux_p
    ) * geo.inv_sin_dphi
    north = xp.sum(ring[:, 0, :], axis=-1) * geo.north_cap
    south = -xp.sum(ring[:, -1, :], axis=-1) * geo.south_cap
    return _with_poles(xp, north, interior, south)


def attenuate(xp: Any, f: Any, v_theta: Any, v_phi: Any, inv_b: Any) -> tuple[Any, Any]:
    """Scale the flows by ``1 - tanh(max|Br| / B_att)`` of the two nodes around each face.

    ``inv_b`` is ``1 / B_att`` per member, shape (members, 1, 1); zero leaves
    the flow unchanged. The ghost theta faces beyond the poles keep their value.
    """
    mag = xp.abs(f)
    members, n_theta, n_phi = f.shape
    vt = xp.broadcast_to(v_theta, (members, n_theta + 1, n_phi))
    vp = xp.broadcast_to(v_phi, f.shape)
    face_t = xp.maximum(mag[:, 1:, :], mag[:, :-1, :])
    factor_t = 1.0 - xp.tanh(face_t * inv_b)
    vt = xp.concatenate((vt[:, :1, :], vt[:, 1:-1, :] * factor_t, vt[:, -1:, :]), axis=1)
    face_p = xp.maximum(mag, xp.roll(mag, 1, axis=2))
    vp = vp * (1.0 - xp.tanh(face_p * inv_b))
    return vt, vp


def sts_stages(ratio: float, scheme: str) -> int:
    """Stages of a super time step ``ratio`` times the explicit Euler limit.

    RKL2 needs ``s(s + 1)/2 - 1 >= 2 ratio`` ... exactly ``s >= (sqrt(9 + 16 ratio) - 1)/2``
    (Meyer et al. 2014); RKG2 ``s >= (sqrt(25 + 24 ratio) - 3)/2`` (Skaras et
    al. 2021). As HipFT, at least 3 stages and an odd count.
    """
    if scheme == "rkl2":
        s = int(np.ceil(0.5 * (np.sqrt(9.0 + 16.0 * ratio) - 1.0)))
    else:
        s = int(np.ceil(0.5 * (np.sqrt(25.0 + 24.0 * ratio) - 3.0)))
    s = max(s, 3)
    return s + 1 if s % 2 == 0 else s


def rkl2_coefficients(s: int) -> np.ndarray:
    """RKL2 coefficients (Meyer, Balsara & Aslam 2014), rows ``(mu, nu, mu~, gamma~)``.

    Row 0 holds only ``mu~_1``; rows ``j = 1 .. s - 1`` are stage ``j + 1``.
    """
    w = 4.0 / (s * s + s - 2.0)
    b = np.empty(s + 1)
    b[:3] = 1.0 / 3.0
    j = np.arange(3, s + 1)
    b[3:] = (j * j + j - 2.0) / (2.0 * j * (j + 1.0))
    out = np.zeros((s, 4))
    out[0, 2] = b[1] * w
    for stage in range(2, s + 1):
        mu = (2.0 * stage - 1.0) / stage * b[stage] / b[stage - 1]
        nu = -(stage - 1.0) / stage * b[stage] / b[stage - 2]
        out[stage - 1] = (mu, nu, mu * w, (b[stage - 1] - 1.0) * mu * w)
    return out


def rkg2_coefficients(s: int) -> np.ndarray:
    """RKG2 coefficients (Skaras, Gyftopoulos & Meyer 2021), laid out as in RKL2."""
    w = 6.0 / ((s + 4.0) * (s - 1.0))
    b = np.empty(s + 1)
    b[0], b[1], b[2] = 1.0, 1.0 / 3.0, 1.0 / 15.0
    j = np.arange(3, s + 1, dtype=float)
    b[3:] = 4.0 * (j - 1.0) * (j + 4.0) / (3.0 * j * (j + 1.0) * (j + 2.0) * (j + 3.0))
    out = np.zeros((s, 4))
    out[0, 2] = w
    for stage in range(2, s + 1):
        mu = (2.0 + 1.0 / stage) * b[stage] / b[stage - 1]
        nu = -(1.0 + 1.0 / stage) * b[stage] / b[stage - 2]
        gamma = (0.5 * stage * (stage + 1.0) * b[stage - 1] - 1.0) * mu * w
        out[stage - 1] = (mu, nu, mu * w, gamma)
    return out
