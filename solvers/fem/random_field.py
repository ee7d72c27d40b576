"""Gaussian random fields by a truncated Karhunen–Loève expansion on mesh nodes.

A zero-mean Gaussian field with covariance ``C(x, y) = σ² ρ(|x - y| / ℓ)`` is
``g(x) = Σ_k sqrt(λ_k) ξ_k φ_k(x)`` with ``ξ_k`` independent standard
normals and ``(λ_k, φ_k)`` the eigenpairs of the covariance operator
``∫ C(x, y) φ(y) dy = λ φ(x)``. Its Galerkin discretization on the P1 space
of the nodes, with mass matrix ``M``, is the generalized symmetric problem
``M C M φ = λ M φ`` (``C`` the kernel at node pairs); the eigenvectors are
``M``-orthonormal. The expansion is truncated at a mode count or at a
fraction of the variance ``Σ λ_k / tr(C M)`` (the discrete ``σ² |D|``).
Between nodes the field is the Nyström extension
``φ_k(x) = Σ_j C(x, x_j) (M φ_k)_j / λ_k``, which equals the eigenvector at
the nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import scipy.linalg as sla
import scipy.special as ss
from scipy.spatial.distance import cdist

from gpu.errors import ConfigError, InputError
from solvers.fem._backend import Field
from solvers.fem.mesh import Mesh
from solvers.fem.space import FunctionSpace

__all__ = ["KERNELS", "KarhunenLoeve", "covariance"]

Kernel = Literal["squared_exponential", "matern"]

#: Covariance kernels by name.
KERNELS: tuple[str, ...] = ("squared_exponential", "matern")


def covariance(
    r: np.ndarray, kernel: Kernel, length: float, sigma: float = 1.0, nu: float = 1.5
) -> np.ndarray:
    """Stationary covariance at distances ``r`` [m].

    Parameters
    ----------
    r : ndarray
        Distances ``|x - y|``.
    kernel : {"squared_exponential", "matern"}
        ``σ² exp(-r² / (2 ℓ²))``, or the Matérn kernel
        ``σ² 2^(1-ν) / Γ(ν) (√(2ν) r / ℓ)^ν K_ν(√(2ν) r / ℓ)``
        (``ν = ½``: the exponential kernel ``σ² exp(-r / ℓ)``).
    length : float
        Correlation length ``ℓ`` [m].
    sigma : float
        Standard deviation ``σ``.
    nu : float
        Matérn smoothness ``ν``.
    """
    r = np.asarray(r, dtype=float)
    if kernel == "squared_exponential":
        return np.asarray(sigma**2 * np.exp(-0.5 * (r / length) ** 2))
    if kernel == "matern":
        s = np.sqrt(2.0 * nu) * r / length
        with np.errstate(invalid="ignore"):
            c = 2.0 ** (1.0 - nu) / ss.gamma(nu) * s**nu * ss.kv(nu, s)
        return np.asarray(sigma**2 * np.where(s > 0, c, 1.0))
    raise ConfigError(f"unknown covariance kernel {kernel!r}: choose from {', '.join(KERNELS)}")


class KarhunenLoeve:
    """A truncated Karhunen–Loève expansion of a zero-mean Gaussian field.

    Parameters
    ----------
    points : ndarray, shape (n, dim)
        Node coordinates [m] (any dimension).
    mass : ndarray or sparse matrix, shape (n, n)
        Mass matrix of the P1 space on those nodes (the quadrature weights).
    kernel, length, sigma, nu
        The covariance, see :func:`covariance`.
    modes : int, optional
        Number of modes kept.
    energy : float, optional
        Keep the fewest modes whose variance fraction reaches ``energy`` (in
        (0, 1]); with ``modes`` too, the smaller count wins. By default 0.95.

    Attributes
    ----------
    eigenvalues : ndarray, shape (nmodes,)
        ``λ_k``, decreasing.
    modes : ndarray, shape (n, nmodes)
        ``φ_k`` at the nodes, ``M``-orthonormal.
    energy_fraction : float
        Variance fraction kept, ``Σ λ_k / tr(C M)``.

    Raises
    ------
    ConfigError
        A non-positive length or σ, an unknown kernel, ``modes < 1`` or
        ``energy`` outside (0, 1].
    """

    def __init__(
        self,
        points: np.ndarray,
        mass: np.ndarray,
        *,
        kernel: Kernel = "squared_exponential",
        length: float,
        sigma: float = 1.0,
        nu: float = 1.5,
        modes: int | None = None,
        energy: float | None = None,
    ) -> None:
        for name, value in (("length", length), ("sigma", sigma), ("nu", nu)):
            if not (np.isfinite(value) and value > 0):
                raise ConfigError(f"the random field's {name} must be positive, got {value!r}")
        if modes is not None and modes < 1:
            raise ConfigError(f"modes must be at least 1, got {modes!r}")
        if energy is None and modes is None:
            energy = 0.95
        if energy is not None and not 0.0 < energy <= 1.0:
            raise ConfigError(f"energy must lie in (0, 1], got {energy!r}")
        self.points = np.asarray(points, dtype=float).reshape(len(points), -1)
        m = np.asarray(mass.toarray() if hasattr(mass, "toarray") else mass, dtype=float)
        if m.shape != (len(self.points),) * 2:
            raise InputError(f"the mass matrix has shape {m.shape}, expected {len(self.points)}^2")
        self.kernel, self.length, self.sigma, self.nu = kernel, float(length), float(sigma), nu
        c = self._kernel(self.points, self.points)
        lam, phi = sla.eigh(m @ c @ m, m)
        lam, phi = lam[::-1], phi[:, ::-1]
        fraction = np.cumsum(lam) / np.trace(c @ m)
        # smooth kernels leave eigenvalues at round-off level (some negative): never kept
        keep = int(np.sum(lam > 1e-12 * lam[0]))
        if modes is not None:
            keep = min(int(modes), keep)
        if energy is not None:
            keep = min(keep, int(np.searchsorted(fraction, energy * (1 - 1e-12))) + 1)
        self.eigenvalues = lam[:keep]
        self.modes = phi[:, :keep]
        self.energy_fraction = float(fraction[keep - 1])
        # Nyström weights: g(x) = Σ_j C(x, x_j) w_j with w = M Φ ξ / sqrt(λ)
        self._extension = m @ self.modes / np.sqrt(self.eigenvalues)

    @classmethod
    def on_mesh(
        cls,
        mesh: Mesh,
        *,
        kernel: Kernel = "squared_exponential",
        length: float,
        sigma: float = 1.0,
        nu: float = 1.5,
        modes: int | None = None,
        energy: float | None = None,
        backend: str = "skfem",
    ) -> KarhunenLoeve:
        """The expansion on a mesh's vertices, with the P1 mass matrix of ``backend``.

        The other parameters are those of the constructor.
        """
        space = FunctionSpace(mesh, 1, 1, backend)
        return cls(
            space.nodes,
            space.mass(),
            kernel=kernel,
            length=length,
            sigma=sigma,
            nu=nu,
            modes=modes,
            energy=energy,
        )

    def _kernel(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return covariance(cdist(x, y), self.kernel, self.length, self.sigma, self.nu)

    @property
    def n_modes(self) -> int:
        """Number of modes kept."""
        return len(self.eigenvalues)

    def coefficients(self, rng: np.random.Generator) -> np.ndarray:
        """Independent standard normal ``ξ_k`` drawn from ``rng``, shape (nmodes,)."""
        return rng.standard_normal(self.n_modes)

    def nodal(self, xi: np.ndarray) -> np.ndarray:
        """The field at the nodes for coefficients ``xi``.

        Shape (n,) for ``xi`` of shape (nmodes,), (n, s) for (nmodes, s).
        """
        xi = self._check(xi)
        scale = np.sqrt(self.eigenvalues)
        return np.asarray(self.modes @ (scale * xi if xi.ndim == 1 else scale[:, None] * xi))

    def evaluate(self, xi: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The field at points ``x`` of shape ``(dim, ...)`` (Nyström extension).

        ``xi`` has shape (nmodes,); the result has shape ``x.shape[1:]``.
        """
        xi = self._check(xi)
        if xi.ndim != 1:
            raise InputError("evaluate takes one coefficient vector of shape (n_modes,)")
        x = np.asarray(x, dtype=float)
        flat = x.reshape(x.shape[0], -1).T
        return (self._kernel(flat, self.points) @ (self._extension @ xi)).reshape(x.shape[1:])

    def field(self, xi: np.ndarray, direction: Sequence[float] = (1.0,)) -> Field:
        """A :class:`~solvers.fem.problems.Source` field ``direction * g(x)``."""
        d = np.asarray(direction, dtype=float)

        def values(x: np.ndarray) -> np.ndarray:
            g = self.evaluate(xi, x)
            return np.stack([di * g for di in d])

        return values

    def cell_values(self, xi: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """The cell means of the P1 interpolant (vertex average), shape (ncells,)."""
        return np.asarray(self.nodal(xi)[np.asarray(cells)].mean(axis=1))

    def _check(self, xi: np.ndarray) -> np.ndarray:
        xi = np.asarray(xi, dtype=float)
        if xi.ndim not in (1, 2) or xi.shape[0] != self.n_modes:
            raise InputError(
                f"the coefficients have shape {xi.shape}, expected ({self.n_modes},) "
                "or (n_modes, samples)"
            )
        return xi
