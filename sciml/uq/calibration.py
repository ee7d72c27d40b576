"""Post-hoc calibration of classifiers: Platt scaling, isotonic regression, temperature scaling.

Each calibrator follows the scikit-learn contract: ``__init__`` stores the
parameters, :meth:`fit` learns from held-out scores and labels and returns
``self`` (learned attributes end in ``_``), and ``predict_proba`` maps new
scores to calibrated probabilities. Inputs are arrays or DataArrays with a
``sample`` dim (and a ``class`` dim for multi-class logits); a DataArray in
gives a DataArray out.

* :class:`PlattScaler` fits ``p = 1 / (1 + exp(a s + b))`` to decision values
  by Newton's method on the cross-entropy with Platt's (1999) regularized
  targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``.
* :class:`IsotonicCalibrator` fits a non-decreasing step function by the
  pool-adjacent-violators algorithm and interpolates linearly between the
  distinct calibration scores (clipped outside them).
* :class:`TemperatureScaler` divides logits by one temperature ``T`` chosen
  to minimize the negative log-likelihood (Guo et al., 2017); the loss is
  convex in ``1/T``, so a safeguarded Newton iteration finds it exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, log_softmax, logsumexp, softmax

from gpu.errors import ConfigError, InputError, NumericalInstability
from sciml.uq._compile import loop_for
from sciml.uq._estimators import require_fitted
from sciml.uq.calibration_inputs import (
    CLASS_DIM,
    as_cases,
    check_binary_labels,
    check_class_labels,
    check_same_length,
    drop_nan_cases,
    wrap_cases,
)

__all__ = ["IsotonicCalibrator", "PlattScaler", "TemperatureScaler", "pava"]

_PROBABILITY_ATTRS = {"units": "1", "long_name": "calibrated probability"}


def _scores_and_labels(scores: Any, y: Any, skipna: bool) -> tuple[np.ndarray, np.ndarray]:
    """Calibration scores (float) and binary labels (int64) of the complete cases."""
    s, _ = as_cases(scores, "scores", allow_nan=True)
    labels_arr, _ = as_cases(y, "y", dtype=None, allow_nan=True)
    s, labels_arr = drop_nan_cases(("scores", s), ("y", labels_arr), skipna=skipna)
    return s, check_binary_labels(labels_arr)


class PlattScaler:
    """Platt scaling: a logistic fit of the labels on a classifier's decision values.

    Parameters
    ----------
    max_iter : int, default 100
        Maximum number of Newton iterations.
    tol : float, default 1e-12
        Convergence tolerance on the Newton step, relative to ``1 + max(|a|, |b|)``.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the calibration cases with a NaN score
        or label; ``False``: a NaN raises :class:`InputError`.

    Attributes
    ----------
    a_, b_ : float
        Fitted parameters of ``p = 1 / (1 + exp(a s + b))`` (``a < 0`` when
        higher scores mean class 1).
    n_iter_ : int
        Newton iterations used.

    Notes
    -----
    Pass decision values (margins, log-odds), not probabilities: the fit is
    logistic in the score. The targets ``(N+ + 1)/(N+ + 2)`` for positives
    and ``1/(N- + 2)`` for negatives keep the fit finite even for perfectly
    separated calibration data.
    """

    def __init__(self, *, max_iter: int = 100, tol: float = 1e-12, skipna: bool = False) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.skipna = skipna

    def fit(self, scores: Any, y: Any) -> PlattScaler:
        """Fit ``a_`` and ``b_`` on calibration scores and binary labels.

        Parameters
        ----------
        scores : array_like or xarray.DataArray, shape (n,)
            Decision values of the calibration cases.
        y : array_like or xarray.DataArray, shape (n,)
            Binary labels 0/1.

        Returns
        -------
        PlattScaler
            ``self``.
        """
        if self.max_iter < 1:
            raise ConfigError(f"max_iter must be >= 1, got {self.max_iter}")
        s, labels = _scores_and_labels(scores, y, self.skipna)
        n_pos = int(labels.sum())
        n_neg = labels.size - n_pos
        target = np.where(labels == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

        def loss(a: float, b: float) -> float:
            z = a * s + b
            return float(np.sum(np.logaddexp(0.0, z) - (1.0 - target) * z))

        a, b = 0.0, float(np.log((n_neg + 1.0) / (n_pos + 1.0)))
        current = loss(a, b)
        iteration = 0
        while iteration < self.max_iter:
            iteration += 1
            p = expit(-(a * s + b))
            residual = target - p
            grad = np.array([np.dot(s, residual), residual.sum()])
            weight = p * (1.0 - p)
            hess = np.array(
                [[np.dot(s * s, weight), np.dot(s, weight)], [np.dot(s, weight), weight.sum()]]
            )
            hess[np.diag_indices(2)] += 1e-12 * max(1.0, float(np.trace(hess)))
            step = np.linalg.solve(hess, grad)
            if np.max(np.abs(step)) <= self.tol * (1.0 + max(abs(a), abs(b))):
                a, b = a - step[0], b - step[1]
                break
            decrement = float(np.dot(grad, step))
            scale = 1.0
            while True:
                trial_a, trial_b = a - scale * step[0], b - scale * step[1]
                trial = loss(trial_a, trial_b)
                if trial <= current - 1e-4 * scale * decrement or scale < 1e-10:
                    break
                scale /= 2.0
            if scale < 1e-10:
                break
            a, b, current = trial_a, trial_b, trial
        else:
            raise NumericalInstability(
                f"Platt scaling did not converge in {self.max_iter} Newton steps: "
                "raise max_iter or check the scores for extreme values"
            )
        self.a_ = float(a)
        self.b_ = float(b)
        self.n_iter_ = iteration
        return self

    def predict_proba(self, scores: Any) -> Any:
        """Calibrated probability of class 1, ``1 / (1 + exp(a s + b))``.

        Parameters
        ----------
        scores : array_like or xarray.DataArray
            Decision values (any shape; a DataArray needs a ``sample`` dim).

        Returns
        -------
        numpy.ndarray or xarray.DataArray
            Same shape as ``scores``.
        """
        require_fitted(self, "a_")
        s, template = as_cases(scores, "scores", ndim=(1, 2, 3, 4))
        return wrap_cases(
            expit(-(self.a_ * s + self.b_)), template, name="probability", attrs=_PROBABILITY_ATTRS
        )


def _pava_loops(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) regression by pool-adjacent-violators."""
    n = values.shape[0]
    block_sum = np.empty(n)
    block_weight = np.empty(n)
    block_end = np.empty(n, dtype=np.int64)
    top = -1
    for i in range(n):
        top += 1
        block_sum[top] = values[i] * weights[i]
        block_weight[top] = weights[i]
        block_end[top] = i
        while (
            top > 0
            and block_sum[top - 1] * block_weight[top] > block_sum[top] * block_weight[top - 1]
        ):
            block_sum[top - 1] += block_sum[top]
            block_weight[top - 1] += block_weight[top]
            block_end[top - 1] = block_end[top]
            top -= 1
    out = np.empty(n)
    start = 0
    for b in range(top + 1):
        mean = block_sum[b] / block_weight[b]
        for i in range(start, block_end[b] + 1):
            out[i] = mean
        start = block_end[b] + 1
    return out


def pava(values: Any, weights: Any = None, *, backend: str | None = None) -> np.ndarray:
    """Isotonic (non-decreasing) least-squares fit of a sequence.

    Parameters
    ----------
    values : array_like, shape (n,)
        The sequence, in the order of the covariate.
    weights : array_like, shape (n,), optional
        Positive weights (default all 1).
    backend : {None, "auto", "numba", "numpy"}
        Where the loop runs (``"numpy"``: uncompiled reference).

    Returns
    -------
    numpy.ndarray, shape (n,)
        The non-decreasing sequence closest to ``values`` in weighted least squares.
    """
    y, _ = as_cases(values, "values")
    w = np.ones_like(y) if weights is None else as_cases(weights, "weights")[0]
    check_same_length(("values", y), ("weights", w))
    if np.any(w <= 0):
        raise InputError("weights must be positive")
    loop = loop_for(_pava_loops, backend)
    result: np.ndarray = loop(y, w)
    return result


class IsotonicCalibrator:
    """Isotonic-regression calibration: a non-decreasing map from scores to probabilities.

    Parameters
    ----------
    backend : {None, "auto", "numba", "numpy"}
        Where the pool-adjacent-violators loop runs.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the calibration cases with a NaN score
        or label; ``False``: a NaN raises :class:`InputError`.

    Attributes
    ----------
    thresholds_ : numpy.ndarray
        The distinct calibration scores, sorted.
    values_ : numpy.ndarray
        The fitted probability at each threshold (non-decreasing).

    Notes
    -----
    Tied scores are pooled first (their labels averaged). New scores are
    mapped by linear interpolation between thresholds and clipped to the
    end values outside them, as scikit-learn's ``CalibratedClassifierCV``
    does with ``method="isotonic"``.
    """

    def __init__(self, *, backend: str | None = None, skipna: bool = False) -> None:
        self.backend = backend
        self.skipna = skipna

    def fit(self, scores: Any, y: Any) -> IsotonicCalibrator:
        """Fit the isotonic map on calibration scores and binary labels.

        Parameters
        ----------
        scores : array_like or xarray.DataArray, shape (n,)
            Calibration scores (probabilities or any monotone score).
        y : array_like or xarray.DataArray, shape (n,)
            Binary labels 0/1.

        Returns
        -------
        IsotonicCalibrator
            ``self``.
        """
        s, labels = _scores_and_labels(scores, y, self.skipna)
        distinct, group, counts = np.unique(s, return_inverse=True, return_counts=True)
        means = np.bincount(group.ravel(), weights=labels, minlength=distinct.size) / counts
        self.thresholds_ = distinct
        self.values_ = pava(means, counts.astype(np.float64), backend=self.backend)
        return self

    def predict_proba(self, scores: Any) -> Any:
        """Calibrated probability of class 1 for new scores.

        Parameters
        ----------
        scores : array_like or xarray.DataArray
            Scores (any shape; a DataArray needs a ``sample`` dim).

        Returns
        -------
        numpy.ndarray or xarray.DataArray
            Same shape as ``scores``.
        """
        require_fitted(self, "values_")
        s, template = as_cases(scores, "scores", ndim=(1, 2, 3, 4))
        calibrated = np.interp(s, self.thresholds_, self.values_)
        return wrap_cases(calibrated, template, name="probability", attrs=_PROBABILITY_ATTRS)


def _as_logit_matrix(
    logits: Any, class_dim: str, *, allow_nan: bool = False
) -> tuple[np.ndarray, Any, bool]:
    """Logits as an (n, K) matrix; a 1-D input is binary, with class-0 logit 0."""
    z, template = as_cases(logits, "logits", ndim=(1, 2), allow_nan=allow_nan)
    if template is not None and z.ndim == 2 and template.dims[1] != class_dim:
        raise InputError(
            f"logits have dims {template.dims}: the class axis must be named {class_dim!r}"
        )
    if np.isinf(z).any():
        raise InputError("logits must be finite: clip them or drop the cases with infinite ones")
    binary = z.ndim == 1
    if binary:
        z = np.stack([np.zeros_like(z), z], axis=1)
    if z.shape[1] < 2:
        raise InputError(f"logits need at least 2 classes, got shape {z.shape}")
    return z, template, binary


class TemperatureScaler:
    """Temperature scaling: softmax of ``logits / T`` with ``T`` fitted by maximum likelihood.

    Parameters
    ----------
    class_dim : str, default "class"
        Name of the class dimension of DataArray logits.
    max_iter : int, default 100
        Maximum number of safeguarded Newton iterations.
    tol : float, default 1e-12
        Relative tolerance on ``1/T``.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the calibration cases with a NaN logit
        or label; ``False``: a NaN raises :class:`InputError`.

    Attributes
    ----------
    temperature_ : float
        The fitted temperature (``> 1`` softens over-confident logits).
    n_iter_ : int
        Iterations used.

    Notes
    -----
    Logits are ``(n, K)``; a 1-D array is read as the log-odds of class 1 of
    a binary classifier (``sigmoid(z / T)``). The mean negative log-likelihood
    is convex in ``beta = 1/T``; its derivative is ``mean(E_p[z] - z_y)``.
    The fit fails with :class:`InputError` when no finite positive
    temperature is optimal: logits that never beat chance (``T -> inf``) or
    that always rank the true class first (``T -> 0``).
    """

    def __init__(
        self,
        *,
        class_dim: str = CLASS_DIM,
        max_iter: int = 100,
        tol: float = 1e-12,
        skipna: bool = False,
    ) -> None:
        self.class_dim = class_dim
        self.max_iter = max_iter
        self.tol = tol
        self.skipna = skipna

    def fit(self, logits: Any, y: Any) -> TemperatureScaler:
        """Fit the temperature on calibration logits and labels.

        Parameters
        ----------
        logits : array_like or xarray.DataArray, shape (n, K) or (n,)
            Calibration logits (dims ``sample``, ``class``), or binary log-odds.
        y : array_like or xarray.DataArray, shape (n,)
            Class indices ``0 .. K-1`` (0/1 for binary log-odds).

        Returns
        -------
        TemperatureScaler
            ``self``.
        """
        z, _, _ = _as_logit_matrix(logits, self.class_dim, allow_nan=True)
        labels_arr, _ = as_cases(y, "y", dtype=None, allow_nan=True)
        z, labels_arr = drop_nan_cases(("logits", z), ("y", labels_arr), skipna=self.skipna)
        labels = check_class_labels(labels_arr, z.shape[1])
        z_true = z[np.arange(len(z)), labels]

        def slope_and_curvature(beta: float) -> tuple[float, float]:
            p = softmax(beta * z, axis=1)
            mean_z = np.sum(p * z, axis=1)
            var_z = np.sum(p * z * z, axis=1) - mean_z**2
            return float(np.mean(mean_z - z_true)), float(np.mean(np.maximum(var_z, 0.0)))

        if np.mean(z.mean(axis=1) - z_true) >= 0.0:
            raise InputError(
                "the logits do no better than chance on these labels, so the best "
                "temperature is infinite: check the label encoding"
            )
        if np.all(z.max(axis=1) == z_true) and np.all(
            np.sum(z == z.max(axis=1, keepdims=True), axis=1) == 1
        ):
            raise InputError(
                "the logits rank the true class first for every case, so the best "
                "temperature is 0: calibrate on more (or harder) cases"
            )
        low, high = 0.0, np.inf
        beta = 1.0
        iteration = 0
        while iteration < self.max_iter:
            iteration += 1
            slope, curvature = slope_and_curvature(beta)
            if slope < 0.0:
                low = beta
            else:
                high = beta
            newton = beta - slope / curvature if curvature > 0.0 else np.inf
            if low < newton < high:
                new_beta = newton
            elif np.isinf(high):
                new_beta = 2.0 * beta
            else:
                new_beta = 0.5 * (low + high)
            if abs(new_beta - beta) <= self.tol * beta:
                beta = new_beta
                break
            beta = new_beta
        else:
            raise NumericalInstability(
                f"temperature scaling did not converge in {self.max_iter} iterations"
            )
        self.temperature_ = float(1.0 / beta)
        self.n_iter_ = iteration
        return self

    def predict_proba(self, logits: Any) -> Any:
        """Calibrated probabilities ``softmax(logits / T)``.

        Parameters
        ----------
        logits : array_like or xarray.DataArray, shape (m, K) or (m,)
            Logits (or binary log-odds) of new cases.

        Returns
        -------
        numpy.ndarray or xarray.DataArray
            ``(m, K)`` class probabilities, or ``(m,)`` probabilities of class 1
            for 1-D log-odds.
        """
        require_fitted(self, "temperature_")
        z, template, binary = _as_logit_matrix(logits, self.class_dim)
        if binary:
            proba = expit(z[:, 1] / self.temperature_)
        else:
            proba = np.exp(log_softmax(z / self.temperature_, axis=1))
        return wrap_cases(proba, template, name="probability", attrs=_PROBABILITY_ATTRS)

    def nll(self, logits: Any, y: Any) -> float:
        """Mean negative log-likelihood of labels ``y`` under the scaled logits.

        Parameters
        ----------
        logits : array_like or xarray.DataArray, shape (m, K) or (m,)
            Logits of the cases.
        y : array_like or xarray.DataArray, shape (m,)
            Class indices.

        Returns
        -------
        float
            The mean negative log-likelihood (nats).
        """
        require_fitted(self, "temperature_")
        z, _, _ = _as_logit_matrix(logits, self.class_dim)
        labels = check_class_labels(as_cases(y, "y", dtype=None)[0], z.shape[1])
        check_same_length(("logits", z), ("y", labels))
        scaled = z / self.temperature_
        return float(np.mean(logsumexp(scaled, axis=1) - scaled[np.arange(len(z)), labels]))
