"""torch forecasters: the estimator contract at tiny sizes, learning a periodic orbit."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast import (
    LSTMForecaster,
    NBeats,
    NeuralODE,
    Persistence,
    TransformerForecaster,
    load,
    metrics,
)
from tests._markers import requires_torch

pytestmark = requires_torch


def _circle(n: int, per: int = 25) -> xr.DataArray:
    t = 2 * np.pi / per * np.arange(n)
    return xr.DataArray(np.c_[np.sin(t), np.cos(t)], dims=("time", "component"))


TINY = [
    NBeats(lookback=8, chunk=4, width=16, blocks=2, layers=1, epochs=2),
    LSTMForecaster(lookback=8, hidden=8, epochs=2),
    TransformerForecaster(lookback=8, d_model=8, heads=2, layers=1, epochs=2),
    NeuralODE(hidden=8, layers=1, unroll=2, epochs=2),
]


@pytest.mark.parametrize("model", TINY, ids=lambda m: type(m).__name__)
def test_contract(model, tmp_path) -> None:
    train = _circle(80)
    params = model.get_params()
    assert model.fit(train) is model
    assert model.get_params() == params
    assert model.weights_.dtype == np.float64 and model.loss_.shape == (2,)
    fc = model.forecast(train, 11, members=2, perturbation=0.01)
    assert fc.shape == (2, 11, 2) and np.all(np.isfinite(fc.values))
    again = type(model)(**params).fit(train).forecast(train, 11, members=2, perturbation=0.01)
    np.testing.assert_array_equal(fc.values, again.values)
    back = load(model.save(tmp_path / "m.npz")).forecast(train, 11, members=2, perturbation=0.01)
    np.testing.assert_allclose(back.values, fc.values, rtol=1e-6, atol=1e-6)


def test_nbeats_learns_a_periodic_orbit() -> None:
    data = _circle(250)
    model = NBeats(lookback=25, chunk=5, width=24, blocks=2, layers=1, epochs=10, lr=5e-3)
    model.fit(data.isel(time=slice(0, 200)))
    assert model.loss_[-1] < 0.05 * model.loss_[0]
    fc = model.forecast(data.isel(time=slice(0, 200)), 50).isel(member=0)
    naive = Persistence().fit(data).forecast(data.isel(time=slice(0, 200)), 50).isel(member=0)
    truth = data.isel(time=slice(200, 250))
    assert float(metrics.rmse(fc, truth)) < 0.2 * float(metrics.rmse(naive, truth))


def test_bad_input() -> None:
    with pytest.raises(InputError, match="needs at least"):
        LSTMForecaster(lookback=50).fit(_circle(30))
    with pytest.raises(ConfigError, match="heads"):
        TransformerForecaster(d_model=10, heads=4).fit(_circle(100))
    with pytest.raises(ConfigError, match="epochs"):
        NeuralODE(epochs=0).fit(_circle(100))
