"""The ``fem-global`` pipeline: Monte Carlo over random global FEM models.

A run file names it with ``pipeline = "fem-global"``; its ``[config]`` table
is a :class:`solvers.fem.SubmodelConfig`. Member ``m`` draws its random
inputs (a Ricker source and, with ``young_log_sd > 0``, a log-normal Young's
modulus field) from its own generator, runs the global model and
returns the displacement history on the zone boundary (dims ``time, node,
component``, the layout the WGAN consumes) with the zone's quantities of
interest: peak displacement, peak von Mises stress and energy. Member ``m``'s
history equals member ``m`` of
``solvers.fem.sample_global(config, members=n, seed=seed)``.
"""

from __future__ import annotations

from sciml.ensemble.pipelines import Pipeline
from solvers.fem.sampling import SubmodelConfig, global_member

__all__ = ["PIPELINE"]

PIPELINE = Pipeline(
    name="fem-global",
    config_model=SubmodelConfig,
    member=global_member,
    backends=("numpy",),
    description="FEM global model with random inputs: zone boundary histories and QoIs",
)
