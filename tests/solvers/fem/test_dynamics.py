"""Time integration: manufactured solutions, energy, order in time, CFL, wave speed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

from gpu.errors import ConfigError, NumericalInstability
from solvers.fem import (
    CentralDifference,
    ElastodynamicsProblem,
    Mesh,
    Newmark,
    Source,
    WaveProblem,
    ricker,
)

SQ2 = np.sqrt(2.0)


def _rate(hs: list[float], errors: list[float]) -> float:
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


def _wave_exact(x: np.ndarray, t: float) -> np.ndarray:
    return np.sin(np.pi * x[0:1]) * np.sin(np.pi * x[1:2]) * np.cos(SQ2 * np.pi * t)


def test_wave_manufactured_rate_p1_newmark(fem_backend: str) -> None:
    errors, hs, final = [], [], 0.5
    for n in (8, 16, 32):
        p = WaveProblem(Mesh.rectangle(n, n), 1, backend=fem_backend)
        sol = Newmark(final / (2 * n), 2 * n).run(
            p, u0=p.space.interpolate(lambda x: _wave_exact(x, 0))
        )
        errors.append(
            p.space.l2_error(sol.displacement[-1].ravel(), lambda x: _wave_exact(x, final))
        )
        hs.append(1 / n)
    assert _rate(hs, errors) == pytest.approx(2.0, abs=0.1)


# plane-strain manufactured solution u = (s, s) cos(w t), s = sin(pi x) sin(pi y)
E, NU, RHO, W = 1.0, 0.3, 1.0, np.pi


def _shape(x: np.ndarray) -> np.ndarray:
    s = np.sin(np.pi * x[0]) * np.sin(np.pi * x[1])
    return np.stack([s, s])


def _body_force(x: np.ndarray) -> np.ndarray:
    lam, mu = E * NU / ((1 + NU) * (1 - 2 * NU)), E / (2 * (1 + NU))
    ss = np.sin(np.pi * x[0]) * np.sin(np.pi * x[1])
    cc = np.cos(np.pi * x[0]) * np.cos(np.pi * x[1])
    div_sigma = (lam + mu) * np.pi**2 * (cc - ss) - 2 * mu * np.pi**2 * ss
    f = -RHO * W**2 * ss - div_sigma
    return np.stack([f, f])


@pytest.mark.parametrize(("degree", "sizes", "steps"), [(1, (8, 16, 32), 20), (2, (4, 8, 16), 80)])
def test_plane_strain_manufactured_rate(
    fem_backend: str, degree: int, sizes: tuple[int, ...], steps: int
) -> None:
    final, errors = 0.2, []
    for n in sizes:
        p = ElastodynamicsProblem(
            Mesh.rectangle(n, n),
            degree,
            young=E,
            poisson=NU,
            density=RHO,
            sources=[Source(_body_force, lambda t: np.cos(W * t))],
            backend=fem_backend,
        )
        sol = Newmark(final / steps, steps).run(p, u0=p.space.interpolate(_shape))
        exact = lambda x: _shape(x) * np.cos(W * final)  # noqa: E731
        errors.append(p.space.l2_error(sol.displacement[-1].ravel(), exact))
    assert _rate([1 / n for n in sizes], errors) == pytest.approx(degree + 1, abs=0.1)


def test_newmark_conserves_energy() -> None:
    p = ElastodynamicsProblem(Mesh.rectangle(6, 6), 1, young=2.0, poisson=0.3)
    rng = np.random.default_rng(3)
    u0 = np.zeros(p.space.ndofs)
    u0[p.free] = rng.standard_normal(len(p.free))
    sol = Newmark(0.05, 1000).run(p, u0=u0, v0=u0.copy() * (np.arange(len(u0)) % 2), energy=True)
    assert np.abs(sol.energy / sol.energy[0] - 1).max() < 1e-10
    damped = ElastodynamicsProblem(
        Mesh.rectangle(6, 6), 1, young=2.0, poisson=0.3, rayleigh=(0.1, 0.01)
    )
    decay = Newmark(0.05, 100).run(damped, u0=u0, energy=True).energy
    assert (np.diff(decay) < 0).all()


def _semi_discrete(p: WaveProblem, u0: np.ndarray, t: float) -> np.ndarray:
    """Exact solution of M u'' + K u = 0 on the free dofs (modal superposition)."""
    fr = p.free
    lam, phi = sla.eigh(p.K[fr][:, fr].toarray(), p.M[fr][:, fr].toarray())
    modal = phi.T @ (p.M[fr][:, fr] @ u0[fr])
    out = np.zeros_like(u0)
    out[fr] = phi @ (modal * np.cos(np.sqrt(lam) * t))
    return out


@pytest.mark.parametrize("scheme", [Newmark, CentralDifference])
def test_second_order_in_time(scheme: type) -> None:
    p = WaveProblem(Mesh.rectangle(6, 6), 1)
    u0 = p.space.interpolate(lambda x: x[0:1] * (1 - x[0:1]) * x[1:2] * (1 - x[1:2]) * (1 + x[0:1]))
    final, errors, dts = 0.6, [], []
    if scheme is CentralDifference:
        p.M = p.M.__class__(np.diag(np.asarray(p.M.sum(axis=1)).ravel()))
    reference = _semi_discrete(p, u0, final)
    for steps in (40, 80, 160):
        sol = scheme(final / steps, steps).run(p, u0=u0)
        errors.append(np.abs(sol.displacement[-1].ravel() - reference).max())
        dts.append(final / steps)
    assert _rate(dts, errors) == pytest.approx(2.0, abs=0.1)


def test_cfl_limit_matches_dense_eigenvalue() -> None:
    p = ElastodynamicsProblem(Mesh.rectangle(5, 4), 1, young=3.0, poisson=0.2, density=2.0)
    fr = p.free
    lumped = np.asarray(p.M.sum(axis=1)).ravel()[fr]
    lam = sla.eigh(p.K[fr][:, fr].toarray(), np.diag(lumped), eigvals_only=True)
    limit = p.critical_time_step
    exact = 2 / np.sqrt(lam.max())
    assert exact * (1 - 2e-4) <= limit <= exact
    with pytest.raises(NumericalInstability, match="CFL"):
        CentralDifference(1.05 * limit, 10).run(p)
    u0 = np.zeros(p.space.ndofs)
    u0[fr] = np.random.default_rng(0).standard_normal(len(fr))
    grown = CentralDifference(1.05 * limit, 400, force=True).run(p, u0=u0).displacement
    stable = CentralDifference(0.95 * limit, 400).run(p, u0=u0).displacement
    assert np.abs(grown[-1]).max() > 1e3 * np.abs(u0).max() > np.abs(stable).max()


def test_plane_wave_speed() -> None:
    """A pulse driven at x = 0 of a long strip arrives at x = 1 and 2 a time 1/c apart."""
    c, dt, steps = 2.0, 0.004, 600
    p = WaveProblem(Mesh.rectangle(160, 2, 4.0, 0.1), 1, speed=c, fixed="left")
    pulse = ricker(5.0)
    history = np.array([[pulse(n * dt)] * len(p.fixed) for n in range(steps + 1)])
    sol = Newmark(dt, steps).run(p, boundary=history)
    x = p.space.nodes
    arrivals = []
    for x0 in (1.0, 2.0):
        node = int(np.argmin(np.hypot(x[:, 0] - x0, x[:, 1])))
        arrivals.append(sol.time[np.argmax(sol.displacement[:, node, 0])])
    assert 1.0 / (arrivals[1] - arrivals[0]) == pytest.approx(c, rel=0.02)


def test_bad_material_and_steps() -> None:
    mesh = Mesh.rectangle(2, 2)
    for kwargs in (
        {"poisson": 0.5},
        {"poisson": 0.7},
        {"young": 0.0},
        {"young": -1.0},
        {"density": 0.0},
    ):
        with pytest.raises(ConfigError):
            ElastodynamicsProblem(mesh, 1, **kwargs)
    with pytest.raises(ConfigError, match="time step"):
        Newmark(-0.1, 10)
    with pytest.raises(ConfigError, match="stiffness-proportional"):
        CentralDifference(0.01, 2).run(WaveProblem(mesh, rayleigh=(0.0, 0.1)))
