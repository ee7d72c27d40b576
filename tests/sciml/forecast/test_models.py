"""Forecasters: the estimator contract, reference problems, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError, SciMLError
from sciml.forecast import (
    ESN,
    NVAR,
    Climatology,
    Forecaster,
    HybridESN,
    LinearAR,
    Persistence,
    load,
    metrics,
)
from sciml.forecast.reservoir import _run
from solvers.chaos import get, trajectory
from tests._markers import requires_numba


def _series(values: np.ndarray, dt: float = 1.0) -> xr.DataArray:
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    t = dt * np.arange(len(values))
    return xr.DataArray(
        values,
        dims=("time", "component"),
        coords={"time": t, "component": np.arange(values.shape[1])},
    )


def _noisy_rotation(n: int = 300, seed: int = 0) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    t = 0.1 * np.arange(n)
    return _series(
        np.c_[np.sin(t), np.cos(1.3 * t), np.sin(0.7 * t)] + 0.01 * rng.normal(size=(n, 3)), 0.1
    )


def _models() -> list[Forecaster]:
    return [
        Persistence(),
        Climatology(),
        LinearAR(delays=3),
        NVAR(delays=2, degree=2),
        ESN(n_reservoir=40, washout=10),
        HybridESN(system="Lorenz", n_reservoir=40, washout=10),
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: type(m).__name__)
def test_estimator_contract(model: Forecaster, tmp_path) -> None:
    train = _noisy_rotation()
    before = set(vars(model))
    params = model.get_params()
    assert model.fit(train) is model
    learned = set(vars(model)) - before
    assert learned and all(name.endswith("_") for name in learned)
    assert model.get_params() == params  # fit does not touch the parameters
    fc = model.forecast(train.isel(time=slice(-20, None)), 15, members=3, perturbation=0.01)
    assert fc.dims == ("member", "time", "component")
    assert fc.shape == (3, 15, 3)
    np.testing.assert_allclose(fc.time.values, train.time.values[-1] + 0.1 * np.arange(1, 16))
    assert np.all(np.isfinite(fc.values))
    # same seed, same forecast; a clone from the parameters refits identically
    twin = type(model)(**params).fit(train)
    again = twin.forecast(train.isel(time=slice(-20, None)), 15, members=3, perturbation=0.01)
    np.testing.assert_array_equal(fc.values, again.values)
    restored = load(model.save(tmp_path / "model.npz"))
    assert type(restored) is type(model)
    back = restored.forecast(train.isel(time=slice(-20, None)), 15, members=3, perturbation=0.01)
    np.testing.assert_array_equal(fc.values, back.values)


def test_persistence_and_climatology_by_hand() -> None:
    train = _series([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    p = Persistence().fit(train).forecast(train, 4)
    np.testing.assert_allclose(p.values[0], np.tile([5.0, 60.0], (4, 1)))
    c = Climatology().fit(train).forecast(train, 2)
    np.testing.assert_allclose(c.values[0], np.tile([3.0, 30.0], (2, 1)))


def test_linear_ar_recovers_a_sine_exactly() -> None:
    # sin obeys x[t+1] = 2 cos(w) x[t] - x[t-1]: a linear AR(2) without error
    w = 2 * np.pi / 37
    x = np.sin(w * np.arange(400) + 0.3)
    model = LinearAR(delays=2, alpha=0.0).fit(_series(x[:200]))
    fc = model.forecast(_series(x[:200]), 200)
    np.testing.assert_allclose(fc.values[0, :, 0], x[200:], atol=1e-8)


def test_nvar_lorenz_four_lyapunov_times() -> None:
    dt = 0.025
    n_train = round(10 / dt)
    ds = trajectory("Lorenz", n_train + 240, dt=dt, seed=0, backend="numpy")
    x = ds.x.isel(member=0)
    model = NVAR(delays=2, degree=2).fit(x.isel(time=slice(0, n_train)))
    fc = model.forecast(x.isel(time=slice(0, n_train)), 240).isel(member=0)
    truth = x.isel(time=slice(n_train, None))
    steps = get("Lorenz").lyapunov_time / dt
    four = round(4 * steps)
    err = metrics.nrmse(fc.isel(time=slice(0, four)), truth.isel(time=slice(0, four)))
    assert float(err) < 0.5
    vpt = metrics.valid_prediction_time_nrmse(fc, truth, steps, scale=x.std("time").values)
    assert float(vpt) >= 4.0


def test_esn_sine_100_periods() -> None:
    per = 50
    t = 2 * np.pi / per * np.arange(2000 + 100 * per)
    x = _series(np.sin(t), 2 * np.pi / per)
    model = ESN(n_reservoir=100, alpha=1e-8, seed=0).fit(x.isel(time=slice(0, 2000)))
    fc = model.forecast(x.isel(time=slice(1500, 2000)), 100 * per)
    np.testing.assert_allclose(fc.values[0, :, 0], np.sin(t[2000:]), atol=1e-3)


@pytest.mark.parametrize("n", [400, 1000])
def test_reservoir_spectral_radius_matches_dense_lapack(n: int) -> None:
    # peer: LAPACK's full eigenvalue solve of the same matrix; at 1,000 units these seeds
    # made a one-eigenvalue ARPACK settle 0.5-1% inside the largest
    worst = 0.0
    for seed in (0, 3, 5):
        model = ESN(n_reservoir=n, density=20 / n, spectral_radius=0.9, seed=seed)
        model._build(3)
        worst = max(worst, abs(np.abs(np.linalg.eigvals(model.reservoir_)).max() - 0.9))
    assert worst < (1e-5 if n == 1000 else 5e-3)


def test_seed_changes_the_esn() -> None:
    train = _noisy_rotation()
    a = ESN(n_reservoir=30, washout=5, seed=1).fit(train).forecast(train, 30)
    b = ESN(n_reservoir=30, washout=5, seed=2).fit(train).forecast(train, 30)
    assert not np.allclose(a.values, b.values)


def test_bad_input() -> None:
    train = _noisy_rotation()
    with pytest.raises(InputError, match="needs at least"):
        NVAR(delays=5, stride=3).fit(train.isel(time=slice(0, 10)))
    with pytest.raises(InputError, match="needs at least"):
        ESN(washout=50).fit(train.isel(time=slice(0, 40)))
    bad = train.copy()
    bad[3, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        LinearAR().fit(bad)
    model = NVAR().fit(train)
    with pytest.raises(InputError, match="NaN"):
        model.forecast(bad.isel(time=slice(0, 5)), 3)
    with pytest.raises(InputError, match="components"):
        model.forecast(_series(np.ones((5, 4))), 3)
    with pytest.raises(InputError, match="needs at least"):
        NVAR(delays=4).fit(train).forecast(train.isel(time=slice(0, 2)), 3)
    for horizon in (0, -2, 2.5):
        with pytest.raises(ConfigError, match="horizon"):
            model.forecast(train, horizon)
    with pytest.raises(InputError, match="not fitted"):
        Persistence().forecast(train, 3)
    with pytest.raises(ConfigError, match="leak"):
        ESN(leak=1.5).fit(train)
    with pytest.raises(ConfigError, match="delays"):
        NVAR(delays=0).fit(train)
    with pytest.raises(SciMLError):
        ESN().set_params(nope=1)


def test_several_training_trajectories() -> None:
    a, b = _noisy_rotation(seed=0), _noisy_rotation(seed=1)
    both = xr.concat([a, b], dim="member")
    model = NVAR().fit(both)
    assert model.forecast(a, 5).shape == (1, 5, 3)


def test_hybrid_esn_beats_its_parts_on_lorenz() -> None:
    # Pathak et al. 2018: a reservoir plus a 20%-wrong model outlasts either alone
    dt, n = 0.02, 600
    x = trajectory("Lorenz", n + 1000, dt=dt, seed=1, backend="numpy").x.isel(member=0)
    train, truth = x.isel(time=slice(0, n)), x.isel(time=slice(n, None))
    steps = get("Lorenz").lyapunov_time / dt
    scale = x.std("time").values

    def vpt(fc: xr.DataArray) -> float:
        return float(metrics.valid_prediction_time_nrmse(fc, truth, steps, scale=scale))

    esn = ESN(n_reservoir=100, washout=20).fit(train).forecast(train, 1000).isel(member=0)
    hybrid = HybridESN(system="Lorenz", params={"rho": 33.6}, n_reservoir=100, washout=20)
    both = hybrid.fit(train).forecast(train, 1000).isel(member=0)
    wrong = trajectory(
        "Lorenz", 1001, dt=dt, ic=train.values[-1], params={"rho": 33.6}, backend="numpy"
    ).x.isel(member=0, time=slice(1, None))
    assert vpt(both) > 1.5 * vpt(esn)
    assert vpt(both) > 1.5 * vpt(wrong)
    with pytest.raises(InputError, match="components"):
        HybridESN(system="Lorenz", washout=5).fit(_series(np.ones((100, 2))))


@requires_numba
def test_esn_numba_loop_matches_the_numpy_reference() -> None:
    train = _noisy_rotation()
    kw = {"n_reservoir": 60, "washout": 10, "leak": 0.7, "seed": 5}
    fast, ref = ESN(backend="numba", **kw).fit(train), ESN(backend="numpy", **kw).fit(train)
    inputs = np.stack([train.values[:50], train.values[50:100]])
    states, last, _ = _run([fast, fast], inputs)
    ref_states, ref_last, _ = _run([ref, ref], inputs)
    np.testing.assert_allclose(states, ref_states, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(last, states[:, -1])
    np.testing.assert_allclose(last, ref_last, rtol=1e-12, atol=1e-12)
    # closed-loop forecasts amplify round-off: compare the first steps only
    a = fast.forecast(train, 5, members=2, perturbation=0.01)
    b = ref.forecast(train, 5, members=2, perturbation=0.01)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6, atol=1e-6)
