"""Second-order-in-time FEM problems ``M ü + C u̇ + K u = f(t)``.

:class:`WaveProblem` (scalar wave equation) and :class:`ElastodynamicsProblem`
(linear elasticity, plane strain in 2-D or 3-D) assemble ``M`` and ``K`` once;
loads are sums of separable :class:`Source` terms ``field(x) * signal(t)``
assembled once as vectors. Dirichlet dofs are held at prescribed values
(zero, or a history given to the integrator).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from gpu.errors import ConfigError, InputError
from solvers.fem._backend import Field
from solvers.fem.mesh import Mesh, Predicate
from solvers.fem.space import FunctionSpace

__all__ = [
    "ElastodynamicsProblem",
    "Problem",
    "Source",
    "WaveProblem",
    "gaussian_source",
    "lame",
    "ricker",
]

Signal = Callable[[float], float]
_P = TypeVar("_P", bound="Problem")


@dataclass(frozen=True)
class Source:
    """A separable load ``field(x) * signal(t)``.

    Parameters
    ----------
    field : callable
        ``field(x)`` for ``x`` of shape ``(dim, ...)``, returning ``(ncomp, ...)``
        [N/m^dim for elasticity, 1/s^2 for the wave equation].
    signal : callable
        ``signal(t)`` -> float, dimensionless.
    """

    field: Field
    signal: Signal


def ricker(f0: float, t0: float | None = None, amplitude: float = 1.0) -> Signal:
    """The Ricker wavelet ``A (1 - 2 a) exp(-a)``, ``a = (π f0 (t - t0))^2``.

    Parameters
    ----------
    f0 : float
        Peak frequency [Hz].
    t0 : float, optional
        Time of the peak [s]; ``1.2 / f0`` by default (the signal starts near zero).
    amplitude : float
        Peak value.
    """
    if not f0 > 0:
        raise ConfigError(f"the Ricker peak frequency must be positive, got {f0!r}")
    delay = 1.2 / f0 if t0 is None else t0

    def signal(t: float) -> float:
        a = (np.pi * f0 * (t - delay)) ** 2
        return float(amplitude * (1.0 - 2.0 * a) * np.exp(-a))

    return signal


def gaussian_source(
    center: Sequence[float], width: float, direction: Sequence[float], signal: Signal
) -> Source:
    """A Gaussian point source ``direction * exp(-|x - center|^2 / (2 width^2)) * signal(t)``.

    ``direction`` has one entry per component (``[1.0]`` for a scalar problem).
    """
    if not width > 0:
        raise ConfigError(f"the source width must be positive, got {width!r}")
    c = np.asarray(center, dtype=float)
    d = np.asarray(direction, dtype=float)

    def field(x: np.ndarray) -> np.ndarray:
        r2 = sum((x[i] - c[i]) ** 2 for i in range(len(c)))
        g = np.exp(-r2 / (2.0 * width**2))
        return np.stack([di * g for di in d])

    return Source(field, signal)


def lame(young: float, poisson: float) -> tuple[float, float]:
    """Lamé parameters ``(λ, μ)`` [Pa] from Young's modulus [Pa] and Poisson's ratio.

    Raises
    ------
    ConfigError
        ``young <= 0`` or ``poisson`` outside ``(-1, 0.5)``.
    """
    if not (np.isfinite(young) and young > 0):
        raise ConfigError(f"Young's modulus E must be positive, got {young!r}")
    if not (-1.0 < poisson < 0.5):
        raise ConfigError(
            f"Poisson's ratio must lie in (-1, 0.5), got {poisson!r} (0.5 is incompressible)"
        )
    mu = young / (2.0 * (1.0 + poisson))
    lam = young * poisson / ((1.0 + poisson) * (1.0 - 2.0 * poisson))
    return lam, mu


class Problem:
    """``M ü + C u̇ + K u = Σ b_i s_i(t)`` with Dirichlet dofs; built by the subclasses.

    Attributes
    ----------
    space : FunctionSpace
    M, K : scipy.sparse.csr_matrix
        Mass and stiffness in the neutral dof order.
    fixed : ndarray of int
        Dirichlet dofs (sorted).
    rayleigh : tuple of float
        ``(a, b)`` of the damping ``C = a M + b K``.
    """

    kind = ""
    units = ""

    def __init__(
        self,
        space: FunctionSpace,
        mass: sp.csr_matrix,
        stiffness: sp.csr_matrix,
        *,
        fixed: str | Predicate | None,
        sources: Sequence[Source],
        rayleigh: tuple[float, float],
    ) -> None:
        if len(rayleigh) != 2 or min(rayleigh) < 0 or not np.isfinite(rayleigh).all():
            raise ConfigError(f"rayleigh must be two non-negative numbers (a, b), got {rayleigh!r}")
        self.space = space
        self.M = mass
        self.K = stiffness
        self.rayleigh = (float(rayleigh[0]), float(rayleigh[1]))
        nodes = (
            np.empty(0, dtype=np.int64)
            if fixed is None
            else space.boundary_nodes(None if fixed == "all" else fixed)
        )
        self.fixed = space.dofs(nodes)
        self.sources = tuple(sources)
        self._loads = [space.load(s.field) for s in self.sources]

    def with_sources(self: _P, sources: Sequence[Source]) -> _P:
        """A copy sharing the matrices, with other sources (the matrices are not reassembled)."""
        out = copy.copy(self)
        out.sources = tuple(sources)
        out._loads = [self.space.load(s.field) for s in out.sources]
        return out

    @cached_property
    def free(self) -> np.ndarray:
        """Dofs that are not Dirichlet dofs."""
        mask = np.ones(self.space.ndofs, dtype=bool)
        mask[self.fixed] = False
        return np.flatnonzero(mask)

    @cached_property
    def lumped_mass(self) -> np.ndarray:
        """Row-sum lumped mass matrix (its diagonal), for explicit time stepping.

        Raises
        ------
        ConfigError
            A non-positive entry (P2 elements).
        """
        lumped = np.asarray(self.M.sum(axis=1)).ravel()
        if (lumped <= 0).any():
            raise ConfigError(
                "the row-sum lumped mass is not positive (P2 elements): "
                "use P1 for CentralDifference, or Newmark"
            )
        return lumped

    @cached_property
    def critical_time_step(self) -> float:
        """CFL limit ``2 / sqrt(λ_max)`` [s] of central differences, ``K φ = λ M_L φ``.

        ``λ_max`` on the free dofs by Lanczos to a relative accuracy of 1e-4,
        rounded up by that much, so the limit errs on the safe side.
        """
        fr = self.free
        d = sp.diags(1.0 / np.sqrt(self.lumped_mass[fr]))
        tol = 1e-4
        lam = spla.eigsh(
            d @ self.K[fr][:, fr] @ d, k=1, which="LA", return_eigenvectors=False, tol=tol
        )
        return float(2.0 / np.sqrt(lam[0] * (1.0 + tol)))

    @property
    def damped(self) -> bool:
        """Whether Rayleigh damping is on."""
        return self.rayleigh != (0.0, 0.0)

    def force(self, t: float) -> np.ndarray:
        """The load vector at time ``t``."""
        f = np.zeros(self.space.ndofs)
        for b, s in zip(self._loads, self.sources, strict=True):
            f += s.signal(t) * b
        return f

    def energy(self, u: np.ndarray, v: np.ndarray) -> float:
        """Kinetic plus strain energy ``½ v·Mv + ½ u·Ku``."""
        return 0.5 * float(v @ (self.M @ v) + u @ (self.K @ u))


class WaveProblem(Problem):
    """The scalar wave equation ``u_tt = c^2 Δu + f`` (unit density).

    Parameters
    ----------
    mesh : Mesh
    degree : {1, 2}
    speed : float
        Wave speed ``c`` [m/s].
    fixed : str, callable or None
        Dirichlet boundary: ``"all"`` (default), a tag, a predicate on
        coordinates, or ``None`` (natural boundary everywhere).
    sources : sequence of Source
    rayleigh : (float, float)
        Rayleigh damping ``C = a M + b K``.
    backend : {"skfem", "dolfinx"}
    """

    kind = "wave"
    units = "m"

    def __init__(
        self,
        mesh: Mesh,
        degree: int = 1,
        *,
        speed: float = 1.0,
        fixed: str | Predicate | None = "all",
        sources: Sequence[Source] = (),
        rayleigh: tuple[float, float] = (0.0, 0.0),
        backend: str = "skfem",
    ) -> None:
        if not (np.isfinite(speed) and speed > 0):
            raise ConfigError(f"the wave speed must be positive, got {speed!r}")
        self.speed = float(speed)
        space = FunctionSpace(mesh, degree, 1, backend)
        super().__init__(
            space,
            space.mass(),
            speed**2 * space.laplace(),
            fixed=fixed,
            sources=sources,
            rayleigh=rayleigh,
        )

    def restricted(self, mesh: Mesh, cells: np.ndarray | None = None) -> WaveProblem:
        """The same problem on ``mesh`` with its whole boundary as Dirichlet boundary.

        ``cells`` (this mesh's cell of each cell of ``mesh``) is unused: the
        speed is uniform.
        """
        return WaveProblem(
            mesh,
            self.space.degree,
            speed=self.speed,
            sources=self.sources,
            rayleigh=self.rayleigh,
            backend=self.space.backend,
        )


class ElastodynamicsProblem(Problem):
    """Linear elastodynamics ``ρ ü = div σ(u) + f``, plane strain in 2-D or 3-D.

    Parameters
    ----------
    mesh : Mesh
    degree : {1, 2}
    young : float or array_like
        Young's modulus ``E`` [Pa], positive: one value, or one per cell
        (e.g. a log-normal random field, :meth:`KarhunenLoeve.cell_values`).
    poisson : float
        Poisson's ratio ``ν`` in (-1, 0.5).
    density : float
        ``ρ`` [kg/m^3], positive.
    fixed, sources, rayleigh, backend
        As in :class:`WaveProblem`; sources give force densities [N/m^3].
    """

    kind = "elastodynamics"
    units = "m"

    def __init__(
        self,
        mesh: Mesh,
        degree: int = 1,
        *,
        young: float | np.ndarray = 1.0,
        poisson: float = 0.25,
        density: float = 1.0,
        fixed: str | Predicate | None = "all",
        sources: Sequence[Source] = (),
        rayleigh: tuple[float, float] = (0.0, 0.0),
        backend: str = "skfem",
    ) -> None:
        e = np.asarray(young, dtype=float)
        if e.ndim != 0 and e.shape != (len(mesh.cells),):
            raise ConfigError(
                f"Young's modulus needs one value or one per cell ({len(mesh.cells)}), "
                f"got shape {e.shape}"
            )
        if not (np.isfinite(e).all() and (e > 0).all()):
            raise ConfigError(f"Young's modulus E must be positive, got min {e.min()!r}")
        # λ and μ are proportional to E at fixed ν
        lam1, mu1 = lame(1.0, poisson)
        if not (np.isfinite(density) and density > 0):
            raise ConfigError(f"the density must be positive, got {density!r}")
        self.young: float | np.ndarray = float(e) if e.ndim == 0 else e.copy()
        self.poisson, self.density = float(poisson), float(density)
        self.lam: float | np.ndarray = lam1 * self.young
        self.mu: float | np.ndarray = mu1 * self.young
        lam, mu = self.lam, self.mu
        space = FunctionSpace(mesh, degree, mesh.dim, backend)
        super().__init__(
            space,
            density * space.mass(),
            space.elasticity(lam, mu),
            fixed=fixed,
            sources=sources,
            rayleigh=rayleigh,
        )

    def restricted(self, mesh: Mesh, cells: np.ndarray | None = None) -> ElastodynamicsProblem:
        """The same problem on ``mesh`` with its whole boundary as Dirichlet boundary.

        ``cells`` gives this mesh's cell containing each cell of ``mesh``;
        a per-cell Young's modulus needs it.
        """
        young = self.young
        if isinstance(young, np.ndarray):
            if cells is None:
                raise ConfigError("restricting a per-cell Young's modulus needs the parent cells")
            young = young[cells]
        return ElastodynamicsProblem(
            mesh,
            self.space.degree,
            young=young,
            poisson=self.poisson,
            density=self.density,
            sources=self.sources,
            rayleigh=self.rayleigh,
            backend=self.space.backend,
        )


def check_history(problem: Problem, history: np.ndarray, n_times: int) -> np.ndarray:
    """Check a Dirichlet history of shape ``(n_times, len(problem.fixed))``."""
    history = np.asarray(history, dtype=float)
    expected = (n_times, len(problem.fixed))
    if history.shape != expected:
        raise InputError(
            f"the Dirichlet history has shape {history.shape}, expected {expected} "
            "(times, Dirichlet dofs)"
        )
    if not np.isfinite(history).all():
        raise InputError("the Dirichlet history contains NaN or infinite values")
    return history
