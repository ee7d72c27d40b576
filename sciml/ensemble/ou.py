"""The ``ou`` pipeline: an Ornstein–Uhlenbeck process, integrated exactly.

Each member integrates ``dx = -theta (x - mu) dt + sigma dW`` on a regular
time grid with the exact transition

    x[n+1] = mu + (x[n] - mu) exp(-theta dt) + sigma sqrt((1 - exp(-2 theta dt)) / (2 theta)) xi[n],

``xi[n] ~ N(0, 1)``, from ``x[0] ~ N(x0, x0_spread^2)``. The ensemble mean and
variance at time ``t`` are known in closed form (:func:`ou_mean`,
:func:`ou_variance`); the variance tends to ``sigma^2 / (2 theta)``. It is the
built-in pipeline that exercises run files and the runner before the solvers
land, and a check of the runner's statistics against theory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from pydantic import ConfigDict, Field
from scipy.signal import lfilter

from sciml.config import Config
from sciml.ensemble.members import member_row
from sciml.ensemble.pipelines import Pipeline

__all__ = ["PIPELINE", "OUConfig", "ou_mean", "ou_member", "ou_members", "ou_variance"]


class OUConfig(Config):
    """Configuration of the ``ou`` pipeline (time in seconds, state dimensionless)."""

    model_config = ConfigDict(allow_inf_nan=False)

    theta: float = Field(1.0, gt=0, description="mean-reversion rate [1/s]")
    mu: float = Field(0.0, description="long-term mean [1]")
    sigma: float = Field(1.0, gt=0, description="noise amplitude [1/sqrt(s)]")
    x0: float = Field(0.0, description="mean initial state [1]")
    x0_spread: float = Field(
        0.0, ge=0, description="standard deviation of the initial state across members [1]"
    )
    dt: float = Field(0.01, gt=0, description="output time step [s]")
    n_steps: int = Field(
        1000, ge=1, le=10_000_000, description="time steps after the initial state"
    )


def ou_mean(config: OUConfig, t: np.ndarray) -> np.ndarray:
    """Ensemble mean at times ``t`` [s]: ``mu + (x0 - mu) exp(-theta t)``."""
    return config.mu + (config.x0 - config.mu) * np.exp(-config.theta * np.asarray(t))


def ou_variance(config: OUConfig, t: np.ndarray) -> np.ndarray:
    """Ensemble variance at times ``t`` [s].

    ``sigma^2 / (2 theta) (1 - exp(-2 theta t)) + x0_spread^2 exp(-2 theta t)``.
    """
    decay = np.exp(-2.0 * config.theta * np.asarray(t))
    return config.sigma**2 / (2.0 * config.theta) * (1.0 - decay) + config.x0_spread**2 * decay


def ou_members(
    config: OUConfig, members: np.ndarray, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """Several members in one vectorized call (the pipeline's batched function).

    Member ``members[i]`` draws its initial state, then its ``n_steps`` noise
    values, from ``rngs[i]`` alone, so it equals :func:`ou_member`'s result.
    """
    start = np.array([rng.standard_normal() for rng in rngs])
    noise = np.stack([rng.standard_normal(config.n_steps) for rng in rngs])
    decay = np.exp(-config.theta * config.dt)
    kick = config.sigma * np.sqrt(-np.expm1(-2.0 * config.theta * config.dt) / (2.0 * config.theta))
    x_start = config.x0 + config.x0_spread * start
    # y[n+1] = decay y[n] + kick xi[n] for y = x - mu: a first-order recursive filter
    deviation = lfilter(
        [kick], [1.0, -decay], noise, axis=1, zi=(decay * (x_start - config.mu))[:, None]
    )[0]
    x = np.concatenate([x_start[:, None], config.mu + deviation], axis=1)
    time = config.dt * np.arange(config.n_steps + 1)
    return xr.Dataset(
        {"x": (("member", "time"), x, {"units": "1", "long_name": "Ornstein-Uhlenbeck state"})},
        coords={
            "member": (
                "member",
                np.asarray(members),
                {"units": "1", "long_name": "ensemble member"},
            ),
            "time": ("time", time, {"units": "s", "long_name": "time"}),
            "x0": ("member", x_start, {"units": "1", "long_name": "initial state"}),
        },
        attrs={"title": "Ornstein-Uhlenbeck ensemble"},
    )


def ou_member(config: OUConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One member: a path ``x(time)`` with its initial state ``x0`` as a scalar coordinate."""
    return member_row(ou_members(config, np.array([member]), [rng]), 0)


PIPELINE = Pipeline(
    name="ou",
    config_model=OUConfig,
    member=ou_member,
    batch=ou_members,
    backends=("numpy",),
    description="Ornstein-Uhlenbeck process, integrated exactly",
)
