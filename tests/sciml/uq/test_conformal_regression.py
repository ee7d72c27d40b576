"""Split conformal regression and CQR: exact finite-sample coverage, agreement with MAPIE."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.conformal_base import conformal_quantile, coverage_probability, min_calibration_size
from sciml.uq.conformal_regression import CQR, SplitConformalRegressor

sklearn_linear = pytest.importorskip("sklearn.linear_model")
mapie_regression = pytest.importorskip("mapie.regression")
mapie_scores = pytest.importorskip("mapie.conformity_scores")


class _Doubler:
    """A prefit 'model' of y = 2 x, column by column: many independent problems at once."""

    def __init__(self, shift: float = 0.0) -> None:
        self.shift = shift

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Doubler:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return 2.0 * X + self.shift


class _Scale:
    """A prefit scale model sigma(x) = offset + |x| (first feature)."""

    fitted_ = True  # what MAPIE looks for in a prefit model

    def __init__(self, offset: float = 0.5) -> None:
        self.offset = offset

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Scale:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.offset + np.abs(np.asarray(X)[:, 0])


class _LogLinearScale:
    """Scale model: a linear fit of log residuals on |x|, exponentiated (always positive)."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _LogLinearScale:
        self.model_ = sklearn_linear.LinearRegression().fit(np.abs(X), np.log(y + 1e-3))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.model_.predict(np.abs(X)))


def _coverage_by_columns(
    lower: np.ndarray, upper: np.ndarray, y: np.ndarray
) -> tuple[float, float]:
    """Mean coverage over independent columns (repetitions) and its standard error."""
    per_rep = np.mean((lower <= y) & (y <= upper), axis=0)
    return float(per_rep.mean()), float(per_rep.std(ddof=1) / np.sqrt(per_rep.size))


def _regression_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + (0.5 + np.abs(X[:, 0])) * rng.standard_t(3, n)


@pytest.mark.parametrize(("n", "alpha"), [(100, 0.1), (10, 0.15)])
def test_split_conformal_coverage_is_exact(n: int, alpha: float) -> None:
    """Reference value: P(cover) = ceil((n+1)(1-alpha))/(n+1) (0.900990 for n=100, alpha=0.1)."""
    expected = coverage_probability(n, alpha)
    if n == 100:
        assert expected == pytest.approx(0.900990, abs=5e-7)
    reps, n_test = 4000, 100
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n + n_test, reps))
    y = 2.0 * X + rng.standard_t(3, size=X.shape) * (1 + X**2)  # heavy tails, heteroscedastic
    model = SplitConformalRegressor(_Doubler(), alpha=alpha, prefit=True).fit(X[:n], y[:n])
    lower, upper = model.predict_interval(X[n:])
    mean, se = _coverage_by_columns(lower, upper, y[n:])
    assert abs(mean - expected) < 3 * se
    # the same intervals as MAPIE on a random regression problem
    X_cal, y_cal = _regression_data(n, seed=n + 1)
    X_new, _ = _regression_data(30, seed=n + 2)
    ridge = sklearn_linear.Ridge().fit(*_regression_data(200, seed=n + 3))
    ours = SplitConformalRegressor(ridge, alpha=alpha, prefit=True).fit(X_cal, y_cal)
    peer = mapie_regression.SplitConformalRegressor(
        ridge, confidence_level=1 - alpha, prefit=True
    ).conformalize(X_cal, y_cal)
    _, bounds = peer.predict_interval(X_new)
    lower, upper = ours.predict_interval(X_new)
    np.testing.assert_allclose(lower, bounds[:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(upper, bounds[:, 1, 0], rtol=1e-12)


def test_normalized_score_matches_mapie_residual_normalised_score() -> None:
    X, y = _regression_data(400, seed=1)
    ridge = sklearn_linear.Ridge().fit(X[:200], y[:200])
    ours = SplitConformalRegressor(
        ridge, score="normalized", scale_estimator=_Scale(), prefit=True
    ).fit(X[200:], y[200:])
    peer = mapie_regression.SplitConformalRegressor(
        ridge,
        confidence_level=0.9,
        prefit=True,
        conformity_score=mapie_scores.ResidualNormalisedScore(
            residual_estimator=_Scale(), prefit=True
        ),
    ).conformalize(X[200:], y[200:])
    X_new, _ = _regression_data(50, seed=2)
    _, bounds = peer.predict_interval(X_new)
    lower, upper = ours.predict_interval(X_new)
    np.testing.assert_allclose(lower, bounds[:, 0, 0], rtol=1e-10)
    np.testing.assert_allclose(upper, bounds[:, 1, 0], rtol=1e-10)
    widths = upper - lower
    np.testing.assert_allclose(
        widths / (0.5 + np.abs(X_new[:, 0])), widths[0] / (0.5 + abs(X_new[0, 0]))
    )


def test_normalized_score_fits_its_scale_model_on_training_residuals() -> None:
    X, y = _regression_data(6000, seed=3)
    model = SplitConformalRegressor(
        sklearn_linear.LinearRegression(),
        score="normalized",
        scale_estimator=_LogLinearScale(),
        random_state=0,
    ).fit(X[:1000], y[:1000])
    assert model.n_calibration_ == 500
    lower, upper = model.predict_interval(X[1000:])
    covered = np.mean((lower <= y[1000:]) & (y[1000:] <= upper))
    # one calibration set: coverage given it is Beta(451, 50), sd ~ sqrt(0.09/502); plus test noise
    assert abs(covered - coverage_probability(500, 0.1)) < 3 * np.sqrt(0.09 / 502 + 0.09 / 5000)
    assert np.corrcoef(upper - lower, np.abs(X[1000:, 0]))[0, 1] > 0.9  # adaptive widths
    with pytest.raises(InputError, match="sigma"):
        SplitConformalRegressor(
            model.estimator_, score="normalized", scale_estimator=_Scale(-1.0), prefit=True
        ).fit(X[:100], y[:100])


def test_cqr_coverage_and_agreement_with_mapie() -> None:
    n, alpha, reps = 50, 0.2, 4000
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n + 100, reps))
    y = 2.0 * X + rng.normal(size=X.shape) * (0.2 + np.abs(X))
    cqr = CQR(_Doubler(-0.5), _Doubler(0.5), alpha=alpha, prefit=True).fit(X[:n], y[:n])
    lower, upper = cqr.predict_interval(X[n:])
    mean, se = _coverage_by_columns(lower, upper, y[n:])
    assert abs(mean - coverage_probability(n, alpha)) < 3 * se
    # MAPIE with prefit quantile regressors and the symmetric (standard) correction
    X_tr, y_tr = _regression_data(300, seed=5)
    quantile = sklearn_linear.QuantileRegressor
    models = [quantile(quantile=q, alpha=0.0).fit(X_tr, y_tr) for q in (0.1, 0.9, 0.5)]
    X_cal, y_cal = _regression_data(150, seed=6)
    X_new, _ = _regression_data(40, seed=7)
    peer = mapie_regression.ConformalizedQuantileRegressor(
        models, confidence_level=0.8, prefit=True
    ).conformalize(X_cal, y_cal)
    _, bounds = peer.predict_interval(X_new, symmetric_correction=True)
    ours = CQR(models[0], models[1], alpha=0.2, prefit=True).fit(X_cal, y_cal)
    lower, upper = ours.predict_interval(X_new)
    np.testing.assert_allclose(lower, bounds[:, 0, 0], rtol=1e-10)
    np.testing.assert_allclose(upper, bounds[:, 1, 0], rtol=1e-10)


def test_multi_output_targets_are_calibrated_per_output() -> None:
    X, y1 = _regression_data(300, seed=8)
    y = np.c_[y1, 3 * y1 + 1]
    both = SplitConformalRegressor(sklearn_linear.Ridge(), random_state=1).fit(X, y)
    lower, upper = both.predict_interval(X[:20])
    assert lower.shape == (20, 2)
    for j in range(2):
        single = SplitConformalRegressor(sklearn_linear.Ridge(), random_state=1).fit(X, y[:, j])
        lo, hi = single.predict_interval(X[:20])
        np.testing.assert_allclose(lower[:, j], lo, rtol=1e-10)
        np.testing.assert_allclose(upper[:, j], hi, rtol=1e-10)


def test_dataarrays_carry_sample_coords_and_units() -> None:
    X, y = _regression_data(200, seed=9)
    Xd = xr.DataArray(X, dims=("sample", "feature"), coords={"sample": np.arange(200)})
    yd = xr.DataArray(np.c_[y, y], dims=("sample", "station"), attrs={"units": "m s-1"})
    yd = yd.assign_coords(station=["a", "b"])
    model = SplitConformalRegressor(sklearn_linear.Ridge(), random_state=0).fit(Xd, yd)
    lower, upper = model.predict_interval(Xd.isel(sample=slice(5)))
    assert lower.dims == ("sample", "station")
    assert list(upper.station.values) == ["a", "b"] and upper.attrs["units"] == "m s-1"
    np.testing.assert_array_equal(lower.sample, np.arange(5))
    assert model.predict(Xd[:3]).dims == ("sample", "station")


def test_too_few_calibration_points() -> None:
    assert min_calibration_size(0.1) == 9
    assert min_calibration_size(0.05) == 19
    scores = np.arange(8.0)
    with pytest.raises(InputError, match="at least 9"):
        conformal_quantile(scores, 0.1)
    assert np.isinf(conformal_quantile(scores, 0.1, allow_infinite=True))
    assert conformal_quantile(np.arange(9.0), 0.1) == 8.0
    X, y = _regression_data(16, seed=10)
    with pytest.raises(InputError, match="too few"):
        SplitConformalRegressor(sklearn_linear.Ridge(), random_state=0).fit(X, y)
    model = SplitConformalRegressor(
        sklearn_linear.Ridge(), random_state=0, allow_infinite=True
    ).fit(X, y)
    lower, upper = model.predict_interval(X)
    assert np.all(np.isneginf(lower)) and np.all(np.isposinf(upper))


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, "0.1", True])
def test_alpha_outside_the_unit_interval_is_a_config_error(alpha: object) -> None:
    X, y = _regression_data(50, seed=11)
    with pytest.raises(ConfigError, match="alpha"):
        SplitConformalRegressor(sklearn_linear.Ridge(), alpha=alpha).fit(X, y)  # type: ignore[arg-type]


def test_other_bad_input() -> None:
    X, y = _regression_data(50, seed=12)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        SplitConformalRegressor(sklearn_linear.Ridge()).fit(X, y_nan)
    with pytest.raises(ConfigError, match="scale_estimator"):
        SplitConformalRegressor(sklearn_linear.Ridge(), score="normalized").fit(X, y)
    with pytest.raises(ConfigError, match="not an estimator"):
        SplitConformalRegressor(object()).fit(X, y)
    with pytest.raises(ConfigError, match="not fitted"):
        CQR(_Doubler(), _Doubler()).predict_interval(X)
    with pytest.raises(InputError, match="same number of cases"):
        SplitConformalRegressor(sklearn_linear.Ridge()).fit(X, y[:-1])
