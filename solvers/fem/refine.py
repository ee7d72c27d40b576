"""Uniform refinement of triangle meshes, and the trace of a coarse space on the fine boundary.

Each triangle is split into ``r²`` similar triangles on the lattice of
barycentric points ``(l0, l1, l2) / r``; nodes shared by neighbouring cells
are identified combinatorially (vertex, edge and step along it, or cell
interior), so the refined mesh is conforming without comparing coordinates.
A finer submodel is driven through :func:`boundary_interpolation`: the trace
of the coarse P1/P2 field at the fine boundary nodes, which lie on the coarse
boundary, so only coarse boundary nodes enter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gpu.errors import ConfigError
from solvers.fem.mesh import Mesh
from solvers.fem.space import FunctionSpace

__all__ = ["Refinement", "boundary_interpolation", "refine"]


@dataclass(frozen=True)
class Refinement:
    """A uniformly refined triangle mesh and where it sits in the coarse one.

    Attributes
    ----------
    mesh : Mesh
        The fine mesh.
    parent : ndarray of int, shape (nfine,)
        Coarse cell containing each fine cell.
    vertex_bary : ndarray, shape (nfine, 3, 3)
        Barycentric coordinates of each fine cell's vertices in its parent.
    """

    mesh: Mesh
    parent: np.ndarray
    vertex_bary: np.ndarray


def _lattice(r: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer barycentric lattice points ``(l0, l1, l2)`` with sum ``r``, and the
    ``r²`` sub-triangles as triples of lattice indices (positively oriented)."""
    ij = [(i, j) for j in range(r + 1) for i in range(r + 1 - j)]
    index = {p: k for k, p in enumerate(ij)}
    points = np.array([(r - i - j, i, j) for i, j in ij], dtype=np.int64)
    tris = []
    for j in range(r):
        for i in range(r - j):
            tris.append((index[i, j], index[i + 1, j], index[i, j + 1]))
            if i + j <= r - 2:
                tris.append((index[i + 1, j], index[i + 1, j + 1], index[i, j + 1]))
    return points, np.array(tris, dtype=np.int64)


def refine(mesh: Mesh, r: int) -> Refinement:
    """Split every triangle of ``mesh`` into ``r²`` triangles.

    Raises
    ------
    ConfigError
        ``r`` is not a positive integer, or the mesh is not 2-D.
    """
    if int(r) != r or r < 1:
        raise ConfigError(f"the refinement factor must be a positive integer, got {r!r}")
    if mesh.dim != 2:
        raise ConfigError("uniform refinement is implemented for 2-D (triangle) meshes only")
    lat, tris = _lattice(int(r))
    nc, nl = len(mesh.cells), len(lat)
    cells = mesh.cells
    # a key per (cell, lattice point), equal for the copies of a shared node:
    # (0, vertex), (1, lower vertex, upper vertex, lower vertex's weight), (2, cell, point)
    keys = np.zeros((nc, nl, 4), dtype=np.int64)
    for k, weights in enumerate(lat):
        on = np.flatnonzero(weights)
        if len(on) == 1:
            keys[:, k, 1] = cells[:, on[0]]
        elif len(on) == 2:
            va, vb = cells[:, on[0]], cells[:, on[1]]
            keys[:, k] = np.column_stack(
                [
                    np.ones(nc, np.int64),
                    np.minimum(va, vb),
                    np.maximum(va, vb),
                    np.where(va < vb, weights[on[0]], weights[on[1]]),
                ]
            )
        else:
            keys[:, k, 0], keys[:, k, 1], keys[:, k, 2] = 2, np.arange(nc), k
    _, first, node = np.unique(keys.reshape(-1, 4), axis=0, return_index=True, return_inverse=True)
    node = node.reshape(nc, nl)
    bary = lat / float(r)
    coords = np.einsum("lk,ckd->cld", bary, mesh.points[cells]).reshape(-1, 2)[first]
    fine_cells = node[:, tris].reshape(-1, 3)
    return Refinement(
        mesh=Mesh(coords, fine_cells),
        parent=np.repeat(np.arange(nc), len(tris)),
        vertex_bary=np.broadcast_to(bary[tris], (nc, *bary[tris].shape)).reshape(-1, 3, 3),
    )


def _basis(bary: np.ndarray, degree: int) -> np.ndarray:
    """P1/P2 Lagrange basis on a triangle at barycentric points, in the node order of
    :meth:`FunctionSpace.cell_nodes` (vertices, then edges (0,1), (0,2), (1,2))."""
    if degree == 1:
        return bary
    vertex = bary * (2.0 * bary - 1.0)
    edges = [4.0 * bary[:, i] * bary[:, j] for i, j in ((0, 1), (0, 2), (1, 2))]
    return np.column_stack([vertex, *edges])


def boundary_interpolation(
    ref: Refinement, coarse: FunctionSpace, fine: FunctionSpace, coarse_boundary: np.ndarray
) -> sp.csr_matrix:
    """The trace of ``coarse`` at the boundary nodes of ``fine`` (a space on ``ref.mesh``).

    Parameters
    ----------
    ref : Refinement
    coarse, fine : FunctionSpace
        Spaces of the same degree on the coarse and the refined mesh.
    coarse_boundary : ndarray of int
        The coarse boundary nodes (sorted): the columns.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (len(fine.boundary_nodes()), len(coarse_boundary))
        Rows in the order of ``fine.boundary_nodes()``.
    """
    degree = coarse.degree
    fine_nodes = fine.cell_nodes()
    # barycentric coordinates (in the parent) of every local node of every fine cell
    vb = ref.vertex_bary
    if degree == 2:
        vb = np.concatenate([vb, 0.5 * (vb[:, [0, 0, 1]] + vb[:, [1, 2, 2]])], axis=1)
    bnd = fine.boundary_nodes()
    cell, local = np.zeros(len(fine.nodes), np.int64), np.zeros(len(fine.nodes), np.int64)
    cell[fine_nodes.ravel()] = np.repeat(np.arange(len(fine_nodes)), fine_nodes.shape[1])
    local[fine_nodes.ravel()] = np.tile(np.arange(fine_nodes.shape[1]), len(fine_nodes))
    weights = _basis(vb[cell[bnd], local[bnd]], degree)
    cols_global = coarse.cell_nodes()[ref.parent[cell[bnd]]]
    column = np.full(len(coarse.nodes), -1)
    column[coarse_boundary] = np.arange(len(coarse_boundary))
    cols = column[cols_global]
    # on a boundary edge only the basis functions of its nodes are non-zero
    keep = np.abs(weights) > 1e-12
    if (cols[keep] < 0).any():
        raise ConfigError("a fine boundary node does not lie on the coarse boundary")
    rows = np.broadcast_to(np.arange(len(bnd))[:, None], weights.shape)
    return sp.csr_matrix(
        (weights[keep], (rows[keep], cols[keep])), shape=(len(bnd), len(coarse_boundary))
    )
