"""Forecasting Lorenz: NVAR, an ESN seed ensemble and per-lead-time conformal bands.

Run ``python examples/forecast_lorenz.py --output out/`` to write
``out/forecast_lorenz.nc`` (truth, forecasts, interval bounds) and
``out/forecast_lorenz.png``. The NVAR (two delays, quadratic features,
trained on 10 time units at dt = 0.025, as in Gauthier et al. 2021) must
stay valid (NRMSE < 0.5) for at least 4 Lyapunov times, the reference value
of that paper's Lorenz experiment.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import xarray as xr

from sciml.forecast import ESN, NVAR, ConformalForecaster, SeedEnsemble, metrics, plot_forecast
from solvers import chaos

DT = 0.025


def main(output: Path, horizon: int = 600, n_models: int = 4) -> xr.Dataset:
    n_train = round(10 / DT)
    x = chaos.trajectory("Lorenz", n_train + horizon, members=3, dt=DT, seed=3, backend="numpy").x
    train, calibration, test = (x.isel(member=m, drop=True) for m in range(3))
    context, truth = test.isel(time=slice(0, n_train)), test.isel(time=slice(n_train, None))

    nvar = ConformalForecaster(NVAR(delays=2, degree=2), horizon=horizon, context=10, n_windows=40)
    nvar.fit(train.isel(time=slice(0, n_train)), calibration=calibration)
    band = nvar.forecast(context, horizon)
    esn = SeedEnsemble(ESN(n_reservoir=300), n_models=n_models, seed=3)
    fan = esn.fit(train.isel(time=slice(0, n_train))).forecast(context, horizon, 2, 1e-3)

    steps = chaos.get("Lorenz").lyapunov_time / DT
    scale = train.std("time").values
    vpt = float(metrics.valid_prediction_time_nrmse(band.forecast, truth, steps, scale=scale))
    vpt_esn = metrics.valid_prediction_time_nrmse(fan, truth, steps, scale=scale)
    print(f"NVAR valid for {vpt:.2f} Lyapunov times (reference: >= 4)")
    print(f"ESN ensemble members valid for {float(vpt_esn.min()):.2f}-{float(vpt_esn.max()):.2f}")
    cover = float(metrics.coverage(band.lower, band.upper, truth))
    print(f"90% conformal band covers {cover:.0%} of this forecast")
    if vpt < 4:
        raise SystemExit("NVAR fell short of the 4 Lyapunov times of the reference experiment")

    tc = ("time", "component")
    ds = xr.Dataset(
        {
            "truth": (tc, truth.values, {"units": "1", "long_name": "Lorenz state"}),
            "nvar": (tc, band.forecast.values, {"units": "1", "long_name": "NVAR forecast"}),
            "nvar_lower": (tc, band.lower.values, {"units": "1", "long_name": "90% lower bound"}),
            "nvar_upper": (tc, band.upper.values, {"units": "1", "long_name": "90% upper bound"}),
            "esn": (("member", *tc), fan.values, {"units": "1", "long_name": "ESN ensemble"}),
        },
        coords={"time": ("time", truth.time.values, {"units": "1"}), "component": [0, 1, 2]},
        attrs={"nvar_vpt_lyapunov_times": vpt, "conformal_coverage": cover},
    )
    output.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(output / "forecast_lorenz.nc")

    plot_forecast(
        truth, fan, band=band, lyapunov_time_steps=steps, labels=["x", "y", "z"],
        title="Lorenz: ESN seed ensemble (blue), NVAR with its 90% conformal band (orange)",
        path=output / "forecast_lorenz.png",
    )  # fmt: skip
    return ds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("out"))
    parser.add_argument("--quick", action="store_true", help="a small run")
    args = parser.parse_args()
    if args.quick:
        main(args.output, horizon=200, n_models=2)
    else:
        main(args.output)
