"""The split-conformal quantile and the pieces every conformal predictor shares.

With ``n`` exchangeable calibration scores, the ``k``-th smallest with
``k = ceil((n + 1)(1 - alpha))`` bounds a new score with probability
``k / (n + 1) >= 1 - alpha`` (exactly, for continuous scores). When
``k > n`` no finite bound exists: that is an :class:`~gpu.errors.InputError`
naming the number of calibration points needed, unless the caller asks for
the infinite interval with ``allow_infinite=True``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError
from sciml.uq.calibration_inputs import as_cases

__all__ = [
    "TargetLayout",
    "as_features",
    "conformal_quantile",
    "conformal_rank",
    "conformal_ranks",
    "coverage_probability",
    "min_calibration_size",
    "too_few",
]


def conformal_ranks(n: np.ndarray, alpha: float) -> np.ndarray:
    """The ranks ``ceil((n + 1)(1 - alpha))`` of the split-conformal quantile (may exceed ``n``).

    The product is rounded to 9 decimals first, so that levels like
    ``(n + 1) * 0.95 = 19`` are not pushed up by floating-point error.

    Parameters
    ----------
    n : numpy.ndarray
        Numbers of calibration points (any shape).
    alpha : float
        Miscoverage level.

    Returns
    -------
    numpy.ndarray
        The ranks, int64, shaped like ``n``.
    """
    return np.ceil(np.round((np.asarray(n) + 1) * (1.0 - alpha), 9)).astype(np.int64)


def conformal_rank(n: int, alpha: float) -> int:
    """The rank ``ceil((n + 1)(1 - alpha))`` of one calibration set (:func:`conformal_ranks`)."""
    return int(conformal_ranks(np.asarray(n), alpha))


def coverage_probability(n: int, alpha: float) -> float:
    """Coverage ``ceil((n + 1)(1 - alpha)) / (n + 1)`` of split conformal, continuous scores.

    Parameters
    ----------
    n : int
        Number of calibration points.
    alpha : float
        Miscoverage level.

    Returns
    -------
    float
        The probability that the interval covers a new case (1 when the
        interval is infinite, ``k > n``).
    """
    return min(conformal_rank(n, alpha), n + 1) / (n + 1)


def min_calibration_size(alpha: float) -> int:
    """The fewest calibration points with a finite split-conformal bound at ``1 - alpha``."""
    n = max(1, int(np.ceil(np.round(1.0 / alpha - 1.0, 9))))
    while conformal_rank(n, alpha) > n:
        n += 1
    return n


def too_few(n: int, alpha: float, what: str = "calibration point(s)") -> InputError:
    """The error for ``n`` cases, too few for a finite conformal bound at level ``1 - alpha``."""
    return InputError(
        f"{n} {what} are too few for coverage {1 - alpha:g}: the conformal quantile needs "
        f"at least {min_calibration_size(alpha)} (add calibration data, raise alpha, or pass "
        "allow_infinite=True to get infinite bounds)"
    )


def conformal_quantile(
    scores: np.ndarray, alpha: float, *, axis: int = 0, allow_infinite: bool = False
) -> np.ndarray:
    """The split-conformal quantile: the ``ceil((n+1)(1-alpha))``-th smallest score along ``axis``.

    Parameters
    ----------
    scores : numpy.ndarray
        Calibration scores; ``n`` is their length along ``axis``.
    alpha : float
        Miscoverage level in (0, 1).
    axis : int, default 0
        Axis of the calibration cases.
    allow_infinite : bool, default False
        Return ``+inf`` when ``n`` is too small for the level, instead of raising.

    Returns
    -------
    numpy.ndarray
        The quantile, with ``axis`` removed.

    Raises
    ------
    InputError
        Too few calibration points (and ``allow_infinite`` is False).
    """
    n = scores.shape[axis]
    k = conformal_rank(n, alpha)
    if k > n:
        if not allow_infinite:
            raise too_few(n, alpha)
        shape = scores.shape[:axis] + scores.shape[axis + 1 :]
        return np.full(shape, np.inf)
    return np.take(np.partition(scores, k - 1, axis=axis), k - 1, axis=axis)


def as_features(
    X: Any, dim: str, name: str = "X", *, allow_nan: bool = False
) -> tuple[Any, xr.DataArray | None]:
    """Features for an estimator (case axis first, dtype kept) and the DataArray template if any."""
    return as_cases(X, name, dim=dim, ndim=(1, 2), dtype=None, allow_nan=allow_nan)


@dataclass(frozen=True)
class TargetLayout:
    """Dims, coords and units of a regression target, to lay out predictions like it.

    Attributes
    ----------
    multi_output : bool
        Whether the target is ``(n, d)`` rather than ``(n,)``.
    output_dims : tuple of str
        The target's dim after the case dim (``("output",)`` for a plain 2-D array).
    output_coords : dict
        Coordinates along ``output_dims``.
    attrs : dict
        The target's attributes (``units`` is carried to the intervals).
    """

    multi_output: bool
    output_dims: tuple[Hashable, ...]
    output_coords: dict[Hashable, Any]
    attrs: dict[Hashable, Any]

    @classmethod
    def of(cls, y: Any, dim: str, *, allow_nan: bool = False) -> tuple[np.ndarray, TargetLayout]:
        """Target values (case axis first) and their layout.

        Parameters
        ----------
        y : array_like or xarray.DataArray
            ``(n,)`` or ``(n, d)`` (multi-output).
        dim : str
            Case dimension of a DataArray.
        allow_nan : bool, default False
            Accept NaN (the caller drops those cases).

        Returns
        -------
        values : numpy.ndarray
            The target, case axis first.
        layout : TargetLayout
            Its dims, coordinates and attributes.
        """
        values, template = as_cases(y, "y", dim=dim, ndim=(1, 2), allow_nan=allow_nan)
        multi = values.ndim == 2
        if template is None:
            return values, cls(multi, ("output",) if multi else (), {}, {})
        dims = tuple(template.dims[1:])
        coords = {key: c for key, c in template.coords.items() if multi and c.dims == dims}
        return values, cls(multi, dims, coords, dict(template.attrs))

    def wrap(
        self, values: np.ndarray, template: xr.DataArray | None, name: str, long_name: str
    ) -> Any:
        """Predictions ``(m,)`` or ``(m, d)`` as arrays, or DataArrays when ``X`` was one."""
        if template is None:
            return values
        case_dim = template.dims[0]
        coords = {key: c for key, c in template.coords.items() if c.dims == (case_dim,)}
        coords.update(self.output_coords)
        attrs = {"long_name": long_name}
        if "units" in self.attrs:
            attrs["units"] = self.attrs["units"]
        return xr.DataArray(
            values, dims=(case_dim, *self.output_dims), coords=coords, name=name, attrs=attrs
        )
