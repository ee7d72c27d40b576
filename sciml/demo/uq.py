"""Demo part: scoring synthetic ensembles, one calibrated and two flawed.

Each case has a predictable part ``mu`` (known to the forecasters) and an
observation ``mu + N(0, 1)``. Three 20-member ensemble systems forecast it:
*calibrated* draws members from ``N(mu, 1)``, *overconfident* from
``N(mu, 0.5^2)``, *biased* from ``N(mu + 0.7, 1)``. The demo scores them
with the CRPS (standard and fair), the spread-skill ratio, rank and PIT
histograms and a reliability diagram for the event ``obs >= 1``, writes the
plots and a NetCDF file with the ensembles and every diagnostic, and checks
that only the calibrated system passes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

import sciml.uq as uq
from sciml.demo._registry import DemoPart, DemoResult
from solvers.contract import with_provenance
from solvers.io import write_netcdf

N_CASES = 3000
N_MEMBERS = 20
SEED = 2024
THRESHOLD = 1.0
SYSTEMS = {"calibrated": (0.0, 1.0), "overconfident": (0.0, 0.5), "biased": (0.7, 1.0)}


def synthetic_ensembles(
    n_cases: int = N_CASES, n_members: int = N_MEMBERS, seed: int = SEED
) -> tuple[xr.Dataset, xr.DataArray]:
    """The three ensemble systems (one variable each) and the observations.

    Parameters
    ----------
    n_cases, n_members : int
        Number of cases (dim ``sample``) and of members (dim ``member``).
    seed : int
        Seed of the draws.

    Returns
    -------
    forecasts : xarray.Dataset
        One ``(sample, member)`` variable per system.
    obs : xarray.DataArray
        The observations, dim ``sample``.
    """
    rng = np.random.default_rng(seed)
    mu = 2.0 * rng.normal(size=n_cases)
    obs = xr.DataArray(
        mu + rng.normal(size=n_cases),
        dims="sample",
        name="obs",
        attrs={"units": "1", "long_name": "observation"},
    )
    forecasts = xr.Dataset()
    for name, (bias, scale) in SYSTEMS.items():
        members = mu[:, None] + bias + scale * rng.normal(size=(n_cases, n_members))
        forecasts[name] = xr.DataArray(
            members,
            dims=("sample", "member"),
            attrs={"units": "1", "long_name": f"{name} ensemble forecast"},
        )
    return forecasts, obs


def _plots(folder: Path, rank: xr.Dataset, rel: xr.Dataset, pit_hist: xr.Dataset) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for name, plot, data in (
        ("rank_histogram.png", uq.plot_rank_histogram, rank),
        ("reliability.png", uq.plot_reliability, rel),
        ("pit_histogram.png", uq.plot_pit_histogram, pit_hist),
    ):
        fig, ax = plt.subplots(figsize=(6.0, 4.5))
        plot(data, ax=ax)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        files.append(name)
    return files


def run(folder: Path, backend: str | None) -> DemoResult:
    """Score the three systems and write the diagnostics, plots and findings."""
    kernels = backend if backend in ("numpy", "numba") else None
    forecasts, obs = synthetic_ensembles()
    systems = xr.DataArray(list(SYSTEMS), dims="system", name="system")

    def by_system(ds: xr.Dataset) -> xr.Dataset:
        return ds.rename(variable="system").assign_coords(system=systems)

    crps = forecasts.sciml.crps(obs, backend=kernels)
    crps_fair = forecasts.sciml.crps(obs, fair=True, backend=kernels)
    rank = by_system(forecasts.sciml.rank_histogram(obs, seed=SEED, backend=kernels))
    pit_hist = by_system(forecasts.sciml.pit_histogram(obs, seed=SEED, backend=kernels))
    skill = by_system(forecasts.sciml.spread_skill(obs))
    rel = by_system(forecasts.sciml.reliability(obs, threshold=THRESHOLD))
    brier = forecasts.sciml.brier_score(obs, threshold=THRESHOLD, fair=True)

    def stacked(ds: xr.Dataset, long_name: str) -> xr.DataArray:
        mean = ds.mean("sample").to_dataarray("system").assign_coords(system=systems)
        return mean.assign_attrs(units="1", long_name=long_name)

    out = xr.Dataset(
        {
            "forecast": forecasts.to_dataarray("system")
            .assign_coords(system=systems)
            .assign_attrs(units="1", long_name="ensemble forecast"),
            "obs": obs,
            "crps": stacked(crps, "mean CRPS"),
            "crps_fair": stacked(crps_fair, "mean fair CRPS"),
            "brier_fair": stacked(brier, f"mean fair Brier score of obs >= {THRESHOLD:g}"),
            "spread": skill["spread"],
            "rmse": skill["rmse"],
            "spread_skill_ratio": skill["ratio"],
            "rank_frequency": rank["frequency"],
            "rank_delta": rank["delta"],
            "rank_p_value": rank["p_value"],
            "pit_density": pit_hist["density"],
            "reliability_forecast": rel["forecast_probability"],
            "reliability_observed": rel["observed_frequency"],
        }
    )
    out["system"].attrs.update(units="1", long_name="ensemble system")
    config = {
        "n_cases": N_CASES,
        "n_members": N_MEMBERS,
        "threshold": THRESHOLD,
        "systems": {name: {"bias": b, "scale": s} for name, (b, s) in SYSTEMS.items()},
    }
    out = with_provenance(out, backend=kernels or "numba", seed=SEED, config=config)
    write_netcdf(out, folder / "uq_scores.nc", overwrite=True, extra_dims=["system", "rank", "bin"])
    files = ["uq_scores.nc", *_plots(folder, rank, rel, pit_hist)]

    expected = float(skill["expected_ratio"][0])  # one M for all systems
    findings = []
    for name in SYSTEMS:
        findings.append(
            f"{name}: CRPS {float(out.crps.sel(system=name)):.3f} "
            f"(fair {float(out.crps_fair.sel(system=name)):.3f}), "
            f"RMSE/spread {float(skill['ratio'].sel(system=name)):.2f} "
            f"(calibrated: {expected:.2f}), rank histogram "
            f"delta {float(rank['delta'].sel(system=name)):.1f} "
            f"(p = {float(rank['p_value'].sel(system=name)):.2g})"
        )
    passed = [str(s) for s in systems.values if float(rank["p_value"].sel(system=s)) > 0.01]
    findings.append(f"systems with a flat rank histogram (p > 0.01): {', '.join(passed) or 'none'}")
    return DemoResult(files=files, findings=findings)


PART = DemoPart("uq", "Uncertainty quantification: scoring ensembles", run)
