"""Batched stochastic integrators for additive noise: Euler–Maruyama and stochastic Heun.

``dy = f(t, y, p) dt + sigma dW`` with independent Wiener increments per
component and per member. Member ``m`` draws its increments from its own
:class:`numpy.random.Generator`, so a member's path depends only on its
generator, never on the batch it runs in. Euler–Maruyama has strong order 1/2
(order 1 for additive noise); stochastic Heun (the trapezoidal
predictor–corrector) is weak order 2 for additive noise.

Array backends (NumPy, CuPy, JAX) evaluate the drift on the whole batch; the
increments are drawn in host memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError
from gpu.ode._common import array_function, prepare
from gpu.ode.problem import BatchedRHS, OdeSolution, Status

__all__ = ["SDE_METHODS", "sde"]

#: Stochastic methods of :func:`sde`.
SDE_METHODS: tuple[str, ...] = ("euler_maruyama", "heun")


def sde(
    backend: Backend,
    rhs: BatchedRHS,
    y0: Any,
    *,
    sigma: Any,
    dt_out: float,
    n_out: int,
    rngs: Sequence[np.random.Generator],
    substeps: int = 10,
    method: str = "heun",
    t0: float = 0.0,
    params: Any = None,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Integrate ``dy = f dt + sigma dW`` for a batch, output every ``substeps`` steps.

    Parameters
    ----------
    backend : Backend
        Where the drift is evaluated (an array backend: numpy, jax or cupy).
    rhs : BatchedRHS
        The drift.
    y0 : array_like, shape (dim, members) or (dim,)
        Initial states.
    sigma : float or array_like, shape (dim,) or (dim, members)
        Noise amplitude per component (and member), >= 0.
    dt_out : float
        Output spacing (> 0); the step is ``dt_out / substeps``.
    n_out : int
        Number of output points, the initial state included.
    rngs : sequence of numpy.random.Generator
        One per member; member ``m`` draws ``substeps * dim`` normals per
        output interval from ``rngs[m]``.
    substeps : int
        Steps per output interval.
    method : {"euler_maruyama", "heun"}
        The scheme.
    t0 : float
        Start time.
    params : array_like, optional
        Drift parameters, as for :func:`~gpu.ode.rk4`.
    max_abs : float
        A member above this magnitude is flagged ``DIVERGED``.

    Returns
    -------
    OdeSolution

    Raises
    ------
    InputError
        Bad shapes, a negative ``sigma``, or a generator count that differs from the members.
    ConfigError
        Unknown method, or a backend without an array form (numba).
    """
    y, t, dt, p = prepare(rhs, y0, t0, dt_out, n_out, params)
    if method not in SDE_METHODS:
        raise ConfigError(f"method must be one of {', '.join(SDE_METHODS)}, got {method!r}")
    if backend.name == "numba":
        raise ConfigError("the SDE integrators run on array backends (numpy, jax, cupy)")
    if int(substeps) != substeps or substeps < 1:
        raise InputError(f"substeps must be a positive integer, got {substeps}")
    dim, members = y.shape
    sig = np.asarray(sigma, dtype=float)
    if sig.ndim == 1 and sig.shape == (dim,):
        sig = sig[:, None]
    if sig.ndim not in (0, 2) or (sig.ndim == 2 and sig.shape[0] != dim):
        raise InputError(
            f"sigma must be a scalar or have shape (dim,) or (dim, members), got {sig.shape}"
        )
    amplitude = np.broadcast_to(sig, (dim, members))
    if not (np.all(np.isfinite(amplitude)) and np.all(amplitude >= 0)):
        raise InputError("sigma must be finite and >= 0")
    if len(rngs) != members:
        raise InputError(f"rngs must hold one Generator per member ({members}), got {len(rngs)}")
    f = array_function(rhs, backend)
    n_out, substeps = int(n_out), int(substeps)
    h = dt / substeps
    sqrt_h = np.sqrt(h)
    out = np.empty((n_out, dim, members))
    out[0] = y
    state, pp = backend.asarray(y), backend.asarray(p)
    scale = backend.asarray(amplitude * sqrt_h[None, :])
    hh = backend.asarray(h)
    alive = np.ones(members, dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(1, n_out):
            draws = np.stack([g.standard_normal((substeps, dim)) for g in rngs], axis=-1)
            noise = backend.asarray(draws)
            for s in range(substeps):
                time = backend.asarray(t + ((k - 1) * substeps + s) * h)
                kick = scale * noise[s]
                drift = f(state, time, pp)
                if method == "euler_maruyama":
                    state = state + hh * drift + kick
                else:
                    predictor = state + hh * drift + kick
                    state = state + 0.5 * hh * (drift + f(predictor, time + hh, pp)) + kick
            host = backend.to_numpy(state)
            alive &= np.max(np.abs(host), axis=0) <= max_abs
            out[k] = np.where(alive, host, np.nan)
    status = np.where(alive, Status.SUCCESS, Status.DIVERGED).astype(np.int8)
    steps = np.full(members, (n_out - 1) * substeps, dtype=np.int64)
    return OdeSolution(out, t, dt, status, steps, backend.name)
