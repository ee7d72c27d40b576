"""Initial conditions on the attractor: perturbed draws, burn-in, redraws.

Member ``m`` of a seeded ensemble perturbs dysts' initial condition by 0.1 of
dysts' attractor standard deviation per component (maps: 1e-3 relative),
drawn from its own generator, and is integrated for the burn-in. Several
flows have thin basins (SprottD, I, L, M, Q, R, SprottJerk, TurchinHanski):
during the burn-in a member is stopped (``DIVERGED``) once it is 100
attractor standard deviations from the initial condition (systems without
unbounded components), and a member that failed, or ended it more than 10
standard deviations away (CellCycle members fall onto a stiff, non-chaotic
state), draws a new perturbation ten times smaller from its own generator,
up to :data:`REDRAWS` times. A member that still fails is flagged, never
fails the batch. Everything a member does depends on its own generator only,
so splitting an ensemble into calls changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpu.errors import InputError
from gpu.ode import OdeSolution
from solvers.chaos.catalog import System

__all__ = ["REDRAWS", "burn_in_members", "escaped", "initial_states"]

_PERTURBATION = 0.1  # initial spread before burn-in, in units of dysts' std per component
_MAP_PERTURBATION = 1e-3  # maps: relative spread (dysts has no attractor std for maps)
#: Times a member that fails its burn-in redraws a ten times smaller perturbation.
REDRAWS = 3
_EXTENT = 10.0  # a burnt-in member this many attractor std from dysts' ic has left the attractor
_ESCAPE = 100.0  # ... and one this many std away during the burn-in is stopped as diverged


def initial_states(
    system: System,
    ic: Any,
    members: int,
    rngs: Sequence[np.random.Generator] | None,
) -> tuple[np.ndarray, bool]:
    """(dim, members) initial states and whether they still need a burn-in.

    Parameters
    ----------
    system : System
        The catalog system.
    ic : array_like or None
        Explicit states, shape (dim,) or (members, dim), used as given.
    members : int
        Ensemble size.
    rngs : sequence of numpy.random.Generator or None
        One generator per member; without ``ic`` and ``rngs`` every member
        starts from dysts' initial condition.

    Returns
    -------
    tuple of numpy.ndarray and bool

    Raises
    ------
    InputError
        ``ic`` of the wrong shape or with non-finite values.
    """
    if ic is not None:
        y0 = np.asarray(ic, dtype=float)
        if y0.ndim == 1:
            y0 = np.repeat(y0[None, :], members, axis=0)
        if y0.shape != (members, system.dim):
            raise InputError(
                f"ic must have shape (dim,) = ({system.dim},) or (members, dim) = "
                f"({members}, {system.dim}) for {system.name}, got {np.shape(ic)}"
            )
        if not np.all(np.isfinite(y0)):
            raise InputError("ic contains NaN or infinite values")
        return np.ascontiguousarray(y0.T), False
    if rngs is None:
        return np.repeat(system.ic[:, None], members, axis=1), False
    return _perturbed(system, rngs, 1.0), True


def _perturbed(system: System, rngs: Sequence[np.random.Generator], shrink: float) -> np.ndarray:
    """dysts' initial condition plus one draw per generator, ``shrink`` times the default spread."""
    if system.kind == "map":
        scale = _MAP_PERTURBATION * np.maximum(np.abs(system.ic), _MAP_PERTURBATION)
    else:
        scale = _PERTURBATION * np.where(system.std > 0, system.std, 1.0)
    draws = np.array([rng.standard_normal(system.dim) for rng in rngs]).T
    return system.ic[:, None] + shrink * scale[:, None] * draws


def escaped(system: System, y: np.ndarray) -> np.ndarray:
    """Which members lie farther than 10 attractor std from dysts' initial condition.

    Parameters
    ----------
    system : System
        The catalog flow (its ``ic`` and ``std``).
    y : numpy.ndarray, shape (dim, members)
        States.

    Returns
    -------
    numpy.ndarray of bool, shape (members,)
        Components dysts marks unbounded (phases, time-like variables) are
        not checked.
    """
    bounded = np.setdiff1d(np.arange(system.dim), system.unbounded_indices)
    std = np.where(system.std > 0, system.std, 1.0)[bounded, None]
    distance = np.abs(y[bounded] - system.ic[bounded, None]) / std
    return np.asarray(np.any(distance > _EXTENT, axis=0))


def burn_in_members(
    integrate: Callable[[np.ndarray, np.ndarray | None, float], OdeSolution],
    system: System,
    y0: np.ndarray,
    rngs: Sequence[np.random.Generator],
    params: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Burn drawn states in; members that fail redraw (see the module docstring).

    Parameters
    ----------
    integrate : callable
        ``integrate(y0, params, max_abs)`` runs the burn-in of a subset of
        members (columns of ``y0`` and ``params``) and returns its solution.
    system : System
        The catalog flow.
    y0 : numpy.ndarray, shape (dim, members)
        The first draws (:func:`initial_states`).
    rngs : sequence of numpy.random.Generator
        One generator per member, for the redraws.
    params : numpy.ndarray, shape (n_params, members), or None
        Parameter rows.

    Returns
    -------
    tuple of numpy.ndarray
        States at the end of the burn-in (the last drawn state where a member
        failed every attempt) and the burn-in status of each member. A member
        that ends far from the attractor (:func:`escaped`) redraws too; on the
        last attempt it is kept.
    """
    # stop escaping members early (cheaply) unless a component is unbounded by nature
    bound = 1e12
    if not system.unbounded_indices:
        bound = float(np.max(np.abs(system.ic) + _ESCAPE * system.std))
    start = y0.copy()
    end = y0.copy()
    status = np.zeros(y0.shape[1], dtype=np.int8)
    todo = np.arange(y0.shape[1])
    for attempt in range(REDRAWS + 1):
        if attempt:
            start[:, todo] = _perturbed(system, [rngs[int(m)] for m in todo], 10.0**-attempt)
        warm = integrate(start[:, todo], None if params is None else params[:, todo], bound)
        end[:, todo] = np.where(warm.ok, warm.y[-1], start[:, todo])
        status[todo] = warm.status
        retry = ~warm.ok | (escaped(system, end[:, todo]) & (attempt < REDRAWS))
        todo = todo[retry]
        if todo.size == 0:
            break
    return end, status
