"""The ``chaos`` pipeline: trajectories of dysts systems as ensemble members.

A run file names it with ``pipeline = "chaos"``; its ``[config]`` table is a
:class:`solvers.chaos.ChaosConfig` (system, points, sampling, integrator,
tolerances, parameter overrides). Member ``m`` equals member ``m`` of
``solvers.chaos.trajectory(..., seed=seed)`` however the members are
scheduled; a chunk of members is integrated as one batch.
"""

from __future__ import annotations

from sciml.ensemble.pipelines import Pipeline
from solvers.chaos.pipeline import ChaosConfig, chaos_member, chaos_members

__all__ = ["PIPELINE"]

PIPELINE = Pipeline(
    name="chaos",
    config_model=ChaosConfig,
    member=chaos_member,
    batch=chaos_members,
    backends=("numba", "jax", "numpy", "cupy"),
    description="dysts chaotic systems, integrated in batches",
)
