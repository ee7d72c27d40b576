"""xarray plumbing shared by the scores, diagnostics, distances and Monte Carlo estimators.

Every public function of these parts of :mod:`sciml.uq` takes DataArrays with
named dims (``member`` for ensembles, ``sample`` for i.i.d. cases) or plain
arrays, and follows the same three steps:

1. :func:`prepare` turns the inputs into aligned DataArrays and checks them:
   each input has its core dims (``member`` for a forecast ensemble ...),
   no input carries another input's core dim, shared dims have one size,
   coordinates align. Plain arrays get their core dims as *trailing* axes, in
   the documented order; their leading axes broadcast as in NumPy.
2. :func:`apply_kernel` runs a kernel on NumPy arrays (core dims last) through
   :func:`xarray.apply_ufunc` with ``dask="parallelized"``, so a chunked
   ensemble is processed chunk by chunk (core dims are merged into one chunk
   first). With ``skipna=False`` a NaN in the inputs raises
   :class:`~gpu.errors.InputError` -- for dask inputs when the chunk holding it
   is computed.
3. :func:`finish` hands plain arrays back for plain inputs (a float for a
   scalar result) and DataArrays otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from math import prod
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError
from sciml.uq._checks import binary_problem, nan_problem, positive_problem, probability_problem

__all__ = [
    "Arg",
    "apply_kernel",
    "as_dims",
    "case_uniforms",
    "check_binary",
    "check_positive",
    "check_probability",
    "finish",
    "flatten_leading",
    "guard",
    "no_nan",
    "pool_core",
    "prepare",
    "units_attrs",
]


@dataclass(frozen=True)
class Arg:
    """One input of a UQ function: its name (for messages), value and core dims."""

    name: str
    value: Any
    core_dims: tuple[str, ...] = ()


def as_dims(dims: str | Iterable[str] | None, default: Iterable[Hashable]) -> tuple[str, ...]:
    """Normalize a ``dim``/``reduce_dims`` argument: one name, several, or ``None`` (default)."""
    if dims is None:
        return tuple(str(d) for d in default)
    if isinstance(dims, str):
        return (dims,)
    return tuple(dims)


def _is_dask(da: xr.DataArray) -> bool:
    return da.chunks is not None


def _from_plain(args: Sequence[Arg]) -> list[xr.DataArray]:
    values = [np.asarray(arg.value) for arg in args]
    leads = []
    for arg, value in zip(args, values, strict=True):
        k = len(arg.core_dims)
        if value.ndim < k:
            raise InputError(
                f"{arg.name} needs at least {k} axis/axes (the last being "
                f"{', '.join(arg.core_dims)}), got shape {value.shape}"
            )
        leads.append(value.shape[: value.ndim - k])
    try:
        lead = np.broadcast_shapes(*leads)
    except ValueError:
        shapes = ", ".join(f"{a.name} {v.shape}" for a, v in zip(args, values, strict=True))
        raise InputError(
            f"the leading axes of the inputs do not broadcast: {shapes} "
            "(core axes such as the ensemble axis come last)"
        ) from None
    lead_dims = tuple(f"dim_{i}" for i in range(len(lead)))
    out = []
    for arg, value in zip(args, values, strict=True):
        core_shape = value.shape[value.ndim - len(arg.core_dims) :]
        full = np.broadcast_to(value, lead + core_shape)
        out.append(xr.DataArray(full, dims=lead_dims + arg.core_dims))
    return out


def _from_xarray(args: Sequence[Arg]) -> list[xr.DataArray]:
    out = []
    for arg in args:
        if isinstance(arg.value, xr.DataArray):
            out.append(arg.value)
        elif np.ndim(arg.value) == 0:
            out.append(xr.DataArray(np.asarray(arg.value)))
        else:
            raise InputError(
                f"{arg.name} is an unnamed array of shape {np.shape(arg.value)} while other "
                "inputs are DataArrays: wrap it in a DataArray with named dims"
            )
    return out


def _check_dims(
    args: Sequence[Arg],
    arrays: Sequence[xr.DataArray],
    min_sizes: Mapping[str, tuple[int, str]],
    exclude_dims: Iterable[str],
) -> None:
    excluded = set(exclude_dims)
    all_core = {d for arg in args for d in arg.core_dims}
    for arg, da in zip(args, arrays, strict=True):
        if da.dtype.kind not in "biuf":
            raise InputError(f"{arg.name} must be numeric, got dtype {da.dtype}")
        dims = tuple(map(str, da.dims))
        for dim in arg.core_dims:
            if dim not in dims:
                raise InputError(
                    f"{arg.name} has dims {dims} but no {dim!r} dim: rename its dimension "
                    f"to {dim!r} or pass the name of the one it has"
                )
            if da.sizes[dim] == 0:
                raise InputError(f"{arg.name} has an empty {dim!r} dim")
        stray = sorted((all_core - set(arg.core_dims)) & set(dims))
        if stray:
            raise InputError(
                f"{arg.name} must not have the dim(s) {stray}: they are core dims of "
                "another input (e.g. the observation of an ensemble has no member dim)"
            )
    sizes: dict[str, dict[str, int]] = {}
    for arg, da in zip(args, arrays, strict=True):
        for key, size in da.sizes.items():
            if str(key) not in excluded:
                sizes.setdefault(str(key), {})[arg.name] = size
    for dim, by_arg in sizes.items():
        if len(set(by_arg.values())) > 1:
            listed = ", ".join(f"{name}: {size}" for name, size in by_arg.items())
            raise InputError(f"dim {dim!r} has different sizes in the inputs ({listed})")
    for dim, (least, why) in min_sizes.items():
        for arg, da in zip(args, arrays, strict=True):
            if dim in da.dims and da.sizes[dim] < least:
                raise InputError(
                    f"{arg.name} has {da.sizes[dim]} along {dim!r}, at least {least} are "
                    f"needed: {why}"
                )


def prepare(
    args: Sequence[Arg],
    *,
    min_sizes: Mapping[str, tuple[int, str]] | None = None,
    exclude_dims: Iterable[str] = (),
) -> tuple[list[xr.DataArray], bool]:
    """Turn the inputs into checked, aligned DataArrays.

    Parameters
    ----------
    args : sequence of Arg
        The inputs with their names and core dims.
    min_sizes : mapping, optional
        ``{dim: (least size, reason)}``, e.g. ``{"member": (2, "a spread needs two members")}``.
    exclude_dims : iterable of str
        Core dims whose size may differ between inputs (``sample`` of two sample sets).

    Returns
    -------
    arrays : list of xarray.DataArray
        The inputs, in order.
    plain : bool
        Whether every input was a plain array or number (results go back as NumPy).

    Raises
    ------
    InputError
        A Dataset input, a missing or stray dim, mismatched sizes, too few
        members, non-numeric data, coordinates that do not align.
    """
    for arg in args:
        if isinstance(arg.value, xr.Dataset):
            raise InputError(
                f"{arg.name} is a Dataset: pick a variable (ds[name]) or use the "
                "ds.sciml accessor, which maps over the variables"
            )
    plain = not any(isinstance(arg.value, xr.DataArray) for arg in args)
    arrays = _from_plain(args) if plain else _from_xarray(args)
    excluded = tuple(exclude_dims)
    _check_dims(args, arrays, min_sizes or {}, excluded)
    try:
        aligned = xr.align(*arrays, join="exact", exclude=excluded, copy=False)
    except ValueError as exc:
        raise InputError(
            f"the inputs' coordinates do not match ({exc}); select matching coordinates "
            "or align them first with xarray.align"
        ) from None
    return list(aligned), plain


def flatten_leading(
    arrays: Sequence[np.ndarray], core_ndims: Sequence[int]
) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Broadcast the leading (non-core) axes of kernel inputs and flatten them into one.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Kernel inputs, core axes last.
    core_ndims : sequence of int
        Number of core axes of each input.

    Returns
    -------
    flat : list of numpy.ndarray
        Each input with shape ``(n_cases, *core_shape)``.
    lead : tuple of int
        The broadcast leading shape (reshape results to ``lead + out_core``).
    """
    leads = [a.shape[: a.ndim - k] for a, k in zip(arrays, core_ndims, strict=True)]
    lead = np.broadcast_shapes(*leads)
    n = prod(lead)
    flat = []
    for a, k in zip(arrays, core_ndims, strict=True):
        core = a.shape[a.ndim - k :]
        flat.append(np.broadcast_to(a, lead + core).reshape((n, *core)))
    return flat, lead


def pool_core(a: np.ndarray, ndim: int) -> np.ndarray:
    """Merge the last ``ndim`` (core) axes of a kernel input into one, e.g. pooled cases."""
    return a.reshape(*a.shape[: a.ndim - ndim], -1)


def _raise_if_nan(names: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    for name, a in zip(names, arrays, strict=True):
        problem = nan_problem(a, name=name)
        if problem:
            raise InputError(problem)


def _guarded(
    kernel: Callable[..., np.ndarray],
    names: Sequence[str],
    raise_on_nan: bool,
    /,
    *arrays: np.ndarray,
    **kwargs: Any,
) -> np.ndarray:
    out = kernel(*arrays, **kwargs)
    # A NaN in the result is cheap to spot; only then look for its cause in the inputs.
    if raise_on_nan and np.isnan(out).any():
        _raise_if_nan(names, arrays)
    return out


def apply_kernel(
    kernel: Callable[..., np.ndarray],
    arrays: Sequence[xr.DataArray],
    args: Sequence[Arg],
    *,
    skipna: bool,
    output_core_dims: Sequence[str] = (),
    output_sizes: Mapping[str, int] | None = None,
    exclude_dims: Iterable[str] = (),
    kwargs: Mapping[str, Any] | None = None,
    name: str | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.DataArray:
    """Run ``kernel`` over the prepared inputs with :func:`xarray.apply_ufunc`.

    Parameters
    ----------
    kernel : callable
        ``kernel(*numpy_arrays, **kwargs) -> numpy.ndarray`` with core axes
        last (in the order of each :class:`Arg`'s ``core_dims``); the leading
        axes broadcast (see :func:`flatten_leading`). It returns NaN where a
        result is undefined (NaN input, too few valid members ...).
    arrays : sequence of xarray.DataArray
        Inputs from :func:`prepare`.
    args : sequence of Arg
        The same inputs' names and core dims.
    skipna : bool
        ``False``: a NaN result caused by a NaN input raises ``InputError``.
    output_core_dims : sequence of str
        Dims the kernel appends to the result.
    output_sizes : mapping, optional
        Sizes of new output core dims (needed for dask inputs).
    exclude_dims : iterable of str
        Core dims whose size may differ between inputs.
    kwargs : mapping, optional
        Keyword arguments of ``kernel``.
    name, attrs : optional
        Name and attributes (``long_name``, ``units``) of the result.

    Returns
    -------
    xarray.DataArray
        Lazy (dask-backed) when any input is.
    """
    inputs = []
    for arg, da in zip(args, arrays, strict=True):
        if _is_dask(da) and arg.core_dims:
            da = da.chunk(dict.fromkeys(arg.core_dims, -1))
        inputs.append(da)
    func = partial(_guarded, kernel, [arg.name for arg in args], not skipna)
    gufunc_kwargs = {"output_sizes": dict(output_sizes)} if output_sizes else None
    result = xr.apply_ufunc(
        func,
        *inputs,
        input_core_dims=[list(arg.core_dims) for arg in args],
        output_core_dims=[list(output_core_dims)],
        exclude_dims=set(exclude_dims),
        dask="parallelized",
        output_dtypes=[np.float64],
        dask_gufunc_kwargs=gufunc_kwargs,
        kwargs=dict(kwargs or {}),
        keep_attrs=False,
    )
    result.name = name
    result.attrs.update(attrs or {})
    return result


def finish(result: xr.DataArray, plain: bool) -> Any:
    """Return ``result`` as it goes to the user: NumPy (a float if 0-d) for plain inputs."""
    if not plain:
        return result
    values = np.asarray(result.values)
    return float(values) if values.ndim == 0 else values


def _checked_block(block: np.ndarray, *, check: Callable[[np.ndarray], str | None]) -> np.ndarray:
    problem = check(block)
    if problem:
        raise InputError(problem)
    return block


def guard(da: xr.DataArray, check: Callable[[np.ndarray], str | None]) -> xr.DataArray:
    """Apply ``check`` (returns an error message or None) now, or lazily per dask chunk."""
    if _is_dask(da):
        return da.copy(data=da.data.map_blocks(_checked_block, check=check, dtype=da.dtype))
    problem = check(np.asarray(da.values))
    if problem:
        raise InputError(problem)
    return da


def no_nan(da: xr.DataArray, name: str) -> xr.DataArray:
    """Raise ``InputError`` if ``da`` holds NaN (lazily, chunk by chunk, for dask data)."""
    return guard(da, partial(nan_problem, name=name))


def check_probability(da: xr.DataArray, name: str) -> xr.DataArray:
    """Raise ``InputError`` unless every non-NaN value of ``da`` lies in [0, 1]."""
    return guard(da, partial(probability_problem, name=name))


def check_positive(da: xr.DataArray, name: str, *, strict: bool = True) -> xr.DataArray:
    """Raise ``InputError`` unless every non-NaN value of ``da`` is positive (``>= 0``
    with ``strict=False``)."""
    return guard(da, partial(positive_problem, name=name, strict=strict))


def check_binary(da: xr.DataArray, name: str) -> xr.DataArray:
    """Raise ``InputError`` unless every non-NaN value of ``da`` is 0 or 1 (the message
    suggests ``threshold=``, which every caller takes)."""
    hint = ", or pass threshold= to make an event of a continuous variable"
    return guard(da, partial(binary_problem, name=name, hint=hint))


def units_attrs(*arrays: xr.DataArray) -> dict[str, Any]:
    """``{"units": ...}`` of the first of ``arrays`` that has units, else ``{}``."""
    for da in arrays:
        if da.attrs.get("units"):
            return {"units": da.attrs["units"]}
    return {}


_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def _uniform_at(location: Sequence[tuple[int, int]], total: Sequence[int], key: int) -> np.ndarray:
    """Uniforms in [0, 1) that depend only on each element's global position and ``key``."""
    index = np.zeros(tuple(stop - start for start, stop in location), dtype=np.uint64)
    stride = 1
    for axis in range(len(total) - 1, -1, -1):
        shape = [1] * len(total)
        shape[axis] = -1
        start, stop = location[axis]
        positions = np.arange(start, stop, dtype=np.uint64).reshape(shape)
        index = index + positions * np.array(stride, dtype=np.uint64)
        stride *= int(total[axis])
    # splitmix64 (uint64 arrays wrap around silently, as the algorithm wants)
    z = index * np.array(_GOLDEN, dtype=np.uint64) + np.array(key, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.array(_MIX1, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(27))) * np.array(_MIX2, dtype=np.uint64)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _uniform_dask_block(block: np.ndarray, *, block_info: dict[Any, Any], key: int) -> np.ndarray:
    info = block_info[0]
    return _uniform_at(info["array-location"], info["shape"], key)


def case_uniforms(
    arrays: Sequence[xr.DataArray], args: Sequence[Arg], *, seed: int, stream: int
) -> xr.DataArray:
    """Reproducible uniforms over the broadcast case dims of ``arrays``.

    Each case gets a value from a hash of its position and of ``(seed, stream)``,
    so the result does not depend on how a dask input is chunked.
    """
    dims: dict[str, int] = {}
    chunks: dict[str, tuple[int, ...]] = {}
    for arg, da in zip(args, arrays, strict=True):
        for dim in da.dims:
            if str(dim) in arg.core_dims:
                continue
            dims.setdefault(str(dim), da.sizes[dim])
            if _is_dask(da) and str(dim) not in chunks:
                chunks[str(dim)] = da.chunksizes[dim]
    key = int(np.random.SeedSequence([seed, stream]).generate_state(1, np.uint64)[0])
    shape = tuple(dims.values())
    if chunks:
        import dask.array

        block_chunks = tuple(chunks.get(d, (size,)) for d, size in dims.items())
        data = dask.array.zeros(shape, chunks=block_chunks).map_blocks(
            _uniform_dask_block, key=key, dtype=np.float64
        )
    else:
        data = _uniform_at([(0, size) for size in shape], shape, key)
    return xr.DataArray(data, dims=tuple(dims))
