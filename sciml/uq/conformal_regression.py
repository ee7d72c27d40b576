"""Split conformal regression (absolute or normalized score) and conformalized quantile regression.

Both wrappers take any regressor with ``fit``/``predict`` (scikit-learn
style). Unless ``prefit=True``, :meth:`fit` splits the data at random into a
proper training part (``1 - cal_size``), on which a copy of the model is
fitted, and a calibration part, on which the conformity scores are computed.
With ``prefit=True`` the model(s) are used as given and all of ``(X, y)``
calibrates. Multi-output targets ``(n, d)`` are calibrated per output, so
each output's interval has the marginal coverage ``>= 1 - alpha``.

* :class:`SplitConformalRegressor` — score ``|y - mu(x)|`` (``"absolute"``) or
  ``|y - mu(x)| / sigma(x)`` (``"normalized"``, with a scale model); interval
  ``mu(x) -/+ q sigma(x)``.
* :class:`CQR` — conformalized quantile regression (Romano, Patterson &
  Candès, 2019): score ``max(lo(x) - y, y - hi(x))``; interval
  ``[lo(x) - q, hi(x) + q]``.

References
----------
Lei, J. et al. (2018). Distribution-free predictive inference for regression.
JASA 113(523). Romano, Y., Patterson, E. & Candès, E. (2019). Conformalized
quantile regression. NeurIPS 32.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from gpu.errors import ConfigError, InputError
from sciml.uq._estimators import fit_copy, require_fitted, split_indices
from sciml.uq.calibration_inputs import SAMPLE_DIM, check_alpha, drop_nan_cases
from sciml.uq.conformal_base import TargetLayout, as_features, conformal_quantile

__all__ = ["CQR", "SplitConformalRegressor", "complete_training_data", "predict_target"]


def predict_target(model: Any, X: Any, n: int, multi_output: bool) -> np.ndarray:
    """``model.predict(X)`` as float ``(n,)`` or ``(n, d)``, checked.

    Parameters
    ----------
    model : object
        A fitted regressor.
    X : array_like
        Features of ``n`` cases.
    n : int
        Number of cases.
    multi_output : bool
        Whether a 2-D prediction is expected.

    Returns
    -------
    numpy.ndarray
    """
    pred = np.asarray(model.predict(X), dtype=np.float64)
    if multi_output:
        if pred.ndim != 2 or pred.shape[0] != n:
            raise InputError(
                f"{type(model).__name__}.predict gave shape {pred.shape} for a "
                f"multi-output target with {n} cases"
            )
        return pred
    if pred.size != n:
        raise InputError(f"{type(model).__name__}.predict gave shape {pred.shape} for {n} cases")
    return pred.reshape(n)


def complete_training_data(
    X: Any, y: Any, dim: str, skipna: bool
) -> tuple[Any, np.ndarray, TargetLayout]:
    """Features and target of the complete cases (see :func:`drop_nan_cases`), and its layout.

    Parameters
    ----------
    X : array_like or xarray.DataArray
        Features ``(n, p)``.
    y : array_like or xarray.DataArray
        Target ``(n,)`` or ``(n, d)``.
    dim : str
        Case dimension of DataArray inputs.
    skipna : bool
        Leave out the cases with a NaN instead of raising.

    Returns
    -------
    features, target : numpy.ndarray
    layout : TargetLayout
    """
    target, layout = TargetLayout.of(y, dim, allow_nan=True)
    features, _ = as_features(X, dim, allow_nan=True)
    features, target = drop_nan_cases(("X", features), ("y", target), skipna=skipna)
    return features, target, layout


def _prepare(
    X: Any, y: Any, dim: str, prefit: bool, cal_size: float, random_state: Any, skipna: bool
) -> tuple[Any, np.ndarray, TargetLayout, np.ndarray, np.ndarray]:
    """Features, target, its layout, and the (training, calibration) indices."""
    features, target, layout = complete_training_data(X, y, dim, skipna)
    n = len(target)
    if prefit:
        return features, target, layout, np.arange(0), np.arange(n)
    train, cal = split_indices(n, cal_size, random_state)
    return features, target, layout, train, cal


class SplitConformalRegressor:
    """Split conformal prediction intervals around any regressor.

    Parameters
    ----------
    estimator : object
        Regressor with ``fit``/``predict``; fitted already when ``prefit=True``.
    alpha : float, default 0.1
        Miscoverage level: intervals cover with probability ``>= 1 - alpha``.
    score : {"absolute", "normalized"}, default "absolute"
        ``|y - mu(x)|``, or ``|y - mu(x)| / sigma(x)`` with ``sigma`` from
        ``scale_estimator`` (intervals that widen where the model errs more).
    scale_estimator : object, optional
        Regressor of the scale ``sigma(x) > 0``, needed by ``"normalized"``.
        Unless ``prefit``, a copy is fitted on the training part to the
        absolute residuals of the point model there.
    prefit : bool, default False
        Use the estimator(s) as given and calibrate on all of ``(X, y)``.
    cal_size : float, default 0.5
        Fraction of cases held out for calibration (ignored when ``prefit``).
    random_state : int or numpy.random.SeedSequence, optional
        Seed of the training/calibration split.
    allow_infinite : bool, default False
        Give infinite intervals when the calibration set is too small for the
        level, instead of raising :class:`InputError`.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the cases with a NaN feature or target;
        ``False``: a NaN raises :class:`InputError`.
    dim : str, default "sample"
        Case dimension of DataArray inputs.

    Attributes
    ----------
    estimator_, scale_estimator_ : object
        The fitted point and scale models (``scale_estimator_`` is None for
        the absolute score).
    quantile_ : numpy.ndarray
        The conformal quantile of the scores, shape ``()`` or ``(d,)``.
    n_calibration_ : int
        Number of calibration cases.
    """

    def __init__(
        self,
        estimator: Any,
        *,
        alpha: float = 0.1,
        score: Literal["absolute", "normalized"] = "absolute",
        scale_estimator: Any = None,
        prefit: bool = False,
        cal_size: float = 0.5,
        random_state: int | np.random.SeedSequence | None = None,
        allow_infinite: bool = False,
        skipna: bool = False,
        dim: str = SAMPLE_DIM,
    ) -> None:
        self.estimator = estimator
        self.alpha = alpha
        self.score = score
        self.scale_estimator = scale_estimator
        self.prefit = prefit
        self.cal_size = cal_size
        self.random_state = random_state
        self.allow_infinite = allow_infinite
        self.skipna = skipna
        self.dim = dim

    def _sigma(self, X: Any, n: int) -> np.ndarray:
        sigma = predict_target(self.scale_estimator_, X, n, self.layout_.multi_output)
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0.0):
            raise InputError(
                "the scale estimator predicted a non-positive or non-finite scale: "
                "it must predict sigma(x) > 0 (fit it to log residuals and exponentiate)"
            )
        return sigma

    def fit(self, X: Any, y: Any) -> SplitConformalRegressor:
        """Fit the model(s) on the training part and calibrate on the rest.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features ``(n, p)`` (``sample`` first).
        y : array_like or xarray.DataArray
            Target ``(n,)`` or ``(n, d)``.

        Returns
        -------
        SplitConformalRegressor
            ``self``.
        """
        alpha = check_alpha(self.alpha)
        if self.score not in ("absolute", "normalized"):
            raise ConfigError(f"score must be 'absolute' or 'normalized', got {self.score!r}")
        if self.score == "normalized" and self.scale_estimator is None:
            raise ConfigError("score='normalized' needs a scale_estimator predicting sigma(x) > 0")
        features, target, layout, train, cal = _prepare(
            X, y, self.dim, self.prefit, self.cal_size, self.random_state, self.skipna
        )
        self.layout_ = layout
        multi = layout.multi_output
        if self.prefit:
            self.estimator_ = self.estimator
        else:
            self.estimator_ = fit_copy(self.estimator, features[train], target[train])
        residual = np.abs(
            target[cal] - predict_target(self.estimator_, features[cal], cal.size, multi)
        )
        self.scale_estimator_ = None
        if self.score == "normalized":
            if self.prefit:
                self.scale_estimator_ = self.scale_estimator
            else:
                train_pred = predict_target(self.estimator_, features[train], train.size, multi)
                self.scale_estimator_ = fit_copy(
                    self.scale_estimator, features[train], np.abs(target[train] - train_pred)
                )
            residual = residual / self._sigma(features[cal], cal.size)
        self.quantile_ = conformal_quantile(residual, alpha, allow_infinite=self.allow_infinite)
        self.n_calibration_ = int(cal.size)
        return self

    def predict(self, X: Any) -> Any:
        """Point prediction ``mu(x)`` of the fitted model.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features of the new cases.

        Returns
        -------
        numpy.ndarray or xarray.DataArray
            Predictions, shape ``(m,)`` or ``(m, d)``.
        """
        require_fitted(self, "quantile_")
        features, template = as_features(X, self.dim)
        pred = predict_target(self.estimator_, features, len(features), self.layout_.multi_output)
        return self.layout_.wrap(pred, template, "prediction", "point prediction")

    def predict_interval(self, X: Any) -> tuple[Any, Any]:
        """Prediction intervals with coverage ``>= 1 - alpha``.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features of the new cases.

        Returns
        -------
        lower, upper : numpy.ndarray or xarray.DataArray
            Bounds, shape ``(m,)`` or ``(m, d)``.
        """
        require_fitted(self, "quantile_")
        features, template = as_features(X, self.dim)
        m = len(features)
        pred = predict_target(self.estimator_, features, m, self.layout_.multi_output)
        half = self.quantile_
        if self.scale_estimator_ is not None:
            half = half * self._sigma(features, m)
        return (
            self.layout_.wrap(pred - half, template, "lower", "lower prediction bound"),
            self.layout_.wrap(pred + half, template, "upper", "upper prediction bound"),
        )


class CQR:
    """Conformalized quantile regression: calibrated intervals from two quantile regressors.

    Parameters
    ----------
    lower_estimator, upper_estimator : object
        Regressors of the ``alpha/2`` and ``1 - alpha/2`` conditional
        quantiles (e.g. gradient boosting with a pinball loss), with
        ``fit``/``predict``; fitted already when ``prefit=True``.
    alpha : float, default 0.1
        Miscoverage level of the calibrated interval.
    prefit : bool, default False
        Use the estimators as given and calibrate on all of ``(X, y)``.
    cal_size : float, default 0.5
        Fraction of cases held out for calibration (ignored when ``prefit``).
    random_state : int or numpy.random.SeedSequence, optional
        Seed of the training/calibration split.
    allow_infinite : bool, default False
        Give infinite intervals when the calibration set is too small.
    skipna : bool, default False
        ``True``: :meth:`fit` leaves out the cases with a NaN feature or target;
        ``False``: a NaN raises :class:`InputError`.
    dim : str, default "sample"
        Case dimension of DataArray inputs.

    Attributes
    ----------
    lower_estimator_, upper_estimator_ : object
        The fitted quantile models.
    quantile_ : numpy.ndarray
        The conformal correction ``q`` (negative when the raw band is too wide).
    n_calibration_ : int
        Number of calibration cases.
    """

    def __init__(
        self,
        lower_estimator: Any,
        upper_estimator: Any,
        *,
        alpha: float = 0.1,
        prefit: bool = False,
        cal_size: float = 0.5,
        random_state: int | np.random.SeedSequence | None = None,
        allow_infinite: bool = False,
        skipna: bool = False,
        dim: str = SAMPLE_DIM,
    ) -> None:
        self.lower_estimator = lower_estimator
        self.upper_estimator = upper_estimator
        self.alpha = alpha
        self.prefit = prefit
        self.cal_size = cal_size
        self.random_state = random_state
        self.allow_infinite = allow_infinite
        self.skipna = skipna
        self.dim = dim

    def fit(self, X: Any, y: Any) -> CQR:
        """Fit the two quantile models on the training part and calibrate on the rest.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features ``(n, p)``.
        y : array_like or xarray.DataArray
            Target ``(n,)`` or ``(n, d)``.

        Returns
        -------
        CQR
            ``self``.
        """
        alpha = check_alpha(self.alpha)
        features, target, layout, train, cal = _prepare(
            X, y, self.dim, self.prefit, self.cal_size, self.random_state, self.skipna
        )
        self.layout_ = layout
        if self.prefit:
            self.lower_estimator_ = self.lower_estimator
            self.upper_estimator_ = self.upper_estimator
        else:
            self.lower_estimator_ = fit_copy(self.lower_estimator, features[train], target[train])
            self.upper_estimator_ = fit_copy(self.upper_estimator, features[train], target[train])
        low, high = self._band(features[cal])
        scores = np.maximum(low - target[cal], target[cal] - high)
        self.quantile_ = conformal_quantile(scores, alpha, allow_infinite=self.allow_infinite)
        self.n_calibration_ = int(cal.size)
        return self

    def _band(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        m = len(features)
        multi = self.layout_.multi_output
        return (
            predict_target(self.lower_estimator_, features, m, multi),
            predict_target(self.upper_estimator_, features, m, multi),
        )

    def predict_interval(self, X: Any) -> tuple[Any, Any]:
        """Calibrated intervals ``[lo(x) - q, hi(x) + q]``.

        Parameters
        ----------
        X : array_like or xarray.DataArray
            Features of the new cases.

        Returns
        -------
        lower, upper : numpy.ndarray or xarray.DataArray
            Bounds, shape ``(m,)`` or ``(m, d)``.
        """
        require_fitted(self, "quantile_")
        features, template = as_features(X, self.dim)
        low, high = self._band(features)
        return (
            self.layout_.wrap(low - self.quantile_, template, "lower", "lower prediction bound"),
            self.layout_.wrap(high + self.quantile_, template, "upper", "upper prediction bound"),
        )
