"""Certainty-threshold analysis: discrimination on the cases a classifier is sure about.

A useful uncertainty estimate lets one keep the cases whose certainty passes
a threshold and get better discrimination on them. For each threshold,
:func:`certainty_threshold_analysis` keeps the cases with
``certainty >= threshold`` and reports the fraction retained, the area under
the ROC curve (AUROC) and the area under the precision-recall curve
(AUPRC, as average precision) on them, computed by
:func:`sciml.uq.binary.auroc` and :func:`sciml.uq.binary.auprc`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import InputError
from sciml.uq._checks import check_levels
from sciml.uq.binary import auprc, auroc
from sciml.uq.calibration_inputs import SAMPLE_DIM, as_cases, check_binary_labels, drop_nan_cases

__all__ = ["certainty_threshold_analysis"]


def _discrimination(s: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """AUROC and AUPRC of a subset, NaN when it holds one class only."""
    if labels.min() == labels.max():
        return float("nan"), float("nan")
    return float(auroc(s, labels)), float(auprc(s, labels))


def certainty_threshold_analysis(
    p: Any,
    y: Any,
    *,
    certainty: Any = None,
    thresholds: Any = None,
    dim: str = SAMPLE_DIM,
    skipna: bool = False,
) -> xr.Dataset:
    """Discrimination (AUROC, AUPRC) versus the fraction of cases retained.

    Parameters
    ----------
    p : array_like or xarray.DataArray, shape (n,)
        Probabilities (or scores) of class 1, used to rank the cases.
    y : array_like or xarray.DataArray, shape (n,)
        Binary labels 0/1.
    certainty : array_like or xarray.DataArray, shape (n,), optional
        Certainty of each prediction; larger is surer. Default
        ``max(p, 1 - p)`` (``p`` must then be a probability).
    thresholds : array_like, optional
        Certainty thresholds; a case is retained when ``certainty >=
        threshold``. Default: the distinct values among the 0, 10, ..., 90 %
        quantiles of ``certainty``.
    dim : str, default "sample"
        Case dimension of DataArray inputs.
    skipna : bool, default False
        ``True``: cases with a NaN probability, label or certainty are left
        out; ``False``: a NaN raises :class:`InputError`.

    Returns
    -------
    xarray.Dataset
        Over dim ``threshold``: ``fraction_retained``, ``n_retained``,
        ``auroc`` and ``auprc`` (NaN where the retained cases hold one class only).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=2000); y = (rng.uniform(size=2000) < p).astype(int)
    >>> out = certainty_threshold_analysis(p, y)
    >>> bool(out.auroc[-1] > out.auroc[0])
    True
    """
    s, _ = as_cases(p, "p", dim=dim, allow_nan=True)
    labels_arr, _ = as_cases(y, "y", dim=dim, dtype=None, allow_nan=True)
    if certainty is None:
        s, labels_arr = drop_nan_cases(("p", s), ("y", labels_arr), skipna=skipna)
        if s.min() < 0.0 or s.max() > 1.0:
            raise InputError(
                "the default certainty max(p, 1 - p) needs probabilities in [0, 1]: "
                "pass certainty= for other scores"
            )
        sure = np.maximum(s, 1.0 - s)
    else:
        sure, _ = as_cases(certainty, "certainty", dim=dim, allow_nan=True)
        s, labels_arr, sure = drop_nan_cases(
            ("p", s), ("y", labels_arr), ("certainty", sure), skipna=skipna
        )
    labels = check_binary_labels(labels_arr)
    if thresholds is None:
        levels = np.unique(np.quantile(sure, np.linspace(0.0, 0.9, 10), method="lower"))
    else:
        levels = check_levels(thresholds, "thresholds", unit_interval=False)
    retained = np.empty(levels.size, dtype=np.int64)
    roc = np.empty(levels.size)
    pr = np.empty(levels.size)
    for i, level in enumerate(levels):
        keep = sure >= level
        retained[i] = int(keep.sum())
        roc[i], pr[i] = _discrimination(s[keep], labels[keep]) if retained[i] else (np.nan, np.nan)
    coords = {
        "threshold": ("threshold", levels, {"units": "1", "long_name": "certainty threshold"})
    }
    return xr.Dataset(
        {
            "fraction_retained": (
                "threshold",
                retained / s.size,
                {"units": "1", "long_name": "fraction of cases retained"},
            ),
            "n_retained": ("threshold", retained, {"units": "1", "long_name": "cases retained"}),
            "auroc": (
                "threshold",
                roc,
                {"units": "1", "long_name": "area under the ROC curve of retained cases"},
            ),
            "auprc": (
                "threshold",
                pr,
                {"units": "1", "long_name": "average precision of retained cases"},
            ),
        },
        coords=coords,
    )
