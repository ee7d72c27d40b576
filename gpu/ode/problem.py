"""The batched right-hand side and the result type shared by the ODE integrators.

A right-hand side ``f(t, y, p)`` is given once per form a backend needs:

* ``array_fn(xp)`` returns a function ``f(y, t, p)`` of arrays of namespace
  ``xp`` (NumPy, CuPy or ``jax.numpy``): ``y`` has shape ``(dim, *batch)``,
  ``t`` broadcasts against ``batch``, ``p`` has shape ``(n_params, *batch)``
  or ``(n_params, 1)``; the result has the shape of ``y``. It returns ``None``
  for a namespace it cannot run on.
* ``numba_fn`` is a :func:`numba.njit` function of scalars
  ``f(y_0, ..., y_{dim-1}, t, p_0, ..., p_{n_params-1})`` returning a tuple
  of ``dim`` derivatives; the numba kernels are generated around it.

Members are independent; the integrators never mix them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["BatchedRHS", "OdeSolution", "Status"]


class Status(enum.IntEnum):
    """Outcome of one member's integration."""

    SUCCESS = 0
    DIVERGED = 1
    STEP_TOO_SMALL = 2
    MAX_STEPS = 3

    @property
    def message(self) -> str:
        """A readable explanation of the status."""
        return {
            Status.SUCCESS: "reached the final time",
            Status.DIVERGED: "left the finite range (non-finite or above max_abs)",
            Status.STEP_TOO_SMALL: "step size underflowed: the problem is stiff or singular",
            Status.MAX_STEPS: "ran out of steps (raise max_steps or loosen the tolerances)",
        }[self]


@dataclass(frozen=True)
class BatchedRHS:
    """A right-hand side in the forms the backends need (see the module docstring).

    Attributes
    ----------
    dim : int
        Dimension of the state.
    array_fn : callable
        ``array_fn(xp)`` -> ``f(y, t, p)`` on arrays of namespace ``xp``, or
        ``None`` if the right-hand side cannot run on that namespace.
    numba_fn : callable or None
        The scalar form compiled with numba, if available.
    name : str
        A label for messages.
    numba_factory : callable or None
        Builds the numba form on first use (compiling can be slow), when
        ``numba_fn`` is not given.
    """

    dim: int
    array_fn: Callable[[ModuleType], Callable[[Any, Any, Any], Any] | None]
    numba_fn: Callable[..., Any] | None = None
    name: str = "rhs"
    numba_factory: Callable[[], Callable[..., Any] | None] | None = None

    def numba_form(self) -> Callable[..., Any] | None:
        """The numba scalar form: ``numba_fn``, else built once by ``numba_factory``."""
        if self.numba_fn is not None:
            return self.numba_fn
        if self.numba_factory is None:
            return None
        return _built(self.numba_factory)


@cache
def _built(factory: Callable[[], Callable[..., Any] | None]) -> Callable[..., Any] | None:
    return factory()


@dataclass(frozen=True)
class OdeSolution:
    """Solution of a batch on a uniform output grid, in host memory.

    Attributes
    ----------
    y : numpy.ndarray, shape (n_out, dim, members)
        The state at ``t0 + k * dt_out``; NaN after a member stopped early.
    t0, dt_out : numpy.ndarray, shape (members,)
        Start time and output spacing of each member.
    status : numpy.ndarray of int8, shape (members,)
        A :class:`Status` per member.
    n_steps : numpy.ndarray of int64, shape (members,)
        Accepted steps per member.
    backend : str
        The backend that computed it.
    """

    y: np.ndarray
    t0: np.ndarray
    dt_out: np.ndarray
    status: np.ndarray
    n_steps: np.ndarray
    backend: str

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of members that reached the final time."""
        return np.asarray(self.status == Status.SUCCESS)

    @property
    def t(self) -> np.ndarray:
        """Output times, shape ``(n_out, members)``."""
        k = np.arange(self.y.shape[0], dtype=float)[:, None]
        return self.t0[None, :] + k * self.dt_out[None, :]
