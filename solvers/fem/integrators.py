"""Time integration of ``M ü + C u̇ + K u = f(t)`` with Dirichlet histories.

:class:`Newmark` is implicit (average acceleration by default: unconditionally
stable, second order, energy-conserving without damping) and factorizes its
effective matrix once. :class:`CentralDifference` is explicit with a lumped
(row-sum) mass matrix; its step is checked against the CFL limit
``2 / sqrt(λ_max)`` of the generalized eigenproblem ``K φ = λ M_L φ``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr

from gpu.errors import ConfigError, InputError, NumericalInstability
from solvers.fem.problems import Problem, check_history

__all__ = ["CentralDifference", "Newmark", "Solution"]


@dataclass
class Solution:
    """Result of a time integration.

    Attributes
    ----------
    time : ndarray, shape (nt,)
        Output times [s].
    displacement : ndarray, shape (nt, nrecorded, ncomp)
        Solution at the recorded nodes.
    nodes : ndarray of int
        The recorded nodes.
    energy : ndarray, shape (nt,)
        Kinetic plus strain energy (NaN where not computed).
    status : str
        ``"success"``.
    coords : ndarray, shape (nrecorded, dim)
        Coordinates of the recorded nodes [m].
    """

    time: np.ndarray
    displacement: np.ndarray
    nodes: np.ndarray
    energy: np.ndarray
    status: str = "success"
    coords: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def to_dataset(self) -> xr.Dataset:
        """The solution as an :class:`xarray.Dataset` with dims ``(time, node, component)``."""
        dim = self.coords.shape[1]
        coords = {
            "time": ("time", self.time, {"units": "s", "long_name": "time"}),
            "node": ("node", self.nodes, {"units": "1", "long_name": "mesh node index"}),
            "component": (
                "component",
                np.arange(self.displacement.shape[2]),
                {"units": "1", "long_name": "vector component"},
            ),
        }
        for i, name in enumerate("xyz"[:dim]):
            coords[name] = (
                "node",
                self.coords[:, i],
                {"units": "m", "long_name": f"{name} coordinate of the node"},
            )
        return xr.Dataset(
            {
                "displacement": (
                    ("time", "node", "component"),
                    self.displacement,
                    {"units": "m", "long_name": "displacement"},
                ),
                "energy": (
                    "time",
                    self.energy,
                    {"units": "J", "long_name": "kinetic plus strain energy"},
                ),
            },
            coords=coords,
            attrs={"status": self.status},
        )


def _check_step(dt: float, n_steps: int) -> None:
    if not (np.isfinite(dt) and dt > 0):
        raise ConfigError(f"the time step dt must be positive, got {dt!r}")
    if int(n_steps) != n_steps or n_steps < 1:
        raise ConfigError(f"n_steps must be a positive integer, got {n_steps!r}")


class _Integrator:
    dt: float
    n_steps: int

    def _setup(
        self,
        problem: Problem,
        u0: np.ndarray | None,
        v0: np.ndarray | None,
        boundary: np.ndarray | None,
        record: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = problem.space.ndofs
        u = np.zeros(n) if u0 is None else np.array(u0, dtype=float)
        v = np.zeros(n) if v0 is None else np.array(v0, dtype=float)
        for name, x in (("u0", u), ("v0", v)):
            if x.shape != (n,) or not np.isfinite(x).all():
                raise InputError(f"{name} must be {n} finite dof values, got shape {x.shape}")
        history = (
            np.zeros((self.n_steps + 1, len(problem.fixed)))
            if boundary is None
            else check_history(problem, boundary, self.n_steps + 1)
        )
        u[problem.fixed] = history[0]
        nodes = (
            np.arange(len(problem.space.nodes))
            if record is None
            else np.asarray(record, dtype=np.int64)
        )
        return u, v, history, nodes

    def _solution(
        self, problem: Problem, out: np.ndarray, nodes: np.ndarray, energy: np.ndarray
    ) -> Solution:
        if not np.isfinite(out).all():
            raise NumericalInstability(
                "the time integration produced non-finite values: reduce dt or check the loads"
            )
        nc = problem.space.ncomp
        return Solution(
            time=self.dt * np.arange(self.n_steps + 1),
            displacement=out.reshape(self.n_steps + 1, len(nodes), nc),
            nodes=nodes,
            energy=energy,
            coords=problem.space.nodes[nodes],
        )


class Newmark(_Integrator):
    """The Newmark-β method, average acceleration (β=¼, γ=½) by default.

    Parameters
    ----------
    dt : float
        Time step [s].
    n_steps : int
        Number of steps.
    beta, gamma : float
        Newmark parameters (``2β ≥ γ ≥ ½`` for unconditional stability).
    """

    def __init__(self, dt: float, n_steps: int, beta: float = 0.25, gamma: float = 0.5) -> None:
        _check_step(dt, n_steps)
        if not (gamma >= 0.5 and 2.0 * beta >= gamma):
            raise ConfigError(
                "Newmark needs 2 beta >= gamma >= 1/2 for unconditional stability, "
                f"got beta={beta}, gamma={gamma}"
            )
        self.dt, self.n_steps, self.beta, self.gamma = (
            float(dt),
            int(n_steps),
            float(beta),
            float(gamma),
        )

    def run(
        self,
        problem: Problem,
        *,
        u0: np.ndarray | None = None,
        v0: np.ndarray | None = None,
        boundary: np.ndarray | None = None,
        record: np.ndarray | None = None,
        energy: bool = False,
    ) -> Solution:
        """Integrate ``n_steps`` steps from ``(u0, v0)`` (zero by default).

        Parameters
        ----------
        problem : Problem
        u0, v0 : ndarray, optional
            Initial displacement and velocity (neutral dof order).
        boundary : ndarray, shape (n_steps + 1, len(problem.fixed)), optional
            Displacement history of the Dirichlet dofs (zero by default). Their
            velocity and acceleration follow from it by the Newmark relations,
            starting from ``v0`` and zero acceleration.
        record : ndarray of int, optional
            Nodes whose history is kept (all by default).
        energy : bool
            Whether to compute the energy at every step.
        """
        u, v, history, nodes = self._setup(problem, u0, v0, boundary, record)
        dt, beta, gamma = self.dt, self.beta, self.gamma
        M, K = problem.M, problem.K
        ra, rb = problem.rayleigh
        fr, fx = problem.free, problem.fixed

        def damping(x: np.ndarray) -> np.ndarray:
            return ra * (M @ x) + rb * (K @ x)

        c0, c1 = 1.0 / (beta * dt**2), gamma / (beta * dt)
        a = np.zeros_like(u)
        rhs0 = problem.force(0.0) - K @ u - (damping(v) if problem.damped else 0.0)
        a[fr] = spla.spsolve(sp.csc_matrix(M[fr][:, fr]), rhs0[fr] - M[fr][:, fx] @ a[fx])
        A = (K + c0 * M + c1 * (ra * M + rb * K)).tocsr()
        solve = spla.factorized(sp.csc_matrix(A[fr][:, fr]))
        A_fd = A[fr][:, fx]
        out = np.empty((self.n_steps + 1, len(nodes) * problem.space.ncomp))
        dofs = problem.space.dofs(nodes)
        out[0] = u[dofs]
        e = np.full(self.n_steps + 1, np.nan)
        if energy:
            e[0] = problem.energy(u, v)
        for n in range(self.n_steps):
            u_pred = u + dt * v + dt**2 * (0.5 - beta) * a
            v_pred = v + dt * (1.0 - gamma) * a
            rhs = problem.force((n + 1) * dt) + c0 * (M @ u_pred)
            if problem.damped:
                rhs += damping(c1 * u_pred - v_pred)
            u = u_pred.copy()
            u[fx] = history[n + 1]
            u[fr] = solve(rhs[fr] - A_fd @ u[fx])
            a = c0 * (u - u_pred)
            v = v_pred + gamma * dt * a
            out[n + 1] = u[dofs]
            if energy:
                e[n + 1] = problem.energy(u, v)
        return self._solution(problem, out, nodes, e)


class CentralDifference(_Integrator):
    """Explicit central differences with the row-sum lumped mass matrix.

    Parameters
    ----------
    dt : float
        Time step [s]; checked against :attr:`Problem.critical_time_step`.
    n_steps : int
        Number of steps.
    force : bool
        Run even if ``dt`` exceeds the CFL limit.

    Notes
    -----
    Mass-proportional Rayleigh damping ``a M`` is supported; stiffness-
    proportional damping would make the step implicit and is refused.
    """

    def __init__(self, dt: float, n_steps: int, *, force: bool = False) -> None:
        _check_step(dt, n_steps)
        self.dt, self.n_steps, self.force = float(dt), int(n_steps), bool(force)

    def run(
        self,
        problem: Problem,
        *,
        u0: np.ndarray | None = None,
        v0: np.ndarray | None = None,
        boundary: np.ndarray | None = None,
        record: np.ndarray | None = None,
        energy: bool = False,
    ) -> Solution:
        """Integrate ``n_steps`` steps; arguments as in :meth:`Newmark.run`.

        The energy (if asked for) uses the backward-difference velocity
        ``(u[n+1] - u[n]) / dt``; central differences conserve a modified
        energy, not this one.

        Raises
        ------
        NumericalInstability
            ``dt`` exceeds the CFL limit and ``force`` is off.
        ConfigError
            Stiffness-proportional damping, or a non-positive lumped mass.
        """
        ra, rb = problem.rayleigh
        if rb != 0.0:
            raise ConfigError(
                "CentralDifference cannot use stiffness-proportional damping: use Newmark"
            )
        limit = problem.critical_time_step
        if self.dt > limit and not self.force:
            raise NumericalInstability(
                f"dt = {self.dt:.4g} s exceeds the CFL limit {limit:.4g} s of central differences: "
                "reduce dt, use Newmark, or pass force=True"
            )
        u, v, history, nodes = self._setup(problem, u0, v0, boundary, record)
        dt, K, fx = self.dt, problem.K, problem.fixed
        m = problem.lumped_mass
        a = (problem.force(0.0) - K @ u - ra * m * v) / m
        u_prev = u - dt * v + 0.5 * dt**2 * a
        # u[n+1] = ((f - K u) + m/dt^2 (2 u - u[n-1]) + a m/(2 dt) u[n-1]) / (m/dt^2 + a m/(2 dt))
        inv = 1.0 / (m / dt**2 + ra * m / (2.0 * dt))
        c_now = 2.0 * m / dt**2 * inv
        c_prev = (ra * m / (2.0 * dt) - m / dt**2) * inv
        out = np.empty((self.n_steps + 1, len(nodes) * problem.space.ncomp))
        dofs = problem.space.dofs(nodes)
        out[0] = u[dofs]
        e = np.full(self.n_steps + 1, np.nan)
        if energy:
            e[0] = problem.energy(u, v)
        for n in range(self.n_steps):
            r = K @ u
            if problem.sources:
                r -= problem.force(n * dt)
            u_next = c_now * u
            u_next -= inv * r
            u_next += c_prev * u_prev
            u_next[fx] = history[n + 1]
            if energy:
                e[n + 1] = problem.energy(u_next, (u_next - u) / dt)
            u_prev, u = u, u_next
            out[n + 1] = u[dofs]
        return self._solution(problem, out, nodes, e)
