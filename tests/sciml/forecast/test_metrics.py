"""Forecast metrics: hand-computed values, dysts.metrics on random inputs, VPT crossings."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast import metrics

dm = pytest.importorskip("dysts.metrics")

DIMS = ("time", "component")


def _da(values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=float), dims=DIMS[-np.ndim(values) :])


def test_hand_computed_values() -> None:
    truth = _da([[1.0, 2.0], [3.0, 4.0]])
    pred = _da([[2.0, 2.0], [3.0, 2.0]])
    # errors: 1, 0, 0, -2
    assert float(metrics.mse(pred, truth)) == pytest.approx(5 / 4)
    assert float(metrics.mae(pred, truth)) == pytest.approx(3 / 4)
    assert float(metrics.rmse(pred, truth)) == pytest.approx(np.sqrt(5 / 4))
    assert float(metrics.smape(pred, truth)) == pytest.approx(200 / 4 * (1 / 3 + 2 / 6))
    assert float(metrics.mape(pred, truth)) == pytest.approx(100 / 4 * (1 + 0.5))
    assert float(metrics.wape(pred, truth)) == pytest.approx(100 * 3 / 10)
    # sigma per component over time: 1 and 1
    assert float(metrics.nrmse(pred, truth)) == pytest.approx(np.sqrt(5 / 4))
    # SS_tot around 2.5: 2.25+0.25+0.25+2.25 = 5
    assert float(metrics.r2(pred, truth)) == pytest.approx(1 - 5 / 5)
    # naive lag-1 errors of the truth: 2, 2
    assert float(metrics.mase(pred, truth)) == pytest.approx((3 / 4) / 2)


def test_bounded_scores_a_diverged_forecast_as_a_large_finite_error() -> None:
    pred = _da([[0.5, np.nan], [np.inf, -np.inf], [1e279, -3e300]])
    out = metrics.bounded(pred)
    np.testing.assert_array_equal(out.values, [[0.5, 1e12], [1e12, -1e12], [1e12, -1e12]])
    assert out.dims == pred.dims
    truth = _da(np.ones((3, 2)))
    assert np.isfinite(float(metrics.rmse(out, truth)))  # 1e279 squared would overflow
    assert float(metrics.smape(out, truth)) > 150


def test_vectorized_over_extra_dims() -> None:
    rng = np.random.default_rng(0)
    truth = xr.DataArray(rng.normal(size=(3, 40, 2)), dims=("system", *DIMS))
    pred = xr.DataArray(rng.normal(size=(4, 3, 40, 2)), dims=("member", "system", *DIMS))
    out = metrics.smape(pred, truth)
    assert out.dims == ("member", "system")
    one = metrics.smape(pred.isel(member=2, system=1), truth.isel(system=1))
    assert float(out.isel(member=2, system=1)) == pytest.approx(float(one))


def _sklearn_mutual_information(t: np.ndarray, p: np.ndarray) -> float:
    # dysts 0.96's own wrapper fails on numpy 2 (it stores a 1-element array as a float)
    from sklearn.feature_selection import mutual_info_regression

    return float(
        np.mean([mutual_info_regression(t[:, [i]], p[:, i])[0] for i in range(t.shape[1])])
    )


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("mse", lambda t, p: dm.mse(t, p)),
        ("mae", lambda t, p: dm.mae(t, p)),
        ("rmse", lambda t, p: dm.rmse(t, p)),
        ("nrmse", lambda t, p: dm.nrmse(t, p)),
        ("smape", lambda t, p: dm.smape(t, p, scaled=False)),
        ("mape", lambda t, p: dm.mape(t, p)),
        ("wape", lambda t, p: dm.wape(t, p)),
        ("r2", lambda t, p: dm.r2_score(t, p)),
        ("mase", lambda t, p: dm.mase(t.T, p.T, time_dim=-1)),
        ("spearman", lambda t, p: dm.spearman(t, p)),
        ("pearson", lambda t, p: dm.pearson(t, p)),
        ("kendall", lambda t, p: dm.kendall(t, p)),
        ("coefficient_of_variation", lambda t, p: dm.coefficient_of_variation(t, p)),
        ("hellinger_distance", lambda t, p: dm.average_hellinger_distance(t, p, 20)),
        ("mutual_information", _sklearn_mutual_information),
    ],
)
def test_against_dysts_on_random_inputs(name, reference) -> None:
    rng = np.random.default_rng(sorted(metrics.METRICS).index(name))
    t = rng.normal(2.0, 1.0, size=(150, 3))
    p = t + rng.normal(0.0, 0.7, size=t.shape)
    kwargs = {"num_freq_bins": 20} if name == "hellinger_distance" else {}
    ours = float(metrics.METRICS[name](_da(p), _da(t), **kwargs))
    theirs = float(reference(t, p))
    # sklearn's MI estimator jitters the data with tiny noise from its own stream
    rtol = 1e-3 if name == "mutual_information" else 1e-9
    assert ours == pytest.approx(theirs, rel=rtol)


def test_kl_divergence_closed_form() -> None:
    # point clouds at a and b: Gaussian mixtures N(a, s^2 I), N(b, s^2 I): KL = |a-b|^2 / (2 s^2)
    a, b, sigma = np.array([0.0, 1.0]), np.array([0.5, 0.0]), 0.8
    truth = _da(np.tile(a, (30, 1)))
    pred = _da(np.tile(b, (30, 1)))
    kl = float(metrics.kl_divergence(pred, truth, sigma=sigma, n_samples=20000))
    assert kl == pytest.approx(np.sum((a - b) ** 2) / (2 * sigma**2), rel=0.03)
    assert float(metrics.kl_divergence(truth, truth, sigma=sigma)) == pytest.approx(0.0, abs=1e-12)


def test_correlation_dimension_error_of_identical_orbits_is_zero() -> None:
    rng = np.random.default_rng(1)
    cloud = _da(rng.uniform(size=(300, 2)))
    assert float(metrics.correlation_dimension_error(cloud, cloud)) == 0.0


def test_vpt_smape_known_crossing() -> None:
    # per-lead sMAPE terms 200*|p-t|/(|p|+|t|): 0 for the first 10 leads, then 200*1/3
    n = 40
    truth = np.ones((n, 1))
    pred = truth.copy()
    pred[10:] = 2.0
    # cumulative sMAPE at lead k >= 10: (k - 9) / (k + 1) * 200/3 > 30  <=>  k > 17.18... -> 18
    vpt = metrics.valid_prediction_time(_da(pred), _da(truth), lyapunov_time_steps=4.0)
    assert float(vpt) == pytest.approx(18 / 4)
    never = metrics.valid_prediction_time(_da(truth), _da(truth), lyapunov_time_steps=4.0)
    assert float(never) == pytest.approx(n / 4)


def test_vpt_nrmse_known_crossing_and_per_system_steps() -> None:
    n = 50
    t = np.sin(np.linspace(0, 6 * np.pi, n))[:, None]
    scale = [1.0]
    errs = np.where(np.arange(n) >= 23, 0.6, 0.1)[:, None]
    truth = xr.DataArray(np.stack([t, t]), dims=("system", *DIMS))
    pred = xr.DataArray(np.stack([t + errs, t]), dims=("system", *DIMS))
    steps = xr.DataArray([10.0, 5.0], dims="system")
    vpt = metrics.valid_prediction_time_nrmse(pred, truth, steps, scale=scale)
    np.testing.assert_allclose(vpt.values, [23 / 10, n / 5])


def test_probabilistic_metrics() -> None:
    truth = _da([[0.5], [0.5]])
    ens = xr.DataArray(
        np.array([[[0.0], [0.0]], [[1.0], [1.0]], [[2.0], [2.0]]]), dims=("member", *DIMS)
    )
    assert float(metrics.crps(ens, truth)) == pytest.approx(7 / 18)
    lower, upper = _da([[0.0], [0.6]]), _da([[1.0], [2.0]])
    assert float(metrics.coverage(lower, upper, truth)) == 0.5
    assert float(metrics.interval_width(lower, upper, truth)) == pytest.approx(1.2)


def test_compute_metrics_dataset() -> None:
    rng = np.random.default_rng(2)
    t = _da(rng.normal(size=(60, 2)))
    ds = metrics.compute_metrics(t + 0.1, t, include=["mse", "smape"], lyapunov_time_steps=10)
    assert set(ds.data_vars) == {
        "mse",
        "smape",
        "valid_prediction_time",
        "valid_prediction_time_nrmse",
    }
    assert float(ds.mse) == pytest.approx(0.01)


def test_bad_inputs() -> None:
    t = _da(np.ones((5, 2)))
    with pytest.raises(InputError, match="time points"):
        metrics.mse(_da(np.ones((4, 2))), t)
    with pytest.raises(InputError, match="components"):
        metrics.mse(_da(np.ones((5, 3))), t)
    with pytest.raises(InputError, match="DataArray"):
        metrics.mse(np.ones((5, 2)), t)
    with pytest.raises(ConfigError, match="unknown metric"):
        metrics.compute_metrics(t, t, include=["nope"])
    with pytest.raises(InputError, match="positive"):
        metrics.valid_prediction_time(t, t, 0.0)
