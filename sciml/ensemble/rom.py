"""The ``rom`` pipeline: ROM-accelerated Monte Carlo of a parametric heat problem.

Each member draws a parameter point (diffusivity, source position, source
strength) and solves the steady advection–diffusion problem of
:class:`solvers.rom.MovingSourceProblem` with a POD-Galerkin reduced model
on local bases (sine k-medoids clusters; each member's basis chosen by the
least full-order residual, or by k-NN on the parameters). The offline stage
(training snapshots, clustering, bases) is built once per configuration and
process and reused by every member.
Members report the reduced field and its peak; with ``check_full`` they also
solve the full model and report the ROM's relative error and the full peak.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import xarray as xr
from pydantic import Field

from sciml.config import Config
from sciml.ensemble.members import member_row
from sciml.ensemble.pipelines import Pipeline
from solvers.rom import GalerkinROM, LocalBases, MovingSourceProblem

__all__ = ["PIPELINE", "RomConfig", "rom_member", "rom_members"]


class RomConfig(Config):
    """Configuration of the ``rom`` pipeline (dimensionless units)."""

    n_elements: int = Field(400, ge=8, le=100_000, description="P1 elements on [0, 1]")
    n_train: int = Field(200, ge=4, description="training snapshots of the offline stage")
    n_clusters: int = Field(6, ge=1, description="local bases (clusters)")
    n_modes: int = Field(8, ge=1, description="modes per local basis")
    train_seed: int = Field(0, ge=0, description="seed of the training parameters")
    diffusivity: tuple[float, float] = Field((0.01, 0.05), description="range of nu [1]")
    position: tuple[float, float] = Field((0.1, 0.9), description="range of x0 [1]")
    strength: tuple[float, float] = Field((0.1, 3.0), description="range of s (log-uniform) [1]")
    select: Literal["parameters", "residual"] = Field(
        "residual", description="choice of the local basis: k-NN on parameters or least residual"
    )
    check_full: bool = Field(False, description="also solve the full model and report the error")


@lru_cache(maxsize=4)
def _offline(config: RomConfig) -> tuple[MovingSourceProblem, GalerkinROM]:
    problem = MovingSourceProblem(config.n_elements)
    rng = np.random.default_rng(config.train_seed)
    params = problem.sample_parameters(
        config.n_train, rng, config.diffusivity, config.position, config.strength
    )
    bases = LocalBases(config.n_clusters, config.n_modes, seed=config.train_seed)
    fitted = bases.fit(problem.snapshots(params))
    return problem, GalerkinROM(problem, fitted, select=config.select)


def rom_members(
    config: RomConfig, members: np.ndarray, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """Several members in one call; member ``members[i]`` draws from ``rngs[i]`` alone."""
    problem, rom = _offline(config)
    params = np.vstack(
        [
            problem.sample_parameters(1, rng, config.diffusivity, config.position, config.strength)
            for rng in rngs
        ]
    )
    u = rom.solve(params)
    names = ("diffusivity", "position", "strength")
    data: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {
        "u": (("member", "node"), u, {"units": "1", "long_name": "reduced temperature"}),
        "peak": (("member",), u.max(axis=1), {"units": "1", "long_name": "peak temperature"}),
    }
    if config.check_full:
        full = problem.solve(params)
        error = np.linalg.norm(full - u, axis=1) / np.linalg.norm(full, axis=1)
        data["rom_error"] = (("member",), error, {"units": "1", "long_name": "relative ROM error"})
        data["full_peak"] = (
            ("member",),
            full.max(axis=1),
            {"units": "1", "long_name": "peak temperature of the full model"},
        )
    return xr.Dataset(
        data,
        coords={
            "member": ("member", np.asarray(members), {"units": "1", "long_name": "member"}),
            "x": ("node", problem.x, {"units": "1", "long_name": "position"}),
            **{
                name: ("member", params[:, i], {"units": "1", "long_name": name})
                for i, name in enumerate(names)
            },
        },
        attrs={"title": "ROM-accelerated Monte Carlo, moving heat source"},
    )


def rom_member(config: RomConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One member: the reduced field ``u(node)``, its peak, and its parameters."""
    return member_row(rom_members(config, np.array([member]), [rng]), 0)


PIPELINE = Pipeline(
    name="rom",
    config_model=RomConfig,
    member=rom_member,
    batch=rom_members,
    backends=("numpy",),
    description="POD-Galerkin ROM on local bases: Monte Carlo of a moving heat source",
)
