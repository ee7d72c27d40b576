"""The member functions the ensemble runner's ``fluxtransport`` pipeline wraps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpu.errors import ConfigError
from solvers.contract import validate_dataset
from solvers.fluxtransport import SphereGrid, write_hipft_map
from solvers.fluxtransport.ensemble import batch, member
from tests.solvers.fluxtransport._helpers import as_map


@pytest.fixture
def config(tmp_path: Path) -> dict:
    grid = SphereGrid(31, 60)
    field = 300.0 * np.cos(grid.theta)[:, None] * np.ones(grid.shape)
    path = write_hipft_map(as_map(field, grid), tmp_path / "map.h5")
    return {
        "initial_map": str(path),
        "backend": "numpy",
        "duration_h": 6.0,
        "diffusion": {"nu_km2_s": [100.0, 200.0, 300.0]},
        "output": {"history_cadence_h": 2.0},
    }


def test_member_and_batch_agree(config: dict) -> None:
    chunk = batch(config, [0, 2], [None, None])
    assert chunk.sizes["member"] == 2 and list(chunk["member"].values) == [0, 2]
    one = member(config, 2, None)
    assert "member" not in one.dims
    validate_dataset(one)
    np.testing.assert_allclose(one["br"], chunk["br"].sel(member=2), rtol=1e-12)
    np.testing.assert_array_equal(one["time"], [0.0, 2.0, 4.0, 6.0])
    assert float(one["nu_km2_s"]) == 300.0


def test_member_index_beyond_the_lists_is_refused(config: dict) -> None:
    with pytest.raises(ConfigError, match="one value per member"):
        member(config, 5, None)
    with pytest.raises(ConfigError, match="initial_map"):
        member({**config, "initial_map": ""}, 0, None)
