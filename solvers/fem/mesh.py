"""Backend-neutral simplex meshes: structured rectangles and boxes, Gmsh files.

A :class:`Mesh` holds plain NumPy arrays (vertex coordinates, simplex cells and
tagged boundary facets); each FEM backend builds its own mesh object from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gpu._optional import require
from gpu.errors import InputError

__all__ = ["Mesh", "Predicate"]

#: A predicate on coordinates: ``x`` of shape ``(dim, n)`` -> bool array ``(n,)``.
Predicate = Callable[[np.ndarray], np.ndarray]

# Local vertex pairs of the edges of a triangle and of a tetrahedron.
_EDGES = {2: ((0, 1), (1, 2), (0, 2)), 3: ((0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3))}


def _facets_of(cells: np.ndarray) -> np.ndarray:
    """Every facet of every cell, vertex indices sorted, shape (ncells * (dim+1), dim)."""
    nv = cells.shape[1]
    faces = [np.delete(cells, k, axis=1) for k in range(nv)]
    return np.sort(np.concatenate(faces), axis=1)


@dataclass(frozen=True, eq=False)
class Mesh:
    """A conforming simplex mesh (triangles in 2-D, tetrahedra in 3-D).

    Parameters
    ----------
    points : ndarray, shape (nvertices, dim)
        Vertex coordinates [m].
    cells : ndarray of int, shape (ncells, dim + 1)
        Vertex indices of each simplex, positively oriented.
    tags : mapping of str to ndarray, optional
        Named sets of boundary facets, each of shape ``(nfacets, dim)``.

    Raises
    ------
    InputError
        Wrong shapes, indices out of range, non-finite coordinates, or a
        degenerate (zero-measure) or inverted (negative-measure) cell.
    """

    points: np.ndarray
    cells: np.ndarray
    tags: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        points = np.ascontiguousarray(self.points, dtype=float)
        cells = np.ascontiguousarray(self.cells, dtype=np.int64)
        if points.ndim != 2 or points.shape[1] not in (2, 3):
            raise InputError(f"mesh points must have shape (n, 2) or (n, 3), got {points.shape}")
        dim = points.shape[1]
        if cells.ndim != 2 or cells.shape[1] != dim + 1 or len(cells) == 0:
            raise InputError(
                f"a {dim}-D mesh needs simplex cells of shape (ncells, {dim + 1}), "
                f"got {cells.shape}"
            )
        if not np.isfinite(points).all():
            raise InputError("mesh points contain NaN or infinite coordinates")
        if cells.min() < 0 or cells.max() >= len(points):
            raise InputError("mesh cells refer to vertices that do not exist")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(
            self,
            "tags",
            {k: np.sort(np.asarray(v, dtype=np.int64), axis=1) for k, v in self.tags.items()},
        )
        measure = self.cell_measures()
        scale = np.ptp(points, axis=0).max() ** dim
        bad = np.abs(measure) <= 1e-12 * scale
        if bad.any():
            raise InputError(
                f"degenerate mesh: {int(bad.sum())} cell(s) of zero measure "
                f"(first: cell {int(np.argmax(bad))})"
            )
        if (measure < 0).any():
            first = int(np.argmax(measure < 0))
            raise InputError(
                f"inverted mesh: {int((measure < 0).sum())} cell(s) with negative orientation "
                f"(first: cell {first}); swap two vertices of those cells"
            )

    @property
    def dim(self) -> int:
        """Spatial dimension (2 or 3)."""
        return int(self.points.shape[1])

    def cell_measures(self) -> np.ndarray:
        """Signed area (2-D) or volume (3-D) of each cell [m^dim]."""
        x = self.points[self.cells]
        jac = x[:, 1:, :] - x[:, :1, :]
        return np.linalg.det(jac) / (2.0 if self.dim == 2 else 6.0)

    def h(self) -> float:
        """Largest cell edge length [m]."""
        e = self.edges()
        return float(np.linalg.norm(self.points[e[:, 0]] - self.points[e[:, 1]], axis=1).max())

    def edges(self) -> np.ndarray:
        """Unique edges, sorted vertex pairs in lexicographic order, shape (nedges, 2)."""
        pairs = np.concatenate([self.cells[:, list(p)] for p in _EDGES[self.dim]])
        return np.unique(np.sort(pairs, axis=1), axis=0)

    def boundary_facets(self) -> np.ndarray:
        """Facets that belong to exactly one cell, shape (nfacets, dim), sorted vertices."""
        facets, counts = np.unique(_facets_of(self.cells), axis=0, return_counts=True)
        return facets[counts == 1]

    def facets(self, where: str | Predicate | None = None) -> np.ndarray:
        """Boundary facets selected by tag name or by a predicate on coordinates.

        Parameters
        ----------
        where : str, callable or None
            A tag name, a predicate ``f(x) -> bool`` on coordinates of shape
            ``(dim, n)`` that must hold at every vertex of a facet, or ``None``
            for the whole boundary.

        Raises
        ------
        InputError
            An unknown tag, or a predicate that selects no facet.
        """
        if where is None:
            return self.boundary_facets()
        if isinstance(where, str):
            if where not in self.tags:
                raise InputError(
                    f"unknown boundary tag {where!r}: the mesh has {sorted(self.tags)}"
                )
            return self.tags[where]
        facets = self.boundary_facets()
        inside = np.asarray(where(self.points.T), dtype=bool)
        chosen = facets[inside[facets].all(axis=1)]
        if len(chosen) == 0:
            raise InputError("the boundary predicate selects no boundary facet")
        return chosen

    def restrict(self, cell_mask: np.ndarray) -> tuple[Mesh, np.ndarray]:
        """The sub-mesh made of the cells in ``cell_mask``.

        Returns
        -------
        mesh : Mesh
            The sub-mesh with its vertices renumbered (in increasing global order).
        vertices : ndarray of int
            Global index of each sub-mesh vertex.
        """
        cells = self.cells[np.asarray(cell_mask, dtype=bool)]
        if len(cells) == 0:
            raise InputError("the restriction selects no cell")
        vertices = np.unique(cells)
        local = np.full(len(self.points), -1)
        local[vertices] = np.arange(len(vertices))
        return Mesh(self.points[vertices], local[cells]), vertices

    @classmethod
    def rectangle(
        cls,
        nx: int,
        ny: int,
        lx: float = 1.0,
        ly: float = 1.0,
        origin: tuple[float, float] = (0.0, 0.0),
    ) -> Mesh:
        """A structured triangulation of ``[x0, x0+lx] x [y0, y0+ly]``.

        Each of the ``nx * ny`` squares is cut into two triangles. The tags are
        ``left``, ``right``, ``bottom`` and ``top``.
        """
        _check_divisions((nx, ny), (lx, ly))
        x = origin[0] + np.linspace(0.0, lx, nx + 1)
        y = origin[1] + np.linspace(0.0, ly, ny + 1)
        xx, yy = np.meshgrid(x, y, indexing="ij")
        points = np.column_stack([xx.ravel(), yy.ravel()])
        idx = np.arange((nx + 1) * (ny + 1)).reshape(nx + 1, ny + 1)
        a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
        c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
        cells = np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
        return cls(points, cells, _box_tags(points, cells))

    @classmethod
    def box(
        cls,
        nx: int,
        ny: int,
        nz: int,
        lx: float = 1.0,
        ly: float = 1.0,
        lz: float = 1.0,
        origin: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> Mesh:
        """A structured tetrahedralization of a box, six tetrahedra per hexahedron.

        The tags are ``left``, ``right``, ``bottom``, ``top``, ``front`` and ``back``
        (x-min, x-max, y-min, y-max, z-min, z-max).
        """
        _check_divisions((nx, ny, nz), (lx, ly, lz))
        axes = [
            o + np.linspace(0.0, n_l[1], n_l[0] + 1)
            for o, n_l in zip(origin, [(nx, lx), (ny, ly), (nz, lz)], strict=True)
        ]
        grid = np.meshgrid(*axes, indexing="ij")
        points = np.column_stack([g.ravel() for g in grid])
        idx = np.arange(points.shape[0]).reshape(nx + 1, ny + 1, nz + 1)
        corner = [
            idx[i : i + nx, j : j + ny, k : k + nz].ravel()
            for i in (0, 1)
            for j in (0, 1)
            for k in (0, 1)
        ]
        # corner[4i+2j+k]; Kuhn split along the main diagonal 0 -> 7
        paths = [(4, 6), (4, 5), (2, 6), (2, 3), (1, 5), (1, 3)]
        cells = np.concatenate(
            [np.column_stack([corner[0], corner[p], corner[q], corner[7]]) for p, q in paths]
        )
        x = points[cells]
        vol = np.linalg.det(x[:, 1:, :] - x[:, :1, :])
        flip = vol < 0
        cells[flip] = cells[flip][:, [0, 2, 1, 3]]
        return cls(points, cells, _box_tags(points, cells))

    @classmethod
    def from_file(cls, path: str | Path) -> Mesh:
        """Read a triangle or tetrahedron mesh with meshio (e.g. a Gmsh ``.msh`` file).

        The highest-dimensional simplices form the mesh; facets carrying a
        Gmsh physical group become tags named after the group (or its number).
        Cells with negative orientation are reoriented.

        Raises
        ------
        InputError
            The file cannot be read or holds no triangles or tetrahedra.
        """
        meshio = require("meshio", "reading meshes from files")
        try:
            raw = meshio.read(path)
        except (OSError, meshio.ReadError) as exc:
            raise InputError(f"cannot read mesh {path}: {exc}") from None
        kinds = {block.type for block in raw.cells}
        dim = 3 if "tetra" in kinds else 2 if "triangle" in kinds else 0
        if dim == 0:
            raise InputError(
                f"mesh {path} holds no triangles or tetrahedra (found {sorted(kinds)})"
            )
        cell_type, facet_type = ("tetra", "triangle") if dim == 3 else ("triangle", "line")
        cells = np.concatenate([b.data for b in raw.cells if b.type == cell_type])
        used = np.unique(cells)
        renumber = np.full(len(raw.points), -1)
        renumber[used] = np.arange(len(used))
        points = np.asarray(raw.points)[used, :dim]
        cells = renumber[cells]
        x = points[cells]
        flip = np.linalg.det(x[:, 1:, :] - x[:, :1, :]) < 0
        cells[flip] = cells[flip][:, [1, 0, *range(2, dim + 1)]]
        names = {int(v[0]): k for k, v in raw.field_data.items()}
        tags: dict[str, list[np.ndarray]] = {}
        physical = raw.cell_data.get("gmsh:physical", [None] * len(raw.cells))
        for block, groups in zip(raw.cells, physical, strict=True):
            if block.type != facet_type or groups is None:
                continue
            for group in np.unique(groups):
                tags.setdefault(names.get(int(group), str(int(group))), []).append(
                    renumber[block.data[groups == group]]
                )
        return cls(points, cells, {k: np.concatenate(v) for k, v in tags.items()})


def _check_divisions(counts: tuple[int, ...], lengths: tuple[float, ...]) -> None:
    if any(int(n) != n or n < 1 for n in counts):
        raise InputError(f"mesh divisions must be positive integers, got {counts}")
    if any(not np.isfinite(s) or s <= 0 for s in lengths):
        raise InputError(f"mesh side lengths must be positive, got {lengths}")


def _box_tags(points: np.ndarray, cells: np.ndarray) -> dict[str, np.ndarray]:
    facets = np.unique(_facets_of(cells), axis=0, return_counts=True)
    boundary = facets[0][facets[1] == 1]
    names = ("left", "right", "bottom", "top", "front", "back")
    tags = {}
    lo, hi = points.min(axis=0), points.max(axis=0)
    tol = 1e-12 * np.ptp(points, axis=0).max()
    for axis in range(points.shape[1]):
        for side, value in enumerate((lo[axis], hi[axis])):
            on = np.abs(points[:, axis] - value) <= tol
            tags[names[2 * axis + side]] = boundary[on[boundary].all(axis=1)]
    return tags
