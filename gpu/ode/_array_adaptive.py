"""The batched adaptive loop of the NumPy/CuPy paths, shared by every embedded method.

All members advance together, each with its own step size: a method
supplies ``attempt``, which tries one step of sizes ``h`` (one per member)
from ``(t, y)``; :func:`solve_batch` does the rest, the same way for
Dormand–Prince 5(4), DOP853, Rosenbrock 2(3) and RODAS4 (and the same way as
the JAX loop in :mod:`gpu.ode._jax_adaptive`): clipping the last step onto
the end time, acceptance on the RMS error norm, the divergence and stall
flags, dense output onto the uniform output grid and the step-size
controller ``h *= clip(safety * err**exponent, fac_min, fac_max)`` (never
growing after a rejection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpu.ode.problem import Status

__all__ = ["FAC_MIN", "SAFETY", "TINY", "Attempt", "control", "solve_batch"]

#: ``attempt(t, y, h, t_new, carry) -> (y_new, err, next_carry, dense)``: one
#: trial step; ``err`` is the scaled RMS error norm per member,
#: ``next_carry(y, t)`` what the next step reuses, evaluated after the
#: accepted members moved (e.g. the derivative there), and ``dense(theta)``
#: the state at ``t + theta * h``.
Attempt = Callable[[Any, Any, Any, Any, Any], tuple[Any, Any, Any, Callable[[Any], Any]]]

SAFETY, FAC_MIN = 0.9, 0.2
TINY = 1e-14  # relative step-size floor


def control(xp: Any, err: Any, accept: Any, exponent: float, fac_max: float) -> Any:
    """Step-size factor from the error norm (never above 1 after a rejection)."""
    finite = xp.isfinite(err)
    fac = SAFETY * xp.maximum(xp.where(finite, err, 1.0), 1e-10) ** exponent
    fac = xp.where(finite, xp.clip(fac, FAC_MIN, fac_max), FAC_MIN)
    return xp.where(accept, fac, xp.minimum(fac, 1.0))


def solve_batch(
    xp: Any,
    attempt: Attempt,
    y0: Any,
    t0: Any,
    dt_out: Any,
    h0: Any,
    carry0: Any,
    *,
    n_out: int,
    max_steps: int,
    max_abs: float,
    exponent: float,
    fac_max: float,
) -> tuple[Any, Any, Any]:
    """Integrate the members ``y0`` (``(dim, members)``) onto ``n_out`` points each.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.
    attempt : Attempt
        The method's trial step.
    y0, t0, dt_out : arrays
        Initial states (columns), start times and output spacings.
    h0 : array
        First step sizes.
    carry0 : array
        What the first step reuses (e.g. the derivatives at ``y0``).
    n_out, max_steps : int
        Output points (the initial state included) and most step attempts.
    max_abs : float
        A state beyond this magnitude stops its member as ``DIVERGED``.
    exponent : float
        Controller exponent, ``-1 / (q + 1)`` for an error estimate of order ``q``.
    fac_max : float
        Largest growth of a step in one step.

    Returns
    -------
    out : array, shape (n_out, dim, members)
        States on the output grid (NaN where not reached).
    status : array of int8
        A :class:`~gpu.ode.problem.Status` code per member.
    steps : array of int64
        Accepted steps per member.
    """
    dim, members = y0.shape
    idx = xp.arange(members)
    out = xp.full((n_out, dim, members), xp.nan, dtype=y0.dtype)
    out[0] = y0
    t_end = t0 + (n_out - 1) * dt_out
    y, t, carry, h = y0, t0, carry0, h0
    nxt = xp.ones(members, dtype=xp.int64)
    status = xp.zeros(members, dtype=xp.int8)
    n_steps = xp.zeros(members, dtype=xp.int64)
    active = xp.full(members, n_out > 1)
    iteration = 0
    while bool(xp.any(active)):
        if iteration >= max_steps:
            status = xp.where(active, int(Status.MAX_STEPS), status)
            break
        iteration += 1
        remaining = t_end - t
        last = h >= remaining
        h = xp.where(active, xp.where(last, remaining, h), 1.0)
        t_new = xp.where(last, t_end, t + h)
        y_new, err, next_carry, dense = attempt(t, y, h, t_new, carry)
        accept = active & xp.isfinite(err) & (err <= 1.0)
        big = accept & ~(xp.max(xp.abs(y_new), axis=0) <= max_abs)
        status = xp.where(big, int(Status.DIVERGED), status)
        active = active & ~big
        accept = accept & ~big
        while True:
            t_next = t0 + nxt * dt_out
            emit = accept & (nxt < n_out) & (t_next <= t_new)
            if not bool(xp.any(emit)):
                break
            value = dense(xp.clip((t_next - t) / h, 0.0, 1.0))
            out[nxt[emit], :, idx[emit]] = value[:, emit].T
            nxt = nxt + emit
        y = xp.where(accept, y_new, y)
        t = xp.where(accept, t_new, t)
        carry = xp.where(accept, next_carry(y, t), carry)
        n_steps = n_steps + accept
        active = active & ~(accept & last)
        h = h * control(xp, err, accept, exponent, fac_max)
        stalled = active & (h < TINY * xp.maximum(xp.abs(t), dt_out))
        status = xp.where(stalled, int(Status.STEP_TOO_SMALL), status)
        active = active & ~stalled
    return out, status, n_steps
