"""What every UQ estimator shares: the public names, NaN handling (raise, or skipna), the
fitted check, and the training/calibration splits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import sciml.uq as uq
from gpu.errors import ConfigError, InputError
from sciml.uq._estimators import fold_indices, split_indices

sklearn_linear = pytest.importorskip("sklearn.linear_model")

#: The entry points the issue names (docs, examples and checks use them).
PUBLIC = [
    "crps_normal",
    "crps_ensemble",
    "energy_score",
    "rank_histogram",
    "spread_skill",
    "brier_score",
    "auroc",
    "auprc",
    "ece",
    "top_label_ece",
    "ace",
    "PlattScaler",
    "IsotonicCalibrator",
    "TemperatureScaler",
    "VennAbers",
    "SplitConformalRegressor",
    "CQR",
    "CVPlusRegressor",
    "ConformalClassifier",
    "AdaptiveConformal",
    "sliced_wasserstein",
    "mmd2",
    "mc_estimate",
]


def test_public_entry_points() -> None:
    for name in PUBLIC:
        assert name in uq.__all__, name
        assert callable(getattr(uq, name)), name
    assert set(uq.__all__) <= set(dir(uq))


def _binary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n)
    return s, (rng.uniform(size=n) < s).astype(float)


def _regression(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, X @ np.array([1.0, -1.0]) + rng.normal(size=n)


def _classes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(3), size=n)
    return proba, (proba.cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1).astype(float)


def _predict(model: Any, X: np.ndarray) -> Any:
    for method in ("predict_interval", "predict_set", "predict_proba"):
        if hasattr(model, method):
            return getattr(model, method)(X)
    raise AssertionError(type(model).__name__)


ESTIMATORS: list[tuple[Callable[..., Any], Callable[[int, int], tuple[np.ndarray, np.ndarray]]]] = [
    (lambda **kw: uq.PlattScaler(**kw), _binary),
    (lambda **kw: uq.IsotonicCalibrator(**kw), _binary),
    (lambda **kw: uq.TemperatureScaler(**kw), _classes),
    (lambda **kw: uq.VennAbers(**kw), _binary),
    (
        lambda **kw: uq.SplitConformalRegressor(sklearn_linear.Ridge(), random_state=0, **kw),
        _regression,
    ),
    (
        lambda **kw: uq.CQR(sklearn_linear.Ridge(), sklearn_linear.Ridge(), random_state=0, **kw),
        _regression,
    ),
    (lambda **kw: uq.CVPlusRegressor(sklearn_linear.Ridge(), random_state=0, **kw), _regression),
    (lambda **kw: uq.ConformalClassifier(**kw), _classes),
]
IDS = ["platt", "isotonic", "temperature", "venn-abers", "split", "cqr", "cv+", "classifier"]


@pytest.mark.parametrize(("make", "data"), ESTIMATORS, ids=IDS)
def test_nan_raises_by_default_and_skipna_fits_the_complete_cases(
    make: Callable[..., Any], data: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
) -> None:
    X, y = data(200, 1)
    X_nan, y_nan = X.copy(), y.copy()
    X_nan[3] = np.nan
    y_nan[10] = np.nan
    with pytest.raises(InputError, match=r"2 case.*skipna=True"):
        make().fit(X_nan, y_nan)
    keep = np.ones(len(y), dtype=bool)
    keep[[3, 10]] = False
    skipped = make(skipna=True).fit(X_nan, y_nan)
    complete = make().fit(X[keep], y[keep])
    test = X[:20]
    for a, b in zip(
        np.atleast_1d(_predict(skipped, test)), np.atleast_1d(_predict(complete, test)), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(InputError, match="NaN"):  # predictions need complete cases
        _predict(skipped, X_nan[:5])
    with pytest.raises(InputError, match="nothing is left"):
        make(skipna=True).fit(X_nan[[3, 10]], y_nan[[3, 10]])


@pytest.mark.parametrize(("make", "data"), ESTIMATORS, ids=IDS)
def test_unfitted_estimators_say_so(
    make: Callable[..., Any], data: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
) -> None:
    X, _ = data(10, 2)
    with pytest.raises(ConfigError, match="not fitted yet: call fit first"):
        _predict(make(), X)


def test_splits() -> None:
    train, cal = split_indices(10, 0.3, 0)
    assert sorted(np.r_[train, cal].tolist()) == list(range(10)) and cal.size == 3
    folds = fold_indices(11, 3, None, shuffle=False)
    assert [f.tolist() for f in folds] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    with pytest.raises(ConfigError, match="cal_size"):
        split_indices(10, 1.0, 0)
    with pytest.raises(InputError, match="empty training or calibration"):
        split_indices(2, 0.1, 0)
    with pytest.raises(ConfigError, match="n_splits must be an integer >= 2"):
        fold_indices(10, 1, 0)
    with pytest.raises(InputError, match="fewer folds"):
        fold_indices(3, 4, 0)
    X, y = _binary(40, 3)
    model = sklearn_linear.LogisticRegression()
    with pytest.raises(ConfigError, match="n_splits"):
        uq.VennAbers(model, inductive=False, n_splits=1).fit(X[:, None], y)
    with pytest.raises(ConfigError, match="cal_size"):
        uq.VennAbers(model, cal_size=0.0).fit(X[:, None], y)
