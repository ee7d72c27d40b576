"""Adaptive Dormand–Prince 5(4) for batches, with per-member step-size control.

Every member carries its own time, step size and error estimate: a stiff or
fast member takes small steps without slowing its neighbours' accuracy, and a
member that leaves the finite range is flagged and frozen instead of stopping
the batch. The solution is written onto each member's uniform output grid
``t0 + k * dt_out`` with the fourth-order continuous extension of the method
(Hairer, Nørsett & Wanner, §II.6), so the output spacing does not constrain
the steps.

* NumPy / CuPy: the whole batch advances in lock step with masked updates.
* numba: each member is integrated on its own in a compiled loop.
* JAX: a one-member ``lax.while_loop`` mapped over members with ``jax.vmap``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError
from gpu.ode._array_adaptive import solve_batch
from gpu.ode._common import array_function, check_tolerances, prepare
from gpu.ode._jax_adaptive import solve_one
from gpu.ode.problem import BatchedRHS, OdeSolution
from gpu.ode.tableaus import DOPRI5

__all__ = ["dopri5"]

_A = np.zeros((7, 7))
for _i, _row in enumerate(DOPRI5.a):
    _A[_i, : len(_row)] = _row
_C = np.asarray(DOPRI5.c)
_E = np.asarray(DOPRI5.e)
_D = np.asarray(DOPRI5.dense)
_FAC_MAX = 10.0  # largest step growth in one step


def _rms(xp: Any, v: Any) -> Any:
    return xp.sqrt(xp.mean(v * v, axis=0))


def _initial_step(
    xp: Any,
    f: Any,
    y: Any,
    t: Any,
    p: Any,
    f0: Any,
    rtol: float,
    atol: float,
    order: int = DOPRI5.order,
) -> Any:
    """Hairer's starting-step heuristic, per member, for a local error of ``O(h^order)``."""
    scale = atol + rtol * xp.abs(y)
    d0 = _rms(xp, y / scale)
    d1 = _rms(xp, f0 / scale)
    h0 = xp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / xp.maximum(d1, 1e-300))
    f1 = f(y + h0 * f0, t + h0, p)
    d2 = _rms(xp, (f1 - f0) / scale) / h0
    dmax = xp.maximum(d1, d2)
    h1 = xp.where(
        dmax <= 1e-15,
        xp.maximum(1e-6, h0 * 1e-3),
        (0.01 / xp.maximum(dmax, 1e-300)) ** (1.0 / order),
    )
    h = xp.minimum(100.0 * h0, h1)
    return xp.where(xp.isfinite(h), h, 1e-6)


def _interpolate(y: Any, y_new: Any, k1: Any, k7: Any, dense: Any, h: Any, theta: Any) -> Any:
    ydiff = y_new - y
    bspl = h * k1 - ydiff
    r4 = ydiff - h * k7 - bspl
    return y + theta * (ydiff + (1.0 - theta) * (bspl + theta * (r4 + (1.0 - theta) * dense)))


def _array_dopri5(
    xp: Any,
    f: Any,
    y0: Any,
    t0: Any,
    dt_out: Any,
    n_out: int,
    p: Any,
    rtol: float,
    atol: float,
    max_steps: int,
    max_abs: float,
) -> tuple[Any, Any, Any]:
    k1 = f(y0, t0, p)
    t_end = t0 + (n_out - 1) * dt_out
    h = xp.minimum(_initial_step(xp, f, y0, t0, p, k1, rtol, atol), t_end - t0)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, k1: Any) -> tuple[Any, ...]:
        ks = [k1]
        for i in range(1, 7):
            increment = sum(_A[i, j] * ks[j] for j in range(i) if _A[i, j] != 0.0)
            ks.append(f(y + h * increment, t + _C[i] * h, p))
        y_new = y + h * sum(_A[6, j] * ks[j] for j in range(6) if _A[6, j] != 0.0)
        k7 = ks[6]
        err_vec = h * sum(_E[j] * ks[j] for j in range(7) if _E[j] != 0.0)
        err = _rms(xp, err_vec / (atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_new))))
        dense = h * sum(_D[j] * ks[j] for j in range(7) if _D[j] != 0.0)
        return (
            y_new,
            err,
            lambda *_: k7,
            lambda theta: _interpolate(y, y_new, k1, k7, dense, h, theta),
        )

    return solve_batch(
        xp, attempt, y0, t0, dt_out, h, k1, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=-1.0 / DOPRI5.order, fac_max=_FAC_MAX,
    )  # fmt: skip


def _jax_solve_one(
    f: Any,
    n_out: int,
    max_steps: int,
    y0: Any,
    t0: Any,
    dt_out: Any,
    p: Any,
    rtol: Any,
    atol: Any,
    max_abs: Any,
) -> tuple[Any, Any, Any]:
    import jax.numpy as jnp

    a = jnp.asarray(_A)
    c = jnp.asarray(_C)
    e = jnp.asarray(_E)
    d = jnp.asarray(_D)
    dim = y0.shape[0]
    k1 = f(y0, t0, p)
    h = _initial_step(jnp, f, y0[:, None], t0, p[:, None], k1[:, None], rtol, atol)[0]
    h = jnp.minimum(h, t0 + (n_out - 1) * dt_out - t0)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, k1: Any) -> tuple[Any, ...]:
        ks = jnp.zeros((7, dim), dtype=y.dtype).at[0].set(k1)
        for s in range(1, 7):
            ks = ks.at[s].set(f(y + h * (a[s, :s] @ ks[:s]), t + c[s] * h, p))
        y_new = y + h * (a[6, :6] @ ks[:6])
        k7 = ks[6]
        scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
        err = jnp.sqrt(jnp.mean((h * (e @ ks) / scale) ** 2))
        dense = h * (d @ ks)
        return (
            y_new,
            err,
            lambda *_: k7,
            lambda theta: _interpolate(y, y_new, k1, k7, dense, h, theta),
        )

    return solve_one(
        attempt, y0, t0, dt_out, h, k1, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=-1.0 / DOPRI5.order, fac_max=_FAC_MAX,
    )  # fmt: skip


@cache
def _jax_compiled(f: Any, n_out: int, max_steps: int) -> Any:
    import jax

    def one(y0: Any, t0: Any, dt: Any, p: Any, rtol: Any, atol: Any, max_abs: Any) -> Any:
        return _jax_solve_one(f, n_out, max_steps, y0, t0, dt, p, rtol, atol, max_abs)

    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, None, None, None)))


def dopri5(
    backend: Backend,
    rhs: BatchedRHS,
    y0: Any,
    *,
    dt_out: Any,
    n_out: int,
    t0: Any = 0.0,
    params: Any = None,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 1_000_000,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Integrate a batch with Dormand–Prince 5(4), output on a uniform grid.

    Parameters
    ----------
    backend : Backend
        Where to compute.
    rhs : BatchedRHS
        The right-hand side; needs the form the backend uses.
    y0 : array_like, shape (dim, members) or (dim,)
        Initial states, one column per member.
    dt_out : float or array_like, shape (members,)
        Output spacing of each member (> 0).
    n_out : int
        Number of output points, the initial state included.
    t0 : float or array_like, shape (members,)
        Start time of each member.
    params : array_like, shape (n_params,) or (n_params, members), optional
        Parameters handed to the right-hand side.
    rtol, atol : float
        Relative and absolute tolerance of the RMS local error norm.
    max_steps : int
        Most step attempts per member (flagged ``MAX_STEPS`` beyond).
    max_abs : float
        A member whose state exceeds this magnitude is flagged ``DIVERGED``.

    Returns
    -------
    OdeSolution
        States on the output grid with a status per member.

    Raises
    ------
    InputError
        Wrong shapes, non-finite initial states, ``dt_out <= 0`` or ``n_out < 1``.
    ConfigError
        Bad tolerances, or a right-hand side without a form for ``backend``.
    """
    y, t, dt, p = prepare(rhs, y0, t0, dt_out, n_out, params)
    check_tolerances(rtol, atol)
    if max_steps < 1:
        raise ConfigError(f"max_steps must be >= 1, got {max_steps}")
    n_out = int(n_out)
    if backend.name == "numba":
        numba_fn = rhs.numba_form()
        if numba_fn is None:
            raise ConfigError(f"{rhs.name}: no numba form of the right-hand side")
        from gpu.ode import _numba_adaptive as kernels

        out, status, n_steps = kernels.solve(
            kernels.DOPRI5, numba_fn, y, t, dt, n_out, p, rtol, atol, max_steps, max_abs
        )
        return OdeSolution(out, t, dt, status, n_steps, backend.name)
    f = array_function(rhs, backend)
    if backend.name == "jax":
        xp = backend.xp
        fn = _jax_compiled(f, n_out, int(max_steps))
        out_j, status_j, steps_j = fn(
            xp.asarray(y.T), xp.asarray(t), xp.asarray(dt), xp.asarray(p.T), rtol, atol, max_abs
        )
        out = np.moveaxis(np.asarray(out_j), 0, -1)
        return OdeSolution(out, t, dt, np.asarray(status_j), np.asarray(steps_j), "jax")
    xp = backend.xp
    with np.errstate(all="ignore"):
        out, status, n_steps = _array_dopri5(
            xp,
            f,
            backend.asarray(y),
            backend.asarray(t),
            backend.asarray(dt),
            n_out,
            backend.asarray(p),
            rtol,
            atol,
            int(max_steps),
            max_abs,
        )
    return OdeSolution(
        backend.to_numpy(out),
        t,
        dt,
        backend.to_numpy(status),
        backend.to_numpy(n_steps),
        backend.name,
    )
