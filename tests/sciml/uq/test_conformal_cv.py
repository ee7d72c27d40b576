"""CV+ and jackknife+: agreement with MAPIE, selection kernel against partitioning, chunks."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.conformal_cv import CVPlusRegressor, cv_plus_bounds
from tests._markers import requires_numba

sklearn_linear = pytest.importorskip("sklearn.linear_model")
sklearn_selection = pytest.importorskip("sklearn.model_selection")
mapie_regression = pytest.importorskip("mapie.regression")


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ np.array([1.0, 2.0, 0.0, -1.0]) + rng.standard_t(4, n)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=requires_numba)])
def test_cv_plus_and_jackknife_plus_equal_mapie(backend: str) -> None:
    X, y = _data(300, seed=0)
    X_new, _ = _data(40, seed=1)
    ours = CVPlusRegressor(
        sklearn_linear.Ridge(), alpha=0.1, n_splits=5, shuffle=False, backend=backend
    ).fit(X, y)
    peer = mapie_regression.CrossConformalRegressor(
        sklearn_linear.Ridge(),
        confidence_level=0.9,
        method="plus",
        cv=sklearn_selection.KFold(5),
    ).fit_conformalize(X, y)
    _, bounds = peer.predict_interval(X_new)
    lower, upper = ours.predict_interval(X_new)
    np.testing.assert_array_equal(lower, bounds[:, 0, 0])
    np.testing.assert_array_equal(upper, bounds[:, 1, 0])
    # jackknife+ (leave-one-out)
    ours_j = CVPlusRegressor(sklearn_linear.Ridge(), n_splits="jackknife", backend=backend)
    ours_j.fit(X[:60], y[:60])
    peer_j = mapie_regression.CrossConformalRegressor(
        sklearn_linear.Ridge(), confidence_level=0.9, method="plus", cv=-1
    ).fit_conformalize(X[:60], y[:60])
    _, bounds = peer_j.predict_interval(X_new)
    lower, upper = ours_j.predict_interval(X_new)
    np.testing.assert_array_equal(lower, bounds[:, 0, 0])
    np.testing.assert_array_equal(upper, bounds[:, 1, 0])


@requires_numba
def test_selection_kernel_equals_partition_with_ties_and_uneven_folds() -> None:
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(200):
        sizes = rng.integers(1, 25, int(rng.integers(1, 9)))
        residuals = np.concatenate([np.sort(np.round(rng.exponential(size=s), 1)) for s in sizes])
        offsets = np.r_[0, np.cumsum(sizes)]
        predictions = np.round(rng.normal(size=(15, sizes.size)), 1)
        alpha = float(rng.uniform(0.03, 0.6))
        if sizes.sum() < 1 / alpha - 1:
            continue
        fast = cv_plus_bounds(predictions, residuals, offsets, alpha, backend="numba")
        # a tiny memory budget forces one test point per partition chunk
        slow = cv_plus_bounds(
            predictions, residuals, offsets, alpha, backend="numpy", max_memory_mb=1e-4
        )
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
        checked += 1
    assert checked > 100


def test_chunking_does_not_change_the_intervals() -> None:
    X, y = _data(500, seed=3)
    X_new, _ = _data(1000, seed=4)
    model = CVPlusRegressor(sklearn_linear.Ridge(), n_splits=4, random_state=0).fit(X, y)
    lower, upper = model.predict_interval(X_new)
    model.max_memory_mb = 0.05  # chunks of a few hundred test points
    lower_c, upper_c = model.predict_interval(X_new)
    np.testing.assert_array_equal(lower, lower_c)
    np.testing.assert_array_equal(upper, upper_c)
    np.testing.assert_allclose(
        model.predict(X_new), np.mean([e.predict(X_new) for e in model.estimators_], axis=0)
    )


def test_cv_plus_covers_at_the_nominal_rate() -> None:
    """Coverage over repeated training sets: at least 1 - 2 alpha, about 1 - alpha in practice."""
    rng = np.random.default_rng(5)
    covered = []
    for _ in range(40):
        X, y = _data(120, seed=int(rng.integers(1 << 30)))
        X_new, y_new = _data(200, seed=int(rng.integers(1 << 30)))
        lower, upper = (
            CVPlusRegressor(sklearn_linear.LinearRegression(), alpha=0.2)
            .fit(X, y)
            .predict_interval(X_new)
        )
        covered.append(np.mean((lower <= y_new) & (y_new <= upper)))
    mean, se = np.mean(covered), np.std(covered, ddof=1) / np.sqrt(len(covered))
    assert mean > 0.8 - 3 * se
    assert mean < 0.8 + 0.05


def test_multi_output_and_dataarrays() -> None:
    X, y1 = _data(200, seed=6)
    y = xr.DataArray(np.c_[y1, -y1], dims=("sample", "output"), attrs={"units": "K"})
    Xd = xr.DataArray(X, dims=("sample", "feature"))
    model = CVPlusRegressor(sklearn_linear.Ridge(), random_state=1).fit(Xd, y)
    lower, upper = model.predict_interval(Xd[:10])
    assert lower.dims == ("sample", "output") and upper.attrs["units"] == "K"
    single = CVPlusRegressor(sklearn_linear.Ridge(), random_state=1).fit(X, y1)
    lo, hi = single.predict_interval(X[:10])
    np.testing.assert_allclose(lower[:, 0], lo, rtol=1e-12)
    np.testing.assert_allclose(upper[:, 0], hi, rtol=1e-12)
    np.testing.assert_allclose(upper[:, 1], -lo, rtol=1e-12)
    np.testing.assert_allclose(lower[:, 1], -hi, rtol=1e-12)


def test_bad_configuration_and_input() -> None:
    X, y = _data(30, seed=7)
    with pytest.raises(ConfigError, match="n_splits"):
        CVPlusRegressor(sklearn_linear.Ridge(), n_splits=1).fit(X, y)
    with pytest.raises(ConfigError, match="max_memory_mb"):
        CVPlusRegressor(sklearn_linear.Ridge(), max_memory_mb=0).fit(X, y)
    with pytest.raises(InputError, match="folds"):
        CVPlusRegressor(sklearn_linear.Ridge(), n_splits=50).fit(X, y)
    model = CVPlusRegressor(sklearn_linear.Ridge(), alpha=0.02).fit(X, y)
    with pytest.raises(InputError, match="at least 49"):
        model.predict_interval(X)
    model.allow_infinite = True
    lower, upper = model.predict_interval(X[:3])
    assert np.all(np.isneginf(lower)) and np.all(np.isposinf(upper))
    with pytest.raises(ConfigError, match="not fitted"):
        CVPlusRegressor(sklearn_linear.Ridge()).predict(X)
