"""Input checks and xarray plumbing shared by the calibration and conformal modules.

Every public function of :mod:`sciml.uq`'s calibration and conformal parts
takes plain arrays or :class:`xarray.DataArray` objects with named dims
(``sample`` for i.i.d. cases, ``member`` for ensembles, ``class`` for the
class axis of multi-class probabilities). These helpers turn either into a
NumPy array with the case axis first, check it (NaN, probabilities in
[0, 1], binary labels, the miscoverage level), and wrap results back into a
DataArray when the input was one. Every failure is a
:class:`~gpu.errors.InputError` or :class:`~gpu.errors.ConfigError` whose
message says what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import binary_problem, probability_problem

__all__ = [
    "CLASS_DIM",
    "SAMPLE_DIM",
    "as_cases",
    "check_alpha",
    "check_binary_labels",
    "check_class_labels",
    "check_probabilities",
    "check_same_length",
    "drop_nan_cases",
    "wrap_cases",
]

#: Dimension of i.i.d. cases (the sciml data contract's name).
SAMPLE_DIM = "sample"
#: Dimension of the class axis of multi-class probabilities or logits.
CLASS_DIM = "class"


def as_cases(
    x: Any,
    name: str,
    *,
    dim: str = SAMPLE_DIM,
    ndim: Sequence[int] = (1,),
    allow_nan: bool = False,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, xr.DataArray | None]:
    """Convert ``x`` to a NumPy array whose first axis indexes the cases.

    Parameters
    ----------
    x : array_like or xarray.DataArray
        The data. A DataArray must have the dimension ``dim``; it is moved
        first and the remaining dims keep their order.
    name : str
        What ``x`` is, for error messages (``"p_cal"``, ``"y"`` ...).
    dim : str, default "sample"
        The case dimension of a DataArray input.
    ndim : sequence of int, default (1,)
        Allowed numbers of dimensions.
    allow_nan : bool, default False
        Whether NaN values are accepted (else :class:`InputError`).
    dtype : numpy dtype, default float64
        Dtype of the returned array; ``None`` keeps the input's.

    Returns
    -------
    values : numpy.ndarray
        The data, case axis first.
    template : xarray.DataArray or None
        The transposed input when it was a DataArray (to wrap results with
        :func:`wrap_cases`), else ``None``.

    Raises
    ------
    InputError
        Missing case dim, wrong number of dims, no cases, or NaN.
    """
    template: xr.DataArray | None = None
    if isinstance(x, xr.Dataset):
        raise InputError(f"{name} must be a DataArray or an array, not a Dataset: pick a variable")
    if isinstance(x, xr.DataArray):
        if dim not in x.dims:
            raise InputError(
                f"{name} has dims {tuple(map(str, x.dims))} but no {dim!r} dim: "
                f"rename its case dimension to {dim!r} or pass dim="
            )
        template = x.transpose(dim, ...)
        values = np.asarray(template.values)
    else:
        values = np.asarray(x)
    if values.ndim not in tuple(ndim):
        allowed = " or ".join(str(n) for n in ndim)
        raise InputError(f"{name} must have {allowed} dimension(s), got shape {values.shape}")
    if values.ndim and values.shape[0] == 0:
        raise InputError(f"{name} is empty: at least one case is needed")
    if dtype is not None:
        if values.dtype.kind not in "biuf":
            raise InputError(f"{name} must be numeric, got dtype {values.dtype}")
        values = values.astype(dtype, copy=False)
    if not allow_nan and values.dtype.kind == "f" and np.isnan(values).any():
        count = int(np.isnan(values).sum())
        raise InputError(
            f"{name} contains {count} NaN value(s): drop or impute the missing cases first"
        )
    return values, template


def wrap_cases(
    values: np.ndarray,
    template: xr.DataArray | None,
    *,
    name: str | None = None,
    attrs: dict[str, Any] | None = None,
) -> Any:
    """Wrap ``values`` like ``template`` (a DataArray), or return them unchanged.

    Parameters
    ----------
    values : numpy.ndarray
        Result laid out like the leading ``values.ndim`` dims of ``template``.
    template : xarray.DataArray or None
        The input as returned by :func:`as_cases`; ``None`` returns ``values``.
    name : str, optional
        Name of the returned DataArray.
    attrs : dict, optional
        Attributes (CF ``long_name``, ``units`` ...) of the returned DataArray.

    Returns
    -------
    numpy.ndarray or xarray.DataArray
    """
    if template is None:
        return values
    dims = template.dims[: values.ndim]
    coords = {key: coord for key, coord in template.coords.items() if set(coord.dims) <= set(dims)}
    return xr.DataArray(values, dims=dims, coords=coords, name=name, attrs=attrs or {})


def check_same_length(*pairs: tuple[str, np.ndarray]) -> int:
    """Check that arrays have the same number of cases and return it.

    Parameters
    ----------
    *pairs : (str, numpy.ndarray)
        Name and array, case axis first.

    Returns
    -------
    int
        The common number of cases.
    """
    lengths = {name: len(arr) for name, arr in pairs}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise InputError(f"inputs must have the same number of cases, got {listed}")
    return next(iter(lengths.values()))


def drop_nan_cases(*named: tuple[str, np.ndarray], skipna: bool) -> list[np.ndarray]:
    """The arrays without the cases that have a NaN in any of them.

    Parameters
    ----------
    *named : (str, numpy.ndarray)
        Name and array, case axis first, all with the same number of cases.
    skipna : bool
        ``True``: leave the incomplete cases out; ``False``: raise if there are any.

    Returns
    -------
    list of numpy.ndarray
        The arrays, in order, restricted to the complete cases.

    Raises
    ------
    InputError
        Different numbers of cases; a NaN with ``skipna=False``; no complete case.
    """
    n = check_same_length(*named)
    keep = np.ones(n, dtype=bool)
    holes = []
    for name, arr in named:
        if arr.dtype.kind == "f":
            missing = np.isnan(arr.reshape(n, -1)).any(axis=1)
            if missing.any():
                keep &= ~missing
                holes.append(name)
    if holes and not skipna:
        raise InputError(
            f"{n - int(keep.sum())} case(s) have NaN in {', '.join(holes)}: pass skipna=True "
            "to leave them out, or drop or impute them first"
        )
    if not keep.any():
        raise InputError(f"every case has a NaN in {', '.join(holes)}: nothing is left to fit")
    return [arr if keep.all() else arr[keep] for _, arr in named]


def check_probabilities(p: np.ndarray, name: str) -> np.ndarray:
    """Raise :class:`InputError` unless every non-NaN value of ``p`` lies in [0, 1]."""
    problem = probability_problem(p, name=name)
    if problem:
        raise InputError(problem)
    return p


def check_binary_labels(y: Any, name: str = "y") -> np.ndarray:
    """Return binary labels as an int64 array of 0/1, or raise :class:`InputError`.

    Booleans and numbers equal to 0 or 1 are accepted; anything else
    (e.g. labels ``{1, 2}`` or ``{-1, 1}``) is refused, since silently mapping
    it could swap the classes.
    """
    arr = np.asarray(y)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InputError(f"{name} contains NaN: drop the unlabelled cases first")
    problem = binary_problem(arr, name=name)
    if problem:
        raise InputError(problem)
    return arr.astype(np.int64)


def check_class_labels(y: Any, n_classes: int, name: str = "y") -> np.ndarray:
    """Return class labels as int64 in ``0 .. n_classes - 1``, or raise :class:`InputError`."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise InputError(f"{name} contains NaN: drop the unlabelled cases first")
        if not np.all(arr == np.round(arr)):
            raise InputError(f"{name} must hold integer class labels, got non-integer values")
    elif arr.dtype.kind not in "biu":
        raise InputError(
            f"{name} must hold integer class labels 0..{n_classes - 1}, got dtype {arr.dtype}"
        )
    labels = arr.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise InputError(
            f"{name} must hold class indices 0..{n_classes - 1} (the columns of the "
            f"probabilities), found values in [{labels.min()}, {labels.max()}]"
        )
    return labels


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """The miscoverage level as a float; :class:`ConfigError` unless ``0 < alpha < 1``."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number in (0, 1), got {alpha!r}")
    value = float(alpha)
    if not 0.0 < value < 1.0:
        raise ConfigError(
            f"{name} must lie strictly between 0 and 1 (miscoverage level; "
            f"0.1 asks for 90% coverage), got {value}"
        )
    return value
