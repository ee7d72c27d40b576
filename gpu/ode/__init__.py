"""Batched ODE integrators: many independent members in one call, on every backend.

:func:`rk4` (fixed step) and :func:`dopri5` (adaptive, per-member error
control, dense output onto a uniform grid) take a :class:`BatchedRHS` and
return an :class:`OdeSolution` with a :class:`Status` per member: a member
that diverges is flagged, never crashes the batch. :func:`sde` integrates
additive-noise stochastic equations (Euler–Maruyama, stochastic Heun) with
independent noise per member; :func:`iterate` iterates maps;
:func:`dde_rk4` integrates delay equations by the method of steps.
"""

from gpu.ode.dde import DelaySolution, dde_rk4, dense
from gpu.ode.dopri5 import dopri5
from gpu.ode.maps import iterate
from gpu.ode.problem import BatchedRHS, OdeSolution, Status
from gpu.ode.rk4 import rk4
from gpu.ode.sde import SDE_METHODS, sde
from gpu.ode.tableaus import DOPRI5, RK4, Tableau

__all__ = [
    "DOPRI5",
    "RK4",
    "SDE_METHODS",
    "BatchedRHS",
    "DelaySolution",
    "OdeSolution",
    "Status",
    "Tableau",
    "dde_rk4",
    "dense",
    "dopri5",
    "iterate",
    "rk4",
    "sde",
]
