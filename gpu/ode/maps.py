"""Batched iteration of maps ``y_{k+1} = F(y_k, p)``.

The map is given as a :class:`~gpu.ode.BatchedRHS` whose array form ignores
its time argument (it receives the iteration index). Members that leave the
finite range are flagged ``DIVERGED`` and read NaN afterwards.

* NumPy / CuPy: a Python loop over iterations, vectorized over members.
* JAX: ``lax.scan`` over iterations.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError
from gpu.ode._common import array_function, prepare
from gpu.ode.problem import BatchedRHS, OdeSolution, Status

__all__ = ["iterate"]


@cache
def _jax_compiled(f: Any, n_out: int) -> Any:
    import jax
    import jax.numpy as jnp

    def run(y0: Any, p: Any, max_abs: Any) -> tuple[Any, Any]:
        def step(carry: tuple[Any, Any], k: Any) -> tuple[tuple[Any, Any], Any]:
            y, alive = carry
            y = f(y, k, p)
            alive = alive & (jnp.max(jnp.abs(y), axis=0) <= max_abs)
            return (y, alive), jnp.where(alive, y, jnp.nan)

        alive0 = jnp.ones(y0.shape[1], dtype=bool)
        (_, alive), ys = jax.lax.scan(step, (y0, alive0), jnp.arange(1, n_out))
        status = jnp.where(alive, Status.SUCCESS, Status.DIVERGED).astype(jnp.int8)
        return jnp.concatenate([y0[None], ys], axis=0), status

    return jax.jit(run)


def iterate(
    backend: Backend,
    rhs: BatchedRHS,
    y0: Any,
    *,
    n_out: int,
    params: Any = None,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Iterate a map for a batch of members.

    Parameters
    ----------
    backend : Backend
        An array backend (numpy, jax or cupy).
    rhs : BatchedRHS
        The map ``F``; its array form is called as ``F(y, k, p)``.
    y0 : array_like, shape (dim, members) or (dim,)
        Initial states.
    n_out : int
        Number of states per member, the initial one included.
    params : array_like, shape (n_params,) or (n_params, members), optional
        Map parameters.
    max_abs : float
        A member above this magnitude is flagged ``DIVERGED``.

    Returns
    -------
    OdeSolution
        With ``t`` the iteration index (``dt_out = 1``).

    Raises
    ------
    InputError
        Bad shapes or non-finite initial states.
    ConfigError
        The numba backend (maps run on array backends).
    """
    y, t, dt, p = prepare(rhs, y0, 0.0, 1.0, n_out, params)
    if backend.name == "numba":
        raise ConfigError("maps are iterated on array backends (numpy, jax, cupy)")
    n_out = int(n_out)
    f = array_function(rhs, backend)
    steps = np.full(y.shape[1], n_out - 1, dtype=np.int64)
    if backend.name == "jax":
        out_j, status_j = _jax_compiled(f, n_out)(backend.asarray(y), backend.asarray(p), max_abs)
        return OdeSolution(np.asarray(out_j), t, dt, np.asarray(status_j), steps, "jax")
    xp = backend.xp
    state, pp = backend.asarray(y), backend.asarray(p)
    out = xp.empty((n_out, *y.shape), dtype=state.dtype)
    out[0] = state
    alive = xp.ones(y.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(1, n_out):
            state = f(state, k, pp)
            alive = alive & (xp.max(xp.abs(state), axis=0) <= max_abs)
            out[k] = xp.where(alive, state, xp.nan)
    status = xp.where(alive, int(Status.SUCCESS), int(Status.DIVERGED)).astype(xp.int8)
    return OdeSolution(backend.to_numpy(out), t, dt, backend.to_numpy(status), steps, backend.name)
