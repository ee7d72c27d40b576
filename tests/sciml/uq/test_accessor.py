"""The ``.sciml`` accessor, the plots, plain-array conventions and the UQ demo part."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import xarray as xr

import sciml.uq as uq
from gpu.errors import InputError
from sciml.demo import demo_parts
from sciml.demo.uq import synthetic_ensembles
from solvers.contract import validate_dataset

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def ensembles() -> tuple[xr.Dataset, xr.DataArray]:
    return synthetic_ensembles(n_cases=600, n_members=8, seed=3)


def test_dataarray_verbs_call_the_functions(ensembles: tuple[xr.Dataset, xr.DataArray]) -> None:
    forecasts, obs = ensembles
    fc = forecasts["calibrated"]
    xr.testing.assert_identical(fc.sciml.crps(obs, fair=True), uq.crps_ensemble(fc, obs, fair=True))
    xr.testing.assert_identical(fc.sciml.rank_histogram(obs), uq.rank_histogram(fc, obs))
    xr.testing.assert_identical(fc.sciml.spread_skill(obs), uq.spread_skill(fc, obs))
    xr.testing.assert_identical(fc.sciml.pit(obs), uq.pit(fc, obs))
    xr.testing.assert_identical(
        fc.sciml.pit_histogram(obs, bins=5), uq.pit_histogram(uq.pit(fc, obs), 5)
    )
    prob = uq.event_probability(fc, 1.0)
    xr.testing.assert_identical(fc.sciml.event_probability(1.0), prob)
    xr.testing.assert_identical(
        fc.sciml.reliability(obs, threshold=1.0, dim="member"),
        uq.reliability(prob, obs, threshold=1.0),
    )
    xr.testing.assert_identical(
        fc.sciml.brier_score(obs, dim="member", threshold=1.0),
        uq.brier_score(fc, obs, dim="member", threshold=1.0),
    )
    xr.testing.assert_identical(fc.sciml.ensemble_summary(), uq.ensemble_summary(fc))
    xr.testing.assert_identical(fc.sciml.mc_estimate("member"), uq.mc_estimate(fc, "member"))
    vec = xr.concat([fc, 2 * fc], dim="component").transpose("sample", "member", "component")
    target = xr.concat([obs, 2 * obs], dim="component")
    xr.testing.assert_identical(vec.sciml.energy_score(target), uq.energy_score(vec, target))


def test_conformal_interval_verb_delegates(ensembles: tuple[xr.Dataset, xr.DataArray]) -> None:
    from sciml.uq.conformal_forecast import conformal_interval

    forecasts, obs = ensembles
    fc = forecasts["calibrated"]
    xr.testing.assert_identical(
        fc.sciml.conformal_interval(obs, alpha=0.2), conformal_interval(fc, obs, alpha=0.2)
    )


def test_dataset_verbs_map_over_ensemble_variables(
    ensembles: tuple[xr.Dataset, xr.DataArray],
) -> None:
    forecasts, obs = ensembles
    ds = forecasts.assign(obs_copy=obs)  # no member dim: left out
    crps = ds.sciml.crps(obs)
    assert list(crps.data_vars) == list(forecasts.data_vars)
    xr.testing.assert_equal(crps["biased"], uq.crps_ensemble(forecasts["biased"], obs))
    per_var_obs = xr.Dataset({name: obs for name in forecasts.data_vars})
    xr.testing.assert_identical(ds.sciml.crps(per_var_obs), crps)
    rank = ds.sciml.rank_histogram(obs)
    assert rank["count"].dims == ("variable", "rank")
    assert list(rank["variable"].values) == list(forecasts.data_vars)
    ss = ds.sciml.spread_skill(obs)
    assert float(ss["ratio"].sel(variable="overconfident")) > 1.5
    assert ds.sciml.ensemble_summary()["mean"].dims == ("variable", "sample")
    assert ds.sciml.brier_score(obs, threshold=1.0, fair=True)["calibrated"].dims == ("sample",)
    assert ds.sciml.reliability(obs, threshold=1.0)["count"].dims == ("variable", "bin")
    assert ds.sciml.pit_histogram(obs)["density"].dims == ("variable", "bin")
    assert ds.sciml.mc_estimate("sample")["mean"].dims == ("variable", "member")
    with pytest.raises(InputError, match="no variable 'biased'"):
        ds.sciml.crps(per_var_obs.drop_vars("biased"))
    with pytest.raises(InputError, match="no data variable"):
        ds.sciml.crps(obs, dim="ens")


def test_plots(tmp_path: Path, ensembles: tuple[xr.Dataset, xr.DataArray]) -> None:
    forecasts, obs = ensembles
    fc = forecasts["calibrated"]
    axes = [
        fc.sciml.plot_rank_histogram(obs),
        fc.sciml.plot_reliability(obs, threshold=1.0, dim="member"),
        fc.sciml.plot_pit_histogram(obs),
        forecasts.sciml.plot_rank_histogram(obs),
        forecasts.sciml.plot_reliability(obs, threshold=1.0),
        forecasts.sciml.plot_pit_histogram(obs),
    ]
    for k, ax in enumerate(axes):
        assert ax.get_title()
        ax.figure.savefig(tmp_path / f"plot{k}.png")
        assert (tmp_path / f"plot{k}.png").stat().st_size > 1000
    two_extra = uq.rank_histogram(
        fc.expand_dims(time=2, lat=2), obs.expand_dims(time=2, lat=2), reduce_dims="sample"
    )
    with pytest.raises(InputError, match="one extra dim"):
        uq.plot_rank_histogram(two_extra)


def test_plain_arrays_in_numpy_out_and_no_global_numpy_state() -> None:
    before = np.geterr()
    random_state = np.random.get_state()  # noqa: NPY002 (the legacy global state is checked)
    rng = np.random.default_rng(40)
    fc, obs = rng.normal(size=(50, 5)), rng.normal(size=50)
    assert isinstance(uq.crps_ensemble(fc, obs), np.ndarray)
    assert isinstance(uq.crps_ensemble(fc[0], obs[0]), float)
    assert isinstance(uq.sliced_wasserstein(fc, fc + 1), float)
    assert isinstance(uq.rank_histogram(fc, obs), xr.Dataset)
    uq.mc_estimate(np.zeros(10))  # zero mean and variance: no warnings, no state change
    uq.crps_ensemble(np.full((3, 2), np.inf), np.zeros(3), skipna=True)
    labels = (obs > 0).astype(int)
    uq.VennAbers().fit(fc[:, 0], labels).predict_proba(fc[:, 1])
    uq.ConformalClassifier(method="aps", randomized=True).fit(
        np.c_[1 - fc[:, 0] ** 2 / 10, fc[:, 0] ** 2 / 10].clip(0, 1), labels
    )
    uq.mc_estimate(fc, method="bootstrap", n_bootstrap=20)
    assert np.geterr() == before
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(random_state, after, strict=True))


def test_demo_part_writes_a_valid_dataset_and_plots(tmp_path: Path) -> None:
    part = {p.name: p for p in demo_parts()}["uq"]
    result = part.run(tmp_path, "numpy")
    assert set(result.files) == {
        "uq_scores.nc",
        "rank_histogram.png",
        "reliability.png",
        "pit_histogram.png",
    }
    for name in result.files:
        assert (tmp_path / name).stat().st_size > 0
    with xr.open_dataset(tmp_path / "uq_scores.nc") as ds:
        validate_dataset(ds, extra_dims=["system", "rank", "bin"])
        assert ds["rank_p_value"].sel(system="calibrated") > 0.01
        assert ds["rank_p_value"].sel(system="overconfident") < 1e-6
    assert result.findings[-1].endswith(": calibrated")
