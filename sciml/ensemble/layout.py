"""The layout of an ensemble: the shape of one member's output, stacked along ``member``.

The runner learns the layout from the first member that succeeds (or from the
store when it resumes), then builds every chunk of the ensemble against it:

* each data variable of a member gains a leading ``member`` dimension;
* each scalar coordinate of a member (a parameter such as an initial state)
  becomes a coordinate along ``member``;
* every other coordinate (``time`` ...) must be the same for all members and
  is kept once.

Failed members are filled with NaN (``""`` for strings), so integer and
boolean variables are stored as float64. A member whose output does not match
the layout fails with a :class:`~gpu.errors.ContractError` that says how.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dask.array
import numpy as np
import xarray as xr

from gpu.errors import ContractError
from sciml.ensemble.failures import (
    FAILED,
    FAILURE_ATTRS,
    FAILURE_MESSAGE,
    FAILURE_TYPE,
    MemberFailure,
    failure_arrays,
)
from sciml.ensemble.members import ChunkResult, member_row

__all__ = ["MEMBER_ATTRS", "Field", "Layout"]

#: CF attributes of the ``member`` coordinate.
MEMBER_ATTRS = {"units": "1", "long_name": "ensemble member"}

#: Variables the runner adds, which are not part of a member's output.
RUNNER_VARIABLES = (FAILED, FAILURE_TYPE, FAILURE_MESSAGE, "done")


def ensemble_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a member variable is stored with: one that can hold the fill value."""
    if dtype.kind in "fc":
        return dtype
    if _is_string(dtype):
        return np.dtype(object)
    return np.dtype("float64")


def _fill(dtype: np.dtype) -> Any:
    return "" if dtype.kind == "O" else np.nan


def _is_string(dtype: np.dtype) -> bool:
    """Fixed-width, bytes, object or NumPy 2 variable-width (``StringDType``) strings."""
    return dtype.kind in "USOT"


@dataclass(frozen=True)
class Field:
    """One variable of a member's output: dims and shape without ``member``."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: np.dtype
    attrs: Mapping[str, Any]

    @classmethod
    def of(cls, var: xr.Variable, *, drop_member: bool = False) -> Field:
        """Describe ``var`` (dropping a leading ``member`` axis when asked)."""
        dims = tuple(str(d) for d in var.dims)
        shape = tuple(var.shape)
        if drop_member:
            dims, shape = dims[1:], shape[1:]
        return cls(dims, shape, ensemble_dtype(var.dtype), dict(var.attrs))

    def mismatch(self, name: str, var: xr.Variable) -> str | None:
        """Why ``var`` cannot be stored as this field, or None."""
        if tuple(var.dims) != self.dims or tuple(var.shape) != self.shape:
            return (
                f"variable {name!r} has dims {tuple(var.dims)} and shape {tuple(var.shape)}, "
                f"the ensemble has {self.dims} and {self.shape}"
            )
        if _is_string(var.dtype) != _is_string(self.dtype):
            return f"variable {name!r} has dtype {var.dtype}, the ensemble has {self.dtype}"
        return None


@dataclass(frozen=True)
class Layout:
    """How member outputs stack into an ensemble Dataset.

    Attributes
    ----------
    data_vars : mapping
        A member's data variables.
    member_coords : mapping
        A member's scalar coordinates, stored along ``member``.
    coords : mapping
        Coordinates shared by all members (``time`` ...), stored once.
    attrs : mapping
        Dataset attributes of the member output the layout was taken from.
    """

    data_vars: Mapping[str, Field]
    member_coords: Mapping[str, Field]
    coords: Mapping[str, xr.Variable]
    attrs: Mapping[str, Any]

    @classmethod
    def empty(cls) -> Layout:
        """The layout of an ensemble in which every member failed: failure variables only."""
        return cls({}, {}, {}, {})

    @classmethod
    def from_member(cls, ds: xr.Dataset) -> Layout:
        """The layout of an ensemble of members shaped like ``ds``."""
        return cls(
            data_vars={str(k): Field.of(v.variable) for k, v in ds.data_vars.items()},
            member_coords={
                str(k): Field.of(v.variable) for k, v in ds.coords.items() if v.ndim == 0
            },
            coords={str(k): v.variable for k, v in ds.coords.items() if v.ndim > 0},
            attrs=dict(ds.attrs),
        )

    @classmethod
    def from_ensemble(cls, ds: xr.Dataset) -> Layout:
        """The layout of an ensemble already built (an opened store)."""
        return cls(
            data_vars={
                str(k): Field.of(v.variable, drop_member=True)
                for k, v in ds.data_vars.items()
                if k not in RUNNER_VARIABLES
            },
            member_coords={
                str(k): Field.of(v.variable, drop_member=True)
                for k, v in ds.coords.items()
                if v.dims == ("member",) and k != "member"
            },
            coords={str(k): v.variable for k, v in ds.coords.items() if "member" not in v.dims},
            attrs=dict(ds.attrs),
        )

    def mismatch(self, ds: xr.Dataset) -> str | None:
        """Why a member's output ``ds`` does not fit this layout, or None when it does."""
        names = sorted(str(k) for k in ds.data_vars)
        if names != sorted(self.data_vars):
            return f"its variables {names} differ from the ensemble's {sorted(self.data_vars)}"
        scalars = sorted(str(k) for k, v in ds.coords.items() if v.ndim == 0)
        if scalars != sorted(self.member_coords):
            return (
                f"its scalar coordinates {scalars} differ from the ensemble's "
                f"{sorted(self.member_coords)}"
            )
        shared = sorted(str(k) for k, v in ds.coords.items() if v.ndim > 0)
        if shared != sorted(self.coords):
            return f"its coordinates {shared} differ from the ensemble's {sorted(self.coords)}"
        for name, coord in self.coords.items():
            if not ds[name].variable.equals(coord):
                return f"its coordinate {name!r} differs from the other members'"
        fields = {**self.data_vars, **self.member_coords}
        for name, field in fields.items():
            problem = field.mismatch(name, ds[name].variable)
            if problem:
                return problem
        return None

    def reject_mismatches(self, result: ChunkResult) -> None:
        """Turn members of ``result`` that do not fit the layout into failures."""
        if result.batched is not None:
            problem = self.mismatch(member_row(result.batched, 0))
            if problem is None:
                return
            result.batched = None
            result.members = [None] * (result.stop - result.start)
            for index in range(result.start, result.stop):
                result.failures[index] = self._failure(index, problem)
            return
        members = result.members or []  # the same list: edits below change the result
        for offset, out in enumerate(members):
            if out is None:
                continue
            problem = self.mismatch(out)
            if problem is not None:
                index = result.start + offset
                result.failures[index] = self._failure(index, problem)
                members[offset] = None

    @staticmethod
    def _failure(index: int, problem: str) -> MemberFailure:
        error = ContractError(
            f"the member's output does not match the ensemble (whose layout comes from "
            f"the first member that succeeded): {problem}"
        )
        return MemberFailure.from_exception(index, error)

    def _rows(self, name: str, field: Field, result: ChunkResult) -> np.ndarray:
        size = result.stop - result.start
        rows = np.full((size, *field.shape), _fill(field.dtype), dtype=field.dtype)
        ok = [i for i in range(size) if result.start + i not in result.failures]
        if result.batched is not None:
            values = result.batched[name].transpose("member", *field.dims).values
            rows[ok] = values[ok]
        elif result.members is not None:
            for i in ok:
                out = result.members[i]
                if out is not None:
                    rows[i, ...] = out[name].values
        return rows

    def chunk(self, result: ChunkResult) -> xr.Dataset:
        """The members of ``result`` as a Dataset over ``member`` (failed ones NaN).

        Only variables along ``member`` are included: the region a chunk writes.
        Call :meth:`reject_mismatches` first.
        """
        size = result.stop - result.start
        failures = failure_arrays(size)
        for index, failure in result.failures.items():
            row = index - result.start
            failures[FAILED][row] = True
            failures[FAILURE_TYPE][row] = failure.error_type
            failures[FAILURE_MESSAGE][row] = failure.message
        data_vars: dict[str, Any] = {
            name: (("member", *field.dims), self._rows(name, field, result), dict(field.attrs))
            for name, field in self.data_vars.items()
        }
        data_vars.update(
            {name: ("member", values, FAILURE_ATTRS[name]) for name, values in failures.items()}
        )
        coords = {
            name: ("member", self._rows(name, field, result), dict(field.attrs))
            for name, field in self.member_coords.items()
        }
        coords["member"] = ("member", np.arange(result.start, result.stop), MEMBER_ATTRS)
        return xr.Dataset(data_vars, coords=coords)

    def ensemble(self, n_members: int, member_chunk: int, *, lazy: bool) -> xr.Dataset:
        """An ensemble of ``n_members`` with nothing computed yet.

        Parameters
        ----------
        n_members : int
            Ensemble size.
        member_chunk : int
            Members per chunk (the Zarr chunk along ``member``).
        lazy : bool
            Numeric member variables as unevaluated dask arrays (a Zarr template
            written with ``compute=False``) instead of NaN-filled NumPy arrays.
        """

        def empty(field: Field) -> Any:
            shape = (n_members, *field.shape)
            if lazy and not _is_string(field.dtype):
                return dask.array.zeros(
                    shape, dtype=field.dtype, chunks=(member_chunk, *field.shape)
                )
            return np.full(shape, _fill(field.dtype), dtype=field.dtype)

        def variable(field: Field, values: Any) -> xr.Variable:
            var = xr.Variable(("member", *field.dims), values, dict(field.attrs))
            if lazy:
                var.encoding["chunks"] = (member_chunk, *field.shape)
            return var

        data_vars = {name: variable(f, empty(f)) for name, f in self.data_vars.items()}
        for name, values in failure_arrays(n_members).items():
            data_vars[name] = variable(Field((), (), values.dtype, FAILURE_ATTRS[name]), values)
        coords: dict[str, Any] = {
            name: variable(f, empty(f)) for name, f in self.member_coords.items()
        }
        coords.update(self.coords)
        coords["member"] = ("member", np.arange(n_members), MEMBER_ATTRS)
        return xr.Dataset(data_vars, coords=coords, attrs=dict(self.attrs))
