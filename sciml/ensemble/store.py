"""Checkpointed ensemble stores: Zarr written chunk by chunk, resumable after a kill.

A store is created atomically (built under a hidden name, then renamed) with
its metadata, coordinates and failure variables, and without member data
(``to_zarr(compute=False)``). Each finished chunk of members is then written
into its own ``region=`` along ``member`` — a chunk of the Zarr arrays, so no
two writes touch the same file — and only after that is the chunk's ``done``
flag set, in a second write. Zarr writes every chunk file atomically, so a
``done`` flag on disk means the whole chunk is on disk: a resumed run reads
``done`` and computes only the chunks without it.

Stores are Zarr format 2 (:data:`solvers.io.ZARR_FORMAT`) with consolidated
metadata and open with a plain ``xarray.open_zarr(path)``.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr

from gpu.errors import InputError
from sciml.ensemble.failures import FAILED
from sciml.ensemble.layout import Layout
from solvers.io import ZARR_FORMAT

__all__ = [
    "DONE",
    "MemorySink",
    "StoreState",
    "ZarrSink",
    "check_output",
    "open_store",
    "read_state",
]

#: The variable that marks the members whose chunk is fully written.
DONE = "done"
_DONE_ATTRS = {"units": "1", "long_name": "member written to the store (resume skips it)"}
# Zarr writes each chunk file under a temporary name like "0.0.<32 hex>.partial"
# then renames it; a kill can leave such a file behind.
_ZARR_PARTIAL = re.compile(r"\.[0-9a-f]{32}\.partial$")


def check_output(path: str | os.PathLike[str]) -> Path:
    """Resolve ``path`` and check that a store can be created there.

    Raises
    ------
    InputError
        The parent folder does not exist, is not a folder or is not writable,
        or ``path`` is a file.
    """
    target = Path(path).expanduser().absolute()
    parent = target.parent
    if not parent.exists():
        raise InputError(f"cannot write {target}: folder {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: {parent} is not a folder")
    if target.exists() and not target.is_dir():
        raise InputError(
            f"cannot write {target}: it is a file, not a Zarr store; choose another path"
        )
    try:  # a real probe: permission bits say nothing for root or on read-only mounts
        os.rmdir(tempfile.mkdtemp(prefix=f".{target.name}.probe-", dir=parent))
    except OSError as exc:
        raise InputError(
            f"cannot write {target}: folder {parent} is not writable ({exc.strerror})"
        ) from None
    return target


def open_store(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open an ensemble store lazily (with its ``done`` variable).

    Raises
    ------
    InputError
        ``path`` is not a Zarr store written by the ensemble runner.
    """
    store = Path(path).expanduser()
    try:
        ds = xr.open_zarr(store, consolidated=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot open {store} as a Zarr store: {exc}") from None
    if DONE not in ds or FAILED not in ds:
        raise InputError(
            f"{store} is a Zarr store but not an ensemble store (it has no "
            f"{DONE!r}/{FAILED!r} variables): write ensembles with sciml run or run_ensemble"
        )
    return ds


@dataclass(frozen=True)
class StoreState:
    """What an existing store says about its run."""

    layout: Layout
    done: np.ndarray
    failed: np.ndarray
    member_chunk: int
    attrs: Mapping[str, Any]


def read_state(path: Path) -> StoreState:
    """Read the layout, the ``done`` flags and the chunk size of an existing store."""
    ds = open_store(path)
    chunks = ds[DONE].encoding.get("chunks") or (ds.sizes["member"],)
    return StoreState(
        layout=Layout.from_ensemble(ds),
        done=np.asarray(ds[DONE].values, dtype=bool),
        failed=np.asarray(ds[FAILED].values, dtype=bool),
        member_chunk=int(chunks[0]),
        attrs=dict(ds.attrs),
    )


class MemorySink:
    """Collects the chunks of a run without a store, in memory."""

    def __init__(self) -> None:
        self._ds: xr.Dataset | None = None

    @property
    def initialized(self) -> bool:
        """Whether :meth:`initialize` has run."""
        return self._ds is not None

    def initialize(self, template: xr.Dataset) -> None:
        """Start from ``template`` (a NaN-filled ensemble)."""
        self._ds = template

    def write(self, chunk: xr.Dataset) -> None:
        """Copy a chunk of members into place."""
        if self._ds is None:
            raise RuntimeError("MemorySink.write before initialize")
        region = {"member": slice(int(chunk["member"][0]), int(chunk["member"][-1]) + 1)}
        for name, var in chunk.variables.items():
            if name != "member":
                self._ds[name].variable[region] = var.values

    def finish(self, attrs: Mapping[str, Any]) -> xr.Dataset:
        """The ensemble, with ``attrs`` added."""
        if self._ds is None:
            raise RuntimeError("MemorySink.finish before initialize")
        self._ds.attrs.update(attrs)
        return self._ds


class ZarrSink:
    """Writes the chunks of a run into a Zarr store as they finish."""

    def __init__(self, path: Path, *, existing: bool) -> None:
        self.path = path
        self._initialized = existing
        if existing:
            self._remove_partial_files()

    @property
    def initialized(self) -> bool:
        """Whether the store exists."""
        return self._initialized

    def _remove_partial_files(self) -> None:
        for folder, _, files in os.walk(self.path):
            for name in files:
                if _ZARR_PARTIAL.search(name):
                    os.unlink(os.path.join(folder, name))

    def initialize(self, template: xr.Dataset) -> None:
        """Create the store atomically: metadata, coordinates, nothing computed.

        Parameters
        ----------
        template : xarray.Dataset
            The ensemble with lazy member data (see :meth:`Layout.ensemble`).
        """
        parent, name = self.path.parent, self.path.name
        for stale in parent.glob(
            f".{glob.escape(name)}.init-*"
        ):  # left by a run killed while creating it
            shutil.rmtree(stale, ignore_errors=True)
        temporary = parent / f".{name}.init-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        ds = template.copy()
        ds[DONE] = xr.Variable("member", np.zeros(ds.sizes["member"], dtype=bool), _DONE_ATTRS)
        ds[DONE].encoding["chunks"] = ds[FAILED].encoding["chunks"]
        try:
            ds.to_zarr(
                temporary, mode="w-", compute=False, consolidated=True, zarr_format=ZARR_FORMAT
            )
            os.rename(temporary, self.path)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        self._initialized = True

    def write(self, chunk: xr.Dataset) -> None:
        """Write a chunk of members into its region, then mark it done."""
        start, stop = int(chunk["member"][0]), int(chunk["member"][-1]) + 1
        region = {"member": slice(start, stop)}
        chunk.to_zarr(self.path, region=region, mode="r+", consolidated=False)
        done = xr.Dataset({DONE: ("member", np.ones(stop - start, dtype=bool))})
        done.to_zarr(self.path, region=region, mode="r+", consolidated=False)

    def finish(self, attrs: Mapping[str, Any]) -> xr.Dataset:
        """Add ``attrs`` to the store and return it, opened lazily, without ``done``."""
        group = zarr.open_group(self.path, mode="r+")  # the format is read from the store
        group.attrs.update(dict(attrs))
        zarr.consolidate_metadata(self.path)
        return open_store(self.path).drop_vars(DONE)
