"""Monte Carlo estimates: interval coverage, bootstrap, samples needed, dims, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from gpu.errors import ConfigError, InputError
from sciml.uq import mc_estimate


def _replicates(n_rep: int, n: int, seed: int) -> xr.DataArray:
    """Independent Monte Carlo runs (dim ``time`` as the replicate index) of an exponential QoI."""
    rng = np.random.default_rng(seed)
    return xr.DataArray(rng.exponential(size=(n_rep, n)), dims=("time", "sample"))


def _covers(lower: xr.DataArray, upper: xr.DataArray, truth: float) -> float:
    return float(((lower <= truth) & (truth <= upper)).mean())


def test_normal_intervals_cover_at_their_level() -> None:
    runs = _replicates(2000, 400, seed=30)
    est = mc_estimate(runs, quantiles=[0.5, 0.9], thresholds=[2.0])
    se = np.sqrt(0.95 * 0.05 / 2000)
    assert abs(_covers(est["mean_lower"], est["mean_upper"], 1.0) - 0.95) < 4 * se
    exceed = float(np.exp(-2.0))
    assert abs(_covers(est["exceedance_lower"], est["exceedance_upper"], exceed) - 0.95) < 4 * se
    for level in (0.5, 0.9):
        truth = -np.log(1 - level)
        q_lo = est["quantiles_lower"].sel(quantile=level)
        q_hi = est["quantiles_upper"].sel(quantile=level)
        assert _covers(q_lo, q_hi, truth) >= 0.95 - 4 * se  # order statistics: conservative
    # the variance interval is asymptotic (kurtosis 9 here): close to nominal at n = 400
    assert _covers(est["variance_lower"], est["variance_upper"], 1.0) > 0.88
    np.testing.assert_allclose(est["mean"].values, runs.mean("sample").values, atol=1e-12)
    np.testing.assert_allclose(est["variance"].values, runs.var("sample", ddof=1).values)


def test_bootstrap_intervals() -> None:
    runs = _replicates(100, 200, seed=31)
    est = mc_estimate(runs, method="bootstrap", n_bootstrap=300, quantiles=[0.5])
    assert _covers(est["mean_lower"], est["mean_upper"], 1.0) > 0.85
    normal = mc_estimate(runs)
    np.testing.assert_allclose(est["std_error"].values, normal["std_error"].values, rtol=0.25)
    again = mc_estimate(runs.chunk(time=30), method="bootstrap", n_bootstrap=300, quantiles=[0.5])
    xr.testing.assert_allclose(again.compute(), est)


def test_samples_needed_for_a_relative_error() -> None:
    rng = np.random.default_rng(32)
    x = rng.normal(2.0, 3.0, size=5000)
    est = mc_estimate(x, thresholds=[4.0], rel_error=0.05)
    z = stats.norm.ppf(0.975)
    n_mean = np.ceil((z * x.std(ddof=1) / (0.05 * x.mean())) ** 2)
    assert float(est["n_required_mean"]) == n_mean
    p = (x > 4.0).mean()
    assert float(est["n_required_exceedance"][0]) == np.ceil(z**2 * (1 - p) / (0.05**2 * p))
    # with that many samples the interval's relative half-width is about the target
    more = mc_estimate(rng.normal(2.0, 3.0, size=int(n_mean)))
    half = float(more["mean_upper"] - more["mean_lower"]) / 2
    assert half / 2.0 == pytest.approx(0.05, rel=0.1)
    assert float(mc_estimate(np.array([-1.0, 1.0]))["n_required_mean"]) == np.inf


def test_dims_and_plain_arrays() -> None:
    rng = np.random.default_rng(33)
    da = xr.DataArray(rng.normal(size=(4, 50, 3)), dims=("member", "sample", "time"))
    est = mc_estimate(da, ["member", "sample"], quantiles=[0.25])
    assert est["mean"].dims == ("time",)
    np.testing.assert_allclose(est["mean"].values, da.mean(["member", "sample"]).values)
    assert est["quantiles"].dims == ("time", "quantile")
    plain = mc_estimate(rng.normal(size=(2, 100)))
    assert plain["mean"].shape == (2,)
    nan = np.r_[rng.normal(size=99), np.nan]
    with pytest.raises(InputError, match="NaN"):
        mc_estimate(nan)
    assert int(mc_estimate(nan, skipna=True)["n_samples"]) == 99


def test_bad_input() -> None:
    x = np.arange(10.0)
    with pytest.raises(ConfigError, match="method"):
        mc_estimate(x, method="jackknife")
    with pytest.raises(ConfigError, match="confidence"):
        mc_estimate(x, confidence=1.5)
    with pytest.raises(ConfigError, match="quantiles"):
        mc_estimate(x, quantiles=[1.2])
    with pytest.raises(InputError, match="two samples"):
        mc_estimate(x[:1])
    with pytest.raises(InputError, match="no 'member' dim"):
        mc_estimate(xr.DataArray(x, dims="sample"), "member")
