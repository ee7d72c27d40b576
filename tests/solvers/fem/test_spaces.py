"""Meshes, spaces and static solves: Poisson and elasticity against exact solutions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from gpu.errors import InputError
from solvers.fem import FunctionSpace, Mesh, lame


def _rate(hs: list[float], errors: list[float]) -> float:
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


def _poisson_error(n: int, degree: int, backend: str) -> float:
    V = FunctionSpace(Mesh.rectangle(n, n), degree, 1, backend)

    def exact(x: np.ndarray) -> np.ndarray:
        return np.sin(np.pi * x[0:1]) * np.sin(np.pi * x[1:2])

    A, b = V.laplace(), V.load(lambda x: 2 * np.pi**2 * exact(x))
    free = np.setdiff1d(np.arange(V.ndofs), V.dofs(V.boundary_nodes()))
    u = np.zeros(V.ndofs)
    u[free] = spla.spsolve(A[free][:, free].tocsc(), b[free])
    return V.l2_error(u, exact)


@pytest.mark.parametrize(("degree", "sizes"), [(1, (8, 16, 32)), (2, (4, 8, 16))])
def test_poisson_l2_rate(fem_backend: str, degree: int, sizes: tuple[int, ...]) -> None:
    errors = [_poisson_error(n, degree, fem_backend) for n in sizes]
    assert _rate([1 / n for n in sizes], errors) == pytest.approx(degree + 1, abs=0.1)


def test_elasticity_rigid_motions_have_no_energy(fem_backend: str) -> None:
    for mesh in (Mesh.rectangle(3, 2), Mesh.box(2, 2, 1)):
        d = mesh.dim
        V = FunctionSpace(mesh, 2, d, fem_backend)
        K = V.elasticity(*lame(2.0, 0.3))
        shift = V.interpolate(lambda x: np.stack([np.ones_like(x[0])] * len(x)))
        rotation = V.interpolate(
            lambda x: np.stack([-x[1], x[0]] + ([np.zeros_like(x[0])] if len(x) == 3 else []))
        )
        stretch = V.interpolate(lambda x: np.stack([x[0]] + [np.zeros_like(x[0])] * (len(x) - 1)))
        for u in (shift, rotation):
            assert np.abs(K @ u).max() < 1e-12 * np.abs(K @ stretch).max()


def test_mass_integrates_measure(fem_backend: str) -> None:
    mesh = Mesh.box(2, 1, 1, 2.0, 1.0, 0.5)
    V = FunctionSpace(mesh, 2, 3, fem_backend)
    assert V.mass().sum() == pytest.approx(3 * 1.0)
    assert V.load(lambda x: np.stack([x[0], 0 * x[0], 0 * x[0]])).sum() == pytest.approx(1.0)


def test_boundary_selection_by_tag_and_predicate() -> None:
    V = FunctionSpace(Mesh.rectangle(4, 2, 2.0, 1.0), 2, 2)
    left = V.boundary_nodes("left")
    assert len(left) == 5 and np.allclose(V.nodes[left, 0], 0.0)
    same = V.boundary_nodes(lambda x: np.isclose(x[0], 0.0))
    assert np.array_equal(left, same)
    assert len(V.boundary_nodes()) == 2 * (8 + 4)
    with pytest.raises(InputError, match="unknown boundary tag"):
        V.boundary_nodes("nowhere")
    with pytest.raises(InputError, match="selects no boundary facet"):
        V.boundary_nodes(lambda x: x[0] > 5)


def test_box_mesh_is_conforming() -> None:
    mesh = Mesh.box(3, 2, 2, 3.0, 2.0, 1.0)
    assert mesh.cell_measures().sum() == pytest.approx(6.0)
    assert (mesh.cell_measures() > 0).all()
    assert Mesh.rectangle(3, 5, 2.0, 0.5).cell_measures().sum() == pytest.approx(1.0)
    # a conforming closed mesh: boundary facets have total area = the box surface
    f = mesh.boundary_facets()
    x = mesh.points[f]
    area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1).sum()
    assert area == pytest.approx(2 * (6 + 3 + 2))


def test_gmsh_file_round_trip(tmp_path: Path) -> None:
    meshio = pytest.importorskip("meshio")
    mesh = Mesh.rectangle(3, 2)
    lines = mesh.tags["left"]
    out = meshio.Mesh(
        np.column_stack([mesh.points, np.zeros(len(mesh.points))]),
        [("triangle", mesh.cells), ("line", lines)],
        cell_data={
            "gmsh:physical": [np.full(len(mesh.cells), 1), np.full(len(lines), 7)],
            "gmsh:geometrical": [np.full(len(mesh.cells), 1), np.full(len(lines), 7)],
        },
        field_data={"inlet": np.array([7, 1])},
    )
    path = tmp_path / "square.msh"
    meshio.write(path, out, file_format="gmsh22", binary=False)
    back = Mesh.from_file(path)
    assert np.allclose(back.points, mesh.points) and np.array_equal(back.cells, mesh.cells)
    assert np.array_equal(back.tags["inlet"], np.sort(lines, axis=1))
    with pytest.raises(InputError, match="cannot read mesh"):
        Mesh.from_file(tmp_path / "missing.msh")


def test_bad_meshes() -> None:
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(InputError, match="inverted"):
        Mesh(points, np.array([[0, 2, 1]]))
    with pytest.raises(InputError, match="degenerate"):
        Mesh(points, np.array([[0, 1, 3]]))
    with pytest.raises(InputError, match="do not exist"):
        Mesh(points, np.array([[0, 1, 9]]))
    with pytest.raises(InputError, match="positive"):
        Mesh.rectangle(0, 3)
