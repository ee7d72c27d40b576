"""Input checks and array preparation shared by the ODE integrators."""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from gpu.backends import Backend
from gpu.errors import ConfigError, InputError
from gpu.ode.problem import BatchedRHS


def prepare(
    rhs: BatchedRHS,
    y0: Any,
    t0: Any,
    dt_out: Any,
    n_out: int,
    params: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check and broadcast the inputs to host arrays ``(D, M)``, ``(M,)``, ``(M,)``, ``(P, M)``."""
    y = np.asarray(y0, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != rhs.dim:
        raise InputError(f"y0 must have shape (dim={rhs.dim}, members) or (dim,), got {y.shape}")
    if y.shape[1] == 0:
        raise InputError("y0 has no members")
    if not np.all(np.isfinite(y)):
        raise InputError("y0 contains NaN or infinite values")
    if int(n_out) != n_out or n_out < 1:
        raise InputError(f"n_out must be a positive integer, got {n_out}")
    members = y.shape[1]
    try:
        t = np.broadcast_to(np.asarray(t0, dtype=float), (members,)).copy()
        dt = np.broadcast_to(np.asarray(dt_out, dtype=float), (members,)).copy()
    except ValueError:
        raise InputError(f"t0 and dt_out must be scalars or have {members} entries") from None
    if not (np.all(np.isfinite(dt)) and np.all(dt > 0)):
        raise InputError(f"dt_out must be finite and > 0, got {dt_out}")
    p = np.asarray(params if params is not None else np.zeros((0,)), dtype=float)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2 or p.shape[1] not in (1, members):
        raise InputError(
            f"params must have shape (n_params,) or (n_params, members={members}), got {p.shape}"
        )
    # writable C-contiguous copies: the compiled kernels see one array type whatever the input
    p = np.array(np.broadcast_to(p, (p.shape[0], members)), order="C")
    return np.array(y, order="C"), t, dt, p


def check_tolerances(rtol: float, atol: float) -> None:
    """Reject tolerances that are not positive and finite."""
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(value) and value > 0):
            raise ConfigError(f"{name} must be finite and > 0, got {value}")


def stiff_first_step(xp: Any, f0: Any, y: Any, span: Any, rtol: Any, atol: Any) -> Any:
    """First step of the Rosenbrock methods, per member (columns of ``y``, or one vector).

    One hundredth of the time the derivative takes to move ``y`` by one
    tolerance unit (RMS), at most ``span``; ``min(1e-6, span)`` where that is
    not a positive number.
    """
    rate = xp.sqrt(xp.mean((f0 / (atol + rtol * xp.abs(y))) ** 2, axis=0))
    h = xp.minimum(0.01 / xp.maximum(rate, 1e-300), span)
    return xp.where(xp.isfinite(h) & (h > 0), h, xp.minimum(1e-6, span))


@cache
def _array_form(rhs: BatchedRHS, xp: ModuleType) -> Any:
    return rhs.array_fn(xp)


def array_function(rhs: BatchedRHS, backend: Backend) -> Any:
    """The array form of ``rhs`` for ``backend``'s namespace (built once), or a clear error."""
    fn = _array_form(rhs, backend.xp)
    if fn is None:
        raise ConfigError(
            f"{rhs.name}: its right-hand side cannot run on the {backend.name} backend; "
            "use backend='numpy'"
        )
    return fn
