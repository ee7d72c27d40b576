"""The xarray data contract shared by every sciml solver and learner.

Everything handed to a user is an :class:`xarray.Dataset` (or DataArray) with

* dimension names from :data:`DIMENSIONS` (``member``, ``time``, ``lat`` ...);
* CF attributes ``units`` and ``long_name`` on every data variable, and units
  on ``time`` and on ``lat``/``lon``;
* NaN only where a variable says what it means (attribute :data:`NAN_MEANS`,
  e.g. a score of a model that failed on one system); elsewhere the ensemble
  runner takes a NaN for a numerical failure of the member;
* provenance in ``attrs`` (:data:`PROVENANCE_KEYS`): the package version, the
  backend, the seed and the full configuration as JSON.

:func:`validate_dataset` checks all of it and reports every problem at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ContractError

__all__ = [
    "DIMENSIONS",
    "NAN_MEANS",
    "PROVENANCE_KEYS",
    "package_version",
    "provenance",
    "validate_dataset",
    "with_provenance",
]

#: The shared dimension names and what each one indexes.
DIMENSIONS: dict[str, str] = {
    "member": "ensemble realization",
    "time": "time (with units)",
    "component": "state-vector index of an ODE",
    "lat": "latitude in degrees north",
    "lon": "longitude in degrees east",
    "theta": "colatitude in radians (solver grid)",
    "phi": "longitude in radians (solver grid)",
    "node": "finite-element mesh node",
    "snapshot": "snapshot of a reduced-order-model training set",
    "mode": "reduced-basis or POD mode",
    "cluster": "cluster of snapshots",
    "sample": "i.i.d. case",
    "quantile": "quantile level",
    "system": "dynamical system of a benchmark",
    "model": "model compared in a benchmark",
    "metric": "score of a benchmark",
    "lead": "forecast lead, in steps",
}

#: Attribute of a data variable whose NaN values are data, not a failure: its
#: value says what a NaN there means (e.g. "the model failed on this system").
#: The ensemble runner counts only infinities in such a variable as non-finite.
NAN_MEANS = "nan_means"

#: Common spellings users reach for, mapped to the contract's name.
_ALIASES: dict[str, str] = {
    "members": "member",
    "ensemble": "member",
    "realization": "member",
    "realisation": "member",
    "number": "member",
    "t": "time",
    "times": "time",
    "latitude": "lat",
    "longitude": "lon",
    "components": "component",
    "dim": "component",
    "nodes": "node",
    "snapshots": "snapshot",
    "modes": "mode",
    "samples": "sample",
    "quantiles": "quantile",
}

#: attrs every produced Dataset carries.
PROVENANCE_KEYS: tuple[str, ...] = ("sciml_version", "backend", "seed", "config")

_REQUIRED_VAR_ATTRS = ("units", "long_name")
_COORD_UNITS = {"lat": "degrees_north", "lon": "degrees_east", "theta": "rad", "phi": "rad"}


def package_version() -> str:
    """The installed version of the ``sciml`` distribution (``"unknown"`` if not installed)."""
    try:
        return version("sciml")
    except PackageNotFoundError:
        return "unknown"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # pydantic models
        return value.model_dump(mode="json")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def provenance(
    *, backend: str, seed: int | None, config: Mapping[str, Any] | Any
) -> dict[str, str | int]:
    """Build the provenance attrs of a produced Dataset.

    Parameters
    ----------
    backend : str
        Name of the array backend that computed the data.
    seed : int or None
        Base seed of the run (``-1`` is stored for an unseeded run, since
        NetCDF attributes cannot be ``None``).
    config : mapping or pydantic model
        The full configuration; stored as a JSON string.
    """
    return {
        "sciml_version": package_version(),
        "backend": backend,
        "seed": -1 if seed is None else int(seed),
        "config": json.dumps(config, default=_jsonable, sort_keys=True),
    }


def with_provenance(
    ds: xr.Dataset, *, backend: str, seed: int | None, config: Mapping[str, Any] | Any
) -> xr.Dataset:
    """Return a copy of ``ds`` with provenance attrs set (see :func:`provenance`)."""
    out = ds.copy()
    out.attrs.update(provenance(backend=backend, seed=seed, config=config))
    return out


def _dimension_problems(ds: xr.Dataset, allowed: set[str]) -> list[str]:
    problems = []
    for dim in ds.dims:
        name = str(dim)
        if name in allowed:
            continue
        hint = _ALIASES.get(name.lower())
        if hint:
            problems.append(f"dimension {name!r} should be named {hint!r}")
        else:
            problems.append(
                f"dimension {name!r} is not a contract dimension "
                f"({', '.join(DIMENSIONS)}); pass extra_dims=[{name!r}] if it is intended"
            )
    return problems


def _attribute_problems(ds: xr.Dataset) -> list[str]:
    problems = []
    for name, var in ds.data_vars.items():
        missing = [key for key in _REQUIRED_VAR_ATTRS if not var.attrs.get(key)]
        if missing:
            problems.append(f"variable {name!r} lacks CF attribute(s) {', '.join(missing)}")
    if "time" in ds.coords:
        t = ds["time"]
        is_datetime = t.dtype.kind in "mM"
        if not (is_datetime or t.attrs.get("units") or t.encoding.get("units")):
            problems.append("coordinate 'time' has no units (set time.attrs['units'])")
    for coord, expected in _COORD_UNITS.items():
        if coord in ds.coords and ds[coord].attrs.get("units") != expected:
            problems.append(f"coordinate {coord!r} must have units {expected!r}")
    if "lat" in ds.coords and ds["lat"].size:
        lat = np.asarray(ds["lat"])
        if np.nanmin(lat) < -90 or np.nanmax(lat) > 90:
            problems.append("coordinate 'lat' has values outside [-90, 90] degrees")
    return problems


def _provenance_problems(ds: xr.Dataset) -> list[str]:
    problems = []
    missing = [key for key in PROVENANCE_KEYS if key not in ds.attrs]
    if missing:
        problems.append(
            f"provenance attrs missing: {', '.join(missing)} (use solvers.contract.with_provenance)"
        )
    if "config" in ds.attrs:
        try:
            json.loads(ds.attrs["config"])
        except (TypeError, json.JSONDecodeError):
            problems.append("attrs['config'] is not a JSON string")
    return problems


def validate_dataset(
    ds: xr.Dataset | xr.DataArray,
    *,
    extra_dims: Iterable[str] = (),
    require_provenance: bool = True,
) -> xr.Dataset:
    """Check a Dataset against the sciml data contract.

    Parameters
    ----------
    ds : xarray.Dataset or xarray.DataArray
        Data to check (a named DataArray is checked as a one-variable Dataset).
    extra_dims : iterable of str, optional
        Further dimension names allowed beyond :data:`DIMENSIONS`.
    require_provenance : bool, default True
        Whether the provenance attrs (:data:`PROVENANCE_KEYS`) must be present.

    Returns
    -------
    xarray.Dataset
        The checked Dataset, so calls can be chained.

    Raises
    ------
    ContractError
        Listing every violation found, each with what to do.
    """
    if isinstance(ds, xr.DataArray):
        if ds.name is None:
            raise ContractError("a DataArray needs a name to be checked: set da.name")
        attrs = dict(ds.attrs)
        ds = ds.to_dataset()
        ds.attrs.update(attrs)
    if not isinstance(ds, xr.Dataset):
        raise ContractError(f"expected an xarray Dataset, got {type(ds).__name__}")
    problems = _dimension_problems(ds, set(DIMENSIONS) | set(extra_dims))
    problems += _attribute_problems(ds)
    if require_provenance:
        problems += _provenance_problems(ds)
    if problems:
        raise ContractError(
            "Dataset violates the sciml data contract:\n  - " + "\n  - ".join(problems)
        )
    return ds
