"""Rank and PIT histograms, spread-skill, reliability, summaries and the entropy decomposition."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from gpu.errors import ConfigError, InputError
from sciml.uq import (
    ece,
    ensemble_summary,
    entropy_decomposition,
    event_probability,
    pit,
    pit_histogram,
    rank_histogram,
    reliability,
    spread_skill,
)
from sciml.uq._histograms import probability_bin
from tests._markers import requires_numba


def _calibrated(n: int, members: int, seed: int = 0, scale: float = 1.0):
    """Truth and members drawn from the same predictive distribution N(mu, 1)."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n) * 2
    obs = mu + rng.normal(size=n)
    fc = mu[:, None] + scale * rng.normal(size=(n, members))
    return fc, obs


def test_rank_histogram_agrees_with_peers() -> None:
    scores_probability = pytest.importorskip("scores.probability")
    xskillscore = pytest.importorskip("xskillscore")
    fc, obs = _calibrated(3000, 9, seed=1)
    fc_da = xr.DataArray(fc, dims=("sample", "member"))
    obs_da = xr.DataArray(obs, dims="sample")
    rh = rank_histogram(fc_da, obs_da)
    peer = scores_probability.rank_histogram(fc_da, obs_da, "member")
    np.testing.assert_allclose(rh["frequency"].values, peer.values, atol=1e-12)
    counts = xskillscore.rank_histogram(obs_da, fc_da)
    np.testing.assert_array_equal(rh["count"].values, counts.values)


def test_flat_for_a_calibrated_ensemble_and_not_otherwise() -> None:
    fc, obs = _calibrated(20_000, 10, seed=2)
    flat = rank_histogram(fc, obs)
    assert flat["p_value"] > 0.01
    assert flat["delta"] < 2.0
    assert int(flat["n_cases"]) == 20_000
    assert float(flat["chi2"]) == pytest.approx(float(flat["delta"]) * 10, rel=1e-12)  # chi2 / M
    narrow = rank_histogram(*_calibrated(20_000, 10, seed=2, scale=0.5))
    assert narrow["p_value"] < 1e-10
    assert narrow["delta"] > 20
    assert narrow["frequency"][0] > 2 / 11 and narrow["frequency"][-1] > 2 / 11


def test_candille_talagrand_delta_by_hand() -> None:
    fc = np.array([[0.0, 1.0]] * 4)
    obs = np.array([-1.0, -1.0, 0.5, 2.0])  # ranks 0, 0, 1, 2
    rh = rank_histogram(fc, obs)
    np.testing.assert_array_equal(rh["count"].values, [2, 1, 1])
    expected = 4 / 3
    delta = ((2 - expected) ** 2 + 2 * (1 - expected) ** 2) / (4 * 2 / 3)
    assert float(rh["delta"]) == pytest.approx(delta, abs=1e-12)


@requires_numba
def test_ties_are_broken_at_random_reproducibly_on_every_path() -> None:
    rng = np.random.default_rng(3)
    fc = np.round(rng.normal(size=(30_000, 6)))
    obs = np.round(rng.normal(size=30_000))
    numba_rh = rank_histogram(fc, obs)
    numpy_rh = rank_histogram(fc, obs, backend="numpy")
    np.testing.assert_array_equal(numba_rh["count"].values, numpy_rh["count"].values)
    fc_da = xr.DataArray(fc, dims=("sample", "member")).chunk(sample=4000)
    lazy = rank_histogram(fc_da, xr.DataArray(obs, dims="sample").chunk(sample=7000))
    np.testing.assert_array_equal(lazy["count"].values, numba_rh["count"].values)
    assert numba_rh["p_value"] > 0.01  # ties do not bias a calibrated (discrete) ensemble
    other = rank_histogram(fc, obs, seed=1)
    assert not np.array_equal(other["count"].values, numba_rh["count"].values)
    # all members tied with the observation: every rank equally likely
    ties = rank_histogram(np.zeros((11_000, 10)), np.zeros(11_000))
    assert ties["p_value"] > 0.01


def test_reduce_dims_keep_the_others() -> None:
    fc, obs = _calibrated(6000, 5, seed=4)
    fc_da = xr.DataArray(fc.reshape(3, 2000, 5), dims=("time", "sample", "member"))
    obs_da = xr.DataArray(obs.reshape(3, 2000), dims=("time", "sample"))
    rh = rank_histogram(fc_da, obs_da, reduce_dims="sample")
    assert rh["count"].dims == ("time", "rank")
    np.testing.assert_array_equal(rh["n_cases"].values, [2000] * 3)
    one = rank_histogram(fc[2000:4000], obs[2000:4000])
    np.testing.assert_array_equal(rh["count"].sel(time=1).values, one["count"].values)
    with pytest.raises(InputError, match="reduce_dims"):
        rank_histogram(fc_da, obs_da, reduce_dims="lat")


def test_pit_is_uniform_for_a_calibrated_ensemble() -> None:
    fc, obs = _calibrated(5000, 7, seed=5)
    values = pit(fc, obs)
    assert values.shape == (5000,)
    assert values.min() > 0 and values.max() < 1
    assert stats.kstest(values, "uniform").pvalue > 0.01
    hist = pit_histogram(values, bins=10)
    assert int(hist["count"].sum()) == 5000
    assert hist["p_value"] > 0.01
    np.testing.assert_allclose(hist["density"].values, 1.0, atol=0.2)
    biased = pit(fc + 1.0, obs)
    assert pit_histogram(biased)["p_value"] < 1e-10
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        pit_histogram(values + 1)


def test_spread_skill_ratio_of_a_calibrated_ensemble() -> None:
    members = 5
    fc, obs = _calibrated(40_000, members, seed=6)
    ss = spread_skill(fc, obs)
    expected = np.sqrt(1 + 1 / members)
    assert float(ss["expected_ratio"]) == pytest.approx(expected)
    # standard error of the ratio by the delta method on the per-case terms
    err2 = (fc.mean(axis=1) - obs) ** 2
    var = fc.var(axis=1, ddof=1)
    r2 = err2.mean() / var.mean()
    se = np.sqrt(np.var(err2 - r2 * var) / err2.size) / var.mean() / (2 * np.sqrt(r2))
    assert float(ss["ratio"]) == pytest.approx(np.sqrt(r2), rel=1e-12)
    assert abs(float(ss["ratio"]) - expected) < 3 * se
    under = spread_skill(*_calibrated(40_000, members, seed=6, scale=0.5))
    assert float(under["ratio"]) > 1.5 * expected
    with pytest.raises(InputError, match="two members"):
        spread_skill(fc[:, :1], obs)


def test_skipna_leaves_incomplete_cases_out() -> None:
    fc, obs = _calibrated(500, 4, seed=7)
    fc_nan = fc.copy()
    fc_nan[10, 2] = np.nan
    obs_nan = obs.copy()
    obs_nan[20] = np.nan
    keep = np.ones(500, bool)
    keep[[10, 20]] = False
    for fn in (spread_skill, rank_histogram):
        with pytest.raises(InputError, match="NaN"):
            fn(fc_nan, obs_nan)
        got = fn(fc_nan, obs_nan, skipna=True)
        ref = fn(fc[keep], obs[keep])
        for name in ref.data_vars:
            np.testing.assert_allclose(got[name].values, ref[name].values, atol=1e-12)


def test_reliability_agrees_with_xskillscore_and_is_diagonal_when_calibrated() -> None:
    xskillscore = pytest.importorskip("xskillscore")
    rng = np.random.default_rng(8)
    p = rng.uniform(size=50_000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    rel = reliability(p, y, bins=5)
    assert int(rel["count"].sum()) == p.size
    edges = np.linspace(0, 1, 6)
    peer = xskillscore.reliability(
        xr.DataArray(y, dims="sample") > 0.5,
        xr.DataArray(p, dims="sample"),
        probability_bin_edges=edges,
    )
    np.testing.assert_allclose(rel["observed_frequency"].values, peer.values, atol=1e-12)
    np.testing.assert_allclose(
        rel["observed_frequency"].values, rel["forecast_probability"].values, atol=0.02
    )
    # an event from a continuous observation by threshold
    z = rng.normal(size=p.size)
    by_threshold = reliability(p, z, bins=5, threshold=0.0)
    np.testing.assert_allclose(by_threshold["observed_frequency"].values, 0.5, atol=0.03)
    with pytest.raises(InputError, match="binary"):
        reliability(p, z)


def test_ensemble_summary_matches_numpy() -> None:
    rng = np.random.default_rng(9)
    fc = xr.DataArray(rng.normal(size=(30, 8)), dims=("sample", "member"), attrs={"units": "m"})
    summary = ensemble_summary(fc, quantiles=[0.1, 0.5])
    np.testing.assert_allclose(summary["mean"].values, fc.values.mean(axis=1))
    np.testing.assert_allclose(summary["variance"].values, fc.values.var(axis=1, ddof=1))
    np.testing.assert_allclose(
        summary["quantiles"].transpose("sample", "quantile").values,
        np.quantile(fc.values, [0.1, 0.5], axis=1).T,
    )
    assert summary["std"].attrs["units"] == "m"
    lazy = ensemble_summary(fc.chunk(member=3, sample=10), quantiles=[0.1, 0.5])
    xr.testing.assert_allclose(lazy.compute(), summary)
    with pytest.raises(InputError, match="NaN"):
        ensemble_summary(fc.where(fc > -1.5))


def test_entropy_decomposition() -> None:
    agree = np.tile([[0.2, 0.3, 0.5]], (4, 1))  # members agree: no epistemic part
    split = np.eye(3)[[0, 1, 2, 0, 1, 2]]  # confident members that disagree
    out = entropy_decomposition(np.stack([agree, split[:4]]))
    total = -np.sum([0.2, 0.3, 0.5] * np.log([0.2, 0.3, 0.5]))
    np.testing.assert_allclose(out["total"].values[0], total, atol=1e-12)
    np.testing.assert_allclose(out["epistemic"].values[0], 0.0, atol=1e-12)
    bits = entropy_decomposition(split, base=2)
    assert float(bits["aleatoric"]) == pytest.approx(0.0, abs=1e-12)
    assert float(bits["epistemic"]) == pytest.approx(np.log2(3), abs=1e-12)
    assert bits["total"].attrs["units"] == "bit"
    rng = np.random.default_rng(10)
    prob = xr.DataArray(rng.dirichlet([1, 2, 3], size=(50, 6)), dims=("sample", "member", "class"))
    parts = entropy_decomposition(prob)
    np.testing.assert_allclose(parts["total"], parts["aleatoric"] + parts["epistemic"], atol=1e-12)
    assert bool((parts["epistemic"] >= -1e-12).all())
    with pytest.raises(InputError, match="sum to 1"):
        entropy_decomposition(prob * 0.9)


def test_reliability_and_ece_bin_alike_on_ensemble_probabilities() -> None:
    """Event fractions k/M fall on the bin edges: one convention, so the ECE follows from the
    reliability data, and scikit-learn's calibration curve (closed on the right) agrees."""
    calibration = pytest.importorskip("sklearn.calibration")
    rng = np.random.default_rng(11)
    members = rng.normal(size=(4000, 10)) + rng.normal(size=(4000, 1))
    obs = rng.normal(size=4000) + members.mean(axis=1) * 0.5
    p = event_probability(members, 0.0)
    y = (obs >= 0.0).astype(float)
    np.testing.assert_allclose(p * 10, np.round(p * 10), atol=1e-12)  # each one on an edge
    for bins in (5, 10):
        rel = reliability(p, y, bins=bins)
        full = rel["count"] > 0
        gaps = np.abs(rel["observed_frequency"] - rel["forecast_probability"])
        from_diagram = float((rel["count"] * gaps).where(full).sum() / rel["count"].sum())
        assert ece(p, y, n_bins=bins) == pytest.approx(from_diagram, abs=1e-12)
        prob_true, _ = calibration.calibration_curve(y, p, n_bins=bins)
        np.testing.assert_allclose(rel["observed_frequency"].values[full], prob_true, atol=1e-12)
    assert probability_bin(np.array([0.0, 0.1, 0.1 + 1e-12, 1.0, np.nan]), 10).tolist()[:4] == [
        0,
        0,
        1,
        9,
    ]


def test_more_bad_input() -> None:
    fc, obs = _calibrated(50, 4, seed=12)
    with pytest.raises(InputError, match="two members"):
        ensemble_summary(fc[:, :1])
    with pytest.raises(ConfigError, match="quantiles"):
        ensemble_summary(fc, quantiles=[0.5, 1.5])
    with pytest.raises(ConfigError, match="bins"):
        pit_histogram(pit(fc, obs), bins=0)
    with pytest.raises(ConfigError, match="bins"):
        reliability(np.full(3, 0.5), np.ones(3), bins=2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\]"):
        reliability(np.array([0.2, 1.2]), np.array([0.0, 1.0]))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        entropy_decomposition(np.array([[[1.2, -0.2], [0.5, 0.5]]]))
    with pytest.raises(ConfigError, match="base"):
        entropy_decomposition(np.full((1, 2, 2), 0.5), base=1.0)
    with pytest.raises(InputError, match="no 'ens' dim"):
        spread_skill(
            xr.DataArray(fc, dims=("sample", "member")), xr.DataArray(obs, dims="sample"), dim="ens"
        )


def test_skipna_of_summary_pit_histogram_and_reliability() -> None:
    fc, obs = _calibrated(300, 6, seed=13)
    fc_da = xr.DataArray(fc, dims=("sample", "member"))
    holes = fc_da.where(fc_da.member != 2)
    with pytest.raises(InputError, match="NaN"):
        ensemble_summary(holes)
    summary = ensemble_summary(holes, skipna=True)
    np.testing.assert_allclose(summary["mean"].values, np.nanmean(holes.values, axis=1))
    np.testing.assert_allclose(summary["variance"].values, np.nanvar(holes.values, axis=1, ddof=1))
    values = pit(fc, obs)
    values[7] = np.nan
    with pytest.raises(InputError, match="NaN"):
        pit_histogram(values)
    assert int(pit_histogram(values, skipna=True)["n_cases"]) == 299
    p, y = np.linspace(0, 1, 300), (obs > 0).astype(float)
    p[4] = np.nan
    with pytest.raises(InputError, match="NaN"):
        reliability(p, y)
    keep = ~np.isnan(p)
    xr.testing.assert_identical(reliability(p, y, skipna=True), reliability(p[keep], y[keep]))
