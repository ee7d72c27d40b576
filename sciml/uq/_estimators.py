"""The scikit-learn estimator contract shared by the calibrators and conformal predictors.

The fitted check, fitting a copy of a user's model (the one passed in stays
untouched), and random splits of the cases into a training and a
calibration part or into folds, each with the message that says what to do.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from gpu.errors import ConfigError, InputError

__all__ = ["fit_copy", "fold_indices", "require_fitted", "split_indices"]


def require_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`ConfigError` unless ``estimator`` has its learned ``attribute``."""
    if not hasattr(estimator, attribute):
        raise ConfigError(f"this {type(estimator).__name__} is not fitted yet: call fit first")


def fit_copy(estimator: Any, X: Any, y: Any) -> Any:
    """Fit a deep copy of ``estimator`` (the one passed in stays untouched) and return it."""
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise ConfigError(
            f"{type(estimator).__name__} is not an estimator: it needs fit and predict methods"
        )
    model = copy.deepcopy(estimator)
    model.fit(X, y)
    return model


def split_indices(
    n: int, cal_size: float, random_state: int | np.random.SeedSequence | None
) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``n`` cases into (training, calibration) index arrays.

    Parameters
    ----------
    n : int
        Number of cases.
    cal_size : float
        Fraction in (0, 1) held out for calibration.
    random_state : int, SeedSequence or None
        Seed of the permutation.

    Returns
    -------
    train, cal : numpy.ndarray
        Index arrays.
    """
    if isinstance(cal_size, bool) or not isinstance(cal_size, int | float | np.floating):
        raise ConfigError(f"cal_size must be a number in (0, 1), got {cal_size!r}")
    if not 0.0 < cal_size < 1.0:
        raise ConfigError(f"cal_size must lie in (0, 1), got {cal_size!r}")
    n_cal = round(cal_size * n)
    if n_cal < 1 or n_cal >= n:
        raise InputError(
            f"cal_size={cal_size} of {n} cases leaves an empty training or calibration part: "
            "use more cases or another cal_size"
        )
    order = np.random.default_rng(random_state).permutation(n)
    return order[n_cal:], order[:n_cal]


def fold_indices(
    n: int,
    n_splits: Any,
    random_state: int | np.random.SeedSequence | None,
    *,
    shuffle: bool = True,
) -> list[np.ndarray]:
    """Indices of ``n_splits`` folds of ``n`` cases (sizes differ by at most one).

    Parameters
    ----------
    n : int
        Number of cases.
    n_splits : int
        Number of folds, at least 2 and at most ``n``.
    random_state : int, SeedSequence or None
        Seed of the shuffle.
    shuffle : bool, default True
        Shuffle before cutting; otherwise contiguous folds, as scikit-learn's
        ``KFold(shuffle=False)``.

    Returns
    -------
    list of numpy.ndarray
        The folds' case indices.
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ConfigError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if n_splits > n:
        raise InputError(
            f"{n} cases cannot be split into {n_splits} folds: use fewer folds or more cases"
        )
    order = np.random.default_rng(random_state).permutation(n) if shuffle else np.arange(n)
    return np.array_split(order, int(n_splits))
