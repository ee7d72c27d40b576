"""Karhunen–Loève random fields: analytic 1-D spectrum, covariance, energy, seeding."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from pydantic import ValidationError
from scipy.optimize import brentq
from scipy.spatial.distance import cdist

from gpu.errors import ConfigError, InputError
from solvers.fem import (
    ElastodynamicsProblem,
    FunctionSpace,
    KarhunenLoeve,
    Mesh,
    SubmodelConfig,
    covariance,
    global_run,
    sample_global,
)


def _exponential_kl(length: float, a: float, count: int) -> np.ndarray:
    """Eigenvalues of exp(-|x - y| / ℓ) on [-a, a] (Ghanem & Spanos 1991, §2.3.3).

    λ = 2c / (ω² + c²), c = 1/ℓ, with c - ω tan(ωa) = 0 (even modes) and
    ω + c tan(ωa) = 0 (odd modes).
    """
    c, eps = 1.0 / length, 1e-12
    omegas = []
    for k in range(count):
        omegas.append(
            brentq(
                lambda w: c - w * np.tan(w * a), k * np.pi / a + eps, (k + 0.5) * np.pi / a - eps
            )
        )
        omegas.append(
            brentq(
                lambda w: w + c * np.tan(w * a),
                (k + 0.5) * np.pi / a + eps,
                (k + 1) * np.pi / a - eps,
            )
        )
    lam = 2.0 * c / (np.asarray(omegas) ** 2 + c**2)
    return np.sort(lam)[::-1][:count]


def _p1_mass_1d(x: np.ndarray) -> sp.csr_matrix:
    """The P1 mass matrix on a 1-D grid: h/6 [[2, 1], [1, 2]] per element."""
    h = np.diff(x)
    diag = np.zeros(len(x))
    diag[:-1] += h / 3
    diag[1:] += h / 3
    return sp.diags([h / 6, diag, h / 6], [-1, 0, 1]).tocsr()


def test_exponential_kernel_1d_spectrum() -> None:
    a, length = 0.5, 0.3
    exact = _exponential_kl(length, a, 8)
    errors = []
    for n in (201, 401):
        x = np.linspace(-a, a, n)
        kl = KarhunenLoeve(
            x[:, None], _p1_mass_1d(x), kernel="matern", nu=0.5, length=length, modes=8
        )
        errors.append(np.abs(kl.eigenvalues / exact - 1).max())
    # the modes are M-orthonormal
    gram = kl.modes.T @ (_p1_mass_1d(x) @ kl.modes)
    np.testing.assert_allclose(gram, np.eye(8), atol=1e-10)
    # P1 Galerkin: eigenvalue errors of order h^2
    assert errors[1] < 5e-4
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.2)


def test_matern_closed_forms() -> None:
    r = np.linspace(0.0, 2.0, 9)
    np.testing.assert_allclose(covariance(r, "matern", 0.4, 2.0, 0.5), 4 * np.exp(-r / 0.4))
    s = np.sqrt(3) * r / 0.4
    np.testing.assert_allclose(covariance(r, "matern", 0.4, 1.0, 1.5), (1 + s) * np.exp(-s))
    np.testing.assert_allclose(
        covariance(r, "squared_exponential", 0.4, 1.0), np.exp(-(r**2) / 0.32)
    )


def test_energy_truncation_and_covariance() -> None:
    mesh = Mesh.rectangle(12, 12)
    full = KarhunenLoeve.on_mesh(mesh, length=0.3, sigma=0.7, energy=1.0)
    # all modes: Φ Λ Φᵀ is the kernel at the nodes, and Σ λ = tr(C M) ≈ σ² |D|
    cov = (full.modes * full.eigenvalues) @ full.modes.T
    kernel = 0.49 * np.exp(-0.5 * cdist(mesh.points, mesh.points) ** 2 / 0.09)
    np.testing.assert_allclose(cov, kernel, atol=1e-9)
    mass = FunctionSpace(mesh, 1).mass()
    assert full.eigenvalues.sum() == pytest.approx(np.sum(kernel * mass.toarray()), rel=1e-9)
    assert full.eigenvalues.sum() == pytest.approx(0.49 * 1.0, rel=0.05)
    kl = KarhunenLoeve.on_mesh(mesh, length=0.3, sigma=0.7, energy=0.9)
    total = full.eigenvalues.sum()
    assert kl.energy_fraction >= 0.9 > kl.eigenvalues[:-1].sum() / total
    assert kl.energy_fraction == pytest.approx(kl.eigenvalues.sum() / total, rel=1e-12)
    assert 1 < kl.n_modes < 30
    # the sampled covariance converges to the truncated one (and near the kernel)
    xi = np.random.default_rng(0).standard_normal((kl.n_modes, 20000))
    g = kl.nodal(xi)
    sample = np.cov(g)
    truncated = (kl.modes * kl.eigenvalues) @ kl.modes.T
    assert np.abs(sample - truncated).max() < 0.05 * 0.49
    # the variance left out, integrated over the domain, is the discarded fraction
    missing = np.trace((kernel - truncated) @ mass.toarray())
    assert missing == pytest.approx((1 - kl.energy_fraction) * total, rel=1e-8)
    # the Nyström extension equals the field at the nodes
    np.testing.assert_allclose(kl.evaluate(xi[:, 0], mesh.points.T), g[:, 0], atol=1e-10)


def test_seeding_and_fields() -> None:
    mesh = Mesh.rectangle(6, 6)
    kl = KarhunenLoeve.on_mesh(mesh, kernel="matern", length=0.4, modes=5)
    assert kl.n_modes == 5
    a = kl.nodal(kl.coefficients(np.random.default_rng(3)))
    b = kl.nodal(kl.coefficients(np.random.default_rng(3)))
    c = kl.nodal(kl.coefficients(np.random.default_rng(4)))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0
    xi = kl.coefficients(np.random.default_rng(3))
    vals = kl.field(xi, (1.0, -2.0))(mesh.points.T)
    np.testing.assert_allclose(vals, np.stack([a, -2 * a]), atol=1e-10)
    cells = kl.cell_values(xi, mesh.cells)
    np.testing.assert_allclose(cells, a[mesh.cells].mean(axis=1))


def test_bad_input() -> None:
    mesh = Mesh.rectangle(3, 3)
    with pytest.raises(ConfigError, match="length"):
        KarhunenLoeve.on_mesh(mesh, length=0.0)
    with pytest.raises(ConfigError, match="energy"):
        KarhunenLoeve.on_mesh(mesh, length=0.3, energy=1.5)
    with pytest.raises(ConfigError, match="unknown covariance kernel"):
        KarhunenLoeve.on_mesh(mesh, length=0.3, kernel="cauchy")  # type: ignore[arg-type]
    kl = KarhunenLoeve.on_mesh(mesh, length=0.3, modes=3)
    with pytest.raises(InputError, match="coefficients"):
        kl.nodal(np.zeros(4))
    with pytest.raises(InputError, match="mass matrix"):
        KarhunenLoeve(mesh.points, np.eye(3), length=0.3)


@pytest.mark.parametrize("degree", [1, 2])
def test_per_cell_young_strain_energy(fem_backend: str, degree: int) -> None:
    # a log-normal E per cell; a homogeneous strain ε has the energy Σ_e |e| W(ε, E_e),
    # W = ½ (λ tr(ε)² + 2 μ ε:ε) with λ, μ ∝ E_e
    mesh = Mesh.rectangle(5, 4)
    kl = KarhunenLoeve.on_mesh(mesh, length=0.3, sigma=0.5, modes=6)
    young = 2.0 * np.exp(kl.cell_values(kl.coefficients(np.random.default_rng(1)), mesh.cells))
    nu = 0.3
    p = ElastodynamicsProblem(mesh, degree, young=young, poisson=nu, backend=fem_backend)
    grad = np.array([[0.3, -0.2], [0.5, 0.1]])
    u = (p.space.nodes @ grad.T).ravel()
    eps = 0.5 * (grad + grad.T)
    lam, mu = young * nu / ((1 + nu) * (1 - 2 * nu)), young / (2 * (1 + nu))
    w = 0.5 * (lam * np.trace(eps) ** 2 + 2 * mu * np.sum(eps * eps))
    assert 0.5 * u @ (p.K @ u) == pytest.approx(np.sum(w * mesh.cell_measures()), rel=1e-12)
    assert np.ptp(young) > 0.1
    # a uniform array is the scalar modulus
    uniform = ElastodynamicsProblem(mesh, degree, young=np.full(len(mesh.cells), 2.0))
    scalar = ElastodynamicsProblem(mesh, degree, young=2.0)
    assert abs(uniform.K - scalar.K).max() <= 1e-12 * abs(scalar.K).max()
    with pytest.raises(ConfigError, match="one per cell"):
        ElastodynamicsProblem(mesh, degree, young=np.ones(3))
    with pytest.raises(ConfigError, match="positive"):
        ElastodynamicsProblem(mesh, degree, young=-young)


def test_config_material_field() -> None:
    base = SubmodelConfig(cells=8, n_steps=30, f0=4.0)
    varied = base.model_copy(update={"young_log_sd": 0.5, "field_length": 0.3})
    a = sample_global(varied, members=2, seed=5)
    np.testing.assert_array_equal(
        a["displacement"], sample_global(varied, members=2, seed=5)["displacement"]
    )
    # same sources (drawn first), different material: different histories
    b = sample_global(base, members=2, seed=5)
    assert (
        np.abs(a["displacement"] - b["displacement"]).max() > 1e-3 * np.abs(b["displacement"]).max()
    )
    problem = global_run(varied, np.random.default_rng(2))[0]
    assert isinstance(problem, ElastodynamicsProblem) and isinstance(problem.young, np.ndarray)
    assert np.std(np.log(problem.young)) > 0.1
    with pytest.raises(ValidationError, match="elastodynamics"):
        SubmodelConfig(kind="wave", young_log_sd=0.1)
