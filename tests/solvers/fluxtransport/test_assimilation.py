"""Data assimilation: weights from mu, latitude limit, modes, flux balancing, grid checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpu.errors import InputError
from solvers.fluxtransport import SFTConfig, SphereGrid, run, write_hipft_map
from tests.solvers.fluxtransport._helpers import as_map

GRID = SphereGrid(37, 72)
NO_FLOW = {"differential_rotation": False, "meridional": False}


def _observation(tmp_path: Path, values: np.ndarray, grid: SphereGrid = GRID) -> str:
    return str(write_hipft_map(as_map(values, grid), tmp_path / "obs.h5", dtype="float64"))


def _run(tmp_path: Path, initial: np.ndarray, obs: np.ndarray, **assimilation: object):
    entry = {"time_h": 2.0, "path": _observation(tmp_path, obs), "center_lon_deg": 180.0}
    cfg = SFTConfig(
        duration_h=4.0,
        flows=NO_FLOW,
        assimilation={"observations": [entry], **assimilation},
        output={"history_cadence_h": 2.0, "map_cadence_h": 2.0},
    )
    return run(cfg, as_map(initial, GRID), backend="numpy")


def test_replace_mode_with_mu_weights(tmp_path: Path) -> None:
    initial = np.zeros(GRID.shape)
    obs = np.full(GRID.shape, 10.0)
    ds = _run(tmp_path, initial, obs, mu_power=[1.0, 4.0], mu_limit=0.1, lat_limit_deg=[0.0, 30.0])
    after = ds.br.isel(map_time=-1).values
    lat = np.radians(GRID.lat)[:, None]
    mu = np.cos(lat) * np.cos(GRID.phi[None, :] - np.pi)
    expected = np.where(mu > 0.1, 10.0 * mu, 0.0)
    np.testing.assert_allclose(after[0], expected, atol=1e-12)
    expected4 = np.where(mu > 0.1, 10.0 * mu**4, 0.0)
    polar = np.abs(GRID.lat) > 60.0
    expected4[polar] = 0.0
    np.testing.assert_allclose(after[1], expected4, atol=1e-12)
    assert float(ds.br.isel(map_time=0).max()) == 0.0  # nothing before the observation time


def test_add_mode_and_flux_balancing(tmp_path: Path) -> None:
    initial = np.zeros(GRID.shape)
    obs = np.full(GRID.shape, 5.0)
    added = _run(tmp_path, initial, obs, mode="add", mu_power=1.0, mu_limit=-1.0)
    assert float(added.flux_positive.isel(time=-1)[0]) > 0.0
    rng = np.random.default_rng(0)
    unbalanced = 3.0 + 10.0 * rng.standard_normal(GRID.shape)
    balanced = _run(tmp_path, initial, unbalanced, balance_flux=True)
    net = balanced.flux_positive + balanced.flux_negative
    unsigned = balanced.flux_positive - balanced.flux_negative
    assert float(abs(net.isel(time=-1)[0])) <= 1e-12 * float(unsigned.isel(time=-1)[0])


def test_map_on_another_grid_is_refused(tmp_path: Path) -> None:
    other = SphereGrid(19, 36)
    path = _observation(tmp_path, np.zeros(other.shape), other)
    cfg = SFTConfig(duration_h=1.0, assimilation={"observations": [{"time_h": 0.5, "path": path}]})
    with pytest.raises(InputError, match="regrid"):
        run(cfg, as_map(np.zeros(GRID.shape), GRID), backend="numpy")
    regridded = cfg.model_copy(
        update={"assimilation": cfg.assimilation.model_copy(update={"regrid": True})}
    )
    assert run(regridded, as_map(np.zeros(GRID.shape), GRID), backend="numpy").sizes["lat"] == 37
