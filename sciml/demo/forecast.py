"""Demo part: forecasting chaotic systems with ensembles and conformal intervals.

Lorenz at 100 points per period: an NVAR and a seed ensemble of echo state
networks are fitted on 1,000 points of one trajectory; the NVAR gets
per-lead-time 90% conformal intervals calibrated on windows of a second
trajectory, and both forecast 800 steps (about 11 Lyapunov times) of a third. The demo writes the
forecasts (NetCDF) and a plot of the ensemble fan and the conformal band,
and runs the benchmark protocol on three systems with the fast models
(a Zarr store and a Markdown table).
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from sciml.demo._registry import DemoPart, DemoResult
from sciml.forecast import (
    ESN,
    NVAR,
    ConformalForecaster,
    SeedEnsemble,
    bench,
    metrics,
    plot_forecast,
)
from solvers.chaos import get, trajectory
from solvers.contract import with_provenance
from solvers.io import write_netcdf

SEED = 11
N_TRAIN, N_FORECAST = 1000, 800
BENCH_SYSTEMS = ("Lorenz", "Rossler", "Thomas")


def lorenz_forecasts(backend: str | None = "numpy") -> xr.Dataset:
    """Truth, NVAR forecast with its conformal band and the ESN ensemble on Lorenz.

    Parameters
    ----------
    backend : str, optional
        Integration backend of :func:`solvers.chaos.trajectory`.

    Returns
    -------
    xarray.Dataset
        ``truth``, ``nvar``, ``nvar_lower``, ``nvar_upper`` (time, component)
        and ``esn`` (member, time, component).
    """
    x = trajectory("Lorenz", N_TRAIN + N_FORECAST, members=3, seed=SEED, backend=backend).x
    train, calib, test = (x.isel(member=m, drop=True) for m in range(3))
    conformal = ConformalForecaster(NVAR(), horizon=N_FORECAST, context=20, n_windows=40)
    conformal.fit(train.isel(time=slice(0, N_TRAIN)), calibration=calib)
    context = test.isel(time=slice(0, N_TRAIN))
    band = conformal.forecast(context, N_FORECAST)
    ensemble = SeedEnsemble(ESN(n_reservoir=300), n_models=4, seed=SEED)
    esn = ensemble.fit(train.isel(time=slice(0, N_TRAIN))).forecast(
        context, N_FORECAST, members=2, perturbation=1e-3
    )
    truth = test.isel(time=slice(N_TRAIN, None))
    tc = ("time", "component")
    attrs = {"units": "1"}
    return xr.Dataset(
        {
            "truth": (tc, truth.values, {"long_name": "Lorenz state", **attrs}),
            "nvar": (tc, band["forecast"].values, {"long_name": "NVAR forecast", **attrs}),
            "nvar_lower": (tc, band["lower"].values, dict(band["lower"].attrs)),
            "nvar_upper": (tc, band["upper"].values, dict(band["upper"].attrs)),
            "esn": (("member", *tc), esn.values, {"long_name": "ESN ensemble forecast", **attrs}),
        },
        coords={
            "time": ("time", truth["time"].values, {"units": "1", "long_name": "time"}),
            "component": truth["component"].values,
        },
    )


def _plot(folder: Path, ds: xr.Dataset, steps: float) -> str:
    band = xr.Dataset({"lower": ds.nvar_lower, "upper": ds.nvar_upper, "forecast": ds.nvar})
    plot_forecast(
        ds.truth, ds.esn, band=band, lyapunov_time_steps=steps, labels=["x", "y", "z"],
        title="Lorenz: ESN seed ensemble (blue), NVAR with its 90% conformal band (orange)",
        path=folder / "forecast_lorenz.png",
    )  # fmt: skip
    return "forecast_lorenz.png"


def run(folder: Path, backend: str | None) -> DemoResult:
    """Fit, forecast, calibrate and benchmark; write data, plots and findings."""
    integrate = backend if backend in ("numpy", "numba", "jax") else "numpy"
    ds = lorenz_forecasts(integrate)
    dt = float(ds.time[1] - ds.time[0])
    steps = float(get("Lorenz").lyapunov_time or 1.0) / dt
    config = {"system": "Lorenz", "n_train": N_TRAIN, "n_forecast": N_FORECAST}
    out = with_provenance(ds, backend=integrate, seed=SEED, config=config)
    write_netcdf(out, folder / "forecast_lorenz.nc", overwrite=True, validate=False)
    files = ["forecast_lorenz.nc", _plot(folder, ds, steps)]

    vpt_nvar = float(metrics.valid_prediction_time_nrmse(ds.nvar, ds.truth, steps))
    vpt_esn = metrics.valid_prediction_time_nrmse(ds.esn, ds.truth, steps)
    cover = float(metrics.coverage(ds.nvar_lower, ds.nvar_upper, ds.truth))
    fast = bench.default_models()
    results = bench.run(
        BENCH_SYSTEMS,
        {name: fast[name] for name in ("persistence", "linear", "nvar")},
        backend=integrate,
        output=folder / "forecast_bench.zarr",
    )
    table = bench.markdown_table(results)
    (folder / "forecast_bench.md").write_text(table)
    bench.plot_results(results, folder / "forecast_bench.png")
    files += ["forecast_bench.zarr", "forecast_bench.md", "forecast_bench.png"]
    findings = [
        f"Lorenz, {N_FORECAST}-step forecast ({N_FORECAST / steps:.1f} Lyapunov times): NVAR "
        f"valid (NRMSE < 0.5) for {vpt_nvar:.2f} Lyapunov times, ESN members "
        f"{float(vpt_esn.min()):.2f}-{float(vpt_esn.max()):.2f}",
        f"NVAR 90% conformal band covers {cover:.0%} of this test forecast",
        f"benchmark (protocol of sciml.forecast.bench, 200 steps) on "
        f"{', '.join(BENCH_SYSTEMS)}:\n\n{table}",
    ]
    return DemoResult(files=files, findings=findings)


PART = DemoPart("forecast", "Forecasting chaotic systems with uncertainty", run)
