"""Lagrange spaces in a backend-neutral dof order.

Nodes are the mesh vertices, then (P2) the edge midpoints in the order of
:meth:`Mesh.edges`; dof ``node * ncomp + component`` holds one component at
one node. Every backend's matrices and vectors are permuted into that order,
so results of different backends compare entry by entry and a sub-mesh's
nodes map onto the global ones by index.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from gpu.errors import ConfigError, InputError
from solvers.fem._backend import Assembler, Field, make_assembler
from solvers.fem.mesh import Mesh, Predicate

__all__ = ["FunctionSpace"]


class FunctionSpace:
    """A P1 or P2 Lagrange space, scalar (``ncomp=1``) or vector (``ncomp=mesh.dim``).

    Parameters
    ----------
    mesh : Mesh
        The mesh.
    degree : {1, 2}
        Polynomial degree.
    ncomp : int
        Number of components.
    backend : {"skfem", "dolfinx"}
        FEM library that assembles.
    """

    def __init__(self, mesh: Mesh, degree: int = 1, ncomp: int = 1, backend: str = "skfem") -> None:
        if degree not in (1, 2):
            raise ConfigError(f"degree must be 1 or 2, got {degree!r}")
        if ncomp not in (1, mesh.dim):
            raise ConfigError(f"ncomp must be 1 or the mesh dimension {mesh.dim}, got {ncomp!r}")
        self.mesh = mesh
        self.degree = degree
        self.ncomp = ncomp
        self.backend = backend
        edges = mesh.edges() if degree == 2 else np.empty((0, 2), dtype=np.int64)
        self._edges = edges
        mid = 0.5 * (mesh.points[edges[:, 0]] + mesh.points[edges[:, 1]])
        #: Node coordinates, shape (nnodes, dim).
        self.nodes = np.concatenate([mesh.points, mid])
        self._assembler: Assembler = make_assembler(backend, mesh, degree, ncomp)
        self._order = self._backend_order()

    @property
    def ndofs(self) -> int:
        """Number of degrees of freedom."""
        return len(self.nodes) * self.ncomp

    def _backend_order(self) -> np.ndarray:
        """``order[k]``: the backend's index of neutral dof ``k``."""
        coords = self._assembler.dof_coords
        dist, node = cKDTree(self.nodes).query(coords)
        tol = 1e-8 * self.mesh.h()
        neutral = node * self.ncomp + self._assembler.dof_component
        if len(coords) != self.ndofs or dist.max() > tol or len(np.unique(neutral)) != self.ndofs:
            raise InputError(f"backend {self.backend!r} dofs do not match the mesh nodes")
        order = np.empty(self.ndofs, dtype=np.int64)
        order[neutral] = np.arange(self.ndofs)
        return order

    def _matrix(self, a: sp.spmatrix) -> sp.csr_matrix:
        return sp.csr_matrix(sp.csr_matrix(a)[self._order][:, self._order])

    def mass(self) -> sp.csr_matrix:
        """Consistent mass matrix ``∫ u · v``."""
        return self._matrix(self._assembler.mass())

    def laplace(self) -> sp.csr_matrix:
        """Stiffness ``∫ ∇u · ∇v`` of a scalar space."""
        return self._matrix(self._assembler.laplace())

    def elasticity(self, lam: float | np.ndarray, mu: float | np.ndarray) -> sp.csr_matrix:
        """Stiffness of linear elasticity with Lamé parameters ``lam``, ``mu`` [Pa].

        Each is a scalar or an array with one value per cell of the mesh.
        """
        return self._matrix(self._assembler.elasticity(lam, mu))

    def load(self, f: Field) -> np.ndarray:
        """Load vector ``∫ f · v`` of a field ``f(x) -> (ncomp, ...)``."""
        return np.asarray(self._assembler.load(f))[self._order]

    def l2_error(self, u: np.ndarray, exact: Field) -> float:
        """``‖u_h − exact‖_L2`` of neutral dof values ``u``."""
        back = np.empty(self.ndofs)
        back[self._order] = u
        return self._assembler.l2_error(back, exact)

    def interpolate(self, f: Field) -> np.ndarray:
        """Nodal interpolant of ``f(x) -> (ncomp, n)`` as neutral dof values."""
        values = np.asarray(f(self.nodes.T), dtype=float).reshape(self.ncomp, -1)
        return np.ascontiguousarray(values.T).ravel()

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        return self._edges[:, 0] * len(self.mesh.points) + self._edges[:, 1]

    def cell_nodes(self) -> np.ndarray:
        """Nodes of each cell: its vertices, then (P2) its edge midpoints in the
        local edge order ``(0, 1), (0, 2), ..., (d - 1, d)``; shape ``(ncells, nloc)``."""
        cells = self.mesh.cells
        if self.degree == 1:
            return cells
        nv = len(self.mesh.points)
        d = cells.shape[1]
        pairs = np.sort(
            np.stack([cells[:, [i, j]] for i in range(d) for j in range(i + 1, d)], axis=1), axis=2
        )
        mid = nv + np.searchsorted(self._edge_keys, pairs[..., 0] * nv + pairs[..., 1])
        return np.concatenate([cells, mid], axis=1)

    def boundary_nodes(self, where: str | Predicate | None = None) -> np.ndarray:
        """Nodes on boundary facets chosen by tag, predicate, or all (``None``), sorted."""
        facets = self.mesh.facets(where)
        nodes = [np.unique(facets)]
        if self.degree == 2:
            d = facets.shape[1]
            pairs = np.concatenate([facets[:, [i, j]] for i in range(d) for j in range(i + 1, d)])
            keys = np.unique(pairs[:, 0] * len(self.mesh.points) + pairs[:, 1])
            nodes.append(len(self.mesh.points) + np.searchsorted(self._edge_keys, keys))
        return np.unique(np.concatenate(nodes))

    def dofs(self, nodes: np.ndarray) -> np.ndarray:
        """All dofs of ``nodes`` (node-major, component fastest)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        return (nodes[:, None] * self.ncomp + np.arange(self.ncomp)).ravel()

    def sub_nodes(self, vertices: np.ndarray, sub: FunctionSpace) -> np.ndarray:
        """Global node index of each node of ``sub``, a space on a restriction of this mesh.

        ``vertices`` is the global index of each sub-mesh vertex
        (from :meth:`Mesh.restrict`).
        """
        nv = len(self.mesh.points)
        out = [np.asarray(vertices)]
        if self.degree == 2:
            glob = np.sort(np.asarray(vertices)[sub._edges], axis=1)
            out.append(nv + np.searchsorted(self._edge_keys, glob[:, 0] * nv + glob[:, 1]))
        return np.concatenate(out)
