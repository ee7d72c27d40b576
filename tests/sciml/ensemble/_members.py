"""Module-level member functions for the ensemble tests (picklable for processes and clusters)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np
import xarray as xr
from pydantic import Field

from sciml.config import Config

N_TIME = 8
TIME_ATTRS = {"units": "s", "long_name": "time"}


def walk(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """A random walk with a random amplitude (a member parameter) and an integer echo."""
    amplitude = rng.uniform(0.5, 2.0)
    steps = rng.standard_normal(N_TIME)
    return xr.Dataset(
        {
            "y": ("time", amplitude * np.cumsum(steps), {"units": "m", "long_name": "walk"}),
            "index": ((), member, {"units": "1", "long_name": "member index echoed"}),
        },
        coords={
            "time": ("time", 0.5 * np.arange(N_TIME), TIME_ATTRS),
            "amplitude": ((), amplitude, {"units": "m", "long_name": "step amplitude"}),
        },
    )


def walk_batch(
    config: object, members: np.ndarray, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """The same members as :func:`walk`, stacked in one call."""
    outputs = [walk(config, int(k), rng) for k, rng in zip(members, rngs, strict=True)]
    return xr.Dataset(
        {
            "y": (
                ("member", "time"),
                np.stack([o["y"].values for o in outputs]),
                outputs[0]["y"].attrs,
            ),
            "index": ("member", members, outputs[0]["index"].attrs),
        },
        coords={
            "member": ("member", members),
            "time": outputs[0]["time"],
            "amplitude": (
                "member",
                [float(o["amplitude"]) for o in outputs],
                outputs[0]["amplitude"].attrs,
            ),
        },
    )


def walk_batch_failing_at_3(
    config: object, members: np.ndarray, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """A batched function that cannot handle a chunk holding member 3."""
    if 3 in members:
        raise RuntimeError("batched kernel refused member 3")
    return walk_batch(config, members, rngs)


class FaultyConfig(Config):
    """Which members of :func:`faulty` raise and which produce NaN."""

    raise_at: list[int] = Field(default_factory=lambda: [3])
    nan_at: list[int] = Field(default_factory=lambda: [5])


def faulty(config: FaultyConfig, member: int, rng: np.random.Generator) -> xr.Dataset:
    """:func:`walk`, except that chosen members raise or go non-finite."""
    out = walk(config, member, rng)
    if member in config.raise_at:
        raise ValueError(f"member {member} diverged on purpose")
    if member in config.nan_at:
        out["y"][2] = np.nan
    return out


def contract_breaker(config: object, member: int, rng: np.random.Generator) -> object:
    """Members 1 to 4 break the contract in four ways; the others are walks."""
    out = walk(config, member, rng)
    if member == 1:
        return out["y"].values
    if member == 2:
        out["y"].attrs.pop("units")
    if member == 3:
        out = out.isel(time=slice(0, 4))
    if member == 4:
        out = out.rename({"index": "failed"})
    return out


def always_fails(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """Every member raises."""
    raise ZeroDivisionError(f"member {member} cannot be computed")


def interrupted_at_9(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """A walk, except that member 9 interrupts the run (as Ctrl-C would) when asked to."""
    if member == 9 and os.environ.get("SCIML_TEST_INTERRUPT"):
        raise KeyboardInterrupt
    return walk(config, member, rng)


def slow_logged(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """A walk that logs its index to ``$SCIML_TEST_MEMBER_LOG``, then sleeps.

    The delay is ``$SCIML_TEST_DELAY`` seconds (none by default).
    """
    log = os.environ.get("SCIML_TEST_MEMBER_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{member}\n")
    time.sleep(float(os.environ.get("SCIML_TEST_DELAY", "0")))
    return walk(config, member, rng)


def expected_walk(seed: int, n_members: int, member: int) -> xr.Dataset:
    """Member ``member`` computed directly from its spawned seed, outside the runner."""
    child = np.random.SeedSequence(seed).spawn(n_members)[member]
    return walk(None, member, np.random.default_rng(child))


def labelled(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """A walk with a string parameter; member 2 raises, member 4 returns a Python object."""
    out = walk(config, member, rng).assign_coords(
        label=((), f"walk-{member}", {"units": "1", "long_name": "member label"})
    )
    if member == 2:
        raise RuntimeError("no label for member 2")
    if member == 4:
        out["index"] = ((), np.array(object(), dtype=object), {"units": "1", "long_name": "x"})
    return out


def gappy(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """:func:`walk` plus ``score``, whose NaNs are declared data; member 4's score is infinite."""
    out = walk(config, member, rng)
    score = np.array([float(member), np.nan if member % 2 else 1.0])
    if member == 4:
        score[0] = np.inf
    attrs = {"units": "1", "long_name": "score", "nan_means": "not scored"}
    return out.assign(score=("sample", score, attrs))


def gappy_batch(
    config: object, members: np.ndarray, rngs: Sequence[np.random.Generator]
) -> xr.Dataset:
    """:func:`gappy` for a chunk, stacked in one call."""
    outputs = [gappy(config, int(k), rng) for k, rng in zip(members, rngs, strict=True)]
    return xr.concat(outputs, dim="member").assign_coords(member=members)
