"""One time step of the whole batch of realizations, on any array backend.

:class:`Stepper` turns an :class:`SFTConfig` into per-member parameter arrays
of shape ``(members, 1, 1)`` and advances ``f`` of shape
``(members, n_theta, n_phi)`` with one call per step for the whole batch:
NumPy and CuPy run the array expressions, JAX compiles whole stretches of
steps (``jax.jit`` over ``lax.fori_loop``), numba runs compiled loops
(:mod:`solvers.fluxtransport.kernels_numba`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import NumericalInstability
from solvers.fluxtransport.config import SFTConfig
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.operators import (
    Geometry,
    advection_rhs,
    attenuate,
    diffusion_rhs,
    geometry,
    lax_friedrichs_speeds,
    rkg2_coefficients,
    rkl2_coefficients,
    sts_stages,
)

__all__ = ["Stepper", "flow_profiles"]


def flow_profiles(config: SFTConfig, grid: SphereGrid) -> tuple[np.ndarray, np.ndarray]:
    """Unattenuated flows in R/h.

    ``v_theta`` (members, n_theta + 1, 1) is on the theta faces (ghost faces
    beyond the poles mirrored),
    ``v_phi`` (members, n_theta, 1) on the theta nodes (it does not depend on
    longitude here).
    """
    flows = config.flows
    m_s = 3600.0 / (config.radius_km * 1e3)  # m/s -> R/h
    members = config.n_realizations

    def column(name: str) -> np.ndarray:
        return np.asarray(config.member_values("flows", name))[:, None, None]

    faces = grid.theta_faces[None, :, None]
    sin_f, cos_f = np.sin(np.abs(faces)), np.cos(faces)
    v_theta = np.zeros((members, grid.n_theta + 1, 1))
    if flows.meridional:
        poly = column("p1_m_s") * cos_f + column("p3_m_s") * cos_f**3
        v_theta = v_theta - m_s * sin_f * (poly + column("p5_m_s") * cos_f**5)
    v_theta = v_theta + flows.v_theta_km_s * 1e3 * m_s
    sin_n = grid.sin_theta[None, :, None]
    cos_n = np.cos(grid.theta)[None, :, None]
    v_phi = np.zeros((members, grid.n_theta, 1))
    if flows.differential_rotation:
        poly = column("p0_m_s") + column("p2_m_s") * cos_n**2 + column("p4_m_s") * cos_n**4
        v_phi = v_phi + m_s * sin_n * poly
    v_phi = v_phi + flows.rigid_omega_km_s * 1e3 * m_s * sin_n
    return v_theta, v_phi


class Stepper:
    """Advance a batch of realizations on one backend.

    Parameters
    ----------
    config : SFTConfig
    grid : SphereGrid
    backend : Backend
    nu_map : numpy.ndarray, optional
        Diffusivity (km^2/s) on the grid's nodes, added to every
        realization's constant ``nu`` (HipFT's diffusion file).
    flow_series : list of (time_h, v_theta, v_phi), optional
        Time-dependent flows (R/h) on the staggered faces, shapes
        (n_theta + 1, n_phi) and (n_theta, n_phi), added to the analytic
        flows; each holds from its time until the next (:meth:`set_time`).
    """

    def __init__(
        self,
        config: SFTConfig,
        grid: SphereGrid,
        backend: Backend,
        nu_map: np.ndarray | None = None,
        flow_series: list[tuple[float, np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.config = config
        self.grid = grid
        self.backend = backend
        self.members = config.n_realizations
        v_theta, v_phi = flow_profiles(config, grid)
        self._base = (v_theta, v_phi)
        self._series = sorted(flow_series or [], key=lambda entry: entry[0])
        candidates = [(v_theta, v_phi)] + [(v_theta + vt, v_phi + vp) for _, vt, vp in self._series]
        self.advect = any(bool(np.any(vt != 0.0) or np.any(vp != 0.0)) for vt, vp in candidates)
        to_r2_h = 3600.0 / config.radius_km**2
        nu = np.asarray(config.member_values("diffusion", "nu_km2_s"))[:, None, None] * to_r2_h
        k_theta, k_phi = nu, nu
        if nu_map is not None:
            extra = nu_map * to_r2_h
            k_theta = nu + 0.5 * (extra[None, 1:, :] + extra[None, :-1, :])
            inner = extra[None, 1:-1, :]
            k_phi = nu + 0.5 * (inner + np.roll(inner, 1, axis=2))
        self.diffuse = bool(np.any(k_theta > 0.0))
        att = config.flows.attenuation_gauss
        self.attenuating = att is not None and self.advect
        inv_b = (
            1.0 / np.asarray(config.member_values("flows", "attenuation_gauss"))
            if att is not None
            else np.zeros(self.members)
        )
        self.weno = config.numerics.advection == "weno3"
        self.dt_stable = min(self._advective_limit(vt, vp) for vt, vp in candidates)
        self.dt_euler = self._euler_limit(max(float(np.max(k_theta)), float(np.max(k_phi))))
        asarray = backend.asarray
        self.geo: Geometry = geometry(grid, asarray)
        self.v_theta = asarray(v_theta)
        self.v_phi = asarray(v_phi)
        self.set_time(0.0)
        self.inv_b = asarray(inv_b[:, None, None])
        self.k_theta = asarray(k_theta)
        self.k_phi = asarray(k_phi)

    def flow_times(self) -> list[float]:
        """Times (h) at which the time-dependent flows change."""
        return [entry[0] for entry in self._series]

    def set_time(self, t: float) -> None:
        """Use the flows that hold at time ``t`` (h) for the next steps."""
        if not self._series:
            return
        current = [entry for entry in self._series if entry[0] <= t + 1e-9] or self._series[:1]
        _, add_t, add_p = current[-1]
        base_t, base_p = self._base
        self.v_theta = self.backend.asarray(base_t + add_t[None])
        self.v_phi = self.backend.asarray(base_p + add_p[None])

    # -- stability limits (host side) -------------------------------------------------
    def _advective_limit(self, v_theta: np.ndarray, v_phi: np.ndarray) -> float:
        """Largest stable advective step (h) of the unattenuated flow.

        Attenuation only slows the flow, so this bounds every step of the run.
        """
        if not self.advect:
            return np.inf
        grid = self.grid
        vt = np.abs(v_theta)
        speed_t = np.maximum(vt[:, 1:-2, :], vt[:, 2:-1, :]) / grid.dtheta
        speed_p = np.abs(v_phi[:, 1:-1, :]) / (grid.sin_theta[None, 1:-1, None] * grid.dphi)
        rate = float(np.max(speed_t + speed_p))
        dt = self.config.numerics.cfl_safety * 0.5 / max(rate, np.finfo(float).tiny)
        if self.config.numerics.time_stepping == "ssprk43":
            dt *= 2.0
        if self.config.numerics.splitting == "strang":
            dt *= 2.0
        return dt

    def _euler_limit(self, nu_max: float) -> float:
        """Explicit Euler limit (h) of the diffusion operator (Gershgorin bound, all members)."""
        if not self.diffuse:
            return np.inf
        grid = self.grid
        sin_n = grid.sin_theta[1:-1]
        sin_f = grid.sin_faces[1:-1]
        diag = (sin_f[1:] + sin_f[:-1]) / (sin_n * grid.dtheta**2) + 2.0 / (sin_n**2 * grid.dphi**2)
        max_eig = 2.0 * nu_max * float(np.max(diag))
        return 0.95 * 2.0 / max_eig

    def time_step(self) -> float:
        """The base time step (h): CFL limit capped by ``dt_max_h``, or the forced one.

        Raises
        ------
        NumericalInstability
            If ``dt_fixed_h`` exceeds the advective stability limit.
        """
        numerics = self.config.numerics
        if numerics.dt_fixed_h is not None:
            if numerics.dt_fixed_h > self.dt_stable / numerics.cfl_safety:
                raise NumericalInstability(
                    f"dt_fixed_h = {numerics.dt_fixed_h} h exceeds the advective stability "
                    f"limit {self.dt_stable / numerics.cfl_safety:.4g} h of this flow and grid: "
                    "lower it or leave it unset to use the CFL step"
                )
            return numerics.dt_fixed_h
        dt = self.dt_stable
        if numerics.dt_max_h is not None:
            dt = min(dt, numerics.dt_max_h)
        return float(min(dt, self.config.duration_h))

    def diffusion_plan(self, dt: float) -> tuple[str, int]:
        """(scheme, stages or Euler sub-steps) used for a step of ``dt`` hours."""
        scheme = self.config.diffusion.scheme
        ratio = dt / self.dt_euler
        if scheme == "euler":
            return scheme, max(1, int(np.ceil(ratio)))
        return scheme, sts_stages(ratio, scheme)

    # -- the step (array-namespace generic) ---------------------------------------------
    def make_step(self, dt_plan: tuple[str, int]) -> Callable[[Any, Any, Any, Any], Any]:
        """A function ``step(f, dt, v_theta, v_phi) -> f`` for the given diffusion plan."""
        xp = self.backend.xp
        geo = self.geo
        scheme, count = dt_plan
        coefficients: np.ndarray | None = None
        if scheme == "rkl2":
            coefficients = rkl2_coefficients(count)
        elif scheme == "rkg2":
            coefficients = rkg2_coefficients(count)
        k_theta, k_phi = self.k_theta, self.k_phi
        inv_b = self.inv_b
        weno, attenuating = self.weno, self.attenuating
        ssprk43 = self.config.numerics.time_stepping == "ssprk43"
        strang = self.config.numerics.splitting == "strang"
        advect, diffuse = self.advect, self.diffuse
        use_lax = self.backend.name == "jax"

        def diffusion(f: Any, dt: Any) -> Any:
            if coefficients is None:
                sub = dt / count
                for _ in range(count):
                    f = f + sub * diffusion_rhs(xp, f, k_theta, k_phi, geo)
                return f
            f0 = f
            l0 = dt * diffusion_rhs(xp, f0, k_theta, k_phi, geo)
            first = f0 + coefficients[0, 2] * l0

            def stage(row: Any, prev2: Any, prev: Any) -> Any:
                mu, nu, mu_t, gamma_t = row[0], row[1], row[2], row[3]
                return (
                    mu * prev
                    + nu * prev2
                    + (1.0 - mu - nu) * f0
                    + (mu_t * dt) * diffusion_rhs(xp, prev, k_theta, k_phi, geo)
                    + gamma_t * l0
                )

            if use_lax:
                import jax

                table = xp.asarray(coefficients)

                def body(j: Any, carry: tuple[Any, Any]) -> tuple[Any, Any]:
                    prev2, prev = carry
                    return prev, stage(table[j], prev2, prev)

                return jax.lax.fori_loop(1, len(coefficients), body, (f0, first))[1]
            prev2, prev = f0, first
            for row in coefficients[1:]:
                prev2, prev = prev, stage(row, prev2, prev)
            return prev

        def advection(f: Any, dt: Any, vt: Any, vp: Any, at: Any, ap: Any) -> Any:
            def rhs(g: Any) -> Any:
                return advection_rhs(xp, g, vt, vp, at, ap, geo, weno)

            if ssprk43:
                f1 = f - (0.5 * dt) * rhs(f)
                f1 = f1 - (0.5 * dt) * rhs(f1)
                f1 = (2.0 / 3.0) * f + (1.0 / 3.0) * f1 - (dt / 6.0) * rhs(f1)
                return f1 - (0.5 * dt) * rhs(f1)
            f1 = f - dt * rhs(f)
            f2 = 0.75 * f + 0.25 * f1 - (0.25 * dt) * rhs(f1)
            return f / 3.0 + (2.0 / 3.0) * f2 - (2.0 / 3.0 * dt) * rhs(f2)

        def step(f: Any, dt: Any, v_theta: Any, v_phi: Any) -> Any:
            if advect:
                vt, vp = v_theta, v_phi
                if attenuating:
                    vt, vp = attenuate(xp, f, vt, vp, inv_b)
                at, ap = lax_friedrichs_speeds(xp, vt, vp)
                if strang:
                    f = advection(f, 0.5 * dt, vt, vp, at, ap)
                    if diffuse:
                        f = diffusion(f, dt)
                    return advection(f, 0.5 * dt, vt, vp, at, ap)
                f = advection(f, dt, vt, vp, at, ap)
            if diffuse:
                f = diffusion(f, dt)
            return f

        return step

    def advance_function(self, dt_plan: tuple[str, int]) -> Callable[[Any, float, int], Any]:
        """``advance(f, dt, n) -> f`` taking ``n`` steps of ``dt``, compiled where possible."""
        step = self.make_step(dt_plan)
        if self.backend.name == "jax":
            import jax

            def loop(f: Any, dt: Any, n: Any, vt: Any, vp: Any) -> Any:
                return jax.lax.fori_loop(0, n, lambda _, g: step(g, dt, vt, vp), f)

            compiled = jax.jit(loop)
            return lambda f, dt, n: compiled(f, dt, n, self.v_theta, self.v_phi)

        def advance(f: Any, dt: float, n: int) -> Any:
            for _ in range(n):
                f = step(f, dt, self.v_theta, self.v_phi)
            return f

        return advance
