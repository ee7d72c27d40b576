"""The scikit-fem backend (extra ``fem``): the pure-pip default."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from gpu._optional import require
from solvers.fem._backend import Field
from solvers.fem.mesh import Mesh

__all__ = ["SkfemAssembler"]


class SkfemAssembler:
    """Assembly with scikit-fem on P1/P2 Lagrange triangles or tetrahedra.

    Parameters
    ----------
    mesh : Mesh
        The mesh.
    degree : {1, 2}
        Polynomial degree.
    ncomp : int
        1 for a scalar space, ``mesh.dim`` for a vector space.
    """

    def __init__(self, mesh: Mesh, degree: int, ncomp: int) -> None:
        skfem = require("skfem", "finite elements with scikit-fem")
        mesh_cls = skfem.MeshTri if mesh.dim == 2 else skfem.MeshTet
        names = {
            (2, 1): "ElementTriP1",
            (2, 2): "ElementTriP2",
            (3, 1): "ElementTetP1",
            (3, 2): "ElementTetP2",
        }
        element = getattr(skfem, names[mesh.dim, degree])()
        if ncomp > 1:
            element = skfem.ElementVector(element)
        self._skfem = skfem
        self._vector = ncomp > 1
        sk_mesh = mesh_cls(mesh.points.T.copy(), mesh.cells.T.copy(), sort_t=False)
        self._basis = skfem.Basis(sk_mesh, element)
        self._fine = skfem.Basis(sk_mesh, element, intorder=2 * degree + 2)
        self.dof_coords = np.ascontiguousarray(self._basis.doflocs.T)
        component = np.zeros(self._basis.N, dtype=np.int64)
        if self._vector:
            for c, idx in enumerate(self._basis.split_indices()):
                component[idx] = c
        self.dof_component = component

    def _bilinear(self, form: Any) -> sp.csr_matrix:
        return sp.csr_matrix(self._skfem.BilinearForm(form).assemble(self._basis))

    def mass(self) -> sp.csr_matrix:
        """``∫ u · v``."""
        from skfem.helpers import dot

        if self._vector:
            return self._bilinear(lambda u, v, _: dot(u, v))
        return self._bilinear(lambda u, v, _: u * v)

    def laplace(self) -> sp.csr_matrix:
        """``∫ ∇u · ∇v``."""
        from skfem.helpers import dot, grad

        return self._bilinear(lambda u, v, _: dot(grad(u), grad(v)))

    def elasticity(self, lam: float | np.ndarray, mu: float | np.ndarray) -> sp.csr_matrix:
        """``∫ λ div u div v + 2 μ ε(u) : ε(v)``; ``λ``, ``μ`` scalars or one per cell."""
        from skfem.helpers import ddot, sym_grad, trace

        def form(u: Any, v: Any, w: Any) -> Any:
            eu, ev = sym_grad(u), sym_grad(v)
            return w.lam * trace(eu) * trace(ev) + 2.0 * w.mu * ddot(eu, ev)

        shape = (self._basis.nelems, self._basis.X.shape[1])
        per_cell = {
            name: np.broadcast_to(np.asarray(value, dtype=float).reshape(-1, 1), shape)
            for name, value in (("lam", lam), ("mu", mu))
        }
        return sp.csr_matrix(self._skfem.BilinearForm(form).assemble(self._basis, **per_cell))

    def load(self, f: Field) -> np.ndarray:
        """``∫ f · v`` with a quadrature of degree ``2 p + 2``."""
        from skfem.helpers import dot

        if self._vector:
            form = self._skfem.LinearForm(lambda v, w: dot(np.asarray(f(w.x)), v))
        else:
            form = self._skfem.LinearForm(lambda v, w: np.asarray(f(w.x))[0] * v)
        return np.asarray(form.assemble(self._fine))

    def l2_error(self, u: np.ndarray, exact: Field) -> float:
        """``‖u_h − exact‖_L2`` with a quadrature of degree ``2 p + 2``."""

        def form(w: Any) -> Any:
            diff = np.asarray(w.uh) - (np.asarray(exact(w.x)) if self._vector else exact(w.x)[0])
            return (diff**2).sum(axis=0) if self._vector else diff**2

        value = self._skfem.Functional(form).assemble(self._fine, uh=self._fine.interpolate(u))
        return float(np.sqrt(value))
