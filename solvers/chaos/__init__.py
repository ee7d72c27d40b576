"""Chaotic systems at scale: the dysts catalog integrated in large batches.

* :func:`systems`, :func:`get`: every dysts flow, delay equation and map with
  its metadata (needs ``pip install 'sciml[chaos]'``).
* :func:`trajectory`: batched ensembles as contract xarray, initial conditions
  on the attractor from ``SeedSequence`` streams, parameter sweeps.
* :func:`lyapunov_spectrum`, :func:`kaplan_yorke_dimension`,
  :func:`correlation_dimension`, :func:`power_spectrum`,
  :func:`invariant_measure`: invariants and attractor statistics.
* :class:`ChaosConfig`, :func:`chaos_member`, :func:`chaos_members`: members
  from a validated configuration, for the ensemble runner.
"""

from solvers.chaos.adapter import MODES, batched_rhs, modes, vectorization_report
from solvers.chaos.catalog import KINDS, System, get, systems
from solvers.chaos.invariants import correlation_dimension, invariant_measure, power_spectrum
from solvers.chaos.lyapunov import kaplan_yorke_dimension, lyapunov_spectrum
from solvers.chaos.pipeline import ChaosConfig, chaos_member, chaos_members
from solvers.chaos.trajectory import METHODS, trajectory

__all__ = [
    "KINDS",
    "METHODS",
    "MODES",
    "ChaosConfig",
    "System",
    "batched_rhs",
    "chaos_member",
    "chaos_members",
    "correlation_dimension",
    "get",
    "invariant_measure",
    "kaplan_yorke_dimension",
    "lyapunov_spectrum",
    "modes",
    "power_spectrum",
    "systems",
    "trajectory",
    "vectorization_report",
]
