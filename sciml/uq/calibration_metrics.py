"""Calibration errors of probabilistic classifiers, each variant under its own name.

* :func:`ece` — class-1 expected calibration error of binary probabilities:
  equal-width bins on ``p``, ``sum_b (n_b / n) |mean(y) - mean(p)|_b``.
* :func:`top_label_ece` — top-label ECE (Gupta & Ramdas, 2021): the
  calibration of the top-label confidence *given the predicted class*,
  binned within each predicted class.
* :func:`ace` — adaptive calibration error (Nixon et al., 2019): equal-count
  bins, unweighted mean over bins (and over classes for multi-class input).

Bins are right-closed, ``(e_{b-1}, e_b]`` with ``0`` in the first, like
scikit-learn's ``calibration_curve`` and :func:`sciml.uq.reliability`.
Inputs are arrays or DataArrays with a ``sample`` dim (``class`` for the
class axis); a DataArray with further dims (lead time, location ...) gives
one value per position along them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._checks import check_count
from sciml.uq._histograms import probability_bin
from sciml.uq.calibration_inputs import (
    CLASS_DIM,
    SAMPLE_DIM,
    check_binary_labels,
    check_class_labels,
    check_probabilities,
    check_same_length,
)

__all__ = ["ace", "ece", "top_label_ece"]


def _prepare(p: Any, y: Any, *, multiclass: bool, skipna: bool) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (n,) or (n, K) and labels (n,), checked; NaN cases dropped if skipna."""
    probs = np.asarray(p, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64) if np.asarray(y).dtype != bool else np.asarray(y)
    if probs.ndim not in ((1, 2) if multiclass else (1,)):
        raise InputError(f"probabilities must be 1-D (class 1) here, got shape {probs.shape}")
    if labels.ndim != 1:
        raise InputError(f"labels must be 1-D, got shape {labels.shape}")
    check_same_length(("probabilities", probs), ("labels", labels))
    missing = np.isnan(probs).reshape(len(probs), -1).any(axis=1)
    if labels.dtype != bool:
        missing |= np.isnan(labels)
    if missing.any():
        if not skipna:
            raise InputError(
                f"{int(missing.sum())} case(s) have NaN probabilities or labels: "
                "drop them or pass skipna=True"
            )
        probs, labels = probs[~missing], labels[~missing]
        if len(probs) == 0:
            raise InputError("every case has a NaN probability or label")
    check_probabilities(probs, "probabilities")
    return probs, labels


def _bin(values: np.ndarray, n_bins: int) -> np.ndarray:
    return probability_bin(values, n_bins).astype(np.int64)


def _ece_values(p: np.ndarray, y: np.ndarray, n_bins: int, skipna: bool) -> float:
    probs, labels = _prepare(p, y, multiclass=False, skipna=skipna)
    labels = check_binary_labels(labels, "labels")
    gap = np.bincount(_bin(probs, n_bins), weights=labels - probs, minlength=n_bins)
    return float(np.abs(gap).sum() / len(probs))


def _top_label_values(
    p: np.ndarray, y: np.ndarray, n_bins: int, skipna: bool, average: str
) -> float:
    probs, labels = _prepare(p, y, multiclass=True, skipna=skipna)
    if probs.ndim == 1:
        probs = np.stack([1.0 - probs, probs], axis=1)
    n_classes = probs.shape[1]
    labels = check_class_labels(labels, n_classes, "labels")
    predicted = np.argmax(probs, axis=1)
    confidence = probs[np.arange(len(probs)), predicted]
    correct = (predicted == labels).astype(np.float64)
    cell = predicted * n_bins + _bin(confidence, n_bins)
    gap = np.bincount(cell, weights=correct - confidence, minlength=n_classes * n_bins)
    per_class = np.abs(gap.reshape(n_classes, n_bins)).sum(axis=1)
    counts = np.bincount(predicted, minlength=n_classes)
    if average == "weighted":
        return float(per_class.sum() / len(probs))
    present = counts > 0
    return float(np.mean(per_class[present] / counts[present]))


def _ace_values(p: np.ndarray, y: np.ndarray, n_bins: int, skipna: bool) -> float:
    probs, labels = _prepare(p, y, multiclass=True, skipna=skipna)
    n = len(probs)
    if n_bins > n:
        raise InputError(f"n_bins={n_bins} equal-count bins need at least {n_bins} cases, got {n}")
    if probs.ndim == 1:
        columns = probs[:, None]
        indicators = check_binary_labels(labels, "labels")[:, None].astype(np.float64)
    else:
        columns = probs
        classes = check_class_labels(labels, probs.shape[1], "labels")
        indicators = (classes[:, None] == np.arange(probs.shape[1])).astype(np.float64)
    sizes = np.full(n_bins, n // n_bins)
    sizes[: n % n_bins] += 1
    bin_of_rank = np.repeat(np.arange(n_bins), sizes)
    total = 0.0
    for k in range(columns.shape[1]):
        order = np.argsort(columns[:, k], kind="stable")
        gap = np.bincount(
            bin_of_rank, weights=indicators[order, k] - columns[order, k], minlength=n_bins
        )
        total += float(np.sum(np.abs(gap) / sizes))
    return total / (n_bins * columns.shape[1])


def _apply(
    func: Callable[..., float],
    p: Any,
    y: Any,
    *,
    dim: str,
    class_dim: str | None,
    name: str,
    long_name: str,
    **kwargs: Any,
) -> Any:
    """Run ``func`` on arrays, or over every position of a DataArray's other dims."""
    if not isinstance(p, xr.DataArray) and not isinstance(y, xr.DataArray):
        return func(np.asarray(p), np.asarray(y), **kwargs)
    probs = p if isinstance(p, xr.DataArray) else _named(p, dim, class_dim)
    labels = y if isinstance(y, xr.DataArray) else xr.DataArray(np.asarray(y), dims=(dim,))
    for what, arr in (("probabilities", probs), ("labels", labels)):
        if dim not in arr.dims:
            raise InputError(f"{what} have dims {tuple(map(str, arr.dims))} but no {dim!r} dim")
    core_p = [dim] + ([class_dim] if class_dim is not None and class_dim in probs.dims else [])
    out = xr.apply_ufunc(
        func,
        probs,
        labels,
        input_core_dims=[core_p, [dim]],
        vectorize=True,
        dask="parallelized",
        kwargs=kwargs,
        output_dtypes=[np.float64],
    )
    out.attrs = {"units": "1", "long_name": long_name}
    return out.rename(name)


def _named(p: Any, dim: str, class_dim: str | None) -> xr.DataArray:
    arr = np.asarray(p)
    dims = (dim,) if arr.ndim == 1 else (dim, class_dim or CLASS_DIM)
    return xr.DataArray(arr, dims=dims)


def ece(p: Any, y: Any, *, n_bins: int = 15, dim: str = SAMPLE_DIM, skipna: bool = False) -> Any:
    """Class-1 expected calibration error of binary probabilities (equal-width bins).

    ``ECE = sum_b (n_b / n) |mean_b(y) - mean_b(p)|`` over ``n_bins`` bins of
    equal width on ``[0, 1]``.

    Parameters
    ----------
    p : array_like or xarray.DataArray
        Predicted probabilities of class 1, shape ``(n,)`` or with a ``dim`` dim.
    y : array_like or xarray.DataArray
        Binary labels 0/1 along ``dim``.
    n_bins : int, default 15
        Number of equal-width bins.
    dim : str, default "sample"
        Case dimension of DataArray inputs.
    skipna : bool, default False
        Drop cases with a NaN probability or label instead of raising.

    Returns
    -------
    float or xarray.DataArray
        The ECE, in ``[0, 1]``; a DataArray over the other dims for DataArray input.

    Examples
    --------
    >>> float(ece([0.2, 0.8, 0.9, 0.1], [0, 1, 1, 0], n_bins=2))
    0.15
    """
    bins = check_count(n_bins, "n_bins")
    return _apply(
        _ece_values,
        p,
        y,
        dim=dim,
        class_dim=None,
        name="ece",
        long_name="class-1 expected calibration error",
        n_bins=bins,
        skipna=skipna,
    )


def top_label_ece(
    p: Any,
    y: Any,
    *,
    n_bins: int = 15,
    average: Literal["weighted", "macro"] = "weighted",
    dim: str = SAMPLE_DIM,
    class_dim: str = CLASS_DIM,
    skipna: bool = False,
) -> Any:
    """Top-label expected calibration error (Gupta & Ramdas, 2021).

    The top-label confidence ``c = max_k p_k`` should equal the probability of
    being right *given the predicted class* ``l = argmax_k p_k``. Within each
    predicted class, cases are binned on ``c`` (equal width) and
    ``|accuracy - mean c|`` is averaged over bins by count; the per-class
    errors are then averaged over the predicted classes.

    Parameters
    ----------
    p : array_like or xarray.DataArray
        Class probabilities ``(n, K)`` (dims ``sample``, ``class``), or ``(n,)``
        probabilities of class 1 of a binary classifier.
    y : array_like or xarray.DataArray
        Class indices ``0 .. K-1``.
    n_bins : int, default 15
        Number of equal-width confidence bins.
    average : {"weighted", "macro"}, default "weighted"
        ``"weighted"``: by the frequency of each predicted class, i.e. the
        estimate of ``E|P(Y = l | l, c) - c|``. ``"macro"``: unweighted mean
        over the predicted classes (MAPIE's ``top_label_ece``).
    dim, class_dim : str
        Case and class dimensions of DataArray inputs.
    skipna : bool, default False
        Drop cases with NaN instead of raising.

    Returns
    -------
    float or xarray.DataArray
        The top-label ECE.

    Notes
    -----
    This differs from the "confidence ECE" (Guo et al., 2017), which bins the
    confidence over all cases together; that one is
    ``ece(p.max(axis=1), p.argmax(axis=1) == y)``.
    """
    bins = check_count(n_bins, "n_bins")
    if average not in ("weighted", "macro"):
        raise ConfigError(f"average must be 'weighted' or 'macro', got {average!r}")
    return _apply(
        _top_label_values,
        p,
        y,
        dim=dim,
        class_dim=class_dim,
        name="top_label_ece",
        long_name=f"top-label expected calibration error ({average})",
        n_bins=bins,
        skipna=skipna,
        average=average,
    )


def ace(
    p: Any,
    y: Any,
    *,
    n_bins: int = 15,
    dim: str = SAMPLE_DIM,
    class_dim: str = CLASS_DIM,
    skipna: bool = False,
) -> Any:
    """Adaptive calibration error: equal-count bins (Nixon et al., 2019).

    For each class ``k`` the cases are sorted by ``p_k`` and split into
    ``n_bins`` bins of (almost) equal count; ``ACE = 1/(K R) sum_k sum_r
    |mean_r(1{y = k}) - mean_r(p_k)|``. For 1-D input (binary probabilities
    of class 1) only class 1 is used, ``K = 1``.

    Parameters
    ----------
    p : array_like or xarray.DataArray
        Probabilities of class 1 ``(n,)`` or class probabilities ``(n, K)``.
    y : array_like or xarray.DataArray
        Labels: 0/1 for 1-D ``p``, class indices for 2-D ``p``.
    n_bins : int, default 15
        Number of equal-count bins (at most the number of cases).
    dim, class_dim : str
        Case and class dimensions of DataArray inputs.
    skipna : bool, default False
        Drop cases with NaN instead of raising.

    Returns
    -------
    float or xarray.DataArray
        The ACE.
    """
    bins = check_count(n_bins, "n_bins")
    return _apply(
        _ace_values,
        p,
        y,
        dim=dim,
        class_dim=class_dim,
        name="ace",
        long_name="adaptive calibration error",
        n_bins=bins,
        skipna=skipna,
    )
