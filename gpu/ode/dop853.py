"""Adaptive Dormand–Prince 8(5,3) for batches, with per-member step-size control.

The eighth-order method of Hairer, Nørsett & Wanner (§II.10) with their
error estimate (a fifth-order estimate damped by a third-order one) and
step-size controller, on the same per-member scheme as :func:`~gpu.ode.dopri5`:
every member carries its own time, step size and error estimate, a member that
leaves the finite range is flagged and frozen, and the solution is written onto
each member's uniform output grid ``t0 + k * dt_out`` by the seventh-order
continuous extension (three extra stages, evaluated only on steps that emit
output points on NumPy and numba).

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
from gpu.ode.dopri5 import _initial_step
from gpu.ode.problem import BatchedRHS, OdeSolution
from gpu.ode.tableaus import DOP853

__all__ = ["dop853"]

_STAGES = 12  # stages of one step; stage 13 is f at the new point (FSAL)
_A = np.zeros((16, 16))
for _i, _row in enumerate((*DOP853.a, DOP853.b, *DOP853.a_extra)):
    _A[_i, : len(_row)] = _row
_C = np.array((*DOP853.c, 1.0, *DOP853.c_extra))
_E5 = np.asarray(DOP853.e5)
_E3 = np.asarray(DOP853.e3)
_DENSE = np.asarray(DOP853.dense)
_FAC_MAX = 10.0  # largest step growth in one step
_EXPONENT = -1.0 / 8.0  # the error estimate is O(h^8)


def _combination(weights: np.ndarray, ks: list[Any]) -> Any:
    """``sum_j weights[j] * ks[j]`` over the non-zero weights."""
    return sum(weights[j] * ks[j] for j in range(len(ks)) if weights[j] != 0.0)


def _error_norm(xp: Any, ks: list[Any], h: Any, scale: Any, dim: int) -> Any:
    """Hairer's error norm of one DOP853 step: ``|h| e5^2 / sqrt(dim (e5^2 + 0.01 e3^2))``."""
    e5 = xp.sum((_combination(_E5, ks) / scale) ** 2, axis=0)
    e3 = xp.sum((_combination(_E3, ks) / scale) ** 2, axis=0)
    denom = e5 + 0.01 * e3
    denom = xp.where(denom > 0.0, denom, 1.0)
    return xp.abs(h) * e5 / xp.sqrt(denom * dim)


def _dense_terms(f: Any, y: Any, y_new: Any, t: Any, h: Any, p: Any, ks: list[Any]) -> list[Any]:
    """The seven coefficient vectors of the interpolant on a step (``ks``: its 13 stages)."""
    stages = list(ks)
    for s in range(_STAGES + 1, 16):
        stages.append(f(y + h * _combination(_A[s], stages), t + _C[s] * h, p))
    dy = y_new - y
    return [
        dy,
        h * stages[0] - dy,
        2.0 * dy - h * (stages[_STAGES] + stages[0]),
        *(h * _combination(row, stages) for row in _DENSE),
    ]


def _interpolate(y: Any, terms: list[Any], theta: Any) -> Any:
    """``y + theta (F0 + (1 - theta) (F1 + theta (F2 + ...)))`` (Hairer's ``contd8``)."""
    acc = terms[-1]
    for i, term in enumerate(reversed(terms[:-1])):
        acc = term + (1.0 - theta if i % 2 else theta) * acc
    return y + theta * acc


def _array_dop853(
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
    dim = y0.shape[0]
    k1 = f(y0, t0, p)
    t_end = t0 + (n_out - 1) * dt_out
    h = xp.minimum(_initial_step(xp, f, y0, t0, p, k1, rtol, atol, DOP853.order), t_end - t0)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, k1: Any) -> tuple[Any, ...]:
        ks = [k1]
        for s in range(1, _STAGES):
            ks.append(f(y + h * _combination(_A[s], ks), t + _C[s] * h, p))
        y_new = y + h * _combination(_A[_STAGES], ks)
        ks.append(f(y_new, t + h, p))
        scale = atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_new))
        err = _error_norm(xp, ks, h, scale, dim)
        terms: list[Any] = []  # the interpolant's extra stages, only when a point is emitted

        def dense(theta: Any) -> Any:
            if not terms:
                terms.extend(_dense_terms(f, y, y_new, t, h, p, ks))
            return _interpolate(y, terms, theta)

        return y_new, err, lambda *_: ks[_STAGES], dense

    return solve_batch(
        xp, attempt, y0, t0, dt_out, h, k1, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=_EXPONENT, fac_max=_FAC_MAX,
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

    dim = y0.shape[0]
    k1 = f(y0, t0, p)
    h = _initial_step(jnp, f, y0[:, None], t0, p[:, None], k1[:, None], rtol, atol, DOP853.order)[0]
    h = jnp.minimum(h, t0 + (n_out - 1) * dt_out - t0)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, k1: Any) -> tuple[Any, ...]:
        ks = [k1]
        for s in range(1, _STAGES):
            ks.append(f(y + h * _combination(_A[s], ks), t + _C[s] * h, p))
        y_new = y + h * _combination(_A[_STAGES], ks)
        ks.append(f(y_new, t + h, p))
        scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
        err = _error_norm(jnp, ks, h, scale, dim)
        terms = _dense_terms(f, y, y_new, t, h, p, ks)
        return y_new, err, lambda *_: ks[_STAGES], lambda theta: _interpolate(y, terms, theta)

    return solve_one(
        attempt, y0, t0, dt_out, h, k1, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=_EXPONENT, fac_max=_FAC_MAX,
    )  # fmt: skip


@cache
def _jax_compiled(f: Any, n_out: int, max_steps: int) -> Any:
    import jax

    def one(y0: Any, t0: Any, dt: Any, p: Any, rtol: Any, atol: Any, max_abs: Any) -> Any:
        return _jax_solve_one(f, n_out, max_steps, y0, t0, dt, p, rtol, atol, max_abs)

    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, None, None, None)))


def dop853(
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
    """Integrate a batch with Dormand–Prince 8(5,3), output on a uniform grid.

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
        Relative and absolute tolerance of the error norm (Hairer's DOP853 norm).
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
            kernels.DOP853, numba_fn, y, t, dt, n_out, p, rtol, atol, max_steps, max_abs
        )
        return OdeSolution(out, t, dt, status, n_steps, backend.name)
    f = array_function(rhs, backend)
    xp = backend.xp
    if backend.name == "jax":
        fn = _jax_compiled(f, n_out, int(max_steps))
        out_j, status_j, steps_j = fn(
            xp.asarray(y.T), xp.asarray(t), xp.asarray(dt), xp.asarray(p.T), rtol, atol, max_abs
        )
        out = np.moveaxis(np.asarray(out_j), 0, -1)
        return OdeSolution(out, t, dt, np.asarray(status_j), np.asarray(steps_j), "jax")
    with np.errstate(all="ignore"):
        out, status, n_steps = _array_dop853(
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
