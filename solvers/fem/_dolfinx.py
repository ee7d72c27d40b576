"""The FEniCSx (dolfinx) backend, from the system's packages (see ``make test-fenics``).

Matrices are assembled with UFL forms through PETSc and handed over as SciPy
CSR matrices in dolfinx's dof order. A load ``f`` given as a Python callable
is interpolated into the Lagrange space of degree ``p + 2`` before it is
integrated (scikit-fem evaluates it at quadrature points): the difference is
``O(h^(p+3))``, below the discretization error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from gpu._optional import require
from solvers.fem import _dolfinx_compat as compat
from solvers.fem._backend import Field
from solvers.fem.mesh import Mesh

__all__ = ["DolfinxAssembler"]


class DolfinxAssembler:
    """Assembly with dolfinx on P1/P2 Lagrange triangles or tetrahedra (serial).

    Parameters
    ----------
    mesh : Mesh
    degree : {1, 2}
    ncomp : int
        1 for a scalar space, ``mesh.dim`` for a vector space.
    """

    def __init__(self, mesh: Mesh, degree: int, ncomp: int) -> None:
        require("dolfinx", "finite elements with FEniCSx")
        self._dim, self._degree, self._ncomp = mesh.dim, degree, ncomp
        self._mesh = compat.create_mesh(mesh.points, mesh.cells)
        self._centroids = mesh.points[mesh.cells].mean(axis=1)
        self._V = compat.lagrange_space(self._mesh, degree, ncomp)
        coords = self._V.tabulate_dof_coordinates()[:, : mesh.dim]
        self.dof_coords = np.repeat(coords, ncomp, axis=0)
        self.dof_component = np.tile(np.arange(ncomp), len(coords))

    def _matrix(self, a: Any) -> sp.csr_matrix:
        import dolfinx.fem
        import dolfinx.fem.petsc

        mat = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(a))
        mat.assemble()
        indptr, indices, data = mat.getValuesCSR()
        n = mat.getSize()[0]
        out = sp.csr_matrix((data.copy(), indices.copy(), indptr.copy()), shape=(n, n))
        mat.destroy()
        return out

    def _trial_test(self) -> tuple[Any, Any]:
        import ufl

        return ufl.TrialFunction(self._V), ufl.TestFunction(self._V)

    def mass(self) -> sp.csr_matrix:
        """``∫ u · v``."""
        import ufl

        u, v = self._trial_test()
        return self._matrix(ufl.inner(u, v) * ufl.dx)

    def laplace(self) -> sp.csr_matrix:
        """``∫ ∇u · ∇v``."""
        import ufl

        u, v = self._trial_test()
        return self._matrix(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)

    def _per_cell(self, value: float | np.ndarray) -> Any:
        """A float, or a DG0 function for one value per cell of the input mesh."""
        if np.ndim(value) == 0:
            return float(value)
        import dolfinx.fem

        fn = dolfinx.fem.Function(compat.cell_space(self._mesh))
        centers = fn.function_space.tabulate_dof_coordinates()[:, : self._dim]
        fn.x.array[:] = np.asarray(value, dtype=float)[cKDTree(self._centroids).query(centers)[1]]
        return fn

    def elasticity(self, lam: float | np.ndarray, mu: float | np.ndarray) -> sp.csr_matrix:
        """``∫ λ div u div v + 2 μ ε(u) : ε(v)``; ``λ``, ``μ`` scalars or one per cell."""
        import ufl

        u, v = self._trial_test()
        eu, ev = ufl.sym(ufl.grad(u)), ufl.sym(ufl.grad(v))
        lam_h, mu_h = self._per_cell(lam), self._per_cell(mu)
        form = (lam_h * ufl.tr(eu) * ufl.tr(ev) + 2.0 * mu_h * ufl.inner(eu, ev)) * ufl.dx
        return self._matrix(form)

    def _function(self, f: Field, degree: int) -> Any:
        import dolfinx.fem

        space = compat.lagrange_space(self._mesh, degree, self._ncomp)
        fn = dolfinx.fem.Function(space)
        dim, ncomp = self._dim, self._ncomp

        def values(x: np.ndarray) -> np.ndarray:
            out = np.asarray(f(x[:dim]), dtype=float).reshape(ncomp, -1)
            return out if ncomp > 1 else out[0]

        fn.interpolate(values)
        return fn

    def load(self, f: Field) -> np.ndarray:
        """``∫ f · v`` with ``f`` interpolated at degree ``p + 2``."""
        import dolfinx.fem
        import dolfinx.fem.petsc
        import ufl

        fh = self._function(f, self._degree + 2)
        v = ufl.TestFunction(self._V)
        vec = dolfinx.fem.petsc.assemble_vector(dolfinx.fem.form(ufl.inner(fh, v) * ufl.dx))
        out = np.array(vec.array, copy=True)
        vec.destroy()
        return out

    def l2_error(self, u: np.ndarray, exact: Field) -> float:
        """``‖u_h − exact‖_L2`` with ``exact`` interpolated at degree ``p + 3``."""
        import dolfinx.fem
        import ufl

        uh = dolfinx.fem.Function(self._V)
        uh.x.array[:] = u
        ue = self._function(exact, self._degree + 3)
        measure = ufl.dx(metadata={"quadrature_degree": 2 * self._degree + 6})
        form = dolfinx.fem.form(ufl.inner(uh - ue, uh - ue) * measure)
        return float(np.sqrt(abs(dolfinx.fem.assemble_scalar(form))))
