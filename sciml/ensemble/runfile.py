"""Run files: a TOML file that describes an ensemble run, validated before it starts.

.. code-block:: toml

    pipeline = "ou"          # a name from sciml.ensemble.pipeline_names()
    members = 64
    seed = 42
    output = "ou.zarr"       # relative to this file's folder
    backend = "auto"         # numpy | numba | jax | cupy | auto
    scheduler = "threads"    # serial | threads | processes | local-cluster | tcp://host:port
    # workers = 4            # local schedulers: default one per core
    # chunk_size = 16        # members per task and per Zarr chunk
    strict = false           # true: any failed member makes the run fail

    [config]                 # the pipeline's configuration (its own schema)
    theta = 1.0
    sigma = 0.5

:func:`load_run` checks the file, the pipeline's ``[config]`` table and the
output folder, and reports each problem with its key (``members: Input should
be greater than or equal to 1, got -3``) as one :class:`~gpu.errors.ConfigError`
or :class:`~gpu.errors.InputError` line.

A run file may also name a workflow (:class:`~sciml.ensemble.pipelines.Workflow`,
e.g. ``pipeline = "fem-submodel"``): a whole study that returns one Dataset.
Its ``members`` and ``seed`` fill the workflow's own fields (the number of
Monte Carlo samples and the seed of ``fem-submodel``), ``scheduler`` and
``workers`` run its ensembles, and the Dataset is written atomically to
``output``, with the workflow's plots in the folder ``<output stem>-plots``
beside it. ``chunk_size`` does not apply, and a workflow cannot be resumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import xarray as xr
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from gpu import BACKEND_NAMES
from gpu.errors import ConfigError, InputError
from sciml.config import Config, parse_config, read_toml
from sciml.ensemble.failures import failures_of, summarize
from sciml.ensemble.pipelines import Pipeline, Workflow, get_pipeline, pipeline_names
from sciml.ensemble.runner import run_ensemble
from sciml.ensemble.schedulers import SCHEDULERS, check_scheduler
from sciml.ensemble.store import check_output
from solvers.contract import package_version
from solvers.io import write_zarr

__all__ = ["RunFile", "RunPlan", "load_run"]


class RunFile(Config):
    """The top level of a run file."""

    pipeline: str = Field(description="pipeline name, e.g. 'ou'")
    members: int = Field(ge=1, description="ensemble size")
    seed: int = Field(ge=0, description="base seed of SeedSequence(seed).spawn(members)")
    output: Path = Field(description="Zarr store to write, relative to the run file's folder")
    backend: str = Field("auto", description="array backend: numpy, numba, jax, cupy or auto")
    scheduler: str = Field(
        "threads", description="serial, threads, processes, local-cluster or an address"
    )
    workers: int | None = Field(None, ge=1, description="workers of a local scheduler")
    chunk_size: int | None = Field(None, ge=1, description="members per task and Zarr chunk")
    strict: bool = Field(False, description="make any failed member an error")
    config: dict[str, Any] = Field(default_factory=dict, description="the pipeline's configuration")

    @field_validator("pipeline")
    @classmethod
    def _known_pipeline(cls, value: str) -> str:
        if value not in pipeline_names():
            raise PydanticCustomError(
                "unknown_pipeline",
                "unknown pipeline, choose from {choices}",
                {"choices": ", ".join(pipeline_names())},
            )
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value != "auto" and value not in BACKEND_NAMES:
            raise PydanticCustomError(
                "unknown_backend",
                "unknown backend, choose from {choices} or auto",
                {"choices": ", ".join(BACKEND_NAMES)},
            )
        return value

    @field_validator("scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        try:
            return check_scheduler(value)
        except ConfigError:
            raise PydanticCustomError(
                "unknown_scheduler",
                "unknown scheduler, use {choices} or a Dask scheduler address (tcp://host:8786)",
                {"choices": ", ".join(SCHEDULERS)},
            ) from None


@dataclass(frozen=True)
class RunPlan:
    """A checked run file, ready to execute.

    Attributes
    ----------
    source : pathlib.Path
        The run file.
    run : RunFile
        Its validated top level (with the command line's overrides applied).
    pipeline : Pipeline or Workflow
        The pipeline or workflow it names.
    config : pydantic.BaseModel
        The validated ``[config]`` table.
    backend : str
        The backend resolved from ``run.backend``.
    output : pathlib.Path
        The absolute path of the store.
    """

    source: Path
    run: RunFile
    pipeline: Pipeline | Workflow
    config: BaseModel
    backend: str
    output: Path

    @property
    def figures(self) -> Path:
        """The folder a workflow writes its plots to: ``<output stem>-plots`` beside the output."""
        return self.output.with_name(f"{self.output.stem}-plots")

    def execute(self, *, resume: bool = False, progress: bool | None = None) -> xr.Dataset:
        """Run the ensemble (see :func:`sciml.ensemble.run_ensemble`) or the workflow.

        A workflow's Dataset is written to :attr:`output` when it is complete
        (atomically), its plots to :attr:`figures`.

        Raises
        ------
        ConfigError
            ``resume`` for a workflow.
        InputError
            A workflow's output exists already.
        """
        if isinstance(self.pipeline, Workflow):
            return self._execute_workflow(self.pipeline, resume, progress)
        return run_ensemble(
            self.pipeline.member,
            self.run.members,
            seed=self.run.seed,
            scheduler=self.run.scheduler,
            store=self.output,
            resume=resume,
            strict=self.run.strict,
            batch=self.pipeline.batch,
            config=self.config,
            chunk_size=self.run.chunk_size,
            workers=self.run.workers,
            backend=self.backend,
            progress=progress,
        )

    def _execute_workflow(
        self, workflow: Workflow, resume: bool, progress: bool | None
    ) -> xr.Dataset:
        if resume:
            raise ConfigError(
                f"the {workflow.name} workflow cannot resume: run it again without --resume"
            )
        if self.output.exists():
            raise InputError(f"{self.output} exists already: remove it or write to another output")
        self.figures.mkdir(exist_ok=True)
        ds = workflow.run(
            self.config,
            scheduler=self.run.scheduler,
            workers=self.run.workers,
            figures=self.figures,
            progress=progress,
        )
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        ds.attrs["history"] = (
            f"{stamp} sciml {package_version()} workflow {workflow.name} from {self.source}: "
            f"{self.run.members} members, seed {self.run.seed}, on {self.run.scheduler}"
        )
        write_zarr(ds, self.output, extra_dims=workflow.extra_dims)
        return ds

    def summary(self, ds: xr.Dataset) -> str:
        """One line on the result of :meth:`execute`: members done and failed, or the workflow's."""
        if isinstance(self.pipeline, Workflow):
            if self.pipeline.summary is not None:
                return self.pipeline.summary(ds)
            return f"workflow {self.pipeline.name} done"
        return summarize(failures_of(ds), ds.sizes["member"])

    def describe(self) -> str:
        """One line: pipeline or workflow, members, seed, backend, scheduler and output."""
        kind = "workflow" if isinstance(self.pipeline, Workflow) else "pipeline"
        return (
            f"{kind} {self.pipeline.name}, {self.run.members} members, seed {self.run.seed}, "
            f"backend {self.backend}, scheduler {self.run.scheduler}, output {self.output}"
        )


def load_run(path: str | Path, **overrides: Any) -> RunPlan:
    """Read and check a run file; nothing is computed or written.

    Parameters
    ----------
    path : path-like
        The TOML run file.
    **overrides
        Top-level keys that replace the file's (``members=8``,
        ``output=...``); ``None`` values are ignored. A relative ``output``
        override is taken relative to the current folder.

    Returns
    -------
    RunPlan

    Raises
    ------
    ConfigError
        The file is missing or not TOML, a key is missing, unknown or invalid,
        or the pipeline's ``[config]`` table is invalid; the message names the key.
    InputError
        The output cannot be written.
    """
    source = Path(path)
    data = read_toml(source)
    given = {key: value for key, value in overrides.items() if value is not None}
    if "output" in given:
        given["output"] = str(Path(given["output"]).expanduser().absolute())
    data.update(given)
    run = parse_config(RunFile, data, where=str(source))
    pipeline = get_pipeline(run.pipeline)
    backend = pipeline.resolve_backend(run.backend)
    config: BaseModel
    if isinstance(pipeline, Workflow):
        if run.chunk_size is not None:
            raise ConfigError(
                f"{source}: chunk_size: the {pipeline.name} workflow sets its own chunks; "
                "remove the key"
            )
        config = pipeline.make_config(
            run.config, backend, members=run.members, seed=run.seed, where=str(source)
        )
    else:
        config = pipeline.make_config(run.config, backend, where=str(source))
    output = run.output.expanduser()
    if not output.is_absolute():
        output = source.absolute().parent / output
    return RunPlan(source, run, pipeline, config, backend, check_output(output))
