"""scikit-fem and dolfinx agree on the same mesh and problem (under `make test-fenics`)."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.errors import ConfigError
from solvers.fem import ElastodynamicsProblem, FunctionSpace, Mesh, Newmark, Source, WaveProblem
from tests.solvers.fem._fixtures import requires_dolfinx, requires_skfem

pytestmark = [requires_dolfinx, requires_skfem]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize(("mesh", "degree"), [(Mesh.rectangle(5, 4), 2), (Mesh.box(2, 2, 2), 1)])
def test_matrices_agree(mesh: Mesh, degree: int) -> None:
    a = FunctionSpace(mesh, degree, mesh.dim, "skfem")
    b = FunctionSpace(mesh, degree, mesh.dim, "dolfinx")
    assert _rel(a.mass().toarray(), b.mass().toarray()) < 1e-12
    assert _rel(a.elasticity(1.5, 0.7).toarray(), b.elasticity(1.5, 0.7).toarray()) < 1e-12
    # a quadratic load is exact on both (dolfinx interpolates it at degree p + 2)
    quad = lambda x: np.stack([x[0] * x[1] + x[0] ** 2] * mesh.dim)  # noqa: E731
    assert _rel(a.load(quad), b.load(quad)) < 1e-12


def test_time_histories_agree() -> None:
    mesh = Mesh.rectangle(10, 10)
    source = Source(lambda x: np.stack([x[0] * x[1], x[1] ** 2]), lambda t: np.sin(3 * t) ** 2)
    runs = []
    for backend in ("skfem", "dolfinx"):
        p = ElastodynamicsProblem(
            mesh, 1, poisson=0.3, sources=[source], rayleigh=(0.1, 0.0), backend=backend
        )
        runs.append(Newmark(0.02, 200).run(p).displacement)
    assert _rel(runs[1], runs[0]) < 1e-8
    wave = [
        Newmark(0.02, 100)
        .run(WaveProblem(mesh, 2, fixed="left", backend=b), u0=np.linspace(0, 1, 441))
        .displacement
        for b in ("skfem", "dolfinx")
    ]
    assert _rel(wave[1], wave[0]) < 1e-8


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="unknown FEM backend"):
        FunctionSpace(Mesh.rectangle(2, 2), 1, 1, "fenics")
