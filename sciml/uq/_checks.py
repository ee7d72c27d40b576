"""Value checks shared by every part of :mod:`sciml.uq`, each with the message that says what to do.

The ``*_problem`` functions look at a NumPy block and return the message of
an :class:`~gpu.errors.InputError` when the block fails, ``None`` when it
passes, so that :mod:`sciml.uq._xr` can run them lazily on each dask chunk
and :mod:`sciml.uq.calibration_inputs` eagerly on whole arrays. The
``check_*`` functions validate configuration values (counts, levels) and
raise :class:`~gpu.errors.ConfigError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpu.errors import ConfigError

__all__ = [
    "binary_problem",
    "check_count",
    "check_levels",
    "nan_problem",
    "positive_problem",
    "probability_problem",
]


def _not_nan(block: np.ndarray) -> np.ndarray:
    return block[~np.isnan(block)] if block.dtype.kind == "f" else block


def nan_problem(block: np.ndarray, *, name: str) -> str | None:
    """Message if ``block`` holds NaN (the caller offers ``skipna=True``)."""
    if block.dtype.kind == "f" and np.isnan(block).any():
        count = int(np.isnan(block).sum())
        return (
            f"{name} contains {count} NaN value(s): pass skipna=True to leave them out, "
            "or fill or drop them first"
        )
    return None


def probability_problem(block: np.ndarray, *, name: str) -> str | None:
    """Message if a non-NaN value of ``block`` lies outside [0, 1]."""
    values = _not_nan(block)
    if values.size and (values.min() < 0 or values.max() > 1):
        return (
            f"{name} must be probabilities in [0, 1], got values in "
            f"[{values.min():.6g}, {values.max():.6g}]: pass probabilities, not scores or logits"
        )
    return None


def binary_problem(block: np.ndarray, *, name: str, hint: str = "") -> str | None:
    """Message if a non-NaN value of ``block`` is neither 0 nor 1 (booleans pass).

    ``hint`` is appended to the message (e.g. how to make an event of a
    continuous variable where the caller can).
    """
    if block.dtype == bool:
        return None
    if block.dtype.kind not in "iuf":
        return f"{name} must hold binary labels 0/1, got dtype {block.dtype}"
    values = _not_nan(block)
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        examples = np.unique(bad)[:5].tolist()
        return (
            f"{name} must hold binary labels 0/1 (or booleans), found {examples}: "
            f"encode the event as 1 and its absence as 0{hint}"
        )
    return None


def positive_problem(block: np.ndarray, *, name: str, strict: bool = True) -> str | None:
    """Message unless every non-NaN value of ``block`` is positive (``>= 0`` if not ``strict``)."""
    values = _not_nan(block)
    if values.size and (values.min() <= 0 if strict else values.min() < 0):
        what = "positive" if strict else "non-negative"
        return f"{name} must be {what}, got a minimum of {values.min():.6g}"
    return None


def check_count(value: Any, name: str) -> int:
    """A count (bins, projections ...) as an int; :class:`ConfigError` unless a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_levels(values: Any, name: str, *, unit_interval: bool = True) -> np.ndarray:
    """Finite levels as a 1-D float array (in [0, 1] if ``unit_interval``), or :class:`ConfigError`.

    Parameters
    ----------
    values : float or sequence of float
        Quantile levels, thresholds ...
    name : str
        The argument's name, for the message.
    unit_interval : bool, default True
        Whether the values must lie in [0, 1].

    Returns
    -------
    numpy.ndarray
        The values, 1-D float64.
    """
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ConfigError(f"{name} must be a sequence of finite numbers, got {values!r}")
    if unit_interval and np.any((array < 0) | (array > 1)):
        raise ConfigError(f"{name} must lie in [0, 1], got {values!r}")
    return array
