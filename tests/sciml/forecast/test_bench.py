"""The benchmark harness and the ``sciml chaos-bench`` command."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from gpu.errors import ConfigError
from sciml.cli import app
from sciml.forecast import NVAR, Persistence, bench, metrics
from solvers.chaos import trajectory

SMALL = {"n_train": 150, "n_context": 150, "n_forecast": 40, "pts_per_period": 40}


def test_run_scores_match_the_metrics_on_the_protocol(tmp_path) -> None:
    models = {"persistence": Persistence(), "nvar": [NVAR(alpha=1e-6), NVAR(alpha=1e-2)]}
    ds = bench.run(["Lorenz", "NoSuchSystem"], models, output=tmp_path / "r.zarr", **SMALL)
    assert ds.score.dims == ("system", "model", "metric")
    assert list(ds.model.values) == ["persistence", "nvar"]
    assert {"smape", "vpt", "vpt_nrmse"} <= set(ds.metric.values)
    assert list(ds.status.sel(system="Lorenz").values) == ["ok", "ok"]
    assert all(
        "NoSuchSystem" in s or "unknown" in s for s in ds.status.sel(system="NoSuchSystem").values
    )
    assert np.isnan(ds.score.sel(system="NoSuchSystem")).all()
    # peer: the persistence score recomputed from the same trajectories
    x = trajectory(
        "Lorenz", 190, members=3, pts_per_period=40, rtol=1e-10, atol=1e-10, seed=0, backend="numpy"
    ).x
    test = x.isel(member=2)
    pred = xr.DataArray(np.repeat(test.values[149:150], 40, axis=0), dims=("time", "component"))
    want = float(metrics.smape(pred, test.isel(time=slice(150, None))))
    assert float(
        ds.score.sel(system="Lorenz", model="persistence", metric="smape")
    ) == pytest.approx(want)
    assert float(ds.train_time.sel(system="Lorenz", model="nvar")) > 0
    back = xr.open_zarr(tmp_path / "r.zarr")
    np.testing.assert_array_equal(back.score.values, ds.score.values)
    table = bench.markdown_table(ds)
    assert table.splitlines()[0].startswith("| model | median smape")
    assert "| persistence |" in table


def test_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="unknown metric"):
        bench.run(["Lorenz"], {"p": Persistence()}, metrics=["nope"])
    with pytest.raises(ConfigError, match="Forecaster"):
        bench.run(["Lorenz"], {"p": "persistence"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="no systems"):
        bench.run([], {"p": Persistence()})


def test_cli_chaos_bench(tmp_path) -> None:
    runner = CliRunner()
    args = ["chaos-bench", "-o", str(tmp_path), "-s", "Rossler", "-m", "persistence,linear"]
    result = runner.invoke(app, [*args, "--n-train", "120", "--n-forecast", "30"])
    assert result.exit_code == 0, result.output
    assert "| linear |" in (tmp_path / "results.md").read_text()
    assert (tmp_path / "results.zarr").is_dir()
    assert (tmp_path / "results.png").stat().st_size > 0
    bad = runner.invoke(app, ["chaos-bench", "-o", str(tmp_path), "-m", "nope"])
    assert bad.exit_code == 2
    assert "unknown model" in bad.output


def test_a_system_without_lyapunov_time_gets_no_vpt() -> None:
    t = xr.DataArray(np.sin(np.arange(30.0))[:, None] + 2, dims=("time", "component"))
    scores = bench._score(t + 0.1, t, t, np.nan, ["smape"])
    assert np.isnan(scores["vpt"]) and np.isnan(scores["vpt_nrmse"]) and scores["smape"] > 0
