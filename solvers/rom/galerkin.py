"""POD-Galerkin reduced models of a linear parametric problem.

:class:`MovingSourceProblem` is steady advection–diffusion on ``[0, 1]``
with homogeneous Dirichlet ends and a Gaussian source of varying position
and strength, discretized with P1 finite elements (scikit-fem):

    -nu u'' + b u' = s exp(-(x - x0)^2 / (2 sigma^2)),    u(0) = u(1) = 0,

with parameters ``mu = (nu, x0, s)`` (diffusivity, position, strength) and
the load ``f(mu) = M I_h g(mu)`` (mass matrix times the nodal interpolant of
the source). The operator is affine, ``A(mu) = nu K + b C``, so a reduced
model with basis ``V`` (``N`` orthonormal rows on the interior nodes)
precomputes ``V K V^T``, ``V C V^T`` and ``V M`` once, and each online solve
costs ``O(N n + N^3)`` instead of a sparse factorization of size ``n``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy.sparse.linalg import spsolve

from gpu._optional import require
from gpu.errors import ConfigError, InputError
from solvers.rom._snapshots import make_snapshots
from solvers.rom.local import LocalBases
from solvers.rom.pod import basis_matrix

__all__ = ["GalerkinROM", "MovingSourceProblem"]

#: Parameter names in the order the problem takes them (sorted, as LocalBases reads them).
PARAMETERS = ("diffusivity", "position", "strength")


class MovingSourceProblem:
    """Full-order P1 model of 1-D advection–diffusion with a moving Gaussian source.

    Parameters
    ----------
    n_elements : int
        Elements of the uniform mesh of [0, 1].
    velocity : float
        Advection speed ``b``.
    source_width : float
        Standard deviation ``sigma`` of the source.

    Attributes
    ----------
    x : numpy.ndarray
        Node positions.
    interior : numpy.ndarray of int
        Indices of the free (non-Dirichlet) nodes.
    """

    def __init__(self, n_elements: int = 400, velocity: float = 1.0, source_width: float = 0.02):
        if n_elements < 4 or source_width <= 0.0:
            raise ConfigError("n_elements must be >= 4 and source_width > 0")
        skfem = require("skfem", "the POD-Galerkin model problem")
        from skfem.helpers import dot, grad

        mesh = skfem.MeshLine(np.linspace(0.0, 1.0, n_elements + 1))
        basis = skfem.Basis(mesh, skfem.ElementLineP1())

        @skfem.BilinearForm
        def stiffness(u: Any, v: Any, _: Any) -> Any:
            return dot(grad(u), grad(v))

        @skfem.BilinearForm
        def advection(u: Any, v: Any, _: Any) -> Any:
            return u.grad[0] * v

        @skfem.BilinearForm
        def mass(u: Any, v: Any, _: Any) -> Any:
            return u * v

        self.velocity = float(velocity)
        self.source_width = float(source_width)
        self.x = np.asarray(mesh.p[0])
        self.interior = basis.complement_dofs(basis.get_dofs())
        inner = np.ix_(self.interior, self.interior)
        self.stiffness = stiffness.assemble(basis).tocsr()[inner]
        self.advection = advection.assemble(basis).tocsr()[inner]
        full_mass = mass.assemble(basis).tocsr()
        self.mass = full_mass
        self.load_map = full_mass[self.interior]

    @property
    def n_nodes(self) -> int:
        """Number of mesh nodes (the dof count of snapshots)."""
        return int(self.x.size)

    def _check(self, parameters: Any) -> np.ndarray:
        p = np.atleast_2d(np.asarray(parameters, dtype=float))
        if p.shape[1] != 3 or not np.all(np.isfinite(p)) or np.any(p[:, 0] <= 0):
            raise InputError(
                f"parameters must be rows (diffusivity > 0, position, strength), got shape "
                f"{p.shape}"
            )
        return p

    def source(self, parameters: Any) -> np.ndarray:
        """Nodal source values, one row per parameter point."""
        p = self._check(parameters)
        return p[:, 2:3] * np.exp(
            -((self.x[None, :] - p[:, 1:2]) ** 2) / (2 * self.source_width**2)
        )

    def solve(self, parameters: Any) -> np.ndarray:
        """Full-order solutions on all nodes, one row per parameter point."""
        p = self._check(parameters)
        loads = self.load_map @ self.source(p).T
        out = np.zeros((len(p), self.n_nodes))
        for i, (nu, *_rest) in enumerate(p):
            matrix = (nu * self.stiffness + self.velocity * self.advection).tocsc()
            out[i, self.interior] = spsolve(matrix, loads[:, i])
        return out

    def snapshots(self, parameters: Any) -> xr.DataArray:
        """Full-order solutions as a snapshot DataArray with the parameters as coordinates."""
        p = self._check(parameters)
        da = make_snapshots(
            self.solve(p), dict(zip(PARAMETERS, p.T, strict=True)), long_name="temperature"
        )
        return da.assign_coords(x=("node", self.x, {"units": "1", "long_name": "position"}))

    def sample_parameters(
        self,
        n: int,
        rng: np.random.Generator,
        diffusivity: tuple[float, float] = (0.01, 0.05),
        position: tuple[float, float] = (0.1, 0.9),
        strength: tuple[float, float] = (0.1, 3.0),
    ) -> np.ndarray:
        """``n`` parameter points: uniform diffusivity and position, log-uniform strength."""
        return np.column_stack(
            [
                rng.uniform(*diffusivity, size=n),
                rng.uniform(*position, size=n),
                np.exp(rng.uniform(np.log(strength[0]), np.log(strength[1]), size=n)),
            ]
        )


class GalerkinROM:
    """POD-Galerkin reduced model of a :class:`MovingSourceProblem`.

    Parameters
    ----------
    problem : MovingSourceProblem
        The full-order model.
    basis : LocalBases, xarray.Dataset, xarray.DataArray or array_like
        One global basis (a :func:`~solvers.rom.pod` result, a ``(mode, node)``
        DataArray or modes as rows over all nodes) or fitted
        :class:`LocalBases` on snapshots carrying the problem's parameters,
        whose k-NN classifier picks the basis of each parameter point. Mode
        values on the Dirichlet nodes are ignored.
    select : {"parameters", "residual"}
        How local bases are chosen: by the k-NN classifier on the parameters,
        or a posteriori, solving in every local basis and keeping the smallest
        full-order residual ``|A(mu) V^T c - f(mu)|`` (K reduced solves and
        sparse products, no full factorization).

    Raises
    ------
    InputError
        A basis with the wrong dof count.
    ConfigError
        Unknown ``select``.
    """

    def __init__(
        self,
        problem: MovingSourceProblem,
        basis: Any,
        select: Literal["parameters", "residual"] = "parameters",
    ):
        if select not in ("parameters", "residual"):
            raise ConfigError(f"select must be 'parameters' or 'residual', got {select!r}")
        self.problem = problem
        self.select = select
        self.local = basis if isinstance(basis, LocalBases) else None
        if self.local is not None:
            if self.local.n_dofs_ != problem.n_nodes:
                raise InputError(
                    f"the local bases have {self.local.n_dofs_} dofs, the problem "
                    f"{problem.n_nodes} nodes"
                )
            raw = self.local.bases_
        else:
            raw = [basis_matrix(basis, problem.n_nodes)[0]]
        self._reduced = [self._reduce(v) for v in raw]

    def _reduce(self, modes: np.ndarray) -> tuple[np.ndarray, ...]:
        q, _ = np.linalg.qr(modes[:, self.problem.interior].T)
        v = q.T
        k_r = v @ (self.problem.stiffness @ v.T)
        c_r = v @ (self.problem.advection @ v.T)
        load_r = np.asarray(self.problem.load_map.T @ v.T).T
        return v, k_r, c_r, load_r

    @property
    def n_modes(self) -> int:
        """Online dimension ``N``."""
        return int(self._reduced[0][0].shape[0])

    def solve(self, parameters: Any) -> np.ndarray:
        """Reduced solutions, lifted to all nodes, one row per parameter point."""
        p = self.problem._check(parameters)
        if self.local is None or self.select == "residual":
            labels = np.zeros(len(p), dtype=int)
        else:
            labels = self.local.assign_parameters(p)
        sources = self.problem.source(p)
        out = np.zeros((len(p), self.problem.n_nodes))
        for i, (nu, *_rest) in enumerate(p):
            if self.local is not None and self.select == "residual":
                candidates = [self._solve_in(j, nu, sources[i]) for j in range(len(self._reduced))]
                load = self.problem.load_map @ sources[i]
                operator = (
                    nu * self.problem.stiffness + self.problem.velocity * self.problem.advection
                )
                residuals = [np.linalg.norm(operator @ u - load) for u in candidates]
                out[i, self.problem.interior] = candidates[int(np.argmin(residuals))]
            else:
                out[i, self.problem.interior] = self._solve_in(int(labels[i]), nu, sources[i])
        return out

    def _solve_in(self, cluster: int, nu: float, source: np.ndarray) -> np.ndarray:
        v, k_r, c_r, load_r = self._reduced[cluster]
        coef = np.linalg.solve(nu * k_r + self.problem.velocity * c_r, load_r @ source)
        return np.asarray(coef @ v)

    def compare(self, parameters: Sequence[Sequence[float]] | np.ndarray) -> xr.Dataset:
        """Full and reduced solutions side by side, with errors and wall times.

        Returns
        -------
        xarray.Dataset
            ``full`` and ``rom`` (``snapshot``, ``node``), ``error`` (relative,
            per snapshot), attrs ``full_seconds`` and ``rom_seconds``.
        """
        p = self.problem._check(parameters)
        start = time.perf_counter()
        full = self.problem.solve(p)
        full_seconds = time.perf_counter() - start
        start = time.perf_counter()
        rom = self.solve(p)
        rom_seconds = time.perf_counter() - start
        error = np.linalg.norm(full - rom, axis=1) / np.linalg.norm(full, axis=1)
        coords = {name: ("snapshot", p[:, i]) for i, name in enumerate(PARAMETERS)}
        field = {"units": "1", "long_name": "temperature"}
        return xr.Dataset(
            {
                "full": (("snapshot", "node"), full, {**field, "long_name": "full-order solution"}),
                "rom": (("snapshot", "node"), rom, {**field, "long_name": "reduced solution"}),
                "error": ("snapshot", error, {"units": "1", "long_name": "relative ROM error"}),
            },
            coords={**coords, "x": ("node", self.problem.x)},
            attrs={
                "full_seconds": full_seconds,
                "rom_seconds": rom_seconds,
                "n_modes": self.n_modes,
            },
        )
