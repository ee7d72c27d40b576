"""Member functions for the ensemble runner's ``fluxtransport`` pipeline.

The runner (``sciml.ensemble``) calls ``member(config, member_index, rng)``
for one member, or ``batch(config, member_indices, rngs)`` for a chunk; both
take the pipeline's configuration as a mapping or a pydantic model with the
keys of :class:`SFTConfig` plus

* ``initial_map``: path of a HipFT map file (or a netCDF file holding ``br``);
* ``backend``: array backend (default ``"auto"``).

Per-realization parameter lists are indexed by the member index (their length
must be the ensemble's size); single numbers are shared. A chunk runs as one
batch of realizations: one kernel call per step for the whole chunk. Maps are
kept at every history time so that one ``time`` axis serves both (the runner
stores only contract dimensions). The runs are deterministic: ``rng`` is
accepted and unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError
from solvers.fluxtransport.config import SFTConfig, check_config
from solvers.fluxtransport.hipft_io import read_map
from solvers.fluxtransport.run import run

__all__ = ["batch", "member"]

_EXTRA_KEYS = ("initial_map", "backend")


def _as_mapping(config: Mapping[str, Any] | Any) -> dict[str, Any]:
    if hasattr(config, "model_dump"):
        return dict(config.model_dump())
    return dict(config)


def _select(raw: dict[str, Any], indices: Sequence[int]) -> SFTConfig:
    """The configuration of the realizations ``indices`` of the whole ensemble."""
    sft = {k: v for k, v in raw.items() if k not in _EXTRA_KEYS}
    sft.pop("realizations", None)
    for section in ("flows", "diffusion"):
        table = dict(sft.get(section) or {})
        for name, value in table.items():
            if isinstance(value, list):
                if max(indices) >= len(value):
                    raise ConfigError(
                        f"{section}.{name} has {len(value)} values but member "
                        f"{max(indices)} was asked for: give one value per member"
                    )
                table[name] = [value[i] for i in indices]
        sft[section] = table
    output = dict(sft.get("output") or {})
    output["map_cadence_h"] = output.get("history_cadence_h")
    sft["output"] = output
    sft["realizations"] = len(indices)
    return check_config(sft)


def _initial_map(raw: dict[str, Any]) -> xr.DataArray:
    path = raw.get("initial_map")
    if not path:
        raise ConfigError("initial_map: give the path of the initial Br map")
    return read_map(str(path), "initial_map")


def _one_time_axis(ds: xr.Dataset) -> xr.Dataset:
    br = ds["br"].rename(map_time="time").assign_coords(time=ds["time"])
    return ds.drop_vars(["br", "map_time"]).assign(br=br)


def batch(
    config: Mapping[str, Any] | Any,
    member_indices: Sequence[int] | np.ndarray,
    rngs: Sequence[Any],
) -> xr.Dataset:
    """Run the members ``member_indices`` as one batch of realizations.

    Returns
    -------
    xarray.Dataset
        History and maps with dims ``(member, time[, lat, lon])``, one row per
        index.
    """
    raw = _as_mapping(config)
    indices = [int(i) for i in np.atleast_1d(member_indices)]
    ds = run(_select(raw, indices), _initial_map(raw), backend=raw.get("backend") or "auto")
    return _one_time_axis(ds).assign_coords(member=indices)


def member(config: Mapping[str, Any] | Any, member_index: int, rng: Any) -> xr.Dataset:
    """Run one member; the Dataset has no ``member`` dimension."""
    return batch(config, [member_index], [rng]).isel(member=0).drop_vars("member")
