"""Closed-form CRPS and log scores, quantile and interval scores: references and peers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, stats

from gpu.errors import InputError
from sciml.uq import (
    crps_logistic,
    crps_mixnorm,
    crps_normal,
    interval_score,
    log_score_logistic,
    log_score_mixnorm,
    log_score_normal,
    quantile_score,
)

GAUSSIAN_REFERENCE = [
    ((0.0, 0.0, 1.0), 0.23369497725510913),
    ((1.0, 0.0, 1.0), 0.6024413576276163),
    ((2.0, 0.5, 2.0), 0.8962885043931006),
    ((-3.0, 0.0, 0.5), 2.717905208382479),
]


@pytest.mark.parametrize(("args", "expected"), GAUSSIAN_REFERENCE)
def test_gaussian_crps_reference(args: tuple[float, float, float], expected: float) -> None:
    assert crps_normal(*args) == pytest.approx(expected, abs=1e-10)


def _random(n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    return rng.normal(size=n) * 3, rng.normal(size=n), rng.uniform(0.1, 4.0, size=n)


def test_normal_and_logistic_agree_with_peers() -> None:
    scoringrules = pytest.importorskip("scoringrules")
    properscoring = pytest.importorskip("properscoring")
    xskillscore = pytest.importorskip("xskillscore")
    y, mu, sigma = _random()
    crps = crps_normal(y, mu, sigma)
    np.testing.assert_allclose(crps, scoringrules.crps_normal(y, mu, sigma), atol=1e-10)
    np.testing.assert_allclose(crps, properscoring.crps_gaussian(y, mu, sigma), atol=1e-10)
    dims = "sample"
    peer = xskillscore.crps_gaussian(
        xr.DataArray(y, dims=dims),
        xr.DataArray(mu, dims=dims),
        xr.DataArray(sigma, dims=dims),
        dim=[],
    )
    np.testing.assert_allclose(crps, peer.values, atol=1e-10)
    np.testing.assert_allclose(
        crps_logistic(y, mu, sigma), scoringrules.crps_logistic(y, mu, sigma), atol=1e-10
    )
    # the peer takes log(pdf), which underflows far in the tails: compare within 8 sigma
    y = mu + sigma * np.clip(y, -8, 8)
    np.testing.assert_allclose(
        log_score_normal(y, mu, sigma), scoringrules.logs_normal(y, mu, sigma), atol=1e-10
    )
    np.testing.assert_allclose(
        log_score_logistic(y, mu, sigma), scoringrules.logs_logistic(y, mu, sigma), atol=1e-10
    )
    # far tails stay finite and exact
    assert log_score_normal(40.0, 0.0, 1.0) == pytest.approx(800 + 0.5 * np.log(2 * np.pi))


def test_logistic_crps_matches_the_integral_definition() -> None:
    y, mu, s = 0.7, -0.2, 1.3
    cdf = stats.logistic(mu, s).cdf
    below, _ = integrate.quad(lambda x: cdf(x) ** 2, -np.inf, y)
    above, _ = integrate.quad(lambda x: (1 - cdf(x)) ** 2, y, np.inf)
    assert crps_logistic(y, mu, s) == pytest.approx(below + above, abs=1e-8)


def test_mixture_agrees_with_peer_and_reduces_to_normal() -> None:
    scoringrules = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(5)
    y = rng.normal(size=200)
    mu = rng.normal(size=(200, 3))
    sigma = rng.uniform(0.3, 2.0, size=(200, 3))
    w = rng.uniform(size=(200, 3))
    wn = w / w.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(
        crps_mixnorm(y, mu, sigma, w), scoringrules.crps_mixnorm(y, mu, sigma, wn), atol=1e-10
    )
    np.testing.assert_allclose(
        log_score_mixnorm(y, mu, sigma, w), scoringrules.logs_mixnorm(y, mu, sigma, wn), atol=1e-10
    )
    np.testing.assert_allclose(
        crps_mixnorm(y, mu, sigma), scoringrules.crps_mixnorm(y, mu, sigma), atol=1e-10
    )
    one = crps_mixnorm(y, mu[:, :1], sigma[:, :1])
    np.testing.assert_allclose(one, crps_normal(y, mu[:, 0], sigma[:, 0]), atol=1e-12)
    # xarray: the mixture dim by name, anywhere
    mu_da = xr.DataArray(mu.T, dims=("mixture", "sample"))
    sigma_da = xr.DataArray(sigma, dims=("sample", "mixture"))
    out = crps_mixnorm(
        xr.DataArray(y, dims="sample"), mu_da, sigma_da, xr.DataArray(w, dims=("sample", "mixture"))
    )
    np.testing.assert_allclose(out.values, crps_mixnorm(y, mu, sigma, w), atol=1e-12)


def test_quantile_and_interval_scores_agree_with_peer() -> None:
    scoringrules = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(6)
    y = rng.normal(size=300)
    levels = np.array([0.1, 0.5, 0.9])
    q = np.quantile(rng.normal(size=1000), levels) + rng.normal(size=(300, 3)) * 0.3
    mine = quantile_score(q, y[:, None], levels)
    np.testing.assert_allclose(mine, scoringrules.quantile_score(y[:, None], q, levels), atol=1e-12)
    q_da = xr.DataArray(q, dims=("sample", "quantile"), coords={"quantile": levels})
    from_coord = quantile_score(q_da, xr.DataArray(y, dims="sample"))
    np.testing.assert_allclose(from_coord.transpose("sample", "quantile").values, mine, atol=1e-12)
    lower, upper = q[:, 0], q[:, 2]
    np.testing.assert_allclose(
        interval_score(y, lower, upper, 0.2),
        scoringrules.interval_score(y, lower, upper, 0.2),
        atol=1e-12,
    )
    assert interval_score(0.0, 1.0, 2.0, 0.1) == pytest.approx(21.0)
    assert quantile_score(1.0, 0.0, 0.3) == pytest.approx(0.7)


def test_elementwise_scores_stream_with_dask() -> None:
    y, mu, sigma = _random(1000)
    dims = "sample"
    lazy = crps_normal(
        xr.DataArray(y, dims=dims).chunk(sample=128), xr.DataArray(mu, dims=dims), sigma.mean()
    )
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, crps_normal(y, mu, sigma.mean()), atol=1e-14)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="sigma must be positive"):
        crps_normal(0.0, 0.0, -1.0)
    with pytest.raises(InputError, match="s must be positive"):
        crps_logistic(0.0, 0.0, 0.0)
    with pytest.raises(InputError, match="weights must be non-negative"):
        crps_mixnorm(0.0, [0.0, 1.0], [1.0, 1.0], [0.5, -0.1])
    with pytest.raises(InputError, match="NaN"):
        crps_normal([0.0, np.nan], 0.0, 1.0)
    assert np.isnan(crps_normal([0.0, np.nan], 0.0, 1.0, skipna=True)[1])
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        quantile_score(0.0, 0.0, 1.0)
    with pytest.raises(InputError, match="pass alpha="):
        quantile_score(np.zeros(3), 0.0)
    with pytest.raises(InputError, match="lower must not exceed upper"):
        interval_score(0.0, 1.0, 0.0, 0.1)
    with pytest.raises(InputError, match="do not broadcast"):
        crps_normal(np.zeros(3), np.zeros(4), 1.0)
