"""Pipelines: what a run file's ``pipeline = "..."`` names.

A pipeline bundles what one member of an ensemble computes: a configuration
schema (a frozen pydantic model) that a run file's
``[config]`` table is validated against before anything starts, a member
function ``member(config, member_index, rng) -> xarray.Dataset``, optionally
a batched function that computes a whole chunk of members in one call, and
the array backends it runs on.

Adding a pipeline
-----------------
A solver or learner (``chaos``, ``forecast``, ``fluxtransport``,
``fem-global``, ``rom``, ...) joins the runner in three steps, the way the
built-in ``ou`` pipeline does (see :mod:`sciml.ensemble.ou`):

1. a configuration model: a frozen pydantic model that forbids unknown keys
   (:class:`sciml.config.Config` in the sciml layer, a plain
   ``pydantic.BaseModel`` in ``solvers``), with units in the field
   descriptions;
2. module-level member functions (picklable, so processes and clusters can
   run them) that return Datasets following the data contract, and
   optionally a batched one;
3. a :class:`Pipeline` in a module of this package, since ``solvers`` does not
   import ``sciml`` — e.g. ``sciml/ensemble/chaos.py`` holding
   ``PIPELINE = Pipeline("chaos", ChaosConfig, member=chaos_member,
   batch=chaos_members, backends=("numpy", "numba", "jax"))`` with those
   imported from ``solvers.chaos.pipeline`` — and one line in
   :data:`BUILTIN`: ``"chaos": "sciml.ensemble.chaos:PIPELINE"``. The module
   is imported only when a run file names the pipeline.

Code outside sciml registers its own with :func:`register_pipeline`.

Workflows
---------
A :class:`Workflow` is the other kind of name a run file can give: a whole
study that runs several steps (ensembles, training, comparisons) and returns
one Dataset, e.g. ``fem-submodel`` (:mod:`sciml.pipelines.fem_submodel`). Its
configuration model names the fields that the run file's ``members`` and
``seed`` fill; the run file's scheduler and workers are passed to its ``run``
function, and the Dataset it returns is written to the run file's output.
Built-in workflows are listed in :data:`BUILTIN` too.

A pipeline whose member function needs to know the backend declares a
``backend`` field in its configuration model: the run file's top-level
``backend`` (``auto`` resolved to one the pipeline supports) is put there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import xarray as xr
from pydantic import BaseModel, ValidationError

from gpu import BACKEND_NAMES
from gpu.errors import ConfigError
from sciml.config import format_validation_error
from sciml.ensemble.members import BatchFn, MemberFn

__all__ = [
    "BUILTIN",
    "Pipeline",
    "Workflow",
    "WorkflowFn",
    "get_pipeline",
    "pipeline_names",
    "register_pipeline",
    "unregister_pipeline",
]

#: Built-in pipelines and workflows: name -> "module:attribute" of their
#: :class:`Pipeline` or :class:`Workflow`.
BUILTIN: dict[str, str] = {
    "ou": "sciml.ensemble.ou:PIPELINE",
    "chaos": "sciml.ensemble.chaos:PIPELINE",
    "fluxtransport": "sciml.ensemble.fluxtransport:PIPELINE",
    "fem-global": "sciml.ensemble.fem:PIPELINE",
    "rom": "sciml.ensemble.rom:PIPELINE",
    "fem-submodel": "sciml.pipelines.fem_submodel:WORKFLOW",
}

_REGISTERED: dict[str, Pipeline | Workflow] = {}


def _resolve_backend(name: str, backends: tuple[str, ...], requested: str) -> str:
    if requested != "auto":
        if requested not in backends:
            raise ConfigError(
                f"backend: pipeline {name!r} runs on {', '.join(backends)}, not {requested!r}"
            )
        return requested
    if len(backends) == 1:
        return backends[0]
    from gpu import get_backend

    best = get_backend("auto").name
    return best if best in backends else backends[0]


def _validate_table(
    model: type[BaseModel], table: Mapping[str, Any], injected: Mapping[str, Any], where: str
) -> BaseModel:
    """Validate ``table`` against ``model`` after adding the ``injected`` fields.

    ``injected`` maps a field to ``(value, top-level key)``: the field is
    filled from the run file's top level and may not be set in ``[config]``.
    """
    data = dict(table)
    for field, (value, key) in injected.items():
        if field not in model.model_fields:
            continue
        if field in data:
            raise ConfigError(
                f"{where + ': ' if where else ''}config.{field}: set the {key} once, "
                f"with the top-level {key} key"
            )
        data[field] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid run file{' ' + where if where else ''}: "
            + format_validation_error(exc, prefix="config")
        ) from None


@dataclass(frozen=True)
class Pipeline:
    """One kind of ensemble member a run file can name.

    Parameters
    ----------
    name : str
        The name run files use (``pipeline = "ou"``).
    config_model : type
        The pydantic model of the ``[config]`` table (frozen, forbidding
        unknown keys: a :class:`~sciml.config.Config` subclass or alike).
    member : callable
        ``member(config, member_index, rng) -> xarray.Dataset``.
    batch : callable, optional
        ``batch(config, member_indices, rngs) -> xarray.Dataset`` with a
        ``member`` dimension, equal to calling ``member`` for each index.
    backends : tuple of str
        Backends the pipeline computes on, preferred first.
    description : str
        One line for listings.
    """

    name: str
    config_model: type[BaseModel]
    member: MemberFn
    batch: BatchFn | None = None
    backends: tuple[str, ...] = ("numpy",)
    description: str = ""

    def resolve_backend(self, requested: str) -> str:
        """The backend to run on: ``requested``, or for ``auto`` the best supported one."""
        return _resolve_backend(self.name, self.backends, requested)

    def make_config(self, table: Mapping[str, Any], backend: str, *, where: str = "") -> BaseModel:
        """Validate a run file's ``[config]`` table; errors name ``config.<key>``."""
        injected = {"backend": (backend, "backend")}
        return _validate_table(self.config_model, table, injected, where)


class WorkflowFn(Protocol):
    """``run(config, *, scheduler, workers, figures, progress) -> xarray.Dataset``."""

    def __call__(
        self,
        config: Any,
        *,
        scheduler: str,
        workers: int | None,
        figures: Path | None,
        progress: bool | None,
    ) -> xr.Dataset:
        """Run the whole workflow; write plots into ``figures`` when given."""
        ...


@dataclass(frozen=True)
class Workflow:
    """A whole study a run file can name: several steps, one Dataset out.

    Parameters
    ----------
    name : str
        The name run files use (``pipeline = "fem-submodel"``).
    config_model : type
        The pydantic model of the ``[config]`` table (frozen, forbidding unknown keys).
    run : callable
        ``run(config, *, scheduler, workers, figures, progress) -> xarray.Dataset``
        (see :class:`WorkflowFn`).
    members_field : str
        Field of ``config_model`` that the run file's ``members`` fills.
    seed_field : str
        Field of ``config_model`` that the run file's ``seed`` fills.
    backends : tuple of str
        Backends the workflow computes on, preferred first.
    extra_dims : tuple of str
        Dimensions of its Dataset beyond the shared ones (for the contract check).
    summary : callable, optional
        ``summary(dataset) -> str``: one line for the command line.
    description : str
        One line for listings.
    """

    name: str
    config_model: type[BaseModel]
    run: WorkflowFn
    members_field: str
    seed_field: str
    backends: tuple[str, ...] = ("numpy",)
    extra_dims: tuple[str, ...] = ()
    summary: Callable[[xr.Dataset], str] | None = None
    description: str = ""

    def resolve_backend(self, requested: str) -> str:
        """The backend to run on: ``requested``, or for ``auto`` the best supported one."""
        return _resolve_backend(self.name, self.backends, requested)

    def make_config(
        self,
        table: Mapping[str, Any],
        backend: str,
        *,
        members: int,
        seed: int,
        where: str = "",
    ) -> BaseModel:
        """Validate a run file's ``[config]``, its ``members``, ``seed`` and backend filled in."""
        injected = {
            "backend": (backend, "backend"),
            self.members_field: (members, "members"),
            self.seed_field: (seed, "seed"),
        }
        return _validate_table(self.config_model, table, injected, where)


def pipeline_names() -> list[str]:
    """Names of every pipeline and workflow, built-in and registered."""
    return sorted(set(BUILTIN) | set(_REGISTERED))


def get_pipeline(name: str) -> Pipeline | Workflow:
    """The pipeline or workflow called ``name``.

    Raises
    ------
    ConfigError
        No pipeline has that name.
    """
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in BUILTIN:
        raise ConfigError(f"unknown pipeline {name!r}: choose from {', '.join(pipeline_names())}")
    module, attribute = BUILTIN[name].split(":")
    pipeline: Pipeline | Workflow = getattr(importlib.import_module(module), attribute)
    return pipeline


def register_pipeline(pipeline: Pipeline | Workflow, *, replace: bool = False) -> None:
    """Make a pipeline or workflow available to run files under ``pipeline.name``.

    Raises
    ------
    ConfigError
        The name is taken (pass ``replace=True`` to override it) or a backend
        name is unknown.
    """
    if not replace and pipeline.name in pipeline_names():
        raise ConfigError(
            f"a pipeline named {pipeline.name!r} exists: pass replace=True to override it"
        )
    unknown = [b for b in pipeline.backends if b not in BACKEND_NAMES]
    if unknown or not pipeline.backends:
        raise ConfigError(
            f"pipeline {pipeline.name!r}: backends must be a non-empty tuple of "
            f"{', '.join(BACKEND_NAMES)}, got {pipeline.backends!r}"
        )
    _REGISTERED[pipeline.name] = pipeline


def unregister_pipeline(name: str) -> None:
    """Remove a pipeline added with :func:`register_pipeline` (built-ins stay)."""
    _REGISTERED.pop(name, None)
