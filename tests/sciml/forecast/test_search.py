"""Hyperparameter search through the ensemble runner."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast import ESN, NVAR, LinearAR, metrics
from sciml.forecast.search import search


def _sine(n: int, phase: float) -> xr.DataArray:
    t = 0.1 * np.arange(n)
    return xr.DataArray(np.sin(t + phase)[:, None], dims=("time", "component"), coords={"time": t})


def test_grid_search_finds_the_exact_model_and_isolates_a_failing_candidate() -> None:
    # a sine obeys x[t+1] = 2 cos(w) x[t] - x[t-1]: two delays without penalty are exact,
    # one delay cannot oscillate, a large penalty damps; delays=0 is invalid and fails
    result = search(
        LinearAR(),
        {"delays": [1, 2, 0], "alpha": [1e-10, 10.0]},
        _sine(300, 0.0),
        _sine(300, 1.0),
        horizon=100,
    )
    ds = result.scores
    assert ds.sizes["member"] == 6
    np.testing.assert_array_equal(ds.delays.values, [1, 1, 2, 2, 0, 0])
    np.testing.assert_array_equal(ds.failed.values, [False] * 4 + [True] * 2)
    assert all("delays" in str(m) for m in ds.failure_message.values[4:])
    assert np.all(np.isnan(ds.score.values[4:]))
    assert result.best_params["delays"] == 2
    assert result.best_params["alpha"] == 1e-10
    assert float(ds.score[2]) < 1e-4 < float(ds.score.values[[0, 1, 3]].min())
    # the best model comes back fitted on the training series
    fc = result.best.forecast(_sine(300, 1.0).isel(time=slice(0, 200)), 100)
    np.testing.assert_allclose(fc.values[0, :, 0], _sine(300, 1.0).values[200:, 0], atol=1e-5)


def test_batched_esn_search_scores_equal_single_fits() -> None:
    train, val = _sine(400, 0.0), _sine(400, 2.0)
    grid = {"seed": [0, 1], "spectral_radius": [0.3, 0.9]}
    result = search(ESN(n_reservoir=30, washout=20), grid, train, val, horizon=50)
    assert not result.scores.failed.any()
    assert "member by member" not in result.scores.attrs["history"]  # one batched call
    for k in range(4):
        params = {
            "seed": int(result.scores.seed[k]),
            "spectral_radius": float(result.scores.spectral_radius[k]),
        }
        model = ESN(n_reservoir=30, washout=20, **params).fit(train)
        pred = model.forecast(val.isel(time=slice(0, 350)), 50).isel(member=0)
        expected = metrics.smape(pred, val.isel(time=slice(350, None)))
        np.testing.assert_allclose(float(result.scores.score[k]), float(expected), rtol=1e-9)
    best = int(np.argmin(result.scores.score.values))
    assert (
        result.best.get_params()
        == ESN(
            n_reservoir=30,
            washout=20,
            **{
                "seed": int(result.scores.seed[best]),
                "spectral_radius": float(result.scores.spectral_radius[best]),
            },
        ).get_params()
    )


def test_random_search_draws_within_the_budget_reproducibly() -> None:
    grid = {"alpha": [1e-8, 1e-6, 1e-4, 1e-2], "stride": [1, 2, 3]}
    kw = {"horizon": 30, "method": "random", "budget": 5}
    a = search(NVAR(), grid, _sine(200, 0.0), _sine(200, 1.0), seed=3, **kw)
    b = search(NVAR(), grid, _sine(200, 0.0), _sine(200, 1.0), seed=3, **kw)
    assert a.scores.sizes["member"] == 5
    pairs = set(zip(a.scores.alpha.values, a.scores.stride.values, strict=True))
    assert len(pairs) == 5
    np.testing.assert_array_equal(a.scores.params.values, b.scores.params.values)


def test_bad_searches() -> None:
    train, val = _sine(200, 0.0), _sine(200, 1.0)
    with pytest.raises(ConfigError, match="budget"):
        search(NVAR(), {"alpha": [1, 2, 3]}, train, val, horizon=10, budget=2)
    with pytest.raises(ConfigError, match="needs a budget"):
        search(NVAR(), {"alpha": [1, 2]}, train, val, horizon=10, method="random")
    with pytest.raises(ConfigError, match="no parameter"):
        search(NVAR(), {"leak": [0.5]}, train, val, horizon=10)
    with pytest.raises(ConfigError, match="metric"):
        search(NVAR(), {"alpha": [1.0]}, train, val, horizon=10, metric="r2")
    with pytest.raises(ConfigError, match="non-empty"):
        search(NVAR(), {"alpha": []}, train, val, horizon=10)
    with pytest.raises(InputError, match="validation has"):
        search(NVAR(), {"alpha": [1.0]}, train, val, horizon=150, n_context=100)
    with pytest.raises(InputError, match="no candidate"):
        search(NVAR(), {"alpha": [-1.0]}, train, val, horizon=10)
