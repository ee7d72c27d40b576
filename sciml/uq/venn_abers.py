"""Venn-ABERS calibration of binary classifiers: inductive (IVAP) and cross (CVAP).

For a test score ``s``, the inductive Venn-ABERS predictor fits isotonic
regression twice, to the calibration pairs plus ``(s, 0)`` and plus
``(s, 1)``, and reports the two fitted values at ``s``: the interval
``[p0, p1]``. One of the two is perfectly calibrated (Vovk & Petej, 2014):
``E[Y - p_Y] = 0``. The merged probability ``p1 / (1 - p0 + p1)`` is the one
that minimizes the worst-case log loss.

The fast algorithm (Vovk, Petej & Fedorova, 2015) works on the cumulative
sum diagram (CSD) of the sorted calibration scores: for the k distinct
scores it precomputes ``F0`` and ``F1`` — the two fits for a test score tied
with each distinct score — and a test score then costs one binary search.
Here each ``F1`` value is the slope of the lower common tangent (the bridge)
between the lower convex hull of the CSD points left of the test point and
that of the points right of it, the latter shifted by the test point's
``(1, 1)``. The left hulls grow by a stack; the right hulls are built once
right to left and then replayed in reverse by undoing the stack operations;
each bridge is found by nested binary search. All comparisons are exact
integer cross products, and each value is one division of two integers, so
the result is the exactly rounded slope: ``O(n log n + m log n)`` in all.
``F0`` follows by symmetry (reverse the order, swap the labels).

References
----------
Vovk, V., Petej, I. & Fedorova, V. (2015). Large-scale probabilistic predictors
with and without guarantees of validity. NeurIPS 28, arXiv:1511.00213.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._compile import kernel_backend, loop_for
from sciml.uq._estimators import fit_copy, fold_indices, require_fitted, split_indices
from sciml.uq.calibration_inputs import as_cases, check_binary_labels, drop_nan_cases, wrap_cases

__all__ = ["VennAbers", "ivap_tables"]


def _bridge_slopes(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of ``F1`` for a test point tied with each distinct score.

    ``cx``, ``cy`` (length ``k + 1``, starting at 0) are the CSD: cumulative
    counts and cumulative numbers of positive labels over the ``k`` distinct
    sorted scores. For group ``j`` the left points are CSD points ``0..j``, the
    right points ``j+1..k`` shifted by ``(1, 1)``; the result is the slope of the
    bridge between their lower hulls, ``num[j] / den[j]``.
    """
    k = cx.shape[0] - 1
    num = np.empty(k, dtype=np.int64)
    den = np.empty(k, dtype=np.int64)
    # Right hulls: process points k..1 right to left, recording how to undo each push.
    hull_r = np.full(k + 1, -1, dtype=np.int64)
    undo_pos = np.zeros(k + 1, dtype=np.int64)
    undo_old = np.zeros(k + 1, dtype=np.int64)
    undo_top = np.zeros(k + 1, dtype=np.int64)
    top_r = -1
    for q in range(k, 0, -1):
        before = top_r
        while top_r >= 1:
            b = hull_r[top_r]
            c = hull_r[top_r - 1]
            # pop b while it is on or above the segment q -> c
            if (cy[b] - cy[q]) * (cx[c] - cx[q]) >= (cy[c] - cy[q]) * (cx[b] - cx[q]):
                top_r -= 1
            else:
                break
        undo_top[q] = before
        undo_pos[q] = top_r + 1
        undo_old[q] = hull_r[top_r + 1]
        hull_r[top_r + 1] = q
        top_r += 1
    hull_l = np.empty(k + 1, dtype=np.int64)
    top_l = -1
    for j in range(k):
        # left hull gains CSD point j
        while top_l >= 1:
            a = hull_l[top_l - 1]
            b = hull_l[top_l]
            if (cy[b] - cy[a]) * (cx[j] - cx[a]) >= (cy[j] - cy[a]) * (cx[b] - cx[a]):
                top_l -= 1
            else:
                break
        top_l += 1
        hull_l[top_l] = j
        # bridge: the left vertex is the first whose successor is not strictly
        # below the tangent from it to the right hull (vertex i of the right
        # hull, in increasing x, is hull_r[top_r - i])
        lo_l = 0
        hi_l = top_l
        best_num = 0
        best_den = 1
        while True:
            mid_l = (lo_l + hi_l) // 2
            ql = hull_l[mid_l]
            lo_r = 0
            hi_r = top_r
            while lo_r < hi_r:
                mid_r = (lo_r + hi_r) // 2
                r0 = hull_r[top_r - mid_r]
                r1 = hull_r[top_r - mid_r - 1]
                n0 = cy[r0] + 1 - cy[ql]
                d0 = cx[r0] + 1 - cx[ql]
                n1 = cy[r1] + 1 - cy[ql]
                d1 = cx[r1] + 1 - cx[ql]
                if n1 * d0 < n0 * d1:
                    lo_r = mid_r + 1
                else:
                    hi_r = mid_r
            qr = hull_r[top_r - lo_r]
            t_num = cy[qr] + 1 - cy[ql]
            t_den = cx[qr] + 1 - cx[ql]
            if lo_l == hi_l:
                best_num = t_num
                best_den = t_den
                break
            nxt = hull_l[mid_l + 1]
            if (cy[nxt] - cy[ql]) * t_den < t_num * (cx[nxt] - cx[ql]):
                lo_l = mid_l + 1
            else:
                hi_l = mid_l
        num[j] = best_num
        den[j] = best_den
        # right hull loses point j + 1: undo its push
        if j + 1 < k:
            hull_r[undo_pos[j + 1]] = undo_old[j + 1]
            top_r = undo_top[j + 1]
    return num, den


def ivap_tables(
    scores: np.ndarray, labels: np.ndarray, *, backend: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precompute the IVAP lookup tables of a calibration set.

    Parameters
    ----------
    scores : numpy.ndarray, shape (n,)
        Calibration scores (any real score monotone in the probability of class 1).
    labels : numpy.ndarray, shape (n,)
        Binary labels 0/1.
    backend : {None, "auto", "numba", "numpy"}
        Where the hull kernel runs; ``"numpy"`` is the uncompiled reference.

    Returns
    -------
    distinct : numpy.ndarray, shape (k,)
        The sorted distinct calibration scores.
    p0_table : numpy.ndarray, shape (k + 1,)
        ``p0`` of a test score ``s`` is ``p0_table[searchsorted(distinct, s, "right")]``.
    p1_table : numpy.ndarray, shape (k + 1,)
        ``p1`` of a test score ``s`` is ``p1_table[searchsorted(distinct, s, "left")]``.
    """
    kernel = loop_for(_bridge_slopes, backend)
    distinct, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ones = np.bincount(group.ravel(), weights=labels, minlength=distinct.size).astype(np.int64)
    counts = counts.astype(np.int64)
    k = distinct.size
    cx = np.zeros(k + 1, dtype=np.int64)
    cy = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts, out=cx[1:])
    np.cumsum(ones, out=cy[1:])
    num1, den1 = kernel(cx, cy)
    # F0 by symmetry: reversed order, labels swapped; p0 = 1 - F1' = (den' - num') / den'
    zeros_rev = (counts - ones)[::-1]
    cx_rev = np.zeros(k + 1, dtype=np.int64)
    cy_rev = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts[::-1], out=cx_rev[1:])
    np.cumsum(zeros_rev, out=cy_rev[1:])
    num0, den0 = kernel(cx_rev, cy_rev)
    p1_table = np.empty(k + 1)
    p1_table[:k] = num1 / den1
    p1_table[k] = 1.0
    p0_table = np.empty(k + 1)
    p0_table[0] = 0.0
    p0_table[1:] = ((den0 - num0) / den0)[::-1]
    return distinct, p0_table, p1_table


def _attrs(what: str) -> dict[str, str]:
    return {"units": "1", "long_name": f"Venn-ABERS {what}"}


def _positive_scores(estimator: Any, X: Any) -> np.ndarray:
    """Scores of class 1: ``predict_proba(X)[:, 1]``, else ``decision_function(X)``."""
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(X))
        if proba.ndim != 2 or proba.shape[1] != 2:
            raise InputError(
                f"Venn-ABERS is for binary classifiers; predict_proba gave shape {proba.shape}"
            )
        return proba[:, 1].astype(np.float64)
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=np.float64).ravel()
    raise ConfigError(
        f"estimator {type(estimator).__name__} has neither predict_proba nor decision_function"
    )


class VennAbers:
    """Venn-ABERS predictor: the interval ``[p0, p1]`` and the merged probability.

    Parameters
    ----------
    estimator : object, optional
        A binary classifier with ``fit`` and ``predict_proba`` (or
        ``decision_function``), scikit-learn style. Without it, :meth:`fit`
        takes calibration *scores* and labels (an IVAP over a classifier you
        trained yourself) and the predict methods take test scores.
    inductive : bool, default True
        ``True``: inductive Venn-ABERS (IVAP) — the estimator is fitted on a
        proper training part and calibrated on the rest (``cal_size``).
        ``False``: cross Venn-ABERS (CVAP) — ``n_splits`` folds, each calibrating
        a copy fitted on the other folds; the ``n_splits`` intervals are merged
        with geometric means, ``p1 = GM(p1_k)``, ``1 - p0 = GM(1 - p0_k)``.
        Requires ``estimator``.
    n_splits : int, default 5
        Number of folds of CVAP (at least 2).
    cal_size : float, default 0.3
        Fraction of cases held out for calibration by an IVAP with an estimator.
    random_state : int or numpy.random.SeedSequence, optional
        Seed of the random split into folds or calibration set.
    backend : {None, "auto", "numba", "numpy"}
        Where the hull kernel runs (``None``: numba when installed).
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the cases with a NaN score, feature or
        label; ``False``: a NaN raises :class:`InputError`.

    Attributes
    ----------
    estimators_ : list
        The fitted copies of ``estimator`` (empty without one).
    tables_ : list of tuple of numpy.ndarray
        Per calibration set, ``(distinct_scores, p0_table, p1_table)``
        (see :func:`ivap_tables`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = rng.uniform(size=500); y = (rng.uniform(size=500) < s**2).astype(int)
    >>> va = VennAbers().fit(s, y)
    >>> p0, p1 = va.predict_interval(np.array([0.2, 0.9]))
    >>> bool(np.all(p0 <= p1))
    True
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        inductive: bool = True,
        n_splits: int = 5,
        cal_size: float = 0.3,
        random_state: int | np.random.SeedSequence | None = None,
        backend: str | None = None,
        skipna: bool = False,
    ) -> None:
        self.estimator = estimator
        self.inductive = inductive
        self.n_splits = n_splits
        self.cal_size = cal_size
        self.random_state = random_state
        self.backend = backend
        self.skipna = skipna

    def fit(self, X: Any, y: Any) -> VennAbers:
        """Fit the classifier copies (if any) and precompute the calibration tables.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Calibration scores, shape ``(n,)``, when ``estimator`` is None;
            else the training features (``sample`` first).
        y : array_like or xarray.DataArray, shape (n,)
            Binary labels 0/1.

        Returns
        -------
        VennAbers
            ``self``.
        """
        if not self.inductive and self.estimator is None:
            raise ConfigError(
                "cross Venn-ABERS (inductive=False) refits the classifier on folds: pass estimator="
            )
        backend = kernel_backend(self.backend)
        labels_arr, _ = as_cases(y, "y", dtype=None, allow_nan=True)
        if self.estimator is None:
            values, _ = as_cases(X, "X (calibration scores)", allow_nan=True)
        else:
            values, _ = as_cases(X, "X", ndim=(1, 2), dtype=None, allow_nan=True)
        values, labels_arr = drop_nan_cases(("X", values), ("y", labels_arr), skipna=self.skipna)
        labels = check_binary_labels(labels_arr, "y")
        self.estimators_: list[Any] = []
        self.tables_: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if self.estimator is None:
            self.tables_.append(ivap_tables(values, labels, backend=backend))
            return self
        features, n = values, len(values)
        if self.inductive:
            splits = [split_indices(n, self.cal_size, self.random_state)]
        else:
            folds = fold_indices(n, self.n_splits, self.random_state)
            splits = [
                (np.concatenate(folds[:i] + folds[i + 1 :]), fold) for i, fold in enumerate(folds)
            ]
        for train, cal in splits:
            if np.unique(labels[train]).size < 2:
                raise InputError(
                    "a training part holds one class only: use more cases or fewer folds"
                )
            model = fit_copy(self.estimator, features[train], labels[train])
            self.estimators_.append(model)
            scores = _positive_scores(model, features[cal])
            self.tables_.append(ivap_tables(scores, labels[cal], backend=backend))
        return self

    def _intervals(self, X: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        require_fitted(self, "tables_")
        if self.estimator is None:
            values, template = as_cases(X, "X (test scores)")
            score_sets = [values]
        else:
            values, template = as_cases(X, "X", ndim=(1, 2), dtype=None)
            score_sets = [_positive_scores(model, values) for model in self.estimators_]
        p0 = np.empty((len(self.tables_), len(values)))
        p1 = np.empty_like(p0)
        for i, ((distinct, p0_table, p1_table), scores) in enumerate(
            zip(self.tables_, score_sets, strict=True)
        ):
            # one binary search: the "right" position is the "left" one plus a tie
            left = np.searchsorted(distinct, scores, side="left")
            tied = distinct[np.minimum(left, distinct.size - 1)] == scores
            p0[i] = p0_table[left + tied]
            p1[i] = p1_table[left]
        return p0, p1, template

    def predict_interval(self, X: Any) -> tuple[Any, Any]:
        """The Venn-ABERS interval ``[p0, p1]`` for each test case.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Test scores (without ``estimator``) or test features.

        Returns
        -------
        p0, p1 : numpy.ndarray or xarray.DataArray, shape (m,)
            Lower and upper probabilities of class 1 (``p0 <= p1``). For CVAP,
            ``p0 = 1 - GM(1 - p0_k)`` and ``p1 = GM(p1_k)`` over the folds.
        """
        p0, p1, template = self._intervals(X)
        if len(p0) == 1:
            low, high = p0[0], p1[0]
        else:
            low = -np.expm1(np.mean(np.log1p(-p0), axis=0))
            high = np.exp(np.mean(np.log(p1), axis=0))
        return (
            wrap_cases(low, template, name="p0", attrs=_attrs("lower probability of class 1")),
            wrap_cases(high, template, name="p1", attrs=_attrs("upper probability of class 1")),
        )

    def predict_proba(self, X: Any) -> Any:
        """Merged probability of class 1, ``p1 / (1 - p0 + p1)`` (minimax log loss).

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Test scores (without ``estimator``) or test features.

        Returns
        -------
        numpy.ndarray or xarray.DataArray, shape (m,)
            Calibrated probability of class 1.
        """
        p0, p1 = self.predict_interval(X)
        merged = p1 / (1.0 - p0 + p1)
        if isinstance(merged, xr.DataArray):
            merged = merged.rename("probability")
            merged.attrs = _attrs("probability of class 1")
        return merged
