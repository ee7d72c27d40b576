"""Atomic NetCDF and Zarr writers that enforce the data contract.

A write goes to a hidden temporary name beside the target and is renamed into
place only when complete, so a crash or a kill mid-write never leaves a half
file under the final name. The files are plain NetCDF4/Zarr, readable with
``xarray.open_dataset`` / ``xarray.open_zarr`` without importing sciml.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import xarray as xr

from gpu.errors import InputError
from solvers.contract import validate_dataset

__all__ = ["ZARR_FORMAT", "write_netcdf", "write_zarr"]

#: Zarr format of sciml stores: version 2 with consolidated metadata opens with a
#: plain ``xarray.open_zarr(path)``, without warnings, in every Zarr reader.
ZARR_FORMAT = 2


def _prepare_target(path: str | os.PathLike[str], overwrite: bool) -> tuple[Path, Path]:
    target = Path(path).expanduser().absolute()
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {target}: folder {parent} is not writable")
    if target.exists() and not overwrite:
        raise InputError(f"{target} exists already: pass overwrite=True to replace it")
    temporary = parent / f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return target, temporary


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def _swap_into_place(temporary: Path, target: Path) -> None:
    """Move ``temporary`` to ``target``, replacing what is there."""
    if target.is_dir():
        # Directories cannot be replaced atomically: move the old one aside
        # first, so the final name always holds one complete store.
        trash = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(target, trash)
        os.rename(temporary, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(temporary, target)


def write_netcdf(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    validate: bool = True,
    extra_dims: Iterable[str] = (),
) -> Path:
    """Write ``ds`` to a NetCDF4 file atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        Data following the sciml contract.
    path : path-like
        Final file name.
    overwrite : bool, default False
        Replace an existing file.
    validate : bool, default True
        Check the contract first (:func:`solvers.contract.validate_dataset`).
    extra_dims : iterable of str
        Extra dimension names allowed by the validation.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if validate:
        validate_dataset(ds, extra_dims=extra_dims)
    target, temporary = _prepare_target(path, overwrite)
    try:
        ds.to_netcdf(temporary, engine="h5netcdf")
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        _swap_into_place(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    return target


def _without_string_encodings(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with the encodings of its string variables dropped.

    A Dataset read from a Zarr store carries each variable's stored codec and
    dtype; for strings, writing them again with it fails (a variable-length
    codec on fixed-width NumPy strings) or silently truncates strings longer
    than the stored width.
    """
    strings = [name for name, var in ds.variables.items() if var.dtype.kind in "OUST"]
    if not any(ds[name].encoding for name in strings):
        return ds
    out = ds.copy()
    for name in strings:
        out[name].encoding = {}
    return out


def write_zarr(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    validate: bool = True,
    extra_dims: Iterable[str] = (),
    member_chunk: int = 1,
) -> Path:
    """Write ``ds`` to a Zarr store atomically, chunked along ``member``.

    Parameters
    ----------
    ds : xarray.Dataset
        Data following the sciml contract.
    path : path-like
        Final store name (a folder).
    overwrite : bool, default False
        Replace an existing store.
    validate : bool, default True
        Check the contract first.
    extra_dims : iterable of str
        Extra dimension names allowed by the validation.
    member_chunk : int, default 1
        Members per chunk when ``ds`` has a ``member`` dimension.

    Returns
    -------
    pathlib.Path
        The written store.
    """
    if validate:
        validate_dataset(ds, extra_dims=extra_dims)
    if member_chunk < 1:
        raise InputError(f"member_chunk must be at least 1, got {member_chunk}")
    target, temporary = _prepare_target(path, overwrite)
    ds = _without_string_encodings(ds)
    if "member" in ds.dims:
        ds = ds.chunk({"member": member_chunk})
    try:
        ds.to_zarr(temporary, mode="w", zarr_format=ZARR_FORMAT, consolidated=True)
        _swap_into_place(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    return target
