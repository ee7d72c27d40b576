"""The ensemble runner: hundreds to thousands of members on a laptop or an HPC cluster.

:func:`run_ensemble` runs ``member_fn(config, member_index, rng)`` for every
member on a Dask scheduler (threads by default; processes, a LocalCluster or
any running Dask cluster, e.g. from ``dask-jobqueue``), seeds member ``k``
with ``SeedSequence(seed).spawn(n)[k]``, writes chunks of members to a Zarr
store as they finish, resumes a killed run without recomputing anything
written, and records failed members instead of stopping.

Run files (:func:`load_run`) describe a run in TOML for the command line
``sciml run RUN.toml``; pipelines (:mod:`sciml.ensemble.pipelines`) are what
they can name.
"""

from sciml.ensemble.failures import (
    EnsembleError,
    MemberFailure,
    MemberFailures,
    failures_of,
    summarize,
)
from sciml.ensemble.pipelines import (
    Pipeline,
    Workflow,
    get_pipeline,
    pipeline_names,
    register_pipeline,
    unregister_pipeline,
)
from sciml.ensemble.runfile import RunFile, RunPlan, load_run
from sciml.ensemble.runner import run_ensemble
from sciml.ensemble.schedulers import SCHEDULERS
from sciml.ensemble.store import open_store

__all__ = [
    "SCHEDULERS",
    "EnsembleError",
    "MemberFailure",
    "MemberFailures",
    "Pipeline",
    "RunFile",
    "RunPlan",
    "Workflow",
    "failures_of",
    "get_pipeline",
    "load_run",
    "open_store",
    "pipeline_names",
    "register_pipeline",
    "run_ensemble",
    "summarize",
    "unregister_pipeline",
]
