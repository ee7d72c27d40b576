"""The per-member adaptive loop of the JAX paths, shared by every embedded method.

One member's integration runs in a ``lax.while_loop`` (the batch is a
``vmap`` over members). A method supplies ``attempt``, which tries one step of
size ``h`` from ``(t, y)``; :func:`solve_one` does the rest, the same way for
Dormand–Prince 5(4), DOP853, Rosenbrock 2(3) and RODAS4: clipping the last
step onto the end time, acceptance on the RMS error norm, the divergence and
stall flags, dense output onto the uniform output grid and the step-size
controller ``h *= clip(safety * err**exponent, fac_min, fac_max)`` (never
growing after a rejection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpu.ode._array_adaptive import TINY, control
from gpu.ode.problem import Status

__all__ = ["Attempt", "solve_one"]

#: ``attempt(t, y, h, t_new, carry) -> (y_new, err, next_carry, dense)``: one
#: trial step, as in :data:`gpu.ode._array_adaptive.Attempt` for one member.
Attempt = Callable[[Any, Any, Any, Any, Any], tuple[Any, Any, Any, Callable[[Any], Any]]]


def solve_one(
    attempt: Attempt,
    y0: Any,
    t0: Any,
    dt_out: Any,
    h0: Any,
    carry0: Any,
    *,
    n_out: int,
    max_steps: int,
    max_abs: Any,
    exponent: float,
    fac_max: float,
) -> tuple[Any, Any, Any]:
    """Integrate one member from ``(t0, y0)`` onto ``n_out`` points spaced ``dt_out``.

    Parameters
    ----------
    attempt : Attempt
        The method's trial step.
    y0, t0, dt_out : jax arrays
        Initial state, start time and output spacing.
    h0 : jax array
        First step size.
    carry0 : jax array
        What the first step reuses (e.g. the derivative at ``y0``).
    n_out, max_steps : int
        Output points (the initial state included) and most step attempts.
    max_abs : float
        A state beyond this magnitude stops the member as ``DIVERGED``.
    exponent : float
        Controller exponent, ``-1 / (q + 1)`` for an error estimate of order ``q``.
    fac_max : float
        Largest growth of the step in one step.

    Returns
    -------
    out : jax array, shape (n_out, dim)
        States on the output grid (NaN where not reached).
    status : jax array
        A :class:`~gpu.ode.problem.Status` code.
    steps : jax array
        Accepted steps.
    """
    import jax
    import jax.numpy as jnp

    t_end = t0 + (n_out - 1) * dt_out
    out = jnp.full((n_out, y0.shape[0]), jnp.nan, dtype=y0.dtype).at[0].set(y0)

    def cond(state: tuple[Any, ...]) -> Any:
        return state[8] & (state[9] < max_steps)

    def body(state: tuple[Any, ...]) -> tuple[Any, ...]:
        t, y, carry, h, nxt, out, status, steps, active, iteration = state
        remaining = t_end - t
        last = h >= remaining
        h = jnp.where(last, remaining, h)
        t_new = jnp.where(last, t_end, t + h)
        y_new, err, next_carry, dense = attempt(t, y, h, t_new, carry)
        accept = jnp.isfinite(err) & (err <= 1.0)
        big = accept & ~(jnp.max(jnp.abs(y_new)) <= max_abs)
        status = jnp.where(big, Status.DIVERGED, status)
        accept = accept & ~big
        active = active & ~big

        def emit_cond(inner: tuple[Any, Any]) -> Any:
            j, _ = inner
            return accept & (j < n_out) & (t0 + j * dt_out <= t_new)

        def emit_body(inner: tuple[Any, Any]) -> tuple[Any, Any]:
            j, buf = inner
            theta = jnp.clip((t0 + j * dt_out - t) / h, 0.0, 1.0)
            return j + 1, buf.at[j].set(dense(theta))

        nxt, out = jax.lax.while_loop(emit_cond, emit_body, (nxt, out))
        y = jnp.where(accept, y_new, y)
        t = jnp.where(accept, t_new, t)
        carry = jnp.where(accept, next_carry(y, t), carry)
        steps = steps + accept
        active = active & ~(accept & last)
        h = h * control(jnp, err, accept, exponent, fac_max)
        stalled = active & (h < TINY * jnp.maximum(jnp.abs(t), dt_out))
        status = jnp.where(stalled, Status.STEP_TOO_SMALL, status)
        active = active & ~stalled
        return t, y, carry, h, nxt, out, status, steps, active, iteration + 1

    state = (
        t0,
        y0,
        carry0,
        h0,
        jnp.asarray(1),
        out,
        jnp.asarray(0, dtype=jnp.int8),
        jnp.asarray(0, dtype=jnp.int64),
        jnp.asarray(n_out > 1),
        jnp.asarray(0),
    )
    state = jax.lax.while_loop(cond, body, state)
    status = jnp.where(state[8], Status.MAX_STEPS, state[6])
    return state[5], status, state[7]


def derivatives(f: Any, jac: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(jacobian, time_derivative)`` of one member's ``f(y, t, p)`` for the stiff methods.

    The Jacobian is the batched ``jac(Y, t, P) -> (D, D, M)`` applied to one
    member where one is given, else ``jax.jacfwd``; ``df/dt`` is always
    ``jax.jacfwd`` in ``t``.
    """
    import jax

    if jac is None:
        return jax.jacfwd(f, argnums=0), jax.jacfwd(f, argnums=1)

    def jacobian(y: Any, t: Any, q: Any) -> Any:
        return jac(y[:, None], t, q[:, None])[:, :, 0]

    return jacobian, jax.jacfwd(f, argnums=1)
