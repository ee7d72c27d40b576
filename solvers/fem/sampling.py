"""Monte Carlo over global models: random sources, boundary histories, submodel QoIs.

Each member draws a Gaussian source (centre uniform in the domain, random
direction, log-normal amplitude) with a Ricker signal from its own
``numpy.random.Generator`` (spawned from ``SeedSequence(seed)``), runs the
global model with Newmark, and records the displacement on the boundary of
the submodel zone. :func:`sample_global` returns those histories for many
members; :func:`submodel_member` also runs the submodel and its quantities of
interest (one member of the ``fem-submodel`` pipeline).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field

from solvers.contract import with_provenance
from solvers.fem.integrators import Newmark, Solution
from solvers.fem.mesh import Mesh
from solvers.fem.problems import (
    ElastodynamicsProblem,
    Problem,
    Source,
    WaveProblem,
    gaussian_source,
    ricker,
)
from solvers.fem.submodel import Submodel, Zone, extract_boundary_history

__all__ = ["SubmodelConfig", "global_run", "sample_global", "submodel_member"]


class SubmodelConfig(BaseModel):
    """A square global model, a zone of interest and the random Ricker sources."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: Literal["wave", "elastodynamics"] = Field("elastodynamics", description="physics")
    cells: int = Field(16, ge=2, le=2000, description="cells per side of the square")
    length: float = Field(1.0, gt=0, description="side of the square [m]")
    degree: Literal[1, 2] = Field(1, description="Lagrange degree")
    young: float = Field(1.0, gt=0, description="Young's modulus E [Pa]")
    poisson: float = Field(0.25, gt=-1, lt=0.5, description="Poisson's ratio")
    density: float = Field(1.0, gt=0, description="density [kg/m^3]")
    speed: float = Field(1.0, gt=0, description="wave speed (kind = wave) [m/s]")
    zone_lower: tuple[float, float] = Field((0.5, 0.25), description="zone corner [m]")
    zone_upper: tuple[float, float] = Field((1.0, 0.75), description="zone corner [m]")
    dt: float = Field(0.01, gt=0, description="time step [s]")
    n_steps: int = Field(100, ge=1, le=1_000_000, description="time steps")
    f0: float = Field(2.0, gt=0, description="Ricker peak frequency [Hz]")
    width: float = Field(0.05, gt=0, description="Gaussian source width [m]")
    amplitude_log_sd: float = Field(0.5, ge=0, description="s.d. of log amplitude")
    fem_backend: Literal["skfem", "dolfinx"] = Field("skfem", description="FEM backend")


@lru_cache(maxsize=4)
def _setup(config: SubmodelConfig) -> tuple[WaveProblem | ElastodynamicsProblem, Submodel]:
    mesh = Mesh.rectangle(config.cells, config.cells, config.length, config.length)
    problem: WaveProblem | ElastodynamicsProblem
    if config.kind == "wave":
        problem = WaveProblem(mesh, config.degree, speed=config.speed, backend=config.fem_backend)
    else:
        problem = ElastodynamicsProblem(
            mesh,
            config.degree,
            young=config.young,
            poisson=config.poisson,
            density=config.density,
            backend=config.fem_backend,
        )
    return problem, Submodel(problem, Zone(config.zone_lower, config.zone_upper))


def _sources(config: SubmodelConfig, rng: np.random.Generator, ncomp: int) -> list[Source]:
    center = rng.uniform(0.0, config.length, size=2).tolist()
    angle = rng.uniform(0.0, 2.0 * np.pi)
    direction = [1.0] if ncomp == 1 else [np.cos(angle), np.sin(angle)]
    amplitude = float(np.exp(config.amplitude_log_sd * rng.standard_normal()))
    signal = ricker(config.f0, 1.5 / config.f0, amplitude)
    return [gaussian_source(center, config.width, direction, signal)]


def global_run(
    config: SubmodelConfig, rng: np.random.Generator, *, record_all: bool = False
) -> tuple[Problem, Submodel, Solution]:
    """One global run with sources drawn from ``rng``.

    Returns
    -------
    problem : Problem
        The global problem with this member's sources.
    submodel : Submodel
    solution : Solution
        Recorded at every node if ``record_all``, else on the zone boundary only.
    """
    base, submodel = _setup(config)
    problem = base.with_sources(_sources(config, rng, base.space.ncomp))
    record = None if record_all else submodel.boundary_nodes
    sol = Newmark(config.dt, config.n_steps).run(problem, record=record)
    return problem, submodel, sol


def sample_global(config: SubmodelConfig, *, members: int, seed: int) -> xr.Dataset:
    """Boundary histories of ``members`` global runs, seeded by ``SeedSequence(seed).spawn``.

    Returns
    -------
    xarray.Dataset
        ``displacement`` with dims ``(member, time, node, component)``, node
        coordinates ``x``, ``y``, CF attributes and provenance.
    """
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(members)]
    runs = [global_run(config, rng)[2] for rng in rngs]
    ds = extract_boundary_history(runs, _setup(config)[1])
    return with_provenance(
        ds, backend=config.fem_backend, seed=seed, config=config.model_dump(mode="json")
    )


def submodel_member(config: SubmodelConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One Monte Carlo member: global run, boundary history, submodel run, QoIs in the zone.

    Returns
    -------
    xarray.Dataset
        ``displacement`` on the zone boundary ``(time, node, component)``,
        ``peak_displacement`` and ``energy(time)`` of the submodel.
    """
    problem, submodel, sol = global_run(config, rng)
    history = extract_boundary_history([sol], submodel)
    inner = submodel.with_sources(problem.sources).run(
        history, Newmark(config.dt, config.n_steps), energy=True
    )
    peak = float(np.sqrt((inner.displacement**2).sum(axis=2)).max())
    ds = history.isel(member=0, drop=True)
    ds["peak_displacement"] = (
        (),
        peak,
        {"units": "m", "long_name": "peak displacement magnitude in the zone"},
    )
    ds["energy"] = ("time", inner.energy, {"units": "J", "long_name": "energy in the zone"})
    return ds
