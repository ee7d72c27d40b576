"""Adaptive conformal inference: long-run coverage on a shifting series, online updates."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.conformal_adaptive import AdaptiveConformal
from sciml.uq.conformal_base import conformal_quantile
from tests._markers import requires_numba


def _shifting_series(steps: int, seed: int) -> np.ndarray:
    """Noise whose scale jumps between regimes and drifts upwards: no fixed interval fits."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    scale = np.where(t % 2000 < 1000, 1.0, 4.0) * np.linspace(1.0, 3.0, steps)
    return rng.standard_t(5, steps) * scale


@pytest.mark.parametrize("gamma", [0.01, 0.05])
def test_long_run_miss_rate_tends_to_alpha_on_a_shifting_series(gamma: float) -> None:
    steps, alpha = 10_000, 0.1
    y = _shifting_series(steps, seed=1)
    aci = AdaptiveConformal(alpha=alpha, gamma=gamma).fit(np.zeros(steps), y)
    miss = 1.0 - aci.covered_.mean()
    # Gibbs & Candès (2021), Prop. 4.1: a deterministic bound, for any sequence
    assert abs(miss - alpha) <= (max(alpha, 1 - alpha) + gamma) / (gamma * steps)
    # a fixed split-conformal interval calibrated on the first regime misses far more
    fixed = conformal_quantile(np.abs(y[:1000]), alpha)
    assert np.mean(np.abs(y[1000:]) > fixed) > 2 * alpha
    # the level moves: down (wider intervals) in the wild regimes
    assert aci.alpha_path_.min() < alpha < aci.alpha_path_.max()


@requires_numba
def test_numba_loop_equals_the_uncompiled_reference() -> None:
    y = _shifting_series(3000, seed=2)
    pred = 0.1 * y + np.random.default_rng(3).normal(size=3000)
    for window in (None, 250):
        fast = AdaptiveConformal(gamma=0.02, window=window, backend="numba").fit(pred, y)
        slow = AdaptiveConformal(gamma=0.02, window=window, backend="numpy").fit(pred, y)
        np.testing.assert_array_equal(fast.lower_, slow.lower_)
        np.testing.assert_array_equal(fast.upper_, slow.upper_)
        np.testing.assert_array_equal(fast.alpha_path_, slow.alpha_path_)


def test_update_continues_the_same_run_and_predicts_the_next_step() -> None:
    y = _shifting_series(2000, seed=4)
    pred = np.zeros(2000)
    whole = AdaptiveConformal(gamma=0.02, window=300).fit(pred, y)
    parts = AdaptiveConformal(gamma=0.02, window=300).fit(pred[:700], y[:700])
    parts.update(pred[700:], y[700:])
    np.testing.assert_array_equal(whole.upper_, parts.upper_)
    np.testing.assert_array_equal(whole.covered_, parts.covered_)
    lower, upper = whole.predict_interval(0.5)
    assert lower.shape == () and upper.shape == ()
    # the next interval: the rank ceil((n+1)(1-alpha_t)) score of the last 300
    level = float(whole.alpha_t_[0])
    rank = int(np.ceil(301 * (1 - level)))
    half = np.sort(np.abs(y[-300:]))[rank - 1]
    assert float(upper) == pytest.approx(0.5 + half)


def test_first_steps_are_infinite_and_count_as_covered() -> None:
    aci = AdaptiveConformal(alpha=0.1).fit(np.zeros(20), np.ones(20))
    assert np.all(np.isinf(aci.upper_[:9]))  # fewer than 9 past scores: no finite 90 % bound
    assert aci.covered_[:9].all()


def test_multi_output_keeps_one_level_per_output() -> None:
    y = _shifting_series(3000, seed=5)
    both = np.c_[y, 3 * y[::-1]]
    aci = AdaptiveConformal(gamma=0.02).fit(
        xr.DataArray(np.zeros_like(both), dims=("time", "station")),
        xr.DataArray(both, dims=("time", "station")),
    )
    assert aci.lower_.shape == (3000, 2) and aci.alpha_t_.shape == (2,)
    single = AdaptiveConformal(gamma=0.02).fit(np.zeros(3000), both[:, 1])
    np.testing.assert_array_equal(aci.upper_[:, 1], single.upper_)
    lower, upper = aci.predict_interval([0.0, 0.0])
    assert lower.shape == (2,) and np.all(upper > lower)


def test_bad_configuration_and_input() -> None:
    y = np.zeros(10)
    with pytest.raises(ConfigError, match="gamma"):
        AdaptiveConformal(gamma=0).fit(y, y)
    with pytest.raises(ConfigError, match="window"):
        AdaptiveConformal(window=0).fit(y, y)
    with pytest.raises(ConfigError, match="alpha"):
        AdaptiveConformal(alpha=0).fit(y, y)
    with pytest.raises(InputError, match="shape"):
        AdaptiveConformal().fit(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(InputError, match="NaN"):
        AdaptiveConformal().fit(y, np.r_[y[:-1], np.nan])
    with pytest.raises(ConfigError, match="not fitted"):
        AdaptiveConformal().predict_interval(0.0)
    with pytest.raises(InputError, match="same shape"):
        AdaptiveConformal().fit(y, y).update(np.zeros((3, 2)), np.zeros((3, 2)))


def test_skipna_leaves_missing_steps_out_of_the_online_run() -> None:
    """With skipna, a series with gaps gives, on its complete steps, exactly the run of
    the series with the gaps removed; the gaps get NaN bounds and valid_ False."""
    rng = np.random.default_rng(3)
    y = rng.normal(size=400) * np.linspace(1.0, 3.0, 400)
    pred = np.zeros_like(y)
    gaps = rng.choice(400, size=40, replace=False)
    y_gappy = y.copy()
    y_gappy[gaps[:20]] = np.nan
    pred_gappy = pred.copy()
    pred_gappy[gaps[20:]] = np.nan
    keep = np.ones(400, dtype=bool)
    keep[gaps] = False

    gappy = AdaptiveConformal(alpha=0.1, gamma=0.02, skipna=True).fit(pred_gappy, y_gappy)
    clean = AdaptiveConformal(alpha=0.1, gamma=0.02).fit(pred[keep], y[keep])

    np.testing.assert_array_equal(gappy.valid_, keep)
    np.testing.assert_array_equal(gappy.lower_[keep], clean.lower_)
    np.testing.assert_array_equal(gappy.upper_[keep], clean.upper_)
    np.testing.assert_array_equal(gappy.covered_[keep], clean.covered_)
    assert np.isnan(gappy.lower_[~keep]).all() and not gappy.covered_[~keep].any()
    np.testing.assert_array_equal(gappy.alpha_t_, clean.alpha_t_)
    # update continues the same online run
    gappy.update(np.array([0.0, np.nan]), np.array([1.0, 2.0]))
    clean.update(np.array([0.0]), np.array([1.0]))
    assert gappy.valid_.tolist()[-2:] == [True, False]
    np.testing.assert_array_equal(gappy.alpha_t_, clean.alpha_t_)
