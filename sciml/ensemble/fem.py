"""The ``fem-submodel`` pipeline: Monte Carlo over global FEM models and their submodel.

A run file names it with ``pipeline = "fem-submodel"``; its ``[config]`` table
is a :class:`solvers.fem.SubmodelConfig`. Member ``m`` draws a random Ricker
source from its own generator, runs the global model, records the
displacement history on the zone boundary and runs the submodel driven by it;
it returns that history (dims ``time, node, component``), the peak
displacement and the energy in the zone. Member ``m``'s history equals member
``m`` of ``solvers.fem.sample_global(config, members=n, seed=seed)``.
"""

from __future__ import annotations

from sciml.ensemble.pipelines import Pipeline
from solvers.fem.sampling import SubmodelConfig, submodel_member

__all__ = ["PIPELINE"]

PIPELINE = Pipeline(
    name="fem-submodel",
    config_model=SubmodelConfig,
    member=submodel_member,
    backends=("numpy",),
    description="FEM global model with random sources, driving a submodel on a zone",
)
