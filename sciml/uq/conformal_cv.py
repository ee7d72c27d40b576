"""CV+ and jackknife+ prediction intervals, computed in memory-bounded chunks.

With the training set split into ``K`` folds, ``mu_{-k}`` fitted without fold
``k`` and out-of-fold residuals ``R_i = |y_i - mu_{-k(i)}(x_i)|``, the CV+
interval (Barber et al., 2021) at a test point ``x`` is

    lower = the floor(alpha (n+1))-th smallest of  mu_{-k(i)}(x) - R_i,
    upper = the ceil((1-alpha)(n+1))-th smallest of mu_{-k(i)}(x) + R_i,

over the ``n`` training cases; jackknife+ is the case ``K = n``. Its coverage
is at least ``1 - 2 alpha`` (and about ``1 - alpha`` in practice).

Materializing the ``n_test x n_train`` matrices (as MAPIE does) takes
``16 n_test n_train`` bytes — 160 GB for 10^4 x 10^6. Here test points are
processed in chunks sized from ``max_memory_mb``:

* ``backend="numba"`` with ``K <= 32`` folds: ``mu_{-k}(x)`` takes only ``K``
  values per test point, so each bound is an order statistic of the union of
  ``K`` sorted sequences (each fold's sorted residuals, shifted by
  ``mu_{-k}(x)``). It is found by repeatedly discarding the ``t = need // K``
  smallest remaining candidates of the fold whose ``t``-th candidate is the
  smallest — ``O(K^2 log n)`` per test point, with no ``n``-sized work.
* otherwise (the NumPy reference, and jackknife+): ``np.partition`` of a
  ``(chunk x n)`` block per bound.

Both return the same floating-point numbers: each bound is one of the values
``mu_{-k}(x) -/+ R_i``, computed by the same subtraction or addition.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from gpu.errors import ConfigError
from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._estimators import fit_copy, fold_indices, require_fitted
from sciml.uq.calibration_inputs import SAMPLE_DIM, check_alpha
from sciml.uq.conformal_base import as_features, conformal_rank, too_few
from sciml.uq.conformal_regression import complete_training_data, predict_target

__all__ = ["CVPlusRegressor", "cv_plus_bounds"]

#: Above this many folds the union-selection kernel loses to partitioning.
_MAX_SELECT_FOLDS = 32


def _select_loops(
    pred: np.ndarray,
    residuals: np.ndarray,
    offsets: np.ndarray,
    need: int,
    lower: np.ndarray,
    upper: np.ndarray,
) -> None:
    """Fill ``lower``/``upper`` with the ``need``-th smallest of ``pred[:, k] - R`` / largest of
    ``pred[:, k] + R`` over the folds' residuals (``residuals[offsets[k]:offsets[k+1]]``,
    ascending)."""
    m, n_folds = pred.shape
    taken = np.zeros(n_folds, dtype=np.int64)
    for i in range(m):
        for side in range(2):
            sign = -1.0 if side == 0 else 1.0
            for k in range(n_folds):
                taken[k] = 0
            remaining = need
            result = 0.0
            while True:
                active = 0
                for k in range(n_folds):
                    if taken[k] < offsets[k + 1] - offsets[k]:
                        active += 1
                # discard at most remaining - 1 candidates, all of rank < remaining
                step = max(1, min(remaining // active, remaining - 1))
                best = 0.0
                best_k = -1
                best_step = 0
                for k in range(n_folds):
                    size = offsets[k + 1] - offsets[k]
                    if taken[k] >= size:
                        continue
                    d = min(step, size - taken[k])
                    # candidates of fold k in order: largest residuals first
                    value = pred[i, k] + sign * residuals[offsets[k + 1] - taken[k] - d]
                    if best_k < 0 or (value < best if side == 0 else value > best):
                        best = value
                        best_k = k
                        best_step = d
                if remaining == 1:
                    result = best
                    break
                taken[best_k] += best_step
                remaining -= best_step
            if side == 0:
                lower[i] = result
            else:
                upper[i] = result


def cv_plus_bounds(
    fold_predictions: np.ndarray,
    sorted_residuals: np.ndarray,
    offsets: np.ndarray,
    alpha: float,
    *,
    backend: str | None = None,
    max_memory_mb: float = 256.0,
    allow_infinite: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """CV+ bounds of test points from their fold predictions and the out-of-fold residuals.

    Parameters
    ----------
    fold_predictions : numpy.ndarray, shape (m, K)
        ``mu_{-k}(x_j)`` for each test point ``j`` and fold ``k``.
    sorted_residuals : numpy.ndarray, shape (n,)
        Out-of-fold absolute residuals, grouped by fold and ascending within it.
    offsets : numpy.ndarray, shape (K + 1,)
        Fold ``k`` owns ``sorted_residuals[offsets[k]:offsets[k + 1]]``.
    alpha : float
        Miscoverage level.
    backend : {None, "auto", "numba", "numpy"}
        ``"numba"``: the union-selection kernel (for ``K <= 32``);
        ``"numpy"``: chunked ``np.partition`` (the reference).
    max_memory_mb : float, default 256
        Memory budget of the ``(chunk x n)`` blocks of the partition path.
    allow_infinite : bool, default False
        Give infinite bounds when ``n`` is too small for the level.

    Returns
    -------
    lower, upper : numpy.ndarray, shape (m,)
    """
    n = sorted_residuals.size
    m, n_folds = fold_predictions.shape
    k_upper = conformal_rank(n, alpha)
    if k_upper > n:
        if not allow_infinite:
            raise too_few(n, alpha, "training cases")
        return np.full(m, -np.inf), np.full(m, np.inf)
    need = n + 1 - k_upper  # rank of the lower bound from below = of the upper from above
    lower = np.empty(m)
    upper = np.empty(m)
    if kernel_backend(backend) == "numba" and n_folds <= _MAX_SELECT_FOLDS:
        compiled(_select_loops)(
            np.ascontiguousarray(fold_predictions, dtype=np.float64),
            sorted_residuals,
            offsets,
            need,
            lower,
            upper,
        )
        return lower, upper
    fold_of = np.repeat(np.arange(n_folds), np.diff(offsets))
    chunk = max(1, int(max_memory_mb * 2**20 // (3 * 8 * n)))
    for start in range(0, m, chunk):
        stop = min(start + chunk, m)
        centres = fold_predictions[start:stop][:, fold_of]
        block = centres - sorted_residuals
        lower[start:stop] = np.partition(block, need - 1, axis=1)[:, need - 1]
        np.add(centres, sorted_residuals, out=block)
        upper[start:stop] = np.partition(block, k_upper - 1, axis=1)[:, k_upper - 1]
    return lower, upper


class CVPlusRegressor:
    """CV+ (or jackknife+) prediction intervals around any regressor, memory-bounded.

    Parameters
    ----------
    estimator : object
        Regressor with ``fit``/``predict`` (scikit-learn style); one copy is
        fitted per fold.
    alpha : float, default 0.1
        Miscoverage level (CV+ guarantees coverage ``>= 1 - 2 alpha``; about
        ``1 - alpha`` in practice).
    n_splits : int or "jackknife", default 5
        Number of folds ``K >= 2``; ``"jackknife"`` for jackknife+ (``K = n``).
    shuffle : bool, default True
        Shuffle the cases before cutting the folds (else contiguous folds, as
        scikit-learn's ``KFold(shuffle=False)``).
    random_state : int or numpy.random.SeedSequence, optional
        Seed of the shuffle.
    max_memory_mb : float, default 256
        Working-memory budget of :meth:`predict_interval`; test points are
        processed in chunks that fit in it.
    backend : {None, "auto", "numba", "numpy"}
        Bound computation (see :func:`cv_plus_bounds`).
    allow_infinite : bool, default False
        Give infinite intervals when the training set is too small for the level.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the cases with a NaN feature or target;
        ``False``: a NaN raises :class:`InputError`.
    dim : str, default "sample"
        Case dimension of DataArray inputs.

    Attributes
    ----------
    estimators_ : list
        The ``K`` fold models ``mu_{-k}``.
    sorted_residuals_ : numpy.ndarray, shape (n, d)
        Out-of-fold absolute residuals, grouped by fold and sorted within it.
    offsets_ : numpy.ndarray, shape (K + 1,)
        Fold boundaries in ``sorted_residuals_``.
    """

    def __init__(
        self,
        estimator: Any,
        *,
        alpha: float = 0.1,
        n_splits: int | Literal["jackknife"] = 5,
        shuffle: bool = True,
        random_state: int | np.random.SeedSequence | None = None,
        max_memory_mb: float = 256.0,
        backend: str | None = None,
        allow_infinite: bool = False,
        skipna: bool = False,
        dim: str = SAMPLE_DIM,
    ) -> None:
        self.estimator = estimator
        self.alpha = alpha
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.max_memory_mb = max_memory_mb
        self.backend = backend
        self.allow_infinite = allow_infinite
        self.skipna = skipna
        self.dim = dim

    def fit(self, X: Any, y: Any) -> CVPlusRegressor:
        """Fit one model per fold and store the sorted out-of-fold residuals.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features ``(n, p)``.
        y : array_like or xarray.DataArray
            Target ``(n,)`` or ``(n, d)``.

        Returns
        -------
        CVPlusRegressor
            ``self``.
        """
        check_alpha(self.alpha)
        if not self.max_memory_mb > 0:
            raise ConfigError(f"max_memory_mb must be positive, got {self.max_memory_mb!r}")
        kernel_backend(self.backend)
        features, target, layout = complete_training_data(X, y, self.dim, self.skipna)
        n = len(target)
        n_splits = n if self.n_splits == "jackknife" else self.n_splits
        folds = fold_indices(n, n_splits, self.random_state, shuffle=self.shuffle)
        n_folds = len(folds)
        target_2d = target.reshape(n, -1)
        residuals = np.empty_like(target_2d)
        self.estimators_: list[Any] = []
        in_fold = np.zeros(n, dtype=bool)
        for fold in folds:
            in_fold[:] = False
            in_fold[fold] = True
            model = fit_copy(self.estimator, features[~in_fold], target[~in_fold])
            self.estimators_.append(model)
            pred = predict_target(model, features[fold], fold.size, layout.multi_output)
            residuals[fold] = np.abs(target_2d[fold] - pred.reshape(fold.size, -1))
        self.offsets_ = np.zeros(n_folds + 1, dtype=np.int64)
        np.cumsum([fold.size for fold in folds], out=self.offsets_[1:])
        self.sorted_residuals_ = np.concatenate(
            [np.sort(residuals[fold], axis=0) for fold in folds], axis=0
        )
        self.layout_ = layout
        return self

    def predict(self, X: Any) -> Any:
        """Point prediction: the mean of the ``K`` fold models.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features of the new cases.

        Returns
        -------
        numpy.ndarray or xarray.DataArray
            Predictions, shape ``(m,)`` or ``(m, d)``.
        """
        require_fitted(self, "estimators_")
        features, template = as_features(X, self.dim)
        m = len(features)
        multi = self.layout_.multi_output
        pred = np.mean([predict_target(e, features, m, multi) for e in self.estimators_], axis=0)
        return self.layout_.wrap(pred, template, "prediction", "mean of the fold models")

    def predict_interval(self, X: Any) -> tuple[Any, Any]:
        """CV+ intervals, computed chunk by chunk within ``max_memory_mb``.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features of the new cases.

        Returns
        -------
        lower, upper : numpy.ndarray or xarray.DataArray
            Bounds, shape ``(m,)`` or ``(m, d)``.
        """
        require_fitted(self, "estimators_")
        alpha = check_alpha(self.alpha)
        features, template = as_features(X, self.dim)
        m = len(features)
        n_folds = len(self.estimators_)
        n_out = self.sorted_residuals_.shape[1]
        multi = self.layout_.multi_output
        lower = np.empty((m, n_out))
        upper = np.empty((m, n_out))
        # fold predictions cost 8 K d bytes per test point; keep room for the model's own work
        chunk = max(1, int(self.max_memory_mb * 2**20 // (4 * 8 * (n_folds + 2) * n_out)))
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            block = np.stack(
                [
                    predict_target(e, features[start:stop], stop - start, multi).reshape(
                        stop - start, n_out
                    )
                    for e in self.estimators_
                ],
                axis=1,
            )
            for j in range(n_out):
                lower[start:stop, j], upper[start:stop, j] = cv_plus_bounds(
                    block[:, :, j],
                    np.ascontiguousarray(self.sorted_residuals_[:, j]),
                    self.offsets_,
                    alpha,
                    backend=self.backend,
                    max_memory_mb=self.max_memory_mb,
                    allow_infinite=self.allow_infinite,
                )
        if not multi:
            lower, upper = lower[:, 0], upper[:, 0]
        return (
            self.layout_.wrap(lower, template, "lower", "lower CV+ prediction bound"),
            self.layout_.wrap(upper, template, "upper", "upper CV+ prediction bound"),
        )
