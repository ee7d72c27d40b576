"""The protocol every FEM backend implements, and the registry of backends.

A backend assembles on a :class:`~solvers.fem.mesh.Mesh` in its own degree-of-
freedom order and reports where each of its dofs sits (coordinates and vector
component); :class:`~solvers.fem.space.FunctionSpace` maps that order onto the
backend-neutral one, so everything above this module is backend-agnostic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from gpu.errors import ConfigError
from solvers.fem.mesh import Mesh

__all__ = ["BACKENDS", "Assembler", "Field", "make_assembler"]

#: A field of coordinates: ``x`` of shape ``(dim, ...)`` -> values ``(ncomp, ...)``.
Field = Callable[[np.ndarray], np.ndarray]

#: FEM backends by name.
BACKENDS: tuple[str, ...] = ("skfem", "dolfinx")


class Assembler(Protocol):
    """Assembly on one Lagrange space, in the backend's own dof order."""

    dof_coords: np.ndarray
    """Coordinates of each dof, shape ``(ndofs, dim)``."""
    dof_component: np.ndarray
    """Vector component of each dof, shape ``(ndofs,)`` (zeros for a scalar space)."""

    def mass(self) -> sp.csr_matrix:
        """``∫ u · v``."""
        ...

    def laplace(self) -> sp.csr_matrix:
        """``∫ ∇u : ∇v`` (scalar spaces)."""
        ...

    def elasticity(self, lam: float | np.ndarray, mu: float | np.ndarray) -> sp.csr_matrix:
        """``∫ λ div u div v + 2 μ ε(u) : ε(v)`` (vector spaces); scalars or one per cell."""
        ...

    def load(self, f: Field) -> np.ndarray:
        """``∫ f · v`` for a field ``f``."""
        ...

    def l2_error(self, u: np.ndarray, exact: Field) -> float:
        """``‖u_h − exact‖_L2`` for dof values ``u`` in this backend's order."""
        ...


def make_assembler(backend: str, mesh: Mesh, degree: int, ncomp: int) -> Assembler:
    """Build the assembler of ``backend`` for P``degree`` with ``ncomp`` components.

    Raises
    ------
    ConfigError
        An unknown backend name.
    MissingExtra
        The backend's library is not installed.
    """
    if backend == "skfem":
        from solvers.fem._skfem import SkfemAssembler

        return SkfemAssembler(mesh, degree, ncomp)
    if backend == "dolfinx":
        from solvers.fem._dolfinx import DolfinxAssembler

        return DolfinxAssembler(mesh, degree, ncomp)
    raise ConfigError(f"unknown FEM backend {backend!r}: choose from {', '.join(BACKENDS)}")
