"""Fixed-step classical Runge–Kutta (RK4) for batches.

The batch advances ``substeps`` steps of size ``dt_out / substeps`` between
output points. Members whose state leaves the finite range (non-finite or
above ``max_abs``) are flagged ``DIVERGED`` and read NaN from then on; the
others are unaffected.

* NumPy / CuPy: vectorized over members, one array expression per stage.
* numba: a kernel generated for the state dimension, members in the innermost loop.
* JAX: ``lax.fori_loop`` steps inside a ``lax.scan`` over output points.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError
from gpu.ode._common import array_function, prepare
from gpu.ode._numba import rk4_kernel
from gpu.ode.problem import BatchedRHS, OdeSolution, Status

__all__ = ["rk4"]


def _rk4_step(f: Any, y: Any, t: Any, h: Any, p: Any) -> Any:
    k1 = f(y, t, p)
    k2 = f(y + 0.5 * h * k1, t + 0.5 * h, p)
    k3 = f(y + 0.5 * h * k2, t + 0.5 * h, p)
    k4 = f(y + h * k3, t + h, p)
    return y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def _array_rk4(
    xp: Any,
    f: Any,
    y0: Any,
    t0: Any,
    dt_out: Any,
    n_out: int,
    substeps: int,
    p: Any,
    max_abs: float,
) -> tuple[Any, Any]:
    dim, members = y0.shape
    out = xp.empty((n_out, dim, members), dtype=y0.dtype)
    out[0] = y0
    h = dt_out / substeps
    alive = xp.ones(members, dtype=bool)
    y = y0
    for k in range(1, n_out):
        for s in range(substeps):
            y = _rk4_step(f, y, t0 + ((k - 1) * substeps + s) * h, h, p)
        alive = alive & (xp.max(xp.abs(y), axis=0) <= max_abs)
        out[k] = xp.where(alive, y, xp.nan)
    status = xp.where(alive, int(Status.SUCCESS), int(Status.DIVERGED)).astype(xp.int8)
    return out, status


@cache
def _jax_compiled(f: Any, n_out: int, substeps: int) -> Any:
    import jax
    import jax.numpy as jnp

    def run(y0: Any, t0: Any, dt_out: Any, p: Any, max_abs: Any) -> tuple[Any, Any]:
        h = dt_out / substeps

        def interval(carry: tuple[Any, Any], k: Any) -> tuple[tuple[Any, Any], Any]:
            y, alive = carry

            def step(s: Any, y: Any) -> Any:
                return _rk4_step(f, y, t0 + ((k - 1) * substeps + s) * h, h, p)

            y = jax.lax.fori_loop(0, substeps, step, y)
            alive = alive & (jnp.max(jnp.abs(y), axis=0) <= max_abs)
            return (y, alive), jnp.where(alive, y, jnp.nan)

        alive0 = jnp.ones(y0.shape[1], dtype=bool)
        (_, alive), ys = jax.lax.scan(interval, (y0, alive0), jnp.arange(1, n_out))
        out = jnp.concatenate([y0[None], ys], axis=0)
        return out, jnp.where(alive, Status.SUCCESS, Status.DIVERGED).astype(jnp.int8)

    return jax.jit(run)


def rk4(
    backend: Backend,
    rhs: BatchedRHS,
    y0: Any,
    *,
    dt_out: Any,
    n_out: int,
    substeps: int = 1,
    t0: Any = 0.0,
    params: Any = None,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Integrate a batch with fixed-step RK4, output every ``substeps`` steps.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    rhs : BatchedRHS
        The right-hand side; needs the form the backend uses.
    y0 : array_like, shape (dim, members) or (dim,)
        Initial states, one column per member.
    dt_out : float or array_like, shape (members,)
        Output spacing of each member (> 0); the step is ``dt_out / substeps``.
    n_out : int
        Number of output points, the initial state included.
    substeps : int
        Steps per output interval (>= 1).
    t0 : float or array_like, shape (members,)
        Start time of each member.
    params : array_like, shape (n_params,) or (n_params, members), optional
        Parameters handed to the right-hand side.
    max_abs : float
        A member whose state exceeds this magnitude is flagged ``DIVERGED``.

    Returns
    -------
    OdeSolution
        States on the output grid with a status per member.

    Raises
    ------
    InputError
        Wrong shapes, non-finite initial states, ``dt_out <= 0``, ``n_out < 1``
        or ``substeps < 1``.
    ConfigError
        A right-hand side without a form for ``backend``.
    """
    y, t, dt, p = prepare(rhs, y0, t0, dt_out, n_out, params)
    if int(substeps) != substeps or substeps < 1:
        raise InputError(f"substeps must be a positive integer, got {substeps}")
    n_out, substeps = int(n_out), int(substeps)
    steps = np.full(y.shape[1], (n_out - 1) * substeps, dtype=np.int64)
    if backend.name == "numba":
        numba_fn = rhs.numba_form()
        if numba_fn is None:
            raise ConfigError(f"{rhs.name}: no numba form of the right-hand side")
        out = np.empty((n_out, *y.shape))
        status = np.zeros(y.shape[1], dtype=np.int8)
        kernel = rk4_kernel(rhs.dim, p.shape[0])
        kernel(numba_fn, y, t, dt, n_out, substeps, p, max_abs, out, status)
        return OdeSolution(out, t, dt, status, steps, "numba")
    f = array_function(rhs, backend)
    xp = backend.xp
    args = (backend.asarray(y), backend.asarray(t), backend.asarray(dt))
    if backend.name == "jax":
        out_j, status_j = _jax_compiled(f, n_out, substeps)(*args, xp.asarray(p), max_abs)
        return OdeSolution(np.asarray(out_j), t, dt, np.asarray(status_j), steps, "jax")
    with np.errstate(all="ignore"):
        out, status = _array_rk4(xp, f, *args, n_out, substeps, backend.asarray(p), max_abs)
    return OdeSolution(backend.to_numpy(out), t, dt, backend.to_numpy(status), steps, backend.name)
