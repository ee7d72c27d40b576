"""Coverage of per-lead-time conformal intervals over catalog systems.

For each system, three trajectories from different initial conditions (as
in :mod:`sciml.forecast.bench`): the model is fitted on the first ``n_train``
points of trajectory 0, a :class:`~sciml.forecast.ConformalForecaster` is
calibrated on ``n_windows`` windows spread over trajectory 1 (``length``
points), and its intervals are checked on as many windows of trajectory 2. The result counts, per
system and lead, the test points inside the interval, so coverage can be
pooled over systems at each lead (:func:`pooled_coverage`). Each system is
one member of :func:`sciml.ensemble.run_ensemble` (any scheduler; a system
that fails is recorded in ``status``, the others go on).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, NumericalInstability
from sciml.forecast.base import Forecaster, check_fraction, check_int
from sciml.forecast.reservoir import NVAR
from sciml.forecast.uncertainty import ConformalForecaster
from solvers.contract import NAN_MEANS

__all__ = ["conformal_coverage", "pooled_coverage"]


def coverage_system(system: str, model: Forecaster, config: Mapping[str, Any]) -> dict[str, Any]:
    """Hits and widths per lead for one system (see the module docstring).

    Raises
    ------
    SciMLError, ValueError, ArithmeticError, RuntimeError
        The system is unknown, cannot be integrated, or the model fails on it.
    """
    from solvers.chaos import get, trajectory

    horizon, context, n_windows = config["horizon"], config["context"], config["n_windows"]
    n_train, length = config["n_train"], config["length"]
    ds = trajectory(
        get(system),
        max(n_train, length),
        members=3,
        pts_per_period=config["pts_per_period"],
        rtol=config["rtol"],
        atol=config["rtol"],
        seed=config["seed"],
        backend=config["backend"],
    )
    x = ds.x.transpose("member", "time", ...)
    if not np.all(np.isfinite(x.values)):
        raise NumericalInstability(f"{system}: the integration gave non-finite values")
    clone = type(model)(**model.get_params())
    conformal = ConformalForecaster(
        clone, alpha=config["alpha"], horizon=horizon, context=context, n_windows=n_windows
    )
    with np.errstate(over="ignore", invalid="ignore"):
        conformal.fit(x.isel(member=0, time=slice(0, n_train)), calibration=x.isel(member=1))
        test = x.isel(member=2).values
        test = test if test.ndim == 2 else test[:, None]
        last = len(test) - context - horizon
        starts = np.unique(np.linspace(0, last, n_windows).round().astype(int))
        hits = np.zeros(horizon)
        width = np.zeros(horizon)
        spread = test.std(0)
        spread = np.where(spread > 0, spread, np.nan)  # a constant component: width undefined
        for s in starts:
            band = conformal.forecast(test[s : s + context], horizon)
            truth = test[s + context : s + context + horizon]
            inside = (band.lower.values <= truth) & (truth <= band.upper.values)
            hits += inside.sum(axis=1)
            width += ((band.upper - band.lower).values / spread).sum(axis=1)
    count = len(starts) * test.shape[1]
    return {"hits": hits, "count": count, "width": width / count}


@dataclass(frozen=True)
class _SystemCoverage:
    """The runner's member function of :func:`conformal_coverage` (member ``k``: ``systems[k]``)."""

    model: Forecaster

    def __call__(
        self, config: Mapping[str, Any], index: int, rng: np.random.Generator
    ) -> xr.Dataset:
        result = coverage_system(config["systems"][index], self.model, config)
        return xr.Dataset(
            {
                "hits": ("time", result["hits"], {"long_name": "test points inside", "units": "1"}),
                "count": ((), result["count"], {"long_name": "test points per lead", "units": "1"}),
                "width": (
                    "time",
                    result["width"],
                    {
                        "long_name": "relative width",
                        "units": "1",
                        NAN_MEANS: "a component without spread on the test trajectory",
                    },
                ),
            }
        )


def conformal_coverage(
    systems: Sequence[str],
    model: Forecaster | None = None,
    *,
    alpha: float = 0.1,
    horizon: int = 200,
    context: int = 100,
    n_windows: int = 50,
    n_train: int = 1000,
    length: int = 1000,
    pts_per_period: int = 100,
    rtol: float = 1e-10,
    seed: int = 0,
    backend: str = "numpy",
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Test-set coverage of conformal intervals around ``model``, per system and lead.

    Parameters
    ----------
    systems : sequence of str
        Catalog names.
    model : Forecaster, optional
        The point forecaster (default :class:`~sciml.forecast.NVAR`); copied per system.
    alpha : float, default 0.1
        Miscoverage of the intervals (0.1: 90% intervals).
    horizon, context, n_windows
        As in :class:`~sciml.forecast.ConformalForecaster`; the test uses as many windows.
    length : int, default 1000
        Points of the calibration and test trajectories (longer: windows further
        apart, closer to independent, and spanning more of the attractor).
    n_train, pts_per_period, rtol, seed, backend, workers, scheduler, progress
        As in :func:`sciml.forecast.bench.run`.

    Returns
    -------
    xarray.Dataset
        ``hits`` (system, time: test points inside the interval, over windows
        and components), ``count`` (system: points per lead), ``coverage``
        (system, time), ``width`` (system, time: mean interval width relative to
        each component's spread; about 1e12 where forecasts diverge) and
        ``status`` (system).
    """
    model = NVAR() if model is None else model
    if not isinstance(model, Forecaster):
        raise ConfigError(f"model must be a sciml Forecaster, got {type(model).__name__}")
    check_fraction("alpha", alpha)
    for name, value in (("horizon", horizon), ("context", context), ("n_train", n_train)):
        check_int(name, value)
    check_int("n_windows", n_windows, 2)
    check_int("length", length, context + horizon)
    check_int("workers", workers)
    names = [str(s) for s in systems]
    if not names:
        raise ConfigError("no systems to check")
    config = {
        "alpha": alpha, "horizon": horizon, "context": context, "n_windows": n_windows,
        "length": length,
        "n_train": n_train, "pts_per_period": pts_per_period, "rtol": rtol, "seed": seed,
        "backend": backend,
    }  # fmt: skip
    from sciml.ensemble import failures_of, run_ensemble

    runs = run_ensemble(
        _SystemCoverage(model), len(names), seed=seed,
        scheduler=scheduler or ("serial" if workers == 1 else "processes"), workers=workers,
        chunk_size=1, config={"systems": names, "model": repr(model), **config},
        backend=backend, progress=progress,
    ).load()  # fmt: skip
    nan = np.full((len(names), horizon), np.nan)
    hits = runs["hits"].values if "hits" in runs else nan
    width = runs["width"].values if "width" in runs else nan
    # a failed system's count is NaN in the ensemble: none of its points were tested
    count = np.nan_to_num(runs["count"].values if "count" in runs else np.zeros(len(names)))
    count = count.astype(int)
    status = np.full(len(names), "ok", dtype=object)
    for failure in failures_of(runs):
        status[failure.member] = f"{failure.error_type}: {failure.message}"
    lead = ("time", np.arange(1, horizon + 1), {"long_name": "lead time", "units": "steps"})
    return xr.Dataset(
        {
            "hits": (("system", "time"), hits, {"long_name": "test points inside", "units": "1"}),
            "count": ("system", count, {"long_name": "test points per lead", "units": "1"}),
            "coverage": (
                ("system", "time"),
                hits / np.where(count > 0, count, np.nan)[:, None],
                {"long_name": f"coverage of the {1 - alpha:.0%} conformal interval", "units": "1"},
            ),
            "width": (("system", "time"), width, {"long_name": "relative width", "units": "1"}),
            "status": ("system", status, {"long_name": "run status"}),
        },
        coords={"system": names, "time": lead},
        attrs={**runs.attrs, "alpha": alpha, "model": repr(model)},
    )


def pooled_coverage(ds: xr.Dataset, buckets: int = 4) -> xr.DataArray:
    """Coverage pooled over the systems that ran, in ``buckets`` equal lead-time ranges.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`conformal_coverage`.
    buckets : int, default 4
        Number of lead-time buckets.

    Returns
    -------
    xarray.DataArray
        ``coverage`` over ``bucket`` (the bucket's last lead as coordinate ``lead``).
    """
    check_int("buckets", buckets)
    ok = ds.sel(system=ds.status == "ok")
    edges = np.linspace(0, ds.sizes["time"], buckets + 1).round().astype(int)
    ranges = list(itertools.pairwise(edges))
    hits = [float(ok.hits.isel(time=slice(a, b)).sum()) for a, b in ranges]
    totals = [float(ok["count"].sum()) * (b - a) for a, b in ranges]
    values = np.array(hits) / np.where(np.array(totals) > 0, totals, np.nan)
    return xr.DataArray(
        values,
        dims="bucket",
        coords={"lead": ("bucket", edges[1:])},
        name="pooled_coverage",
        attrs={
            "long_name": "pooled conformal coverage",
            "units": "1",
            "systems": ok.sizes["system"],
        },
    )
