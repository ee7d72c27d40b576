"""Batched linearly implicit Rosenbrock 2(3) for stiff problems, per-member control.

The L-stable modified Rosenbrock pair of Shampine & Reichelt ("The MATLAB
ODE suite", SIAM J. Sci. Comput. 18, 1997; MATLAB's ``ode23s``) with
``d = 1 / (2 + sqrt(2))``: per step one Jacobian, one matrix
``W = I - h d J`` per member and three linear solves; a second-order solution
with a third-order error estimate and a second-order continuous extension
for output on each member's uniform grid. Jacobians come from the caller
(an analytic ``jac(y, t, p) -> (D, D, M)``) or from forward differences, one
extra right-hand side evaluation per component. Stiff members take large
steps; members never mix, and a member that leaves the finite range is
flagged and frozen, as in :func:`~gpu.ode.dopri5`.

The batch advances in lock step with masked updates on NumPy or CuPy
(batched ``linalg.solve`` over members). On JAX a one-member
``lax.while_loop`` with its own step size is mapped over members with
``jax.vmap``; the Jacobian and ``df/dt`` come from forward-mode automatic
differentiation (``jax.jacfwd``) unless ``jac`` is given, and ``W`` is
LU-factored once per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError
from gpu.ode._array_adaptive import solve_batch
from gpu.ode._common import array_function, check_tolerances, prepare, stiff_first_step
from gpu.ode._jax_adaptive import derivatives, solve_one
from gpu.ode.problem import BatchedRHS, OdeSolution

__all__ = ["rosenbrock23"]

_D = 1.0 / (2.0 + math.sqrt(2.0))
_E32 = 6.0 + math.sqrt(2.0)
_FAC_MAX = 5.0  # largest step growth in one step
_SQRT_EPS = math.sqrt(np.finfo(float).eps)


def _fd_jacobian(xp: Any, f: Any, y: Any, t: Any, p: Any, f0: Any) -> Any:
    """Forward-difference Jacobian ``(D, D, M)`` of a batch."""
    dim = y.shape[0]
    columns = []
    for j in range(dim):
        delta = _SQRT_EPS * xp.maximum(xp.abs(y[j]), 1.0)
        shifted = y.copy()
        shifted[j] = y[j] + delta
        columns.append((f(shifted, t, p) - f0) / delta)
    return xp.stack(columns, axis=1)


def _solve(xp: Any, w: Any, rhs: Any) -> Any:
    """Solve ``W x = rhs`` per member: ``w`` is (M, D, D), ``rhs`` (D, M)."""
    return xp.linalg.solve(w, rhs.T[:, :, None])[:, :, 0].T


def _array_rosenbrock(
    xp: Any,
    f: Any,
    jac: Any,
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
    eye = xp.eye(y0.shape[0])[None, :, :]
    f0 = f(y0, t0, p)
    h = stiff_first_step(xp, f0, y0, (t0 + (n_out - 1) * dt_out) - t0, rtol, atol)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, f0: Any) -> tuple[Any, ...]:
        j = _fd_jacobian(xp, f, y, t, p, f0) if jac is None else jac(y, t, p)
        delta_t = _SQRT_EPS * xp.maximum(xp.abs(t), 1.0)
        dfdt = (f(y, t + delta_t, p) - f0) / delta_t
        hd = h * _D
        w = eye - hd[:, None, None] * xp.moveaxis(j, -1, 0)
        k1 = _solve(xp, w, f0 + hd * dfdt)
        f1 = f(y + 0.5 * h * k1, t + 0.5 * h, p)
        k2 = _solve(xp, w, f1 - k1) + k1
        y_new = y + h * k2
        f2 = f(y_new, t_new, p)
        k3 = _solve(xp, w, f2 - _E32 * (k2 - f1) - 2.0 * (k1 - f0) + hd * dfdt)
        scale = atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_new))
        err = xp.sqrt(xp.mean((h / 6.0 * (k1 - 2.0 * k2 + k3) / scale) ** 2, axis=0))

        def dense(s: Any) -> Any:
            return y + h * (s * (1.0 - s) * k1 + s * (s - 2.0 * _D) * k2) / (1.0 - 2.0 * _D)

        return y_new, err, lambda *_: f2, dense

    return solve_batch(
        xp, attempt, y0, t0, dt_out, h, f0, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=-1.0 / 3.0, fac_max=_FAC_MAX,
    )  # fmt: skip


def _jax_solve_one(
    f: Any,
    jac: Any,
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
    """One member: the same steps as :func:`_array_rosenbrock`, in a ``lax.while_loop``."""
    import jax.numpy as jnp
    from jax.scipy.linalg import lu_factor, lu_solve

    eye = jnp.eye(y0.shape[0], dtype=y0.dtype)
    jacobian, time_derivative = derivatives(f, jac)
    f0 = f(y0, t0, p)
    h = stiff_first_step(jnp, f0, y0, t0 + (n_out - 1) * dt_out - t0, rtol, atol)

    def attempt(t: Any, y: Any, h: Any, t_new: Any, f0: Any) -> tuple[Any, ...]:
        hd = h * _D
        dfdt = time_derivative(y, t, p)
        lu = lu_factor(eye - hd * jacobian(y, t, p))
        k1 = lu_solve(lu, f0 + hd * dfdt)
        f1 = f(y + 0.5 * h * k1, t + 0.5 * h, p)
        k2 = lu_solve(lu, f1 - k1) + k1
        y_new = y + h * k2
        f2 = f(y_new, t_new, p)
        k3 = lu_solve(lu, f2 - _E32 * (k2 - f1) - 2.0 * (k1 - f0) + hd * dfdt)
        scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
        err = jnp.sqrt(jnp.mean((h / 6.0 * (k1 - 2.0 * k2 + k3) / scale) ** 2))

        def dense(s: Any) -> Any:
            return y + h * (s * (1.0 - s) * k1 + s * (s - 2.0 * _D) * k2) / (1.0 - 2.0 * _D)

        return y_new, err, lambda *_: f2, dense

    return solve_one(
        attempt, y0, t0, dt_out, h, f0, n_out=n_out, max_steps=max_steps, max_abs=max_abs,
        exponent=-1.0 / 3.0, fac_max=_FAC_MAX,
    )  # fmt: skip


@cache
def _jax_compiled(f: Any, jac: Any, n_out: int, max_steps: int) -> Any:
    import jax

    def one(y0: Any, t0: Any, dt: Any, p: Any, rtol: Any, atol: Any, max_abs: Any) -> Any:
        return _jax_solve_one(f, jac, n_out, max_steps, y0, t0, dt, p, rtol, atol, max_abs)

    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, None, None, None)))


def rosenbrock23(
    backend: Backend,
    rhs: BatchedRHS,
    y0: Any,
    *,
    dt_out: Any,
    n_out: int,
    t0: Any = 0.0,
    params: Any = None,
    jac: Callable[[Any, Any, Any], Any] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 1_000_000,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Integrate a (stiff) batch with the Rosenbrock 2(3) pair, output on a uniform grid.

    Parameters
    ----------
    backend : Backend
        ``numpy``, ``cupy`` or ``jax`` (the method needs dense linear solves;
        there is no numba kernel: run numba problems on NumPy).
    rhs : BatchedRHS
        The right-hand side; needs the array form of the backend.
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
    jac : callable, optional
        ``jac(y, t, p)`` -> ``(dim, dim, members)``, the Jacobian ``df_i/dy_j``
        on arrays of the backend (traceable by JAX on JAX, where it is called
        with one member at a time). When omitted: forward differences on NumPy
        and CuPy, ``jax.jacfwd`` on JAX.
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
        Bad tolerances, or the numba backend.
    """
    y, t, dt, p = prepare(rhs, y0, t0, dt_out, n_out, params)
    check_tolerances(rtol, atol)
    if max_steps < 1:
        raise ConfigError(f"max_steps must be >= 1, got {max_steps}")
    if backend.name not in ("numpy", "cupy", "jax"):
        raise ConfigError(f"rosenbrock23 runs on numpy, cupy or jax, not {backend.name}")
    f = array_function(rhs, backend)
    if backend.name == "jax":
        xp = backend.xp
        fn = _jax_compiled(f, jac, int(n_out), int(max_steps))
        out_j, status_j, steps_j = fn(
            xp.asarray(y.T), xp.asarray(t), xp.asarray(dt), xp.asarray(p.T), rtol, atol, max_abs
        )
        out = np.moveaxis(np.asarray(out_j), 0, -1)
        return OdeSolution(out, t, dt, np.asarray(status_j), np.asarray(steps_j), "jax")
    with np.errstate(all="ignore"):
        out, status, n_steps = _array_rosenbrock(
            backend.xp,
            f,
            jac,
            backend.asarray(y),
            backend.asarray(t),
            backend.asarray(dt),
            int(n_out),
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
