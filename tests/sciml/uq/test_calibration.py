"""Platt scaling, isotonic calibration and temperature scaling against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.special import softmax

from gpu.errors import ConfigError, InputError
from sciml.uq.calibration import IsotonicCalibrator, PlattScaler, TemperatureScaler, pava
from tests._markers import requires_numba

sklearn_linear = pytest.importorskip("sklearn.linear_model")
sklearn_isotonic = pytest.importorskip("sklearn.isotonic")
sklearn_calibration = pytest.importorskip("sklearn.calibration")

BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("numba", marks=requires_numba)]


def _platt_peer(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt's fit as an unpenalized logistic regression on soft targets (weighted duplicates)."""
    n_pos = y.sum()
    n_neg = y.size - n_pos
    target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    fit = sklearn_linear.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(
        np.r_[scores, scores][:, None],
        np.r_[np.ones(y.size), np.zeros(y.size)],
        sample_weight=np.r_[target, 1 - target],
    )
    return -float(fit.coef_[0, 0]), -float(fit.intercept_[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_platt_matches_logistic_fit_with_platt_targets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = 2.0 * rng.normal(size=400)
    y = (rng.uniform(size=400) < 1 / (1 + np.exp(-(1.3 * scores - 0.4)))).astype(int)
    platt = PlattScaler().fit(scores, y)
    a, b = _platt_peer(scores, y)
    assert platt.a_ == pytest.approx(a, rel=1e-6)
    assert platt.b_ == pytest.approx(b, rel=1e-6, abs=1e-8)
    new = 3.0 * rng.normal(size=50)
    np.testing.assert_allclose(platt.predict_proba(new), 1 / (1 + np.exp(a * new + b)), atol=1e-8)


def test_platt_stays_finite_on_separable_data() -> None:
    scores = np.linspace(-3, 3, 60)
    y = (scores > 0).astype(int)
    platt = PlattScaler().fit(scores, y)
    a, b = _platt_peer(scores, y)
    assert np.isfinite(platt.a_) and platt.a_ < 0
    assert platt.a_ == pytest.approx(a, rel=1e-6)
    assert platt.b_ == pytest.approx(b, rel=1e-6, abs=1e-8)
    p = platt.predict_proba(np.array([-3.0, 3.0]))
    assert 0 < p[0] < 0.05 and 0.95 < p[1] < 1  # the targets keep them off 0 and 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_isotonic_matches_sklearn_with_ties(backend: str) -> None:
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(size=500), 2)
    y = (rng.uniform(size=500) < p**2).astype(int)
    ours = IsotonicCalibrator(backend=backend).fit(p, y)
    peer = sklearn_isotonic.IsotonicRegression(out_of_bounds="clip").fit(p, y)
    grid = rng.uniform(-0.2, 1.2, 2000)
    np.testing.assert_allclose(ours.predict_proba(grid), peer.predict(grid), atol=1e-12)
    assert np.all(np.diff(ours.values_) >= 0)


def test_pava_backends_agree_and_solve_the_least_squares_problem() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=300).cumsum() * 0.1 + rng.normal(size=300)
    weights = rng.uniform(0.5, 2.0, 300)
    reference = pava(values, weights, backend="numpy")
    np.testing.assert_allclose(pava(values, weights), reference, atol=1e-12)
    peer = sklearn_isotonic.IsotonicRegression().fit(np.arange(300), values, sample_weight=weights)
    np.testing.assert_allclose(reference, peer.predict(np.arange(300)), atol=1e-10)


def test_temperature_recovers_a_known_temperature() -> None:
    """Labels drawn from softmax(z / 2.5): the fit finds T within 3 asymptotic s.e."""
    rng = np.random.default_rng(5)
    n, k, true_t = 20_000, 5, 2.5
    z = 3.0 * rng.normal(size=(n, k))
    labels = (softmax(z / true_t, axis=1).cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1)
    scaler = TemperatureScaler().fit(z, labels)
    # Fisher information of beta = 1/T per case: Var_p[z]; s.e.(T) = s.e.(beta) T^2
    p = softmax(z / true_t, axis=1)
    info = np.mean(np.sum(p * z**2, axis=1) - np.sum(p * z, axis=1) ** 2)
    se = true_t**2 / np.sqrt(n * info)
    assert abs(scaler.temperature_ - true_t) < 3 * se
    assert scaler.nll(z, labels) < TemperatureScaler().fit(z, labels).nll(z, labels) + 1e-12
    # scikit-learn's temperature scaling (its private calibrator of method="temperature")
    peer = sklearn_calibration._TemperatureScaling().fit(z, labels)
    assert scaler.temperature_ == pytest.approx(1 / float(peer.beta_), rel=1e-6)
    probs = scaler.predict_proba(z[:10])
    np.testing.assert_allclose(probs, softmax(z[:10] / scaler.temperature_, axis=1), atol=1e-14)


def test_temperature_of_binary_log_odds() -> None:
    rng = np.random.default_rng(6)
    z = 3.0 * rng.normal(size=20_000)
    y = (rng.uniform(size=z.size) < 1 / (1 + np.exp(-z / 0.5))).astype(int)
    scaler = TemperatureScaler().fit(z, y)
    assert scaler.temperature_ == pytest.approx(0.5, rel=0.05)
    p = scaler.predict_proba(z[:5])
    assert p.shape == (5,)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z[:5] / scaler.temperature_)))


def test_dataarrays_keep_their_dims() -> None:
    rng = np.random.default_rng(7)
    z = xr.DataArray(rng.normal(size=(300, 3)), dims=("sample", "class"))
    y = xr.DataArray(rng.integers(0, 3, 300), dims="sample")
    probs = TemperatureScaler().fit(z * 0 + z + 2 * np.eye(3)[y.values], y).predict_proba(z)
    assert probs.dims == ("sample", "class")
    np.testing.assert_allclose(probs.sum("class"), 1.0)
    s = xr.DataArray(rng.normal(size=300), dims="sample")
    labels = (s > 0).astype(int)
    assert PlattScaler().fit(s, labels).predict_proba(s).dims == ("sample",)
    assert IsotonicCalibrator().fit(s, labels).predict_proba(s).name == "probability"


def test_bad_input_raises_clear_errors() -> None:
    s = np.array([0.1, 0.5, 0.9, 0.3])
    with pytest.raises(InputError, match="binary labels"):
        PlattScaler().fit(s, [0, 1, 2, 1])
    with pytest.raises(InputError, match="binary labels"):
        IsotonicCalibrator().fit(s, [-1, 1, 1, -1])
    with pytest.raises(InputError, match="NaN"):
        IsotonicCalibrator().fit([0.1, np.nan], [0, 1])
    with pytest.raises(InputError, match="class indices"):
        TemperatureScaler().fit(np.zeros((4, 3)), [0, 1, 3, 2])
    with pytest.raises(InputError, match="infinite"):
        TemperatureScaler().fit(np.array([[2.0, 0.0], [0.0, 2.0]]), [1, 0])
    with pytest.raises(InputError, match="temperature is 0"):
        TemperatureScaler().fit(np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 0.0]]), [0, 1, 0])
    with pytest.raises(InputError, match="class axis"):
        TemperatureScaler().fit(xr.DataArray(np.zeros((2, 2)), dims=("sample", "k")), [0, 1])
    with pytest.raises(ConfigError, match="not fitted"):
        PlattScaler().predict_proba(s)
    with pytest.raises(InputError, match="positive"):
        pava([1.0, 0.0], [1.0, 0.0])
