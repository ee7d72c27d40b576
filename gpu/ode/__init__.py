"""Batched ODE integrators: many independent members in one call, on every backend.

:func:`rk4` (fixed step), :func:`dopri5` and :func:`dop853` (adaptive,
per-member error control, dense output onto a uniform grid),
:func:`rosenbrock23` and :func:`rodas4` (linearly implicit, for stiff
members) take a :class:`BatchedRHS` and
return an :class:`OdeSolution` with a :class:`Status` per member: a member
that diverges is flagged, never crashes the batch. :func:`sde` integrates
additive-noise stochastic equations (Euler–Maruyama, stochastic Heun) with
independent noise per member; :func:`iterate` iterates maps;
:func:`dde_rk4` integrates delay equations by the method of steps.
"""

from gpu.ode.dde import DelaySolution, dde_rk4, dense
from gpu.ode.dop853 import dop853
from gpu.ode.dopri5 import dopri5
from gpu.ode.maps import iterate
from gpu.ode.problem import BatchedRHS, OdeSolution, Status
from gpu.ode.rk4 import rk4
from gpu.ode.rodas import rodas4
from gpu.ode.rosenbrock import rosenbrock23
from gpu.ode.sde import SDE_METHODS, sde
from gpu.ode.tableaus import DOP853, DOPRI5, RK4, Dop853Tableau, Tableau

__all__ = [
    "DOP853",
    "DOPRI5",
    "RK4",
    "SDE_METHODS",
    "BatchedRHS",
    "DelaySolution",
    "Dop853Tableau",
    "OdeSolution",
    "Status",
    "Tableau",
    "dde_rk4",
    "dense",
    "dop853",
    "dopri5",
    "iterate",
    "rk4",
    "rodas4",
    "rosenbrock23",
    "sde",
]
