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
``fem-submodel``, ``rom``, ...) joins the runner in three steps, the way the
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

A pipeline whose member function needs to know the backend declares a
``backend`` field in its configuration model: the run file's top-level
``backend`` (``auto`` resolved to one the pipeline supports) is put there.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from gpu import BACKEND_NAMES
from gpu.errors import ConfigError
from sciml.config import format_validation_error
from sciml.ensemble.members import BatchFn, MemberFn

__all__ = [
    "BUILTIN",
    "Pipeline",
    "get_pipeline",
    "pipeline_names",
    "register_pipeline",
    "unregister_pipeline",
]

#: Built-in pipelines: name -> "module:attribute" of their :class:`Pipeline`.
BUILTIN: dict[str, str] = {
    "ou": "sciml.ensemble.ou:PIPELINE",
    "chaos": "sciml.ensemble.chaos:PIPELINE",
    "fluxtransport": "sciml.ensemble.fluxtransport:PIPELINE",
    "fem-global": "sciml.ensemble.fem:PIPELINE",
    "rom": "sciml.ensemble.rom:PIPELINE",
}

_REGISTERED: dict[str, Pipeline] = {}


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
        if requested != "auto":
            if requested not in self.backends:
                raise ConfigError(
                    f"backend: pipeline {self.name!r} runs on {', '.join(self.backends)}, "
                    f"not {requested!r}"
                )
            return requested
        if len(self.backends) == 1:
            return self.backends[0]
        from gpu import get_backend

        best = get_backend("auto").name
        return best if best in self.backends else self.backends[0]

    def make_config(self, table: Mapping[str, Any], backend: str, *, where: str = "") -> BaseModel:
        """Validate a run file's ``[config]`` table; errors name ``config.<key>``."""
        data = dict(table)
        if "backend" in self.config_model.model_fields:
            if "backend" in data:
                raise ConfigError(
                    f"{where + ': ' if where else ''}config.backend: set the backend once, "
                    "with the top-level backend key"
                )
            data["backend"] = backend
        try:
            return self.config_model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                f"invalid run file{' ' + where if where else ''}: "
                + format_validation_error(exc, prefix="config")
            ) from None


def pipeline_names() -> list[str]:
    """Names of every pipeline, built-in and registered."""
    return sorted(set(BUILTIN) | set(_REGISTERED))


def get_pipeline(name: str) -> Pipeline:
    """The pipeline called ``name``.

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
    pipeline: Pipeline = getattr(importlib.import_module(module), attribute)
    return pipeline


def register_pipeline(pipeline: Pipeline, *, replace: bool = False) -> None:
    """Make ``pipeline`` available to run files under ``pipeline.name``.

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
