"""Calibration errors (class-1 ECE, top-label ECE, ACE) and the certainty-threshold analysis."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.calibration_certainty import certainty_threshold_analysis
from sciml.uq.calibration_metrics import ace, ece, top_label_ece

mapie_calibration = pytest.importorskip("mapie.metrics.calibration")
sklearn_calibration = pytest.importorskip("sklearn.calibration")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _squared_model(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """p = s ~ U(0, 1), y ~ Bernoulli(s^2): every bin is over-confident by s - s^2."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n)
    return s, (rng.uniform(size=n) < s**2).astype(int)


@pytest.mark.parametrize("n_bins", [5, 15, 50])
def test_ece_is_one_sixth_for_any_binning(n_bins: int) -> None:
    """Reference value: E|s - s^2| = 1/6, whatever the bins (the gap never changes sign)."""
    n = 200_000
    s, y = _squared_model(n, seed=n_bins)
    se = np.sqrt(5 / 36 / n)  # sd of (s - y) is sqrt(1/6 - 1/36)
    for value in (
        ece(s, y, n_bins=n_bins),
        ace(s, y, n_bins=n_bins),
        top_label_ece(s, y, n_bins=n_bins),  # per predicted class the gap keeps its sign too
    ):
        assert abs(value - 1 / 6) < 3 * se
    # the confidence ECE of the same forecasts is ~0: the two classes' gaps cancel
    confidence = np.maximum(s, 1 - s)
    assert ece(confidence, (s > 0.5) == y, n_bins=n_bins) < 0.01
    # agreement with MAPIE (whose uniform binning takes n_bins + 1 edges) and scikit-learn
    assert ece(s, y, n_bins=n_bins) == pytest.approx(
        mapie_calibration.expected_calibration_error(
            y, s, num_bins=n_bins + 1, split_strategy="uniform"
        ),
        rel=1e-12,
    )
    prob_true, prob_pred = sklearn_calibration.calibration_curve(y, s, n_bins=n_bins)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], s), minlength=n_bins)
    weights = counts[counts > 0] / n
    assert ece(s, y, n_bins=n_bins) == pytest.approx(
        np.sum(weights * np.abs(prob_true - prob_pred)), rel=1e-12
    )


def test_top_label_ece_matches_mapie_macro_average() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(4), size=3000)
    labels = (probs.cumsum(axis=1) < rng.uniform(size=(3000, 1))).sum(axis=1)
    ours = top_label_ece(probs, labels, n_bins=10, average="macro")
    peer = mapie_calibration.top_label_ece(labels, probs, num_bins=11, split_strategy="uniform")
    assert ours == pytest.approx(peer, rel=1e-12)
    # labels drawn from the probabilities themselves: calibrated, small errors
    assert top_label_ece(probs, labels, n_bins=10) < 0.05
    assert ace(probs, labels, n_bins=10) < 0.05


def test_ace_uses_equal_count_bins() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.9])
    y = np.array([0, 0, 1, 0, 1, 1])
    # bins {0.1, 0.2, 0.3}, {0.4, 0.6, 0.9}: |1/3 - 0.2| and |2/3 - 19/30|
    assert ace(p, y, n_bins=2) == pytest.approx((abs(1 / 3 - 0.2) + abs(2 / 3 - 19 / 30)) / 2)
    with pytest.raises(InputError, match="at least 7"):
        ace(p, y, n_bins=7)


def test_dataarray_gives_one_value_per_lead_time() -> None:
    s, y = _squared_model(4000, seed=2)
    p = xr.DataArray(np.stack([s, s**2]), dims=("time", "sample"), coords={"time": [6, 12]})
    labels = xr.DataArray(y, dims="sample")
    out = ece(p, labels, n_bins=10)
    assert out.dims == ("time",) and out.name == "ece"
    np.testing.assert_allclose(out, [ece(s, y, n_bins=10), ece(s**2, y, n_bins=10)])
    probs = xr.DataArray(np.stack([1 - s, s], axis=1), dims=("sample", "class"))
    assert float(top_label_ece(probs, labels)) == pytest.approx(top_label_ece(s, y))


def test_nan_raises_unless_skipped() -> None:
    s, y = _squared_model(100, seed=3)
    s_nan = s.copy()
    s_nan[[3, 40]] = np.nan
    with pytest.raises(InputError, match="2 case"):
        ece(s_nan, y)
    keep = ~np.isnan(s_nan)
    assert ece(s_nan, y, skipna=True) == pytest.approx(ece(s[keep], y[keep]))


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\]"):
        ece([0.2, 1.3], [0, 1])
    with pytest.raises(InputError, match="binary labels"):
        ece([0.2, 0.3], [0, 2])
    with pytest.raises(InputError, match="class indices"):
        top_label_ece(np.full((2, 3), 1 / 3), [0, 3])
    with pytest.raises(ConfigError, match="n_bins"):
        ece([0.2, 0.3], [0, 1], n_bins=0)
    with pytest.raises(ConfigError, match="average"):
        top_label_ece([0.2, 0.3], [0, 1], average="micro")  # type: ignore[arg-type]


def test_certainty_threshold_analysis_matches_sklearn_on_each_subset() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(size=3000)
    y = (rng.uniform(size=3000) < p).astype(int)
    out = certainty_threshold_analysis(p, y)
    assert out.sizes["threshold"] == 10
    np.testing.assert_allclose(out.fraction_retained[0], 1.0)
    assert np.all(np.diff(out.fraction_retained) < 0)
    assert np.all(np.diff(out.auroc) > 0)  # surer cases are easier to rank
    for level, auroc, auprc in zip(out.threshold.values, out.auroc, out.auprc, strict=True):
        keep = np.maximum(p, 1 - p) >= level
        assert float(auroc) == pytest.approx(sklearn_metrics.roc_auc_score(y[keep], p[keep]))
        assert float(auprc) == pytest.approx(
            sklearn_metrics.average_precision_score(y[keep], p[keep])
        )
    custom = certainty_threshold_analysis(p, y, certainty=-np.abs(p - 0.5), thresholds=[-0.5, 0])
    assert custom.n_retained.values.tolist() == [3000, 0]
    assert np.isnan(custom.auroc[1])
    with pytest.raises(InputError, match="certainty="):
        certainty_threshold_analysis(p * 2, y)


def test_certainty_threshold_analysis_skips_nan_cases_when_asked() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(float)
    p_nan, y_nan = p.copy(), y.copy()
    p_nan[3], y_nan[8] = np.nan, np.nan
    with pytest.raises(InputError, match="skipna=True"):
        certainty_threshold_analysis(p_nan, y_nan)
    keep = np.ones(500, dtype=bool)
    keep[[3, 8]] = False
    xr.testing.assert_identical(
        certainty_threshold_analysis(p_nan, y_nan, skipna=True),
        certainty_threshold_analysis(p[keep], y[keep]),
    )
    with pytest.raises(ConfigError, match="thresholds"):
        certainty_threshold_analysis(p, y, thresholds=[0.5, np.nan])
