"""Chaos members for the ensemble runner, from a validated configuration.

The runner hands member ``m`` the generator ``default_rng(SeedSequence(seed)
.spawn(M)[m])``; :func:`chaos_member` and :func:`chaos_members` draw member
``m``'s initial perturbation (and noise) from that generator alone, so that
member ``m`` equals member ``m`` of ``trajectory(..., seed=seed)`` however the
members are scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from solvers.chaos.catalog import get
from solvers.chaos.trajectory import METHODS, trajectory

__all__ = ["ChaosConfig", "chaos_member", "chaos_members"]


class ChaosConfig(BaseModel):
    """A chaos run: which system, how long, how accurately (TOML-loadable).

    Attributes
    ----------
    system : str
        Catalog name.
    n : int
        Output points per member.
    pts_per_period : int
        Output points per dysts period (unless ``dt`` is set).
    dt : float or None
        Output spacing in model time units.
    method : {"dopri5", "dop853", "rk4", "rosenbrock", "auto", "euler_maruyama", "heun"}
        Integrator.
    rtol, atol : float
        Tolerances of ``dopri5``.
    backend : str
        Array backend (``auto`` by default).
    params : dict
        Scalar parameter overrides.
    burn_in : float
        Periods integrated before output.
    substeps : int
        RK4 or stochastic steps per output interval.
    noise : float
        Noise amplitude of the stochastic methods (see ``trajectory``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(description="catalog name, e.g. Lorenz")
    n: int = Field(1000, gt=0, description="output points per member [1]")
    pts_per_period: int = Field(100, gt=0, description="output points per dysts period [1]")
    dt: float | None = Field(None, gt=0, description="output spacing [model time units]")
    method: str = Field("dopri5", description="one of trajectory.METHODS")
    rtol: float = Field(1e-10, gt=0, description="relative tolerance of dopri5 [1]")
    atol: float = Field(1e-10, gt=0, description="absolute tolerance of dopri5 [state units]")
    backend: str = Field("auto", description="numpy, numba, jax, cupy or auto")
    params: dict[str, float] = Field(default_factory=dict, description="parameter overrides")
    burn_in: float = Field(10.0, gt=0, description="burn-in before output [periods]")
    substeps: int = Field(10, gt=0, description="fixed steps per output interval [1]")
    noise: float = Field(0.0, ge=0, description="noise amplitude [attractor std / sqrt(time)]")

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        return value

    @model_validator(mode="after")
    def _known_system_and_parameters(self) -> ChaosConfig:
        """Check the system name and overrides now, before any member starts."""
        get(self.system, **self.params)
        return self


def chaos_members(
    config: ChaosConfig, members: Any, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """Several members in one batched call, member ``members[i]`` drawing from ``rngs[i]``.

    Parameters
    ----------
    config : ChaosConfig
        The run.
    members : array_like of int
        Member indices (labels of the ``member`` dimension).
    rngs : sequence of numpy.random.Generator
        One generator per member.

    Returns
    -------
    xarray.Dataset
        As :func:`~solvers.chaos.trajectory`, labelled with ``members``.
    """
    options: dict[str, Any] = config.model_dump()
    system, n = options.pop("system"), options.pop("n")
    labels = np.asarray(members, dtype=int)
    ds = trajectory(system, n, members=labels.size, rngs=list(rngs), **options)
    return ds.assign_coords(
        member=("member", labels, {"units": "1", "long_name": "ensemble member"})
    )


def chaos_member(config: ChaosConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One member, without a ``member`` dimension (the runner's member function)."""
    return chaos_members(config, [member], [rng]).isel(member=0).drop_vars("member")
