"""Grid, HipFT map I/O, lat/lon conversion, diagnostics at t = 0, bad input."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError, SciMLError
from solvers.fluxtransport import (
    SFTConfig,
    SphereGrid,
    map_diagnostics,
    map_to_grid,
    read_hipft_map,
    run,
    write_hipft_map,
)
from tests.solvers.fluxtransport._helpers import DATA, as_map, requires_data


@pytest.mark.parametrize("shape", [(5, 4), (180, 359), (512, 1023)])
def test_grid_areas_sum_to_the_sphere(shape: tuple[int, int]) -> None:
    grid = SphereGrid(*shape)
    assert grid.cell_area.shape == shape
    # midpoint rule: second order in the spacing
    assert abs(grid.cell_area.sum() - 4 * np.pi) < 0.5 * grid.dtheta**2 * 4 * np.pi
    assert grid.theta[0] == 0.0 and grid.theta[-1] == np.pi
    assert grid.lat[0] == 90.0 and grid.lat[-1] == -90.0


def test_grid_rejects_tiny_and_nonuniform() -> None:
    with pytest.raises(InputError, match="at least"):
        SphereGrid(3, 8)
    theta = np.linspace(0, np.pi, 10) ** 1.01
    with pytest.raises(InputError, match="uniformly"):
        SphereGrid.from_coordinates(theta, np.linspace(0, 2 * np.pi, 16))


@requires_data
@pytest.mark.parametrize("name", ["map180x360.h5", "map512x1024.h5"])
def test_hipft_maps_round_trip_bit_for_bit(name: str, tmp_path: Path) -> None:
    da = read_hipft_map(DATA / name)
    assert da.dims == ("lat", "lon") and da.dtype == np.float32
    out = write_hipft_map(da, tmp_path / name)
    with h5py.File(DATA / name) as original, h5py.File(out) as copy:
        assert copy["Data"][()].tobytes() == original["Data"][()].tobytes()
        for scale in ("dim1", "dim2"):
            assert copy[scale][()].tobytes() == original[scale][()].tobytes()
        labels = [list(d.keys()) for d in copy["Data"].dims]
        assert labels == [list(d.keys()) for d in original["Data"].dims]
    xr.testing.assert_identical(read_hipft_map(out), da)


def test_writer_adds_the_periodic_column_and_members(tmp_path: Path) -> None:
    grid = SphereGrid(7, 12)
    values = np.random.default_rng(1).normal(size=(2, *grid.shape))
    da = as_map(values, grid)
    back = read_hipft_map(write_hipft_map(da, tmp_path / "m.h5", dtype="float64"))
    assert back.dims == ("member", "lat", "lon") and back.sizes["lon"] == 13
    np.testing.assert_array_equal(back.values[..., :-1], values)
    np.testing.assert_array_equal(back.values[..., -1], values[..., 0])
    assert back["lon"].values[-1] == pytest.approx(360.0)


@requires_data
def test_diagnostics_at_t0_match_hipft() -> None:
    """The t = 0 diagnostics in the README test the cell areas and the periodic merge."""
    grid, values = map_to_grid(read_hipft_map(DATA / "map180x360.h5"))
    d = {k: float(v[0]) for k, v in map_diagnostics(grid, values).items()}
    assert d["br_min"] == pytest.approx(-1216.641967773438, rel=1e-12)
    assert d["br_max"] == pytest.approx(1140.473999023438, rel=1e-12)
    # the remaining difference is HipFT's float32 coordinates against exact ones
    assert d["flux_positive"] == pytest.approx(1.678576886850210e23, rel=1e-6)
    assert d["dipole_axial"] == pytest.approx(1.148512234794444, rel=1e-6)


def test_map_to_grid_merges_periodic_column_and_sorts(tmp_path: Path) -> None:
    grid = SphereGrid(9, 8)
    values = np.arange(9 * 9, dtype=float).reshape(9, 9)
    da = xr.DataArray(
        values[::-1],
        dims=("lat", "lon"),
        coords={"lat": grid.lat[::-1], "lon": np.linspace(0, 360, 9)},
    )
    got_grid, got = map_to_grid(da)
    assert got_grid == grid
    np.testing.assert_allclose(got[1:-1, 0], 0.5 * (values[1:-1, 0] + values[1:-1, -1]))
    merged_pole = np.append(0.5 * (values[0, 0] + values[0, -1]), values[0, 1:-1])
    np.testing.assert_allclose(got[0], merged_pole.mean())


def _bad_h5(path: Path) -> Path:
    with h5py.File(path, "w") as h5:
        h5["Data"] = np.zeros((10, 20), dtype=np.float32)
        h5["dim1"] = np.linspace(0, 2 * np.pi, 21).astype(np.float32)
        h5["dim2"] = np.linspace(0, np.pi, 10).astype(np.float32)
    return path


def test_bad_inputs_raise_sciml_errors(tmp_path: Path) -> None:
    grid = SphereGrid(9, 16)
    good = np.zeros(grid.shape)
    with pytest.raises(InputError, match=r"does not match|shape"):
        read_hipft_map(_bad_h5(tmp_path / "bad.h5"))
    with pytest.raises(InputError, match="does not exist"):
        read_hipft_map(tmp_path / "missing.h5")
    nan = good.copy()
    nan[3, 4] = np.nan
    cfg = SFTConfig(duration_h=1.0)
    with pytest.raises(InputError, match="NaN"):
        run(cfg, as_map(nan, grid), backend="numpy")
    with pytest.raises(InputError, match="dims"):
        run(cfg, as_map(good, grid).rename(lat="y"), backend="numpy")
    with pytest.raises(ConfigError, match="nu_km2_s"):
        SFTConfig(duration_h=1.0, diffusion={"nu_km2_s": -1.0})
    with pytest.raises(ConfigError, match="one length"):
        SFTConfig(duration_h=1.0, diffusion={"nu_km2_s": [1.0, 2.0]}, flows={"p0_m_s": [1.0, 2, 3]})
    with pytest.raises(ConfigError, match=r"unknown|extra|Extra"):
        SFTConfig(duration_h=1.0, flows={"p7_m_s": 3.0})
    with pytest.raises(InputError, match="members"):
        run(
            SFTConfig(duration_h=1.0, realizations=3),
            as_map(np.zeros((2, *grid.shape)), grid),
            backend="numpy",
        )
    assert issubclass(InputError, SciMLError)


def test_regridding_conserves_flux_and_is_accurate() -> None:
    from solvers.fluxtransport.regrid import regrid_values

    fine, coarse = SphereGrid(181, 360), SphereGrid(91, 180)
    rng = np.random.default_rng(4)
    noise = rng.standard_normal(fine.shape)
    noise[0], noise[-1] = noise[0].mean(), noise[-1].mean()
    out = regrid_values(noise, fine, coarse)
    assert coarse.total_flux(out) == pytest.approx(fine.total_flux(noise), abs=1e-12)
    theta = fine.theta[:, None]
    smooth = np.cos(theta) + np.sin(theta) * np.cos(fine.phi)
    expected = np.cos(coarse.theta[:, None]) + np.sin(coarse.theta[:, None]) * np.cos(coarse.phi)
    assert np.max(np.abs(regrid_values(smooth, fine, coarse) - expected)) < 5e-3
    # a run on another grid than its map regrids the map
    cfg = SFTConfig(duration_h=1.0, grid={"n_theta": 91, "n_phi": 180})
    ds = run(cfg, as_map(noise, fine), backend="numpy")
    assert ds.sizes["lat"] == 91 and ds.sizes["lon"] == 180
    assert coarse.total_flux(ds.br.values[0, 0]) == pytest.approx(fine.total_flux(noise), abs=1e-12)
