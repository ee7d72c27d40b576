"""Explicit diffusion on periodic rings, on every backend.

``u[m, j] <- u[m, j] + c (u[m, j-1] - 2 u[m, j] + u[m, j+1])`` with periodic
``j``, for ``steps`` steps: forward Euler on the three-point Laplacian, stable
for ``0 <= c <= 1/2``. NumPy and CuPy run the vectorized expression step by
step; numba compiles the whole loop over explicit indices; JAX compiles it
with ``lax.fori_loop``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import InputError, NumericalInstability

__all__ = ["ring_diffusion"]


def _step(u: Any, coefficient: float, xp: Any) -> Any:
    left = xp.concatenate((u[:, -1:], u[:, :-1]), axis=1)
    right = xp.concatenate((u[:, 1:], u[:, :1]), axis=1)
    return u + coefficient * (left - 2.0 * u + right)


def _loops(u0: np.ndarray, coefficient: float, steps: int) -> np.ndarray:
    members, n = u0.shape
    u = u0.copy()
    new = np.empty_like(u)
    for _ in range(steps):
        for m in range(members):
            new[m, 0] = u[m, 0] + coefficient * (u[m, n - 1] - 2.0 * u[m, 0] + u[m, 1])
            for j in range(1, n - 1):
                new[m, j] = u[m, j] + coefficient * (u[m, j - 1] - 2.0 * u[m, j] + u[m, j + 1])
            new[m, n - 1] = u[m, n - 1] + coefficient * (u[m, n - 2] - 2.0 * u[m, n - 1] + u[m, 0])
        u, new = new, u
    return u


def _fori(u0: Any, coefficient: float, steps: int) -> Any:
    import jax
    import jax.numpy as jnp

    return jax.lax.fori_loop(0, steps, lambda _, u: _step(u, coefficient, jnp), u0)


@cache
def _compiled(backend: Backend) -> Any:
    if backend.name == "numba":
        return backend.jit(_loops)
    return backend.jit(_fori, static_argnums=(1, 2))


def ring_diffusion(backend: Backend, u0: Any, coefficient: float, steps: int) -> np.ndarray:
    """Diffuse each row of ``u0`` on a periodic ring for ``steps`` explicit steps.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    u0 : array_like, shape (members, n)
        Initial fields, one ring per row (``n >= 3``).
    coefficient : float
        ``nu dt / dx^2``; forward Euler is stable for ``0 <= coefficient <= 1/2``.
    steps : int
        Number of time steps (``>= 0``).

    Returns
    -------
    numpy.ndarray
        The fields after ``steps`` steps, in host memory.

    Raises
    ------
    InputError
        If ``u0`` is not 2-D with at least 3 points per ring, or ``steps < 0``.
    NumericalInstability
        If ``coefficient`` is outside the stable range [0, 1/2].
    """
    u = backend.asarray(u0)
    if u.ndim != 2 or u.shape[1] < 3:
        raise InputError(f"u0 must have shape (members, n) with n >= 3, got {tuple(u.shape)}")
    if steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if not 0.0 <= coefficient <= 0.5:
        raise NumericalInstability(
            f"coefficient nu*dt/dx^2 = {coefficient} is outside the stable range [0, 1/2]: "
            "reduce the time step"
        )
    if backend.name in ("numba", "jax"):
        u = _compiled(backend)(u, float(coefficient), int(steps))
    else:
        for _ in range(steps):
            u = _step(u, coefficient, backend.xp)
    return backend.to_numpy(u)
