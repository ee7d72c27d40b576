"""Version shims for dolfinx 0.5 through current releases (every difference lives here)."""

from __future__ import annotations

from typing import Any

from gpu._optional import require

__all__ = ["cell_space", "create_mesh", "lagrange_space"]

_CELL = {2: "triangle", 3: "tetrahedron"}


def _version() -> tuple[int, int]:
    dolfinx = require("dolfinx", "finite elements with FEniCSx")
    major, minor = dolfinx.__version__.split(".")[:2]
    return int(major), int(minor)


def create_mesh(points: Any, cells: Any) -> Any:
    """A serial dolfinx mesh of P1 triangles or tetrahedra from arrays."""
    import dolfinx.mesh
    import ufl
    from mpi4py import MPI

    dim = points.shape[1]
    if _version() >= (0, 7):
        import basix.ufl

        coord = basix.ufl.element("Lagrange", _CELL[dim], 1, shape=(dim,))
        domain = ufl.Mesh(coord)
    else:
        domain = ufl.Mesh(ufl.VectorElement("Lagrange", _CELL[dim], 1))
    return dolfinx.mesh.create_mesh(MPI.COMM_SELF, cells, points, domain)


def lagrange_space(mesh: Any, degree: int, ncomp: int) -> Any:
    """The P``degree`` Lagrange space, scalar (``ncomp=1``) or vector."""
    import dolfinx.fem

    if _version() >= (0, 7):
        shape = (ncomp,) if ncomp > 1 else None
        element = ("Lagrange", degree, shape) if shape else ("Lagrange", degree)
        return dolfinx.fem.functionspace(mesh, element)
    if ncomp > 1:
        return dolfinx.fem.VectorFunctionSpace(mesh, ("Lagrange", degree))
    return dolfinx.fem.FunctionSpace(mesh, ("Lagrange", degree))


def cell_space(mesh: Any) -> Any:
    """The scalar space of piecewise constants (DG0), one dof per cell."""
    import dolfinx.fem

    if _version() >= (0, 7):
        return dolfinx.fem.functionspace(mesh, ("DG", 0))
    return dolfinx.fem.FunctionSpace(mesh, ("DG", 0))
