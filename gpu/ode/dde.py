"""Batched scalar delay differential equations by the method of steps.

``x'(t) = f(x(t), x(t - tau), t, p)`` with a constant history ``x(t) = x0``
for ``t <= 0``, one ``x0`` per member. Fixed-step RK4 with ``h = tau / K``:
the delayed values at the stage times fall on the stored solution grid or
half-way between two grid points, where cubic Hermite interpolation with the
stored derivatives (fourth-order accurate, like the method) supplies them.
:func:`dense` evaluates the stored solution at arbitrary times the same way.

Runs on the array backends (NumPy, CuPy, JAX) with a Python loop over steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError
from gpu.ode.problem import Status

__all__ = ["DelaySolution", "dde_rk4", "dense"]


class DelaySolution:
    """Values ``x`` and derivatives ``dxdt`` on the grid ``k * h``, shape (steps + 1, members).

    Attributes
    ----------
    x, dxdt : numpy.ndarray
        Solution and its derivative on the grid (NaN after a member diverged).
    h : float
        Grid step.
    x0 : numpy.ndarray
        The constant history per member.
    status : numpy.ndarray of int8
        A :class:`~gpu.ode.Status` per member.
    """

    def __init__(
        self, x: np.ndarray, dxdt: np.ndarray, h: float, x0: np.ndarray, status: np.ndarray
    ) -> None:
        self.x, self.dxdt, self.h, self.x0, self.status = x, dxdt, h, x0, status


def _hermite_mid(xa: Any, xb: Any, fa: Any, fb: Any, h: float) -> Any:
    return 0.5 * (xa + xb) + 0.125 * h * (fa - fb)


def dde_rk4(
    backend: Backend,
    f: Any,
    x0: Any,
    *,
    tau: float,
    steps_per_tau: int,
    n_steps: int,
    params: Any,
    max_abs: float = 1e12,
) -> DelaySolution:
    """Integrate a batch of scalar delay equations from ``t = 0``.

    Parameters
    ----------
    backend : Backend
        An array backend (numpy, jax or cupy).
    f : callable
        ``f(x, x_delayed, t, p)`` on arrays over members (``p`` of shape (P, M)).
    x0 : array_like, shape (members,)
        Constant history and initial value of each member.
    tau : float
        The delay (> 0).
    steps_per_tau : int
        ``K``: the step is ``tau / K``.
    n_steps : int
        Steps to take.
    params : array_like, shape (P, members)
        Parameters.
    max_abs : float
        Members above this magnitude are flagged ``DIVERGED``.

    Returns
    -------
    DelaySolution
    """
    if backend.name == "numba":
        raise ConfigError("delay equations run on array backends (numpy, jax, cupy)")
    x_init = np.atleast_1d(np.asarray(x0, dtype=float))
    if x_init.ndim != 1 or not np.all(np.isfinite(x_init)):
        raise InputError("x0 must be a finite 1-D array with one value per member")
    if not (np.isfinite(tau) and tau > 0):
        raise InputError(f"tau must be finite and > 0, got {tau}")
    if int(steps_per_tau) != steps_per_tau or steps_per_tau < 1 or n_steps < 0:
        raise InputError("steps_per_tau must be a positive integer and n_steps >= 0")
    k_delay, members = int(steps_per_tau), x_init.size
    h = tau / k_delay
    xp = backend.xp
    p = backend.asarray(np.asarray(params, dtype=float).reshape(-1, members))
    xs = [backend.asarray(x_init)]
    fs: list[Any] = []
    history = backend.asarray(x_init)
    zero = xp.zeros_like(history)

    def delayed(i: int) -> tuple[Any, Any]:
        """Value and derivative at grid index ``i`` (constant history before 0)."""
        return (xs[i], fs[i]) if i >= 0 else (history, zero)

    alive = np.ones(members, dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(int(n_steps)):
            t = k * h
            x = xs[k]
            xd_a, fd_a = delayed(k - k_delay)
            k1 = f(x, xd_a, t, p)
            fs.append(k1)
            xd_b, fd_b = delayed(k - k_delay + 1)  # at most index k, stored by now
            # before one delay has passed, the delayed interval is the constant history
            in_history = k < k_delay
            xd_mid = history if in_history else _hermite_mid(xd_a, xd_b, fd_a, fd_b, h)
            k2 = f(x + 0.5 * h * k1, xd_mid, t + 0.5 * h, p)
            k3 = f(x + 0.5 * h * k2, xd_mid, t + 0.5 * h, p)
            k4 = f(x + h * k3, xd_b, t + h, p)
            new = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            alive &= backend.to_numpy(xp.abs(new) <= max_abs)
            xs.append(xp.where(backend.asarray(alive), new, xp.nan))
        fs.append(f(xs[-1], delayed(int(n_steps) - k_delay)[0], int(n_steps) * h, p))
    x_all = np.stack([backend.to_numpy(v) for v in xs])
    f_all = np.stack([backend.to_numpy(v) for v in fs])
    status = np.where(alive, Status.SUCCESS, Status.DIVERGED).astype(np.int8)
    return DelaySolution(x_all, f_all, h, x_init, status)


def dense(sol: DelaySolution, times: np.ndarray) -> np.ndarray:
    """The solution at ``times`` (any shape, each in ``[0, steps * h]``), per member.

    Returns an array of shape ``times.shape + (members,)`` by cubic Hermite
    interpolation between grid points.
    """
    t = np.asarray(times, dtype=float)
    last = sol.x.shape[0] - 1
    if np.any(t < 0) or np.any(t > last * sol.h * (1 + 1e-12)):
        raise InputError("dense(): times outside the integrated interval")
    position = t / sol.h
    index = np.clip(np.floor(position).astype(int), 0, max(last - 1, 0))
    theta = (position - index)[..., None]
    xa, xb = sol.x[index], sol.x[np.minimum(index + 1, last)]
    fa, fb = sol.dxdt[index] * sol.h, sol.dxdt[np.minimum(index + 1, last)] * sol.h
    h00 = 2 * theta**3 - 3 * theta**2 + 1
    h10 = theta**3 - 2 * theta**2 + theta
    h01 = -2 * theta**3 + 3 * theta**2
    h11 = theta**3 - theta**2
    return h00 * xa + h10 * fa + h01 * xb + h11 * fb
