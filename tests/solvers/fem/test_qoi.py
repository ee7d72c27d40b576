"""Zone quantities of interest: von Mises stress of analytic strain states, energy."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.errors import InputError
from solvers.fem import ElastodynamicsProblem, Mesh, Newmark, WaveProblem, von_mises, zone_qoi
from solvers.fem.qoi import newmark_velocity, strain


def _distorted(n: int, dim: int) -> Mesh:
    """A structured mesh with its interior vertices moved (cells stay positive)."""
    mesh = Mesh.rectangle(n, n) if dim == 2 else Mesh.box(n, n, n)
    rng = np.random.default_rng(3)
    p = mesh.points.copy()
    interior = ((p > 1e-9) & (p < 1 - 1e-9)).all(axis=1)
    p[interior] += rng.uniform(-0.15, 0.15, size=(int(interior.sum()), dim)) / n
    return Mesh(p, mesh.cells)


def _reference_von_mises(sigma: np.ndarray) -> float:
    """``sqrt(3/2 s:s)`` of the deviator ``s`` of a 3x3 stress tensor."""
    s = sigma - np.trace(sigma) / 3.0 * np.eye(3)
    return float(np.sqrt(1.5 * np.sum(s * s)))


@pytest.mark.parametrize(("dim", "degree"), [(2, 1), (2, 2), (3, 1), (3, 2)])
def test_homogeneous_strain(fem_backend: str, dim: int, degree: int) -> None:
    young, nu = 210.0, 0.3
    p = ElastodynamicsProblem(
        _distorted(3, dim), degree, young=young, poisson=nu, backend=fem_backend
    )
    grad = np.random.default_rng(1).standard_normal((dim, dim))
    u = p.space.nodes @ grad.T + 0.1  # u = G x + c: a homogeneous strain sym(G)
    eps = np.zeros((3, 3))
    eps[:dim, :dim] = 0.5 * (grad + grad.T)  # plane strain: ε_zz = ε_xz = ε_yz = 0
    lam, mu = young * nu / ((1 + nu) * (1 - 2 * nu)), young / (2 * (1 + nu))
    sigma = lam * np.trace(eps) * np.eye(3) + 2 * mu * eps
    if dim == 2:  # the textbook plane-strain relation
        assert sigma[2, 2] == pytest.approx(nu * (sigma[0, 0] + sigma[1, 1]))
    vm = von_mises(p, np.stack([u, 2 * u]))
    assert vm.shape[:2] == (2, len(p.space.mesh.cells))
    np.testing.assert_allclose(vm[0], _reference_von_mises(sigma), rtol=1e-10)
    np.testing.assert_allclose(vm[1], 2 * _reference_von_mises(sigma), rtol=1e-10)


def test_uniaxial_and_shear_plane_strain() -> None:
    young, nu = 3.0, 0.25
    p = ElastodynamicsProblem(Mesh.rectangle(2, 2), 1, young=young, poisson=nu)
    mu = young / (2 * (1 + nu))
    x, y = p.space.nodes.T
    e, g = 1e-3, 2e-3
    # u = (e x, 0): σ_xx - σ_yy = σ_xx - σ_zz = 2 μ e, σ_yy = σ_zz
    np.testing.assert_allclose(von_mises(p, np.column_stack([e * x, 0 * x])), 2 * mu * e)
    # u = (g y, 0): pure shear σ_xy = μ g
    np.testing.assert_allclose(von_mises(p, np.column_stack([g * y, 0 * y])), np.sqrt(3) * mu * g)


def test_p2_linear_strain_at_quadrature_points() -> None:
    # u = (x^2, x y): ε_xx = 2x, ε_yy = x, ε_xy = y/2, linear in each cell; the
    # degree-2 rule's points average to the centroid, where ε is exact
    p = ElastodynamicsProblem(_distorted(4, 2), 2)
    x, y = p.space.nodes.T
    eps = strain(p, np.column_stack([x**2, x * y])).mean(axis=1)
    c = p.space.mesh.points[p.space.mesh.cells].mean(axis=1)
    np.testing.assert_allclose(eps[:, 0, 0], 2 * c[:, 0], atol=1e-12)
    np.testing.assert_allclose(eps[:, 1, 1], c[:, 0], atol=1e-12)
    np.testing.assert_allclose(eps[:, 0, 1], 0.5 * c[:, 1], atol=1e-12)
    np.testing.assert_allclose(eps[:, 1, 0], eps[:, 0, 1])


def test_newmark_velocity_and_energy() -> None:
    p = ElastodynamicsProblem(Mesh.rectangle(4, 4), 1, fixed=None)
    rng = np.random.default_rng(0)
    u0 = p.space.interpolate(lambda x: np.stack([np.sin(3 * x[0]), x[1] ** 2]))
    sol = Newmark(0.05, 20).run(p, u0=u0, energy=True)
    # from rest (v0 = 0): the recovered velocities give the integrator's own energy
    qoi = zone_qoi(p, sol.displacement, 0.05)
    np.testing.assert_allclose(qoi["energy"], sol.energy, rtol=1e-10)
    assert float(qoi["peak_displacement"]) == pytest.approx(
        np.linalg.norm(sol.displacement, axis=2).max()
    )
    # a constant acceleration a from rest: u = a t^2 / 2, v = a t
    a, t = rng.standard_normal(5), 0.1 * np.arange(6)
    np.testing.assert_allclose(newmark_velocity(0.5 * np.outer(t**2, a), 0.1), np.outer(t, a))


def test_wave_qoi_and_bad_input() -> None:
    p = WaveProblem(Mesh.rectangle(3, 3), 1)
    qoi = zone_qoi(p, np.zeros((4, len(p.space.nodes), 1)), 0.1)
    assert "peak_von_mises" not in qoi and float(qoi["peak_displacement"]) == 0
    with pytest.raises(InputError, match="ElastodynamicsProblem"):
        von_mises(p, np.zeros((len(p.space.nodes), 1)))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="expected"):
        zone_qoi(p, np.zeros((4, 3, 1)), 0.1)
    e = ElastodynamicsProblem(Mesh.rectangle(3, 3), 1)
    with pytest.raises(InputError, match="vector node values"):
        strain(e, np.zeros((len(e.space.nodes), 1)))
