"""Seed ensembles and conformal intervals around forecasters."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast import ESN, ConformalForecaster, LinearAR, SeedEnsemble, metrics


def _ar1(n: int, seed: int, phi: float = 0.8) -> xr.DataArray:
    """Stationary AR(1) pair of components with unit-variance Gaussian innovations."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 2))
    x[0] = rng.normal(size=2) / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal(size=2)
    return xr.DataArray(x, dims=("time", "component"), coords={"time": np.arange(n) * 0.5})


def test_conformal_coverage_at_every_lead() -> None:
    horizon, alpha = 8, 0.1
    model = ConformalForecaster(
        LinearAR(delays=2), alpha=alpha, horizon=horizon, context=5, n_windows=1000
    )
    model.fit(_ar1(500, 0), calibration=_ar1(10000, 1))
    test = _ar1(9000, 2).values
    hits = []
    for s in range(10, 9000 - horizon, 12):
        context = xr.DataArray(test[s - 5 : s], dims=("time", "component"))
        out = model.forecast(context, horizon)
        truth = xr.DataArray(test[s : s + horizon], dims=("time", "component"))
        hits.append(metrics.coverage(out.lower, out.upper, truth, dim=("component",)).values)
    per_lead = np.mean(hits, axis=0)
    # 2 x 750 test forecasts per lead, 1000 calibration windows: sd ~ 0.012 around 0.9
    assert np.all(per_lead > 1 - alpha - 0.035)
    assert np.all(per_lead < 1 - alpha + 0.035)
    # AR(1) forecast errors grow with lead: so must the intervals
    width = (out.upper - out.lower).mean("component").values
    assert width[-1] > 1.3 * width[0]


def test_normalized_score_with_an_ensemble() -> None:
    model = ConformalForecaster(
        SeedEnsemble(ESN(n_reservoir=30, washout=5), n_models=3),
        horizon=5,
        context=20,
        n_windows=30,
        members=2,
        perturbation=0.1,
        score="normalized",
    )
    model.fit(_ar1(300, 0), calibration=_ar1(400, 1))
    out = model.forecast(_ar1(30, 3), 5)
    assert set(out.data_vars) == {"forecast", "lower", "upper"}
    assert bool((out.upper > out.lower).all())
    np.testing.assert_allclose(out.time.values, 14.5 + 0.5 * np.arange(1, 6))


def test_seed_ensemble_spreads_and_is_reproducible() -> None:
    train = _ar1(300, 0)
    ens = SeedEnsemble(ESN(n_reservoir=30, washout=5), n_models=3, seed=4).fit(train)
    fc = ens.forecast(train, 10, members=2, perturbation=0.05)
    assert fc.sizes["member"] == 6
    assert float(fc.std("member").mean()) > 0
    again = SeedEnsemble(ESN(n_reservoir=30, washout=5), n_models=3, seed=4).fit(train)
    np.testing.assert_array_equal(fc.values, again.forecast(train, 10, 2, 0.05).values)


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="Forecaster"):
        SeedEnsemble("esn", n_models=2).fit(_ar1(50, 0))  # type: ignore[arg-type]
    model = ConformalForecaster(LinearAR(), horizon=50, context=20)
    with pytest.raises(InputError, match="context \\+ horizon"):
        model.fit(_ar1(100, 0), calibration=_ar1(60, 1))
    with pytest.raises(InputError, match="not fitted"):
        model.forecast(_ar1(30, 0), 5)
    model = ConformalForecaster(LinearAR(), horizon=5, context=10, n_windows=20)
    model.fit(_ar1(100, 0), calibration=_ar1(100, 1))
    with pytest.raises(ConfigError, match="exceeds"):
        model.forecast(_ar1(30, 0), 6)
