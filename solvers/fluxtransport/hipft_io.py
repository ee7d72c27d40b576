"""Read and write HipFT's HDF5 map format, and convert maps to the solver grid.

A HipFT map file holds one dataset ``Data`` of shape ``(n_theta, n_phi + 1)``
(or ``(n_realizations, n_theta, n_phi + 1)``), float32 or float64, with
dimension scales ``dim1`` (phi, ``0 .. 2 pi``, the last column repeating the
first) and ``dim2`` (theta, ``0 .. pi``, both poles included), and ``dim3``
(realization number) for 3-D files. :func:`read_hipft_map` returns the file
as it is, every column kept and in its own precision, so that
:func:`write_hipft_map` writes back the identical ``Data``.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from gpu.errors import InputError
from solvers.fluxtransport.grid import SphereGrid

__all__ = ["grid_of", "map_to_grid", "read_hipft_map", "read_map", "write_hipft_map"]

_BR_ATTRS = {"units": "G", "long_name": "radial magnetic field", "standard_name": ""}


def _theta_phi(da: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Colatitude and longitude of a map in radians, from theta/phi or lat/lon."""
    if "theta" in da.coords:
        theta = np.asarray(da["theta"], dtype=np.float64)
    else:
        theta = np.radians(90.0 - np.asarray(da["lat"], dtype=np.float64))
    if "phi" in da.coords:
        phi = np.asarray(da["phi"], dtype=np.float64)
    else:
        phi = np.radians(np.asarray(da["lon"], dtype=np.float64))
    return theta, phi


def _coords(theta: np.ndarray, phi: np.ndarray) -> dict[str, tuple[str, np.ndarray, dict]]:
    return {
        "lat": (
            "lat",
            90.0 - np.degrees(theta),
            {"units": "degrees_north", "long_name": "latitude"},
        ),
        "lon": ("lon", np.degrees(phi), {"units": "degrees_east", "long_name": "longitude"}),
        "theta": ("lat", theta, {"units": "rad", "long_name": "colatitude"}),
        "phi": ("lon", phi, {"units": "rad", "long_name": "longitude"}),
    }


def read_hipft_map(path: str | os.PathLike[str]) -> xr.DataArray:
    """Read a HipFT map file.

    Parameters
    ----------
    path : path-like
        An HDF5 file in HipFT's map format.

    Returns
    -------
    xarray.DataArray
        ``Br`` in Gauss with dims ``(lat, lon)`` (``(member, lat, lon)`` for a
        file of realizations), latitude running from +90 to -90 like the
        file's colatitude, every file column kept (the last one at
        ``lon = 360``), the file's precision kept, and ``theta``/``phi``
        coordinates in radians.

    Raises
    ------
    InputError
        If the file is missing or not in HipFT's format.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"HipFT map {file} does not exist")
    try:
        with h5py.File(file, "r") as h5:
            missing = [name for name in ("Data", "dim1", "dim2") if name not in h5]
            if missing:
                raise InputError(
                    f"{file} is not a HipFT map: dataset(s) {', '.join(missing)} missing"
                )
            data = h5["Data"][()]
            phi = np.asarray(h5["dim1"][()], dtype=np.float64)
            theta = np.asarray(h5["dim2"][()], dtype=np.float64)
            members = np.asarray(h5["dim3"][()]) if "dim3" in h5 else None
    except OSError as exc:
        raise InputError(f"cannot read {file} as HDF5: {exc}") from None
    if data.ndim not in (2, 3) or data.shape[-2:] != (theta.size, phi.size):
        raise InputError(
            f"{file}: Data has shape {data.shape} but the scales give "
            f"(n_theta, n_phi) = ({theta.size}, {phi.size})"
        )
    dims: tuple[str, ...] = ("lat", "lon")
    coords = _coords(theta, phi)
    if data.ndim == 3:
        dims = ("member", "lat", "lon")
        count = data.shape[0]
        numbers = members if members is not None and members.size == count else np.arange(count)
        coords["member"] = ("member", np.arange(count), {"long_name": "realization"})
        coords["realization"] = ("member", numbers, {"long_name": "HipFT realization number"})
    attrs = {k: v for k, v in _BR_ATTRS.items() if v}
    return xr.DataArray(data, dims=dims, coords=coords, name="br", attrs=attrs)


def write_hipft_map(
    da: xr.DataArray, path: str | os.PathLike[str], *, dtype: str | np.dtype | None = None
) -> Path:
    """Write ``Br`` as a HipFT map file.

    Parameters
    ----------
    da : xarray.DataArray
        Dims ``(lat, lon)`` or ``(member, lat, lon)``, latitude from +90 to -90
        (both poles). Longitudes either include the repeated column at 360
        degrees (as :func:`read_hipft_map` returns them) or not, in which case
        the first column is repeated at the end, as HipFT writes it.
    path : path-like
        File to write (replaced if it exists).
    dtype : {"float32", "float64"}, optional
        Precision of the file; by default that of ``da``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if da.dims not in (("lat", "lon"), ("member", "lat", "lon")):
        raise InputError(f"expected dims (lat, lon) or (member, lat, lon), got {da.dims}")
    data = np.asarray(da.values)
    out_dtype = np.dtype(dtype) if dtype is not None else data.dtype
    if out_dtype not in (np.dtype("float32"), np.dtype("float64")):
        raise InputError(f"HipFT maps are float32 or float64, not {out_dtype}")
    theta, phi = _theta_phi(da)
    if not np.isclose(phi[-1] - phi[0], 2.0 * np.pi, atol=1e-5):
        data = np.concatenate((data, data[..., :1]), axis=-1)
        phi = np.append(phi, phi[0] + 2.0 * np.pi)
    target = Path(path)
    with h5py.File(target, "w") as h5:
        h5.create_dataset("Data", data=data.astype(out_dtype, copy=False))
        scales = [("dim1", phi), ("dim2", theta)]
        if data.ndim == 3:
            numbers = np.asarray(da["realization"]) if "realization" in da.coords else None
            count = data.shape[0]
            scales.append(("dim3", numbers if numbers is not None else np.arange(1, count + 1)))
        # HipFT attaches scale i (dim1 = phi first) to dimension index i - 1
        for index, (name, values) in enumerate(scales):
            scale = h5.create_dataset(name, data=np.asarray(values, dtype=out_dtype))
            scale.make_scale(name)
            h5["Data"].dims[index].attach_scale(scale)
            h5["Data"].dims[index].label = name
    return target


def grid_of(da: xr.DataArray) -> SphereGrid:
    """The solver grid of a map with ``lat``/``lon`` (or ``theta``/``phi``) coordinates."""
    theta, phi = _theta_phi(da)
    order = np.argsort(theta)
    return SphereGrid.from_coordinates(theta[order], phi)


def map_to_grid(da: xr.DataArray) -> tuple[SphereGrid, np.ndarray]:
    """Put a ``(lat, lon)`` or ``(member, lat, lon)`` map on its solver grid.

    The colatitude is sorted from the north pole; a repeated column at 360
    degrees is merged into the first one by averaging (HipFT imposes
    periodicity the same way); each pole row is replaced by its mean.

    Returns
    -------
    grid : SphereGrid
    values : numpy.ndarray, float64, shape ``(..., n_theta, n_phi)``

    Raises
    ------
    InputError
        On other dims, NaN or infinite values, or coordinates that are not a
        uniform pole-to-pole grid.
    """
    if da.dims[-2:] != ("lat", "lon") or da.ndim not in (2, 3):
        raise InputError(
            f"a map needs dims (lat, lon) or (member, lat, lon), got {da.dims}; "
            "rename or transpose it first"
        )
    values = np.asarray(da.values, dtype=np.float64)
    if values.shape[-2:] != (da["lat"].size, da["lon"].size):
        raise InputError(f"map values of shape {values.shape} do not match its coordinates")
    if not np.all(np.isfinite(values)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        raise InputError(
            f"the map has {bad} NaN or infinite value(s): fill them (e.g. pole-fill the "
            "map) before running"
        )
    grid = grid_of(da)
    values = values[..., np.argsort(_theta_phi(da)[0]), :]
    if values.shape[-1] == grid.n_phi + 1:
        merged = 0.5 * (values[..., 0] + values[..., -1])
        values = values[..., :-1].copy()
        values[..., 0] = merged
    values[..., 0, :] = values[..., 0, :].mean(axis=-1, keepdims=True)
    values[..., -1, :] = values[..., -1, :].mean(axis=-1, keepdims=True)
    return grid, values


def read_map(path: str | os.PathLike[str], what: str = "map") -> xr.DataArray:
    """Read a map from a HipFT file or from a NetCDF file's ``br`` variable.

    Parameters
    ----------
    path : path-like
        ``.nc``/``.nc4`` files are opened with xarray, anything else as HipFT.
    what : str
        What the map is for, named in error messages.
    """
    file = Path(path).expanduser()
    if file.suffix in (".nc", ".nc4"):
        if not file.is_file():
            raise InputError(f"{what}: {file} does not exist")
        with xr.open_dataset(file) as ds:
            if "br" not in ds:
                raise InputError(f"{what}: {file} has no variable 'br'")
            return ds["br"].load()
    return read_hipft_map(file)
