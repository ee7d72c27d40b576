"""Boundary histories in and out: checks, flattening to arrays, and back to xarray.

A training set is an :class:`xarray.Dataset` whose data variable has dims
``(member, time, node, component)`` (the layout of the FEM boundary
histories). The networks see it as an array ``(member, time, channel)``
with ``channel = node × component`` (node-major). :class:`Layout` keeps what
is needed to turn generated arrays back into the same Dataset layout, and to
refuse data of another boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ContractError, InputError

__all__ = ["DIMS", "Layout", "extract"]

#: Dims of a boundary-history variable, in this order.
DIMS = ("member", "time", "node", "component")


def _coord(ds: xr.Dataset | xr.DataArray, dim: str) -> tuple[list[Any], str, dict[str, Any]]:
    values = np.asarray(ds[dim].values) if dim in ds.coords else np.arange(ds.sizes[dim])
    attrs = {str(k): v for k, v in ds[dim].attrs.items()} if dim in ds.coords else {}
    return values.tolist(), str(values.dtype), attrs


@dataclass(frozen=True)
class Layout:
    """What a generator produces: variable name and attrs, coordinates, conditions.

    Attributes
    ----------
    variable : str
        Name of the data variable.
    attrs : dict
        Attributes of the variable (``units``, ``long_name`` ...).
    coords : dict
        For ``time``, ``node`` and ``component``: ``(values, dtype, attrs)``.
    conditions : tuple of str
        Names of the conditioning parameters.
    """

    variable: str
    attrs: dict[str, Any]
    coords: dict[str, tuple[list[Any], str, dict[str, Any]]]
    conditions: tuple[str, ...]

    @property
    def n_time(self) -> int:
        """Number of time points."""
        return len(self.coords["time"][0])

    @property
    def n_channels(self) -> int:
        """Number of channels, ``node × component``."""
        return len(self.coords["node"][0]) * len(self.coords["component"][0])

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and strings, for saving (see :meth:`from_dict`)."""
        return {
            "variable": self.variable,
            "attrs": dict(self.attrs),
            "coords": {k: [list(v), d, dict(a)] for k, (v, d, a) in self.coords.items()},
            "conditions": list(self.conditions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        """Inverse of :meth:`to_dict`."""
        return cls(
            variable=str(data["variable"]),
            attrs=dict(data["attrs"]),
            coords={k: (list(v), str(d), dict(a)) for k, (v, d, a) in data["coords"].items()},
            conditions=tuple(data["conditions"]),
        )

    def differences(self, other: Layout) -> list[str]:
        """What differs between two layouts (empty when they describe the same boundary)."""
        found = []
        if self.variable != other.variable:
            found.append(f"variable {other.variable!r} instead of {self.variable!r}")
        for dim in DIMS[1:]:
            mine, theirs = self.coords[dim][0], other.coords[dim][0]
            if len(mine) != len(theirs):
                found.append(f"{len(theirs)} {dim} points instead of {len(mine)}")
            elif mine != theirs:
                found.append(f"other {dim} coordinate values")
        if self.conditions != other.conditions:
            found.append(f"conditions {other.conditions} instead of {self.conditions}")
        return found

    def check_matches(self, other: Layout, what: str) -> None:
        """Raise :class:`InputError` when ``other`` describes another boundary."""
        found = self.differences(other)
        if found:
            raise InputError(
                f"{what} does not match the generator's boundary: {'; '.join(found)}; "
                "train a generator for this boundary instead"
            )

    def to_dataset(self, values: np.ndarray, conditions: np.ndarray | None = None) -> xr.Dataset:
        """A Dataset in the training layout from an array ``(member, time, channel)``."""
        n = values.shape[0]
        sizes = [len(self.coords[d][0]) for d in DIMS[1:]]
        coords: dict[str, Any] = {"member": np.arange(n)}
        for dim in DIMS[1:]:
            vals, dtype, attrs = self.coords[dim]
            coords[dim] = xr.Variable(dim, np.asarray(vals, dtype=dtype), attrs)
        if conditions is not None:
            for k, name in enumerate(self.conditions):
                coords[name] = ("member", conditions[:, k])
        data = xr.DataArray(
            values.reshape(n, *sizes), dims=DIMS, coords=coords, attrs=dict(self.attrs)
        )
        ds = xr.Dataset({self.variable: data})
        ds["member"].attrs.update(units="1", long_name="ensemble member")
        return ds


def _variable(data: xr.Dataset, name: str | None) -> str:
    if name is not None:
        if name not in data.data_vars:
            raise InputError(
                f"variable {name!r} is not in the Dataset "
                f"(it has {', '.join(map(str, data.data_vars)) or 'none'})"
            )
        return name
    fitting = [str(k) for k, v in data.data_vars.items() if set(v.dims) == set(DIMS)]
    if not fitting and len(data.data_vars) == 1:
        return str(next(iter(data.data_vars)))  # extract() reports its dims
    if len(fitting) != 1:
        raise InputError(
            f"found {len(fitting)} variables with dims {DIMS} ({', '.join(fitting) or 'none'}): "
            "name the boundary histories with WGANConfig(variable=...)"
        )
    return fitting[0]


def _condition_values(data: xr.Dataset, names: tuple[str, ...], n: int) -> np.ndarray:
    columns = []
    for name in names:
        if name not in data.variables:
            raise InputError(
                f"condition {name!r} is not a coordinate or variable of the Dataset: "
                "add it along 'member' (one value per member)"
            )
        da = data[name]
        if da.dims != ("member",):
            raise InputError(f"condition {name!r} must have dims ('member',), has {da.dims}")
        values = np.asarray(da.values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise InputError(f"condition {name!r} has NaN or infinite values")
        columns.append(values)
    return np.stack(columns, axis=1) if columns else np.empty((n, 0))


def extract(
    data: xr.Dataset, variable: str | None, conditions: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, Layout]:
    """Check boundary histories and flatten them for the networks.

    Parameters
    ----------
    data : xarray.Dataset
        Boundary histories with dims ``(member, time, node, component)``.
    variable : str, optional
        Name of the variable (its only fitting variable by default).
    conditions : tuple of str
        Conditioning parameters along ``member``.

    Returns
    -------
    values : numpy.ndarray, shape (member, time, channel)
        The histories in float64.
    cond : numpy.ndarray, shape (member, len(conditions))
        The condition values.
    layout : Layout
        How to turn generated arrays back into this layout.

    Raises
    ------
    ContractError
        Not a Dataset, or a variable with other dims.
    InputError
        A missing variable or condition, NaN or infinite values.
    """
    if not isinstance(data, xr.Dataset):
        raise ContractError(
            f"training data must be an xarray Dataset with dims {DIMS}, got {type(data).__name__}"
        )
    name = _variable(data, variable)
    da = data[name]
    if set(da.dims) != set(DIMS):
        raise ContractError(
            f"variable {name!r} has dims {da.dims}; boundary histories need exactly {DIMS}"
        )
    da = da.transpose(*DIMS)
    values = np.asarray(da.values, dtype=np.float64)
    if not np.isfinite(values).all():
        bad = np.unique(np.nonzero(~np.isfinite(values))[0])
        raise InputError(
            f"variable {name!r} has NaN or infinite values in {bad.size} member(s) "
            f"(first: {bad[:5].tolist()}); drop or repair those members before training"
        )
    n, t = values.shape[:2]
    cond = _condition_values(data, conditions, n)
    layout = Layout(
        variable=name,
        attrs={str(k): v for k, v in da.attrs.items()},
        coords={dim: _coord(da, dim) for dim in DIMS[1:]},
        conditions=conditions,
    )
    return values.reshape(n, t, -1), cond, layout
