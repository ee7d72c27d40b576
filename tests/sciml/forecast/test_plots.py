"""Forecast-versus-truth plots."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import InputError
from sciml.forecast import ESN, NVAR, ConformalForecaster, SeedEnsemble
from sciml.forecast.plots import plot_forecast


def _sine(n: int, phase: float = 0.0) -> xr.DataArray:
    t = 0.1 * np.arange(n)
    values = np.c_[np.sin(t + phase), np.cos(t + phase)]
    return xr.DataArray(values, dims=("time", "component"), coords={"time": t})


def test_plot_draws_members_mean_band_truth_and_context(tmp_path) -> None:
    series = _sine(400, 0.3)
    context, truth = series.isel(time=slice(0, 300)), series.isel(time=slice(300, None))
    fan = SeedEnsemble(ESN(n_reservoir=20, washout=10), n_models=3).fit(_sine(300))
    fc = fan.forecast(context, 100)
    band = (
        ConformalForecaster(NVAR(), horizon=100, context=20, n_windows=20)
        .fit(_sine(300), calibration=_sine(300, 1.0))
        .forecast(context, 100)
    )
    fig = plot_forecast(
        truth, fc, band=band, context=context.isel(time=slice(-50, None)),
        lyapunov_time_steps=50.0, labels=["x", "y"], title="sine", path=tmp_path / "f.png",
    )  # fmt: skip
    assert (tmp_path / "f.png").stat().st_size > 0
    top, bottom = fig.axes
    assert top.get_ylabel() == "x" and bottom.get_xlabel() == "lead time (Lyapunov times)"
    lines = top.get_lines()
    # context, the band's centre, 3 members, the member mean, the truth
    assert len(lines) == 1 + 1 + 3 + 1 + 1
    np.testing.assert_allclose(lines[1].get_ydata(), band.forecast.values[:, 0])
    np.testing.assert_allclose(lines[-1].get_ydata(), truth.values[:, 0])
    np.testing.assert_allclose(lines[-2].get_ydata(), fc.mean("member").values[:, 0])
    np.testing.assert_allclose(lines[-1].get_xdata(), np.arange(1, 101) / 50.0)
    np.testing.assert_allclose(lines[0].get_xdata()[-1], 0.0, atol=1e-12)  # context ends at lead 0
    assert len(top.collections) == 1  # the interval


def test_plot_single_forecast_and_bad_input() -> None:
    truth = _sine(50)
    fig = plot_forecast(truth, truth * 0, components=[0])
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), truth.time.values)
    with pytest.raises(InputError, match="truth has 50"):
        plot_forecast(truth, _sine(40))
    with pytest.raises(InputError, match="components"):
        plot_forecast(truth, components=[5])
    with pytest.raises(InputError, match="lower"):
        plot_forecast(truth, band=xr.Dataset({"lower": truth}))
    with pytest.raises(InputError, match="DataArray"):
        plot_forecast(truth.values)  # type: ignore[arg-type]
