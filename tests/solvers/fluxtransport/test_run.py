"""``run``: the real-map reference against HipFT, backends, batching, output contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import gpu
from gpu.errors import NumericalInstability
from solvers.contract import validate_dataset
from solvers.fluxtransport import SFTConfig, SphereGrid, read_hipft_map, run
from solvers.io import write_netcdf, write_zarr
from tests.solvers.fluxtransport._helpers import DATA, FAST, as_map, requires_data

#: ../shared/data/hipft/README.md: HipFT 1.19.3, 180 x 360 map, t = 100 h.
HIPFT_100H = {
    "br_min": -933.8657431168762,
    "br_max": 885.3565420337198,
    "flux_positive": 1.488055661350821e23,
    "flux_negative": -1.488073273352062e23,
    "north_flux_positive": 1.236958081996642e22,
    "north_flux_negative": -5.884115340263140e20,
    "dipole_equatorial": 0.6812351968294297,
    "dipole_axial": 1.149843057834393,
}
README_CONFIG = {
    "duration_h": 100.0,
    "flows": {"attenuation_gauss": 300.0},
    "diffusion": {"nu_km2_s": 25.0, "scheme": "rkg2"},
    "numerics": {"advection": "weno3", "time_stepping": "ssprk43", "dt_max_h": 0.25},
}


@requires_data
def test_real_map_matches_hipft_after_100_hours() -> None:
    ds = run(README_CONFIG, read_hipft_map(DATA / "map180x360.h5"), backend=FAST)
    assert ds.attrs["steps"] == 400
    final = ds.isel(member=0, time=-1)
    assert float(final["time"]) == 100.0
    for name, reference in HIPFT_100H.items():
        tolerance = 5e-3 if name.startswith("br_") else 1e-3
        got = float(final[name])
        # measured: all within 1.4e-6 relative
        assert got == pytest.approx(reference, rel=tolerance), (name, got, reference)


def _small_case() -> tuple[SFTConfig, xr.DataArray]:
    grid = SphereGrid(46, 90)
    rng = np.random.default_rng(3)
    theta = grid.theta[:, None]
    field = 400.0 * np.cos(theta) + 50.0 * rng.standard_normal(grid.shape)
    cfg = SFTConfig(
        duration_h=12.0,
        flows={
            "attenuation_gauss": [300.0, 150.0, 600.0],
            "p0_m_s": [46.0, 40.0, 52.0],
            "p1_m_s": [22.0, 15.0, 30.0],
        },
        diffusion={"nu_km2_s": [25.0, 250.0, 500.0]},
        output={"history_cadence_h": 3.0, "map_cadence_h": 6.0},
    )
    return cfg, as_map(field, grid)


def test_every_backend_matches_numpy(backend: gpu.Backend) -> None:
    cfg, initial = _small_case()
    reference = run(cfg, initial, backend="numpy")
    got = run(cfg, initial, backend=backend)
    scale = float(np.max(np.abs(reference.br)))
    assert float(np.max(np.abs(got.br - reference.br))) <= 1e-10 * scale
    for name in ("flux_positive", "dipole_axial", "br_max"):
        np.testing.assert_allclose(got[name], reference[name], rtol=1e-10)
    assert got.attrs["backend"] == backend.name


@pytest.mark.parametrize("splitting", ["sequential", "strang"])
def test_batch_equals_members_run_alone(splitting: str) -> None:
    cfg, initial = _small_case()
    # one diffusivity, so the shared super-step stage count is the same alone and batched
    cfg = cfg.model_copy(
        update={
            "diffusion": cfg.diffusion.model_copy(update={"nu_km2_s": 100.0}),
            "numerics": cfg.numerics.model_copy(update={"splitting": splitting}),
        }
    )
    batch = run(cfg, initial, backend="numpy")
    for member in range(3):
        flows = {
            k: (v[member] if isinstance(v, list) else v) for k, v in cfg.flows.model_dump().items()
        }
        alone = run(
            cfg.model_copy(update={"flows": cfg.flows.model_copy(update=flows)}),
            initial,
            backend="numpy",
        )
        np.testing.assert_allclose(
            batch.br.isel(member=member), alone.br.isel(member=0), rtol=0, atol=1e-12 * 1e3
        )


def test_output_follows_the_contract_and_lands_on_times(tmp_path: Path) -> None:
    cfg, initial = _small_case()
    ds = run(cfg, initial, backend="numpy")
    np.testing.assert_array_equal(ds["time"], [0, 3, 6, 9, 12])
    np.testing.assert_array_equal(ds["map_time"], [0, 6, 12])
    assert ds.sizes == {"member": 3, "time": 5, "map_time": 3, "lat": 46, "lon": 90}
    np.testing.assert_array_equal(ds["nu_km2_s"], [25.0, 250.0, 500.0])
    validate_dataset(ds, extra_dims=["map_time"])
    path = write_netcdf(ds, tmp_path / "sft.nc", extra_dims=["map_time"])
    with xr.open_dataset(path) as back:
        xr.testing.assert_allclose(back.load(), ds)
    store = write_zarr(ds, tmp_path / "sft.zarr", extra_dims=["map_time"])
    xr.testing.assert_allclose(xr.open_zarr(store).load(), ds)
    # members differ where their parameters differ
    assert float(abs(ds.br.isel(member=0) - ds.br.isel(member=1)).max()) > 1.0


def test_forced_step_over_the_stability_limit_is_refused() -> None:
    cfg, initial = _small_case()
    fast = cfg.model_copy(
        update={"numerics": cfg.numerics.model_copy(update={"dt_fixed_h": 500.0})}
    )
    with pytest.raises(NumericalInstability, match="stability limit"):
        run(fast, initial, backend="numpy")
    ok = cfg.model_copy(update={"numerics": cfg.numerics.model_copy(update={"dt_fixed_h": 0.5})})
    assert run(ok, initial, backend="numpy").attrs["steps"] == 24
