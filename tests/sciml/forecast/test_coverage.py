"""Catalog coverage of conformal intervals."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError
from sciml.forecast import NVAR, ConformalForecaster
from sciml.forecast.coverage import conformal_coverage, pooled_coverage
from solvers.chaos import trajectory


def test_coverage_counts_match_a_hand_loop_and_failures_are_recorded() -> None:
    kw = {"horizon": 30, "context": 10, "n_windows": 12, "n_train": 300, "length": 300}
    kw["rtol"] = 1e-6
    ds = conformal_coverage(["Lorenz", "NoSuchSystem"], NVAR(), pts_per_period=50, **kw)
    assert ds.status.values[0] == "ok" and "NoSuchSystem" in ds.status.values[1]
    assert np.all(np.isnan(ds.coverage.values[1]))
    # the same protocol by hand
    x = trajectory(
        "Lorenz", 300, members=3, pts_per_period=50, rtol=1e-6, atol=1e-6, seed=0, backend="numpy"
    )
    x = x.x.transpose("member", "time", ...)
    conformal = ConformalForecaster(NVAR(), horizon=30, context=10, n_windows=12)
    conformal.fit(x.isel(member=0), calibration=x.isel(member=1))
    test = x.isel(member=2).values
    hits = np.zeros(30)
    for s in np.unique(np.linspace(0, 300 - 40, 12).round().astype(int)):
        band = conformal.forecast(test[s : s + 10], 30)
        truth = test[s + 10 : s + 40]
        hits += ((band.lower.values <= truth) & (truth <= band.upper.values)).sum(axis=1)
    np.testing.assert_array_equal(ds.hits.values[0], hits)
    assert int(ds["count"][0]) == 12 * 3
    np.testing.assert_allclose(ds.coverage.values[0], hits / 36)
    # each system is a member of the runner: another scheduler gives the same counts
    threaded = conformal_coverage(
        ["NoSuchSystem", "Lorenz"], NVAR(), pts_per_period=50, scheduler="threads", workers=2, **kw
    )
    np.testing.assert_array_equal(threaded.hits.values[1], hits)
    assert threaded.attrs["n_failed"] == 1 and threaded.status.values[1] == "ok"


def test_pooled_coverage_by_hand() -> None:
    hits = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 4.0, 0.0, 0.0], [9.0, 9.0, 9.0, 9.0]])
    ds = xr.Dataset(
        {
            "hits": (("system", "time"), hits),
            "count": ("system", [4, 4, 9]),
            "status": ("system", np.array(["ok", "ok", "failed"], dtype=object)),
        }
    )
    pooled = pooled_coverage(ds, buckets=2)
    np.testing.assert_allclose(pooled.values, [(1 + 2 + 4 + 4) / 16, (3 + 4) / 16])
    np.testing.assert_array_equal(pooled.lead.values, [2, 4])


def test_bad_coverage_arguments() -> None:
    with pytest.raises(ConfigError, match="no systems"):
        conformal_coverage([])
    with pytest.raises(ConfigError, match="alpha"):
        conformal_coverage(["Lorenz"], alpha=1.5)
    with pytest.raises(ConfigError, match="Forecaster"):
        conformal_coverage(["Lorenz"], "nvar")  # type: ignore[arg-type]
