"""Batched fits and forecasts equal the loop of single ones."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError
from sciml.forecast import ESN, NVAR, HybridESN, LinearAR, Persistence, fit_batch, forecast_batch
from sciml.forecast.reservoir import _run
from solvers.chaos import trajectory
from tests._markers import requires_numba


def _train(n: int = 400, noise: float = 0.01) -> xr.DataArray:
    rng = np.random.default_rng(1)
    t = 0.1 * np.arange(n)
    values = np.c_[np.sin(t), np.cos(1.3 * t), np.sin(0.7 * t)] + noise * rng.normal(size=(n, 3))
    return xr.DataArray(values, dims=("time", "component"), coords={"time": t})


def _check_equal_to_single_fits(batch: list, train: xr.DataArray, learned: str) -> None:
    fitted = fit_batch(batch, train.isel(time=slice(0, 300)))
    assert fitted == batch
    singles = [type(m)(**m.get_params()).fit(train.isel(time=slice(0, 300))) for m in batch]
    for model, single in zip(batch, singles, strict=True):
        np.testing.assert_array_equal(getattr(model, learned), getattr(single, learned))
    forecasts = forecast_batch(batch, train.isel(time=slice(200, 300)), 40)
    for fc, single in zip(forecasts, singles, strict=True):
        expected = single.forecast(train.isel(time=slice(200, 300)), 40)
        np.testing.assert_allclose(fc.values, expected.values, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(fc.time.values, expected.time.values)


@pytest.mark.parametrize("backend", [pytest.param("numba", marks=requires_numba), "numpy"])
def test_esn_batch_over_seeds_and_hyperparameters_equals_single_fits(backend: str) -> None:
    settings = [
        {"seed": 0},
        {"seed": 1, "spectral_radius": 0.5},
        {"seed": 2, "leak": 0.6, "input_scaling": 0.2},
        {"seed": 3, "density": 0.2, "bias": 0.1, "alpha": 1e-3},
    ]
    batch = [ESN(n_reservoir=40, washout=10, backend=backend, **kw) for kw in settings]
    _check_equal_to_single_fits(batch, _train(), "readout_")


def test_nvar_batch_over_ridge_penalties_and_structures() -> None:
    # two NVAR penalties share one Gram matrix; the LinearAR and the other NVAR structure
    # form their own groups; a model without a batched fit (Persistence) is fitted alone
    batch = [
        NVAR(alpha=1e-6),
        NVAR(alpha=1e-2),
        NVAR(delays=3, stride=2),
        LinearAR(delays=4),
        LinearAR(delays=4, alpha=1.0),
    ]
    _check_equal_to_single_fits(batch, _train(noise=0.0), "weights_")
    mixed = [Persistence(), NVAR(alpha=1e-3)]
    fit_batch(mixed, _train())
    fc = forecast_batch(mixed, _train(), 3)
    np.testing.assert_allclose(fc[0].values[0], np.tile(_train().values[-1], (3, 1)), rtol=1e-14)


def test_hybrid_esn_batch_equals_single_fits() -> None:
    lorenz = trajectory("Lorenz", 300, dt=0.01, seed=0, backend="numpy").x.isel(member=0)
    batch = [HybridESN(n_reservoir=30, washout=10, seed=s, alpha=1e-4) for s in (0, 1)]
    _check_equal_to_single_fits(batch, lorenz, "readout_")


@requires_numba
def test_one_kernel_call_drives_different_reservoirs() -> None:
    # rows with different reservoirs in one call equal each reservoir run alone
    train = _train()
    a, b = (ESN(n_reservoir=30, washout=5, seed=s).fit(train) for s in (0, 7))
    inputs = np.stack([train.values[:60], train.values[60:120]])
    together = _run([a, b], inputs)[0]
    np.testing.assert_array_equal(together[0], _run([a], inputs[:1])[0][0])
    np.testing.assert_array_equal(together[1], _run([b], inputs[1:])[0][0])
    assert not np.allclose(together[0], _run([b], inputs[:1])[0][0])


def test_bad_batches() -> None:
    with pytest.raises(ConfigError, match="non-empty"):
        fit_batch([], _train())
    with pytest.raises(ConfigError, match="non-empty"):
        fit_batch([NVAR(), "esn"], _train())  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="spectral_radius"):
        fit_batch([ESN(n_reservoir=10, spectral_radius=-1.0)], _train())
    with pytest.raises(ConfigError, match="horizon"):
        forecast_batch(fit_batch([NVAR()], _train()), _train(), 0)
