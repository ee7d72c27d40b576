"""Split conformal prediction sets for classifiers: LAC and APS scores.

The set for a new case holds every class whose conformity score is at most
the split-conformal quantile of the calibration scores, so it contains the
true class with probability ``>= 1 - alpha``.

* ``"lac"`` (least ambiguous set-valued classifier; Sadinle, Lei & Wasserman,
  2019): score ``1 - pi_y``. Smallest sets on average.
* ``"aps"`` (adaptive prediction sets; Romano, Sesia & Candès, 2020): score =
  total probability of the classes ranked at least as high as ``y``. With
  ``randomized=True`` the score is ``that total - U pi_y`` with ``U ~ U(0, 1)``
  (one ``U`` per case, shared by its classes), which makes the coverage
  exactly ``ceil((n+1)(1-alpha)) / (n+1)``; sets may then be empty.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq._estimators import fit_copy, require_fitted, split_indices
from sciml.uq.calibration_inputs import (
    CLASS_DIM,
    SAMPLE_DIM,
    as_cases,
    check_alpha,
    check_class_labels,
    check_probabilities,
    drop_nan_cases,
)
from sciml.uq.conformal_base import conformal_quantile

__all__ = ["ConformalClassifier", "class_scores"]


def class_scores(proba: np.ndarray, method: str, u: np.ndarray | None = None) -> np.ndarray:
    """Conformity score of every class of every case, shape ``(n, K)``.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, K)
        Class probabilities.
    method : {"lac", "aps"}
        The score.
    u : numpy.ndarray, shape (n,), optional
        Uniform draws of randomized APS (``None``: not randomized).

    Returns
    -------
    numpy.ndarray, shape (n, K)
        ``scores[i, k]`` is the score case ``i`` would have if its class were ``k``.
    """
    if method == "lac":
        return 1.0 - proba
    order = np.argsort(-proba, axis=1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(proba, order, axis=1), axis=1)
    scores = np.empty_like(proba)
    np.put_along_axis(scores, order, cumulative, axis=1)
    if u is not None:
        scores -= u[:, None] * proba
    return scores


class ConformalClassifier:
    """Split conformal prediction sets (LAC or APS) for any probabilistic classifier.

    Parameters
    ----------
    estimator : object, optional
        Classifier with ``fit``/``predict_proba``. Without it, :meth:`fit` and
        :meth:`predict_set` take class probabilities directly.
    alpha : float, default 0.1
        Miscoverage level: sets contain the true class with probability ``>= 1 - alpha``.
    method : {"lac", "aps"}, default "lac"
        Conformity score (see the module notes).
    randomized : bool, default False
        Randomized APS (exact coverage, possibly empty sets); only for ``"aps"``.
    prefit : bool, default False
        Use ``estimator`` as given and calibrate on all of ``(X, y)``.
    cal_size : float, default 0.5
        Fraction of cases held out for calibration (estimator, not prefit).
    random_state : int or numpy.random.SeedSequence, optional
        Seed of the split and of the randomized-APS draws.
    allow_infinite : bool, default False
        Give the full set of classes when calibration is too small for the
        level, instead of raising :class:`InputError`.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the cases with a NaN feature,
        probability or label; ``False``: a NaN raises :class:`InputError`.
    dim, class_dim : str
        Case and class dimensions of DataArray inputs.

    Attributes
    ----------
    estimator_ : object or None
        The fitted classifier.
    classes_ : numpy.ndarray
        Class labels, the columns of the sets.
    quantile_ : float
        The conformal quantile of the calibration scores.
    n_calibration_ : int
        Number of calibration cases.
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        alpha: float = 0.1,
        method: Literal["lac", "aps"] = "lac",
        randomized: bool = False,
        prefit: bool = False,
        cal_size: float = 0.5,
        random_state: int | np.random.SeedSequence | None = None,
        allow_infinite: bool = False,
        skipna: bool = False,
        dim: str = SAMPLE_DIM,
        class_dim: str = CLASS_DIM,
    ) -> None:
        self.estimator = estimator
        self.alpha = alpha
        self.method = method
        self.randomized = randomized
        self.prefit = prefit
        self.cal_size = cal_size
        self.random_state = random_state
        self.allow_infinite = allow_infinite
        self.skipna = skipna
        self.dim = dim
        self.class_dim = class_dim

    def _proba(self, X: Any) -> tuple[np.ndarray, Any]:
        if self.estimator_ is None:
            proba, template = as_cases(X, "probabilities", dim=self.dim, ndim=(2,))
        else:
            features, template = as_cases(X, "X", dim=self.dim, ndim=(1, 2), dtype=None)
            proba = np.asarray(self.estimator_.predict_proba(features), dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] < 2:
            raise InputError(f"class probabilities must be (n, K >= 2), got shape {proba.shape}")
        if hasattr(self, "classes_") and proba.shape[1] != self.classes_.size:
            raise InputError(
                f"probabilities have {proba.shape[1]} classes, calibration had {self.classes_.size}"
            )
        if np.isnan(proba).any():
            raise InputError("class probabilities contain NaN")
        check_probabilities(proba, "class probabilities")
        return proba, template

    def _uniform(self, n: int) -> np.ndarray | None:
        return self.rng_.uniform(size=n) if self.randomized else None

    def fit(self, X: Any, y: Any) -> ConformalClassifier:
        """Fit the classifier (if any) and compute the conformal quantile.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Calibration class probabilities ``(n, K)`` without ``estimator``;
            else features.
        y : array_like or xarray.DataArray, shape (n,)
            Labels: class indices ``0 .. K-1`` without ``estimator``, else
            labels from the estimator's ``classes_``.

        Returns
        -------
        ConformalClassifier
            ``self``.
        """
        alpha = check_alpha(self.alpha)
        if self.method not in ("lac", "aps"):
            raise ConfigError(f"method must be 'lac' or 'aps', got {self.method!r}")
        if self.randomized and self.method != "aps":
            raise ConfigError("randomized=True applies to method='aps' only")
        self.rng_ = np.random.default_rng(self.random_state)
        labels, _ = as_cases(y, "y", dim=self.dim, dtype=None, allow_nan=True)
        if self.estimator is None:
            cal_X, _ = as_cases(X, "probabilities", dim=self.dim, ndim=(2,), allow_nan=True)
        else:
            cal_X, _ = as_cases(X, "X", dim=self.dim, ndim=(1, 2), dtype=None, allow_nan=True)
        cal_X, labels = drop_nan_cases(("X", cal_X), ("y", labels), skipna=self.skipna)
        if self.estimator is None or self.prefit:
            self.estimator_ = self.estimator
        else:
            train, cal = split_indices(len(labels), self.cal_size, self.random_state)
            self.estimator_ = fit_copy(self.estimator, cal_X[train], labels[train])
            cal_X, labels = cal_X[cal], labels[cal]
        proba, _ = self._proba(cal_X)
        if self.estimator_ is not None and hasattr(self.estimator_, "classes_"):
            self.classes_ = np.asarray(self.estimator_.classes_)
            index = np.searchsorted(self.classes_, labels)
            index = np.minimum(index, self.classes_.size - 1)
            if not np.all(self.classes_[index] == labels):
                raise InputError("calibration labels include classes the estimator never saw")
        else:
            self.classes_ = np.arange(proba.shape[1])
            index = check_class_labels(labels, proba.shape[1])
        scores = class_scores(proba, self.method, self._uniform(len(proba)))
        true_scores = scores[np.arange(len(proba)), index]
        self.quantile_ = float(
            conformal_quantile(true_scores, alpha, allow_infinite=self.allow_infinite)
        )
        self.n_calibration_ = len(proba)
        return self

    def predict_set(self, X: Any) -> Any:
        """Prediction sets: ``True`` where a class belongs to the set of a case.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Class probabilities ``(m, K)`` (without ``estimator``) or features.

        Returns
        -------
        numpy.ndarray or xarray.DataArray, shape (m, K), bool
            Membership of each class (columns in the order of ``classes_``).
        """
        require_fitted(self, "quantile_")
        proba, template = self._proba(X)
        sets = class_scores(proba, self.method, self._uniform(len(proba))) <= self.quantile_
        if template is None:
            return sets
        case_dim = template.dims[0]
        coords = {k: c for k, c in template.coords.items() if c.dims == (case_dim,)}
        coords[self.class_dim] = self.classes_
        return xr.DataArray(
            sets,
            dims=(case_dim, self.class_dim),
            coords=coords,
            name="prediction_set",
            attrs={"long_name": f"conformal prediction set ({self.method}, alpha={self.alpha})"},
        )
