"""dysts' delay equations, batched: method of steps and a delay embedding.

dysts integrates a scalar delay equation ``x' = f(x(t), x(t - tau), t)``
from a constant history equal to the first entry of its initial condition,
and reports the delay embedding ``(x(t - s_0), ..., x(t - s_{D-1}))`` with
``s_j`` evenly spaced in ``[0, tau]`` and ``D`` the embedding dimension. The
same convention is followed here, for a batch of histories at once.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError
from gpu.ode import dde_rk4, dense
from solvers.chaos.catalog import System

__all__ = ["delay_run"]


def _delay_function(system: System) -> Any:
    """dysts' ``_rhs(x, x_delayed, t, *params)`` on arrays, checked against per-point calls."""
    instance = system.dysts_instance()
    raw = type(instance)._rhs
    fn = getattr(raw, "py_func", raw)
    params = [float(system.params[k]) for k in system.param_names]
    x = system.ic[0] * np.array([1.0, 1.01, 0.98])
    xd = system.ic[0] * np.array([0.99, 1.02, 1.0])
    t = np.array([0.0, 0.3, 0.7])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        reference = np.array([float(fn(x[i], xd[i], t[i], *params)) for i in range(3)])
        batched = np.asarray(fn(x, xd, t, *[np.full(3, v) for v in params]), dtype=float)
    if batched.shape != (3,) or not np.allclose(batched, reference, rtol=1e-12):
        raise ConfigError(f"{system.name}: its delay right-hand side does not vectorize")

    def f(x: Any, xd: Any, t: Any, p: Any) -> Any:
        return fn(x, xd, t, *p)

    return f


def delay_run(
    backend: Backend,
    system: System,
    x0: np.ndarray,
    *,
    n: int,
    dt_out: float,
    substeps: int,
    burn_in_time: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate from constant histories ``x0`` (members,) and sample the embedding.

    Returns
    -------
    values : numpy.ndarray, shape (n, dim, members)
        The delay embedding at ``t_k = burn_in_time + tau + k * dt_out``.
    status : numpy.ndarray of int8, shape (members,)
    n_steps : numpy.ndarray of int64, shape (members,)
    """
    if any(np.ndim(v) for v in system.params.values()):
        raise ConfigError(f"{system.name}: array parameters are not supported for delay equations")
    tau = float(system.params["tau"])
    steps_per_tau = max(1, math.ceil(tau * substeps / dt_out))
    h = tau / steps_per_tau
    start = burn_in_time + tau
    t_last = start + (n - 1) * dt_out
    n_steps = math.ceil(t_last / h * (1 + 1e-12))
    members = x0.size
    params = np.repeat(
        np.array([float(system.params[k]) for k in system.param_names])[:, None], members, axis=1
    )
    sol = dde_rk4(
        backend,
        _delay_function(system),
        x0,
        tau=tau,
        steps_per_tau=steps_per_tau,
        n_steps=n_steps,
        params=params,
    )
    lags = np.linspace(0.0, tau, system.dim)
    times = start + np.arange(n)[:, None] * dt_out - lags[None, :]
    values = dense(sol, np.clip(times, 0.0, n_steps * h))
    return values, sol.status, np.full(members, n_steps, dtype=np.int64)
