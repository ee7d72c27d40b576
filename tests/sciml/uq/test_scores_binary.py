"""Brier score (fair ensemble correction), AUROC and AUPRC: theory, peers, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from gpu.errors import ConfigError, InputError
from sciml.uq import auprc, auroc, brier_score, event_probability


def test_brier_of_squared_uniform_events_is_one_sixth() -> None:
    # p = s ~ U(0, 1), y ~ Bernoulli(s^2): E[(s - y)^2] = 1/3 - 1/2 + 1/3 = 1/6
    rng = np.random.default_rng(11)
    s = rng.uniform(size=400_000)
    y = (rng.uniform(size=s.size) < s**2).astype(float)
    values = brier_score(s, y)
    se = values.std() / np.sqrt(values.size)
    assert abs(values.mean() - 1 / 6) < 3 * se


def test_brier_agrees_with_peers() -> None:
    scoringrules = pytest.importorskip("scoringrules")
    xskillscore = pytest.importorskip("xskillscore")
    scores_probability = pytest.importorskip("scores.probability")
    rng = np.random.default_rng(12)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(float)
    np.testing.assert_allclose(brier_score(p, y), scoringrules.brier_score(y, p), atol=1e-12)
    fc = xr.DataArray(rng.normal(size=(500, 10)), dims=("sample", "member"))
    obs = xr.DataArray(rng.normal(size=500), dims="sample")
    for fair in (False, True):
        mine = brier_score(fc, obs, dim="member", threshold=0.3, fair=fair)
        peer = scores_probability.brier_score_for_ensemble(
            fc, obs, "member", 0.3, preserve_dims=["sample"], fair_correction=fair
        )
        np.testing.assert_allclose(mine.values, peer.squeeze(drop=True).values, atol=1e-12)
        events = xskillscore.brier_score(obs >= 0.3, fc >= 0.3, fair=fair, dim=[])
        np.testing.assert_allclose(mine.values, events.values, atol=1e-12)
    tbs = xskillscore.threshold_brier_score(obs, fc, 0.3, dim=[])
    np.testing.assert_allclose(
        brier_score(fc, obs, dim="member", threshold=0.3).values, tbs.values, atol=1e-12
    )


@pytest.mark.parametrize("p", [0.0, 0.3, 0.85])
@pytest.mark.parametrize("outcome", [0.0, 1.0])
def test_fair_brier_is_unbiased_for_the_underlying_probability(p: float, outcome: float) -> None:
    # E over M-member ensembles of Bernoulli(p) members equals the Brier score of p itself.
    size = 6
    k = np.arange(size + 1)
    members = (np.arange(size)[None, :] < k[:, None]).astype(float)  # k events of M
    weights = stats.binom.pmf(k, size, p)
    fair = brier_score(members, np.full(size + 1, outcome), dim="member", fair=True)
    assert weights @ fair == pytest.approx((p - outcome) ** 2, abs=1e-12)
    plain = brier_score(members, np.full(size + 1, outcome), dim="member")
    if 0 < p < 1:
        assert weights @ plain > (p - outcome) ** 2


def test_event_probability() -> None:
    fc = np.array([[0.0, 1.0, 2.0, 3.0], [5.0, 5.0, 0.0, np.nan]])
    np.testing.assert_allclose(event_probability(fc[:1], 1.0), [0.75])
    np.testing.assert_allclose(event_probability(fc, 1.0, skipna=True), [0.75, 2 / 3])


def test_auroc_auprc_agree_with_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(13)
    p = rng.uniform(size=(4, 700))
    y = (rng.uniform(size=p.shape) < p).astype(float)
    for scores in (p, np.round(p, 1)):  # with and without ties
        assert auroc(scores, y) == pytest.approx(
            metrics.roc_auc_score(y.ravel(), scores.ravel()), abs=1e-10
        )
        assert auprc(scores, y) == pytest.approx(
            metrics.average_precision_score(y.ravel(), scores.ravel()), abs=1e-10
        )
    p_da = xr.DataArray(p, dims=("time", "sample"))
    y_da = xr.DataArray(y, dims=("time", "sample"))
    per_time = auroc(p_da, y_da, dim="sample")
    expected = [metrics.roc_auc_score(y[i], p[i]) for i in range(4)]
    np.testing.assert_allclose(per_time.values, expected, atol=1e-10)
    lazy = auprc(p_da.chunk(time=1), y_da.chunk(time=1), dim="sample")
    expected = [metrics.average_precision_score(y[i], p[i]) for i in range(4)]
    np.testing.assert_allclose(lazy.values, expected, atol=1e-10)


def test_bad_input() -> None:
    p = np.array([0.2, 0.7, 0.4])
    y = np.array([0.0, 1.0, 1.0])
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\]"):
        brier_score(p + 0.5, y)
    with pytest.raises(InputError, match="binary labels"):
        brier_score(p, y * 2)
    with pytest.raises(ConfigError, match="dim="):
        brier_score(p, y, fair=True)
    with pytest.raises(InputError, match="at least 2"):
        brier_score(p[:, None], y, dim="member", fair=True)
    with pytest.raises(InputError, match="binary labels"):
        auroc(p, y + 0.5)
    with pytest.raises(InputError, match="only one class"):
        auprc(p, np.ones(3))
    with pytest.raises(InputError, match="NaN"):
        auroc(np.array([0.1, np.nan, 0.3, 0.5]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert (
        auroc(np.array([0.1, np.nan, 0.3, 0.5]), np.array([0.0, 1.0, 0.0, 1.0]), skipna=True) == 1.0
    )
    lazy = brier_score(xr.DataArray(p + 0.5).chunk(), xr.DataArray(y))
    with pytest.raises(InputError, match="probabilities"):
        lazy.compute()
