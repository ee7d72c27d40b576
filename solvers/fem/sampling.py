"""Monte Carlo over global models: random sources, boundary histories, submodel QoIs.

Each member draws a Gaussian source (centre uniform in the domain, random
direction, log-normal amplitude) with a Ricker signal, and optionally a
log-normal Young's modulus field (a Karhunen–Loève expansion), from its own
``numpy.random.Generator`` (spawned from ``SeedSequence(seed)``), runs the
global model with Newmark, and records the displacement on the boundary of
the submodel zone. :func:`sample_global` returns those histories for many
members; :func:`global_member` is one member of the ``fem-global`` pipeline:
the boundary history and the quantities of interest in the zone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from solvers.contract import with_provenance
from solvers.fem.integrators import Newmark, Solution
from solvers.fem.mesh import Mesh
from solvers.fem.problems import (
    ElastodynamicsProblem,
    Source,
    WaveProblem,
    gaussian_source,
    ricker,
)
from solvers.fem.qoi import zone_qoi
from solvers.fem.random_field import KarhunenLoeve
from solvers.fem.submodel import Submodel, Zone, extract_boundary_history

__all__ = ["SubmodelConfig", "global_member", "global_problem", "global_run", "sample_global"]


class SubmodelConfig(BaseModel):
    """A square global model, a zone of interest and its random inputs.

    Random Ricker sources per member, and with ``young_log_sd > 0`` a
    log-normal Young's modulus field (Karhunen–Loève, ``field_*``); the zone's
    quantities of interest come from the global solution or from a (refined)
    submodel (``qoi_source``, ``submodel_refine``).
    """

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
    young_log_sd: float = Field(
        0.0,
        ge=0,
        description="s.d. of log E, a Gaussian random field per member (0: uniform E; "
        "elastodynamics only)",
    )
    field_kernel: Literal["squared_exponential", "matern"] = Field(
        "squared_exponential", description="covariance kernel of the log-E field"
    )
    field_length: float = Field(0.25, gt=0, description="correlation length of the log-E field [m]")
    field_nu: float = Field(1.5, gt=0, description="Matérn smoothness of the log-E field")
    field_energy: float = Field(
        0.95, gt=0, le=1, description="variance fraction kept by the Karhunen–Loève expansion"
    )
    qoi_source: Literal["global", "submodel"] = Field(
        "global",
        description="zone quantities of interest from the global solution, or from the "
        "submodel driven by the boundary history",
    )

    submodel_refine: int = Field(
        1,
        ge=1,
        le=16,
        description="refinement of the submodel mesh (qoi_source = submodel; 1: the "
        "restriction of the global mesh)",
    )

    @model_validator(mode="after")
    def _field_needs_elasticity(self) -> SubmodelConfig:
        if self.young_log_sd > 0 and self.kind != "elastodynamics":
            raise ValueError("young_log_sd needs kind = 'elastodynamics'")
        return self


def global_problem(config: SubmodelConfig) -> WaveProblem | ElastodynamicsProblem:
    """The global problem of ``config``: its square mesh and physics, uniform material, no sources.

    Parameters
    ----------
    config : SubmodelConfig

    Returns
    -------
    WaveProblem or ElastodynamicsProblem
    """
    mesh = Mesh.rectangle(config.cells, config.cells, config.length, config.length)
    if config.kind == "wave":
        return WaveProblem(mesh, config.degree, speed=config.speed, backend=config.fem_backend)
    return ElastodynamicsProblem(
        mesh,
        config.degree,
        young=config.young,
        poisson=config.poisson,
        density=config.density,
        backend=config.fem_backend,
    )


@lru_cache(maxsize=4)
def _setup(config: SubmodelConfig) -> tuple[WaveProblem | ElastodynamicsProblem, Submodel]:
    problem = global_problem(config)
    return problem, Submodel(problem, Zone(config.zone_lower, config.zone_upper))


def _sources(config: SubmodelConfig, rng: np.random.Generator, ncomp: int) -> list[Source]:
    center = rng.uniform(0.0, config.length, size=2).tolist()
    angle = rng.uniform(0.0, 2.0 * np.pi)
    direction = [1.0] if ncomp == 1 else [np.cos(angle), np.sin(angle)]
    amplitude = float(np.exp(config.amplitude_log_sd * rng.standard_normal()))
    signal = ricker(config.f0, 1.5 / config.f0, amplitude)
    return [gaussian_source(center, config.width, direction, signal)]


@lru_cache(maxsize=4)
def _young_field(config: SubmodelConfig) -> KarhunenLoeve:
    return KarhunenLoeve.on_mesh(
        _setup(config)[0].space.mesh,
        kernel=config.field_kernel,
        length=config.field_length,
        sigma=config.young_log_sd,
        nu=config.field_nu,
        energy=config.field_energy,
        backend=config.fem_backend,
    )


def _member_model(
    config: SubmodelConfig, rng: np.random.Generator
) -> tuple[WaveProblem | ElastodynamicsProblem, Submodel]:
    """The global problem and its submodel with this member's random inputs."""
    base, submodel = _setup(config)
    sources = _sources(config, rng, base.space.ncomp)
    if config.young_log_sd == 0:
        return base.with_sources(sources), submodel.with_sources(sources)
    kl = _young_field(config)
    mesh = base.space.mesh
    problem = ElastodynamicsProblem(
        mesh,
        config.degree,
        young=config.young * np.exp(kl.cell_values(kl.coefficients(rng), mesh.cells)),
        poisson=config.poisson,
        density=config.density,
        sources=sources,
        backend=config.fem_backend,
    )
    return problem, Submodel(problem, submodel.zone)


def global_run(
    config: SubmodelConfig, rng: np.random.Generator, *, record_all: bool = False
) -> tuple[WaveProblem | ElastodynamicsProblem, Submodel, Solution]:
    """One global run with its random inputs drawn from ``rng``.

    The source first; then, if ``config.young_log_sd > 0``, the coefficients
    of a log-normal Young's modulus field ``E exp(g)`` per cell (``g`` a
    Karhunen–Loève Gaussian field, cell means of its P1 interpolant).

    Returns
    -------
    problem : WaveProblem or ElastodynamicsProblem
        The global problem with this member's sources and material.
    submodel : Submodel
        Its submodel (same sources and material).
    solution : Solution
        Recorded at every node if ``record_all``, else on the zone boundary only.
    """
    problem, submodel = _member_model(config, rng)
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


def global_member(config: SubmodelConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One ``fem-global`` member: a global run, its zone boundary history and zone QoIs.

    The run records every node of the zone; the quantities of interest come
    from that global solution in the zone, or (``config.qoi_source =
    "submodel"``) from the submodel driven by the boundary history, on a mesh
    refined ``config.submodel_refine`` times.

    Returns
    -------
    xarray.Dataset
        ``displacement`` on the zone boundary ``(time, node, component)`` with
        node coordinates (the layout of one member of :func:`sample_global`),
        ``peak_displacement``, ``energy(time)`` and, for elastodynamics,
        ``peak_von_mises`` (see :func:`solvers.fem.qoi.zone_qoi`).
    """
    problem, zone = _member_model(config, rng)
    integrator = Newmark(config.dt, config.n_steps)
    sol = integrator.run(problem, record=zone.global_nodes)
    history = extract_boundary_history([sol], zone)
    if config.qoi_source == "submodel":
        if config.submodel_refine > 1:
            zone = Submodel(problem, zone.zone, refine=config.submodel_refine)
        sol = zone.run(history, integrator)
    qoi = zone_qoi(zone.problem, sol.displacement, config.dt)
    return history.isel(member=0, drop=True).merge(qoi)
