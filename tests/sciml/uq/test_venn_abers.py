"""Venn-ABERS: exact IVAP intervals (brute force, the venn-abers package), validity, CVAP."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.venn_abers import VennAbers, ivap_tables
from tests._markers import requires_numba

sklearn_isotonic = pytest.importorskip("sklearn.isotonic")
sklearn_linear = pytest.importorskip("sklearn.linear_model")

BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("numba", marks=requires_numba)]


@pytest.fixture(scope="module")
def va_package() -> ModuleType:
    """The venn-abers package, imported without keeping its global np.seterr change."""
    state = np.geterr()
    try:
        module = pytest.importorskip("venn_abers.venn_abers")
    finally:
        np.seterr(**state)
    return module


def _package_interval(
    module: ModuleType, s_cal: np.ndarray, y_cal: np.ndarray, s_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p0, p1, merged) from the venn-abers package (its divisions by zero are expected)."""
    peer = module.VennAbers()
    with np.errstate(divide="ignore", invalid="ignore"):
        peer.fit(np.c_[1 - s_cal, s_cal], y_cal)
        merged, p0p1 = peer.predict_proba(np.c_[1 - s_test, s_test])
    return p0p1[:, 0], p0p1[:, 1], merged[:, 1]


def _brute_force(
    s_cal: np.ndarray, y_cal: np.ndarray, s_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """IVAP by definition: two isotonic fits per test point (scikit-learn)."""
    out = np.empty((2, s_test.size))
    for i, s in enumerate(s_test):
        for label in (0, 1):
            fit = sklearn_isotonic.IsotonicRegression().fit(
                np.append(s_cal, s), np.append(y_cal, label)
            )
            out[label, i] = fit.predict([s])[0]
    return out[0], out[1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_ivap_equals_the_definition_with_ties(backend: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(1, 25))
        s_cal = rng.integers(0, int(rng.integers(1, 8)), n) / 8.0  # many ties
        y_cal = (rng.uniform(size=n) < rng.uniform()).astype(int)
        s_test = np.r_[np.unique(s_cal), rng.integers(-1, 10, 6) / 8.0, rng.uniform(-0.1, 1.1, 4)]
        p0, p1 = VennAbers(backend=backend).fit(s_cal, y_cal).predict_interval(s_test)
        b0, b1 = _brute_force(s_cal, y_cal, s_test)
        np.testing.assert_allclose(p0, b0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(p1, b1, rtol=0, atol=1e-12)
        assert np.all(p0 <= p1)


@pytest.mark.filterwarnings("ignore:All-NaN slice encountered:RuntimeWarning")
@pytest.mark.parametrize("backend", BACKENDS)
def test_ivap_identical_to_venn_abers_package(va_package: ModuleType, backend: str) -> None:
    rng = np.random.default_rng(4)
    for trial in range(30):
        n = int(rng.integers(2, 300))
        s_cal = rng.uniform(size=n) if trial % 2 else rng.integers(0, 40, n) / 40.0
        y_cal = (rng.uniform(size=n) < s_cal ** rng.uniform(0.3, 3.0)).astype(int)
        s_test = np.r_[rng.uniform(size=100), s_cal[:15], 0.0, 1.0]
        va = VennAbers(backend=backend).fit(s_cal, y_cal)
        p0, p1 = va.predict_interval(s_test)
        peer0, peer1, peer_merged = _package_interval(va_package, s_cal, y_cal, s_test)
        np.testing.assert_array_equal(p0, peer0)
        np.testing.assert_array_equal(p1, peer1)
        np.testing.assert_array_equal(va.predict_proba(s_test), peer_merged)


@pytest.mark.filterwarnings("ignore:All-NaN slice encountered:RuntimeWarning")
def test_validity_mean_of_y_minus_p_y_is_zero(va_package: ModuleType) -> None:
    """Reference value: E[Y - p_Y] = 0 over repeated exchangeable draws, within 3 s.e."""
    rng = np.random.default_rng(5)
    reps, n_cal, n_test = 2000, 40, 10
    s = rng.uniform(size=(reps, n_cal + n_test))
    y = (rng.uniform(size=s.shape) < s**2).astype(int)  # s is badly miscalibrated
    gaps = np.empty(reps)
    for r in range(reps):
        va = VennAbers().fit(s[r, :n_cal], y[r, :n_cal])
        p0, p1 = va.predict_interval(s[r, n_cal:])
        y_test = y[r, n_cal:]
        gaps[r] = np.mean(y_test - np.where(y_test == 1, p1, p0))
    se = gaps.std(ddof=1) / np.sqrt(reps)
    assert abs(gaps.mean()) < 3 * se
    naive = y[:, n_cal:] - s[:, n_cal:]  # E[Y - s] = 1/3 - 1/2: the raw score fails
    assert abs(naive.mean() + 1 / 6) < 3 * naive.std() / np.sqrt(naive.size)
    # the same intervals as the venn-abers package on the last draw
    peer0, peer1, _ = _package_interval(va_package, s[-1, :n_cal], y[-1, :n_cal], s[-1, n_cal:])
    np.testing.assert_array_equal(p0, peer0)
    np.testing.assert_array_equal(p1, peer1)


def test_tables_of_a_single_class() -> None:
    distinct, p0_table, p1_table = ivap_tables(np.array([0.2, 0.5, 0.5]), np.zeros(3))
    np.testing.assert_array_equal(distinct, [0.2, 0.5])
    np.testing.assert_array_equal(p0_table, np.zeros(3))
    # label 1 added at 0.2 gives groups {0, 1}, {0, 0}: pooled to 1/4; at 0.5: {0}, {0, 0, 1}
    np.testing.assert_allclose(p1_table, [0.25, 1 / 3, 1.0])


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    logit = X @ np.array([1.5, -1.0, 0.5])
    return X, (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)


def test_cross_venn_abers_merges_fold_intervals_by_geometric_means() -> None:
    X, y = _data(400, 6)
    X_test, _ = _data(50, 7)
    model = sklearn_linear.LogisticRegression()
    cvap = VennAbers(model, inductive=False, n_splits=4, random_state=0).fit(X, y)
    assert len(cvap.estimators_) == 4
    assert not hasattr(model, "coef_")  # the estimator passed in stays unfitted
    p0, p1 = cvap.predict_interval(X_test)
    folds_p0, folds_p1 = [], []
    for est, (distinct, t0, t1) in zip(cvap.estimators_, cvap.tables_, strict=True):
        s = est.predict_proba(X_test)[:, 1]
        folds_p0.append(t0[np.searchsorted(distinct, s, side="right")])
        folds_p1.append(t1[np.searchsorted(distinct, s, side="left")])
    gm_p1 = np.exp(np.mean(np.log(folds_p1), axis=0))
    gm_q0 = np.exp(np.mean(np.log(1 - np.array(folds_p0)), axis=0))
    np.testing.assert_allclose(p1, gm_p1, rtol=1e-12)
    np.testing.assert_allclose(1 - p0, gm_q0, rtol=1e-12)
    np.testing.assert_allclose(cvap.predict_proba(X_test), gm_p1 / (gm_q0 + gm_p1), rtol=1e-12)


def test_inductive_with_an_estimator_holds_out_calibration_cases() -> None:
    X, y = _data(300, 8)
    va = VennAbers(sklearn_linear.LogisticRegression(), cal_size=0.25, random_state=1).fit(X, y)
    assert len(va.estimators_) == 1
    assert va.tables_[0][0].size <= 75
    p = va.predict_proba(X[:20])
    assert np.all((p > 0) & (p < 1))


def test_dataarray_in_dataarray_out() -> None:
    rng = np.random.default_rng(9)
    s = rng.uniform(size=200)
    y = (rng.uniform(size=200) < s).astype(int)
    va = VennAbers().fit(xr.DataArray(s, dims="sample"), xr.DataArray(y, dims="sample"))
    test = xr.DataArray(s[:5], dims="sample", coords={"sample": np.arange(10, 15)})
    p0, p1 = va.predict_interval(test)
    assert isinstance(p0, xr.DataArray) and p0.dims == ("sample",)
    np.testing.assert_array_equal(p1["sample"], np.arange(10, 15))
    merged = va.predict_proba(test)
    assert merged.name == "probability" and merged.attrs["units"] == "1"


def test_bad_input_raises_clear_errors() -> None:
    s = np.array([0.1, 0.4, 0.8])
    with pytest.raises(InputError, match="binary labels"):
        VennAbers().fit(s, [0, 1, 2])
    with pytest.raises(InputError, match="NaN"):
        VennAbers().fit(np.array([0.1, np.nan, 0.8]), [0, 1, 1])
    with pytest.raises(InputError, match="same number of cases"):
        VennAbers().fit(s, [0, 1])
    with pytest.raises(ConfigError, match="estimator="):
        VennAbers(inductive=False).fit(s, [0, 1, 1])
    with pytest.raises(ConfigError, match="not fitted"):
        VennAbers().predict_proba(s)
    with pytest.raises(ConfigError, match="backend"):
        VennAbers(backend="jax").fit(s, [0, 1, 1])
