"""Snapshot sets: the ``(snapshot, dof...)`` DataArray and its matrix view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError

__all__ = ["SnapshotMatrix", "as_matrix", "make_snapshots", "parameters_of"]


@dataclass(frozen=True)
class SnapshotMatrix:
    """Snapshots as a ``(n_snapshots, n_dofs)`` matrix, with what rebuilds a DataArray."""

    values: np.ndarray
    dof_dims: tuple[str, ...]
    dof_shape: tuple[int, ...]
    dof_coords: Mapping[str, Any]

    @property
    def n_dofs(self) -> int:
        """Number of degrees of freedom per snapshot."""
        return int(self.values.shape[1])

    def fields(self, rows: np.ndarray, leading: str, coords: Mapping[str, Any]) -> xr.DataArray:
        """Rows of dof vectors as a ``(leading, dof...)`` DataArray."""
        data = np.asarray(rows).reshape((rows.shape[0], *self.dof_shape))
        return xr.DataArray(
            data, dims=(leading, *self.dof_dims), coords={**self.dof_coords, **coords}
        )


def as_matrix(
    snapshots: Any, *, allow_zero: bool = True, name: str = "snapshots", dtype: Any = float
) -> SnapshotMatrix:
    """View a snapshot set as a matrix, one snapshot per row.

    Parameters
    ----------
    snapshots : xarray.DataArray or array_like
        A DataArray with a ``snapshot`` dimension (the other dimensions are the
        dofs, flattened in order) or a 2-D array ``(n_snapshots, n_dofs)``.
    allow_zero : bool
        Whether zero snapshots are accepted.
    name : str
        What to call the input in error messages.
    dtype : numpy dtype
        dtype of the matrix (float64 by default).

    Raises
    ------
    InputError
        No ``snapshot`` dimension, wrong rank, NaN/inf values, or (when
        ``allow_zero`` is False) a zero snapshot.
    """
    if isinstance(snapshots, xr.DataArray):
        if "snapshot" not in snapshots.dims:
            raise InputError(f"{name} must have a 'snapshot' dimension, got dims {snapshots.dims}")
        da = snapshots.transpose("snapshot", ...)
        dof_dims = tuple(str(d) for d in da.dims[1:])
        dof_coords = {
            str(k): v for k, v in da.coords.items() if set(v.dims) and set(v.dims) <= set(dof_dims)
        }
        values = np.asarray(da.values, dtype=dtype).reshape(da.sizes["snapshot"], -1)
        shape = tuple(int(da.sizes[d]) for d in dof_dims)
    else:
        values = np.asarray(snapshots, dtype=dtype)
        if values.ndim != 2:
            raise InputError(f"{name} must be 2-D (snapshots, dofs), got shape {values.shape}")
        dof_dims, shape, dof_coords = ("node",), (values.shape[1],), {}
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise InputError(f"{name} is empty: shape {values.shape}")
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if bad.size:
        raise InputError(
            f"{name} has {bad.size} snapshot(s) with NaN or infinite values "
            f"(first at index {bad[0]}): remove them"
        )
    if not allow_zero:
        zero = np.flatnonzero(~np.any(values, axis=1))
        if zero.size:
            raise InputError(
                f"{name} has {zero.size} zero snapshot(s) (first at index {zero[0]}): "
                "relative errors and the sine dissimilarity are undefined for a zero "
                "snapshot; remove them"
            )
    return SnapshotMatrix(values, dof_dims, shape, dof_coords)


def parameters_of(snapshots: Any) -> np.ndarray | None:
    """The parameters of each snapshot: the 1-D coordinates along ``snapshot``.

    Returns
    -------
    numpy.ndarray of shape (n_snapshots, n_parameters), or None
        ``None`` when ``snapshots`` is not a DataArray or has no such coordinate.
    """
    if not isinstance(snapshots, xr.DataArray):
        return None
    names = sorted(
        str(k)
        for k, v in snapshots.coords.items()
        if v.dims == ("snapshot",) and k != "snapshot" and v.dtype.kind in "fiu"
    )
    if not names:
        return None
    return np.column_stack([np.asarray(snapshots[n], dtype=float) for n in names])


def make_snapshots(
    values: Any,
    parameters: Mapping[str, Any] | None = None,
    *,
    dof_dim: str = "node",
    name: str = "u",
    units: str = "1",
    long_name: str = "snapshot field",
) -> xr.DataArray:
    """Wrap a ``(n_snapshots, n_dofs)`` array as a snapshot DataArray.

    Parameters
    ----------
    values : array_like, shape (n_snapshots, n_dofs)
        One snapshot per row.
    parameters : mapping of str to array_like, optional
        Parameter values per snapshot, stored as coordinates along ``snapshot``.
    dof_dim : str
        Name of the dof dimension (``node`` for FEM fields).
    name, units, long_name : str
        Variable name and CF attributes.

    Returns
    -------
    xarray.DataArray
        Dims ``("snapshot", dof_dim)``.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise InputError(f"values must be 2-D (snapshots, dofs), got shape {arr.shape}")
    coords: dict[str, Any] = {"snapshot": np.arange(arr.shape[0])}
    for key, val in (parameters or {}).items():
        column = np.asarray(val, dtype=float)
        if column.shape != (arr.shape[0],):
            raise InputError(
                f"parameter {key!r} must have one value per snapshot ({arr.shape[0]}), "
                f"got shape {column.shape}"
            )
        coords[key] = ("snapshot", column)
    return xr.DataArray(
        arr,
        dims=("snapshot", dof_dim),
        coords=coords,
        name=name,
        attrs={"units": units, "long_name": long_name},
    )
