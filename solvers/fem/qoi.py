"""Quantities of interest of a displacement history: peak displacement, von Mises, energy.

Everything works on neutral-order node values (see :mod:`solvers.fem.space`),
so it is the same for every backend. Strains are the symmetric gradients of
the P1/P2 displacement evaluated at the points of a degree-2 simplex
quadrature rule in every cell (exact extremes for P1, whose strain is
constant per cell); stresses follow Hooke's law ``σ = λ tr(ε) I + 2 μ ε``,
in plane strain with ``σ_zz = λ (ε_xx + ε_yy) = ν (σ_xx + σ_yy)``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gpu.errors import InputError
from solvers.fem.problems import ElastodynamicsProblem, Problem

__all__ = ["newmark_velocity", "strain", "von_mises", "zone_qoi"]

#: Barycentric coordinates of degree-2 quadrature points on triangles and tetrahedra.
_POINTS = {
    2: np.array([[2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]]),
    3: np.full((4, 4), 0.1381966011250105) + np.eye(4) * (0.5854101966249685 - 0.1381966011250105),
}


def _barycentric_gradients(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``∇L_k`` of each cell's barycentric coordinates, shape ``(ncells, d + 1, d)``."""
    x = points[cells]  # (ncells, d + 1, d)
    a = np.concatenate([np.ones((*x.shape[:2], 1)), x], axis=2).transpose(0, 2, 1)
    return np.asarray(np.linalg.inv(a)[:, :, 1:])


def _shape_gradients(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Cell nodes ``(ncells, nloc)`` and shape-function gradients ``(ncells, nq, nloc, d)``."""
    space = problem.space
    mesh = space.mesh
    grad_l = _barycentric_gradients(mesh.points, mesh.cells)
    bary = _POINTS[mesh.dim]
    if space.degree == 1:
        grads = np.broadcast_to(grad_l[:, None], (len(grad_l), len(bary), *grad_l.shape[1:]))
    else:
        n = mesh.dim + 1
        vertex = (4.0 * bary - 1.0)[None, :, :, None] * grad_l[:, None]
        edges = [
            4.0 * (bary[:, i, None] * grad_l[:, None, j] + bary[:, j, None] * grad_l[:, None, i])
            for i in range(n)
            for j in range(i + 1, n)
        ]
        grads = np.concatenate([vertex, np.stack(edges, axis=2)], axis=2)
    return space.cell_nodes(), grads


def strain(problem: Problem, displacement: np.ndarray) -> np.ndarray:
    """Small strain ``ε = sym ∇u`` at the quadrature points of every cell.

    Parameters
    ----------
    problem : ElastodynamicsProblem
        Gives the mesh and the P1/P2 vector space.
    displacement : ndarray, shape (..., nnodes, dim)
        Node values in the space's node order; leading axes (e.g. time) are kept.

    Returns
    -------
    ndarray, shape (..., ncells, nq, dim, dim)
    """
    space = problem.space
    u = np.asarray(displacement, dtype=float)
    if space.ncomp != space.mesh.dim or u.shape[-2:] != (len(space.nodes), space.ncomp):
        raise InputError(
            f"strain needs vector node values of shape (..., {len(space.nodes)}, "
            f"{space.mesh.dim}) on a vector space, got {u.shape} with {space.ncomp} component(s)"
        )
    nodes, grads = _shape_gradients(problem)
    # ∇u[i, j] = Σ_a u_a[i] ∂_j N_a
    g = np.einsum("...cai,cqaj->...cqij", u[..., nodes, :], grads)
    return 0.5 * (g + np.swapaxes(g, -1, -2))


def von_mises(problem: ElastodynamicsProblem, displacement: np.ndarray) -> np.ndarray:
    """Von Mises stress [Pa] at the quadrature points of every cell.

    Plane strain in 2-D (``σ_zz = ν (σ_xx + σ_yy)``, ``σ_xz = σ_yz = 0``).

    Parameters
    ----------
    problem : ElastodynamicsProblem
        Gives the Lamé parameters, the mesh and the space.
    displacement : ndarray, shape (..., nnodes, dim)

    Returns
    -------
    ndarray, shape (..., ncells, nq)
    """
    if not isinstance(problem, ElastodynamicsProblem):
        raise InputError("von Mises stress needs an ElastodynamicsProblem")
    eps = strain(problem, displacement)
    dim = eps.shape[-1]
    tr = np.trace(eps, axis1=-2, axis2=-1)
    # scalars, or one value per cell broadcast over the quadrature points
    lam, mu = (np.asarray(c, dtype=float)[..., None] for c in (problem.lam, problem.mu))
    sig = 2.0 * mu[..., None, None] * eps + (lam * tr)[..., None, None] * np.eye(dim)
    diag = [sig[..., i, i] for i in range(dim)]
    shear = [sig[..., 0, 1]] + ([sig[..., 1, 2], sig[..., 0, 2]] if dim == 3 else [])
    if dim == 2:
        diag.append(lam * tr)
    sxx, syy, szz = diag
    j2 = ((sxx - syy) ** 2 + (syy - szz) ** 2 + (szz - sxx) ** 2) / 6.0 + sum(s**2 for s in shear)
    return np.asarray(np.sqrt(3.0 * j2))


def newmark_velocity(displacement: np.ndarray, dt: float) -> np.ndarray:
    """Velocities of average-acceleration Newmark from its displacements, starting at rest.

    For ``β = ¼, γ = ½``, ``u[n+1] - u[n] = dt/2 (v[n] + v[n+1])``, so
    ``v[n+1] = 2 (u[n+1] - u[n]) / dt - v[n]`` with ``v[0] = 0`` recovers the
    integrator's own velocities exactly.

    Parameters
    ----------
    displacement : ndarray, shape (nt, ...)
    dt : float
        Time step [s].
    """
    u = np.asarray(displacement, dtype=float)
    v = np.zeros_like(u)
    for n in range(len(u) - 1):
        v[n + 1] = 2.0 * (u[n + 1] - u[n]) / dt - v[n]
    return v


def zone_qoi(problem: Problem, displacement: np.ndarray, dt: float) -> xr.Dataset:
    """Peak displacement, peak von Mises stress and energy of a history on a zone.

    Parameters
    ----------
    problem : Problem
        The problem on the zone's mesh (e.g. :attr:`Submodel.problem`).
    displacement : ndarray, shape (nt, nnodes, ncomp)
        Average-acceleration Newmark history at every node of ``problem``,
        starting at rest (a global run recorded at
        :attr:`Submodel.global_nodes`, or a submodel run).
    dt : float
        Time step [s].

    Returns
    -------
    xarray.Dataset
        ``peak_displacement`` [m], ``energy(time)`` [J] (kinetic plus strain,
        ``½ v·Mv + ½ u·Ku`` with the zone's matrices) and, for
        elastodynamics, ``peak_von_mises`` [Pa].
    """
    space = problem.space
    u = np.asarray(displacement, dtype=float)
    if u.ndim != 3 or u.shape[1:] != (len(space.nodes), space.ncomp):
        raise InputError(
            f"the zone history has shape {u.shape}, expected (time, {len(space.nodes)}, "
            f"{space.ncomp})"
        )
    flat = u.reshape(len(u), -1)
    vel = newmark_velocity(flat, dt)
    energy = 0.5 * (
        np.einsum("ti,ti->t", vel, (problem.M @ vel.T).T)
        + np.einsum("ti,ti->t", flat, (problem.K @ flat.T).T)
    )
    ds = xr.Dataset(
        {
            "peak_displacement": (
                (),
                float(np.sqrt((u**2).sum(axis=2)).max()),
                {"units": "m", "long_name": "peak displacement magnitude in the zone"},
            ),
            "energy": ("time", energy, {"units": "J", "long_name": "energy in the zone"}),
        },
        coords={"time": ("time", dt * np.arange(len(u)), {"units": "s", "long_name": "time"})},
    )
    if isinstance(problem, ElastodynamicsProblem):
        ds["peak_von_mises"] = (
            (),
            float(von_mises(problem, u).max()),
            {"units": "Pa", "long_name": "peak von Mises stress in the zone"},
        )
    return ds
