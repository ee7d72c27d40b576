"""The benchmark harness and the ``sciml chaos-bench`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from gpu.errors import ConfigError, InputError
from sciml.cli import app
from sciml.forecast import ESN, NVAR, HybridESN, Persistence, bench, metrics
from solvers.chaos import get, trajectory

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


class _FailsOnRossler(Persistence):
    """Persistence that cannot fit Rossler: at 40 points per period only Rossler's
    sampling interval (period 5.9) is over 0.1, Lorenz's (period 1.5) is not."""

    def _fit(self, series: list[np.ndarray]) -> None:
        if self.dt_ > 0.1:
            raise ValueError("no Rossler here")
        super()._fit(series)


def test_a_model_failing_on_one_system_is_recorded_and_the_system_is_not_failed() -> None:
    models = {"fragile": _FailsOnRossler(), "persistence": Persistence()}
    ds = bench.run(["Lorenz", "Rossler"], models, **SMALL)
    assert ds.attrs["n_failed"] == 0  # a model's failure is data, not a failed member
    assert ds.status.sel(system="Rossler", model="fragile").item() == "ValueError: no Rossler here"
    assert np.isnan(ds.score.sel(system="Rossler", model="fragile")).all()
    assert np.isnan(ds.train_time.sel(system="Rossler", model="fragile"))
    assert list(ds.status.sel(system="Lorenz").values) == ["ok", "ok"]
    assert np.isfinite(ds.score.sel(system="Rossler", model="persistence", metric="smape"))


class _Diverges(Persistence):
    """Persistence whose forecast blows up to infinity after ten steps."""

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        out = super()._predict(context, horizon, rng)
        out[:, 10:] = np.inf
        return out


def test_a_diverging_forecast_is_scored_and_stored_as_nan_not_a_failed_system() -> None:
    ds = bench.run(["Lorenz"], {"diverges": _Diverges(), "persistence": Persistence()}, **SMALL)
    assert ds.attrs["n_failed"] == 0
    assert list(ds.status.values[0]) == ["ok", "ok"]
    assert float(ds.score.sel(system="Lorenz", model="diverges", metric="smape")) > 150
    pred = ds.forecast.sel(system="Lorenz", model="diverges").values
    assert np.isfinite(pred[:10]).all() and np.isnan(pred[10:]).all()


def test_systems_run_through_the_runner_on_processes_and_resume_from_the_store(
    tmp_path, monkeypatch
) -> None:
    models = {"persistence": Persistence(), "nvar": NVAR()}
    serial = bench.run(["Lorenz", "Rossler"], models, **SMALL)
    store = tmp_path / "run.zarr"
    pooled = bench.run(["Lorenz", "Rossler"], models, workers=2, store=store, **SMALL)
    for name in ("score", "forecast", "truth", "status", "choice"):
        np.testing.assert_array_equal(pooled[name].values, serial[name].values, err_msg=name)
    assert json.loads(pooled.attrs["config"])["members"] == 2

    def must_not_run(*args: object) -> None:
        raise AssertionError("a stored system was recomputed")

    monkeypatch.setattr(bench, "bench_system", must_not_run)
    resumed = bench.run(["Lorenz", "Rossler"], models, store=store, resume=True, **SMALL)
    np.testing.assert_array_equal(resumed.score.values, serial.score.values)


def test_an_interrupted_benchmark_resumes_the_systems_left(tmp_path, monkeypatch) -> None:
    models = {"persistence": Persistence(), "nvar": NVAR()}
    store = tmp_path / "run.zarr"
    full = bench.run(["Lorenz", "Rossler"], models, store=store, **SMALL)
    zarr = pytest.importorskip("zarr")
    zarr.open_group(str(store), mode="r+")["done"][1] = False  # as if stopped before Rossler
    computed = []
    real = bench.bench_system

    def recording(system: str, *args: object) -> dict:
        computed.append(system)
        return real(system, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(bench, "bench_system", recording)
    resumed = bench.run(["Lorenz", "Rossler"], models, store=store, resume=True, **SMALL)
    assert computed == ["Rossler"]
    assert resumed.attrs["n_failed"] == 0
    for name in ("score", "status", "choice", "forecast"):
        np.testing.assert_array_equal(resumed[name].values, full[name].values, err_msg=name)


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
    assert (tmp_path / "forecasts.png").stat().st_size > 0
    assert xr.open_zarr(tmp_path / "systems.zarr")["done"].values.all()  # the checkpoint
    again = runner.invoke(app, [*args, "--n-train", "120", "--n-forecast", "30", "--resume"])
    assert again.exit_code == 0, again.output
    fresh = runner.invoke(app, [*args, "--n-train", "120", "--n-forecast", "30"])
    assert fresh.exit_code == 2 and "--resume" in fresh.output  # the checkpoint is kept
    assert xr.open_zarr(tmp_path / "systems.zarr")["done"].values.all()
    bad = runner.invoke(app, ["chaos-bench", "-o", str(tmp_path), "-m", "nope"])
    assert bad.exit_code == 2
    assert "unknown model" in bad.output


def test_a_system_without_lyapunov_time_gets_no_vpt() -> None:
    t = xr.DataArray(np.sin(np.arange(30.0))[:, None] + 2, dims=("time", "component"))
    scores = bench._score(t + 0.1, t, t, np.nan, ["smape"])
    assert np.isnan(scores["vpt"]) and np.isnan(scores["vpt_nrmse"]) and scores["smape"] > 0


def test_forecasts_and_truth_are_kept_and_plotted(tmp_path) -> None:
    ds = bench.run(["Rossler"], {"persistence": Persistence()}, **SMALL)
    x = trajectory(
        "Rossler",
        190,
        members=3,
        pts_per_period=40,
        rtol=1e-10,
        atol=1e-10,
        seed=0,
        backend="numpy",
    ).x
    test = x.isel(member=2).values
    np.testing.assert_allclose(ds.truth.sel(system="Rossler").values, test[150:])
    pred = ds.forecast.sel(system="Rossler", model="persistence").values
    np.testing.assert_allclose(pred, np.repeat(test[149:150], 40, axis=0), rtol=1e-12)
    png = bench.plot_forecasts(ds, ["Rossler"], tmp_path / "f.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(InputError, match="not in the result"):
        bench.plot_forecasts(ds, ["Lorenz"], tmp_path / "g.png")
    with pytest.raises(InputError, match="component"):
        bench.plot_forecasts(ds, ["Rossler"], tmp_path / "g.png", component=3)


def test_hybrid_candidates_perturb_the_system_itself() -> None:
    (model,) = bench.hybrid_candidates("Rossler", error=0.2)
    assert isinstance(model, HybridESN) and model.system == "Rossler"
    params = get("Rossler").params
    assert model.params == pytest.approx({k: 1.2 * v for k, v in params.items()})
    (fallback,) = bench.hybrid_candidates("MackeyGlass")  # a delay equation: no ODE to use
    assert type(fallback) is ESN
    ds = bench.run(["Rossler"], {"hybrid": bench.hybrid_candidates}, **SMALL)
    assert ds.status.item() == "ok"
    assert json.loads(str(ds.choice.item()))["system"] == "Rossler"


def test_long_task_forecasts_5000_steps() -> None:
    assert bench.TASK_HORIZONS == {"short": 200, "long": 5000}
    small = {"n_train": 150, "n_context": 150, "pts_per_period": 400}  # a short time span
    ds = bench.run(["Lorenz"], {"persistence": Persistence()}, task="long", **small)
    assert ds.sizes["lead"] == 5000
    assert json.loads(ds.attrs["config"])["config"]["n_forecast"] == 5000
    assert np.isfinite(ds.truth.values).all()
    with pytest.raises(ConfigError, match="unknown task"):
        bench.run(["Lorenz"], {"p": Persistence()}, task="medium")


def test_tuning_and_test_sets_partition_the_continuous_catalog() -> None:
    dysts = pytest.importorskip("dysts")
    # peer: dysts' own list of continuous systems (flows and delay equations)
    with open(Path(dysts.__file__).parent / "data" / "chaotic_attractors.json") as f:
        continuous = set(json.load(f))
    test = bench.test_systems()
    assert set(test).isdisjoint(bench.TUNING_SYSTEMS)
    assert set(test) | set(bench.TUNING_SYSTEMS) == continuous
