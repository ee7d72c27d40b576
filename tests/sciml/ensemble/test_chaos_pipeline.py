"""The chaos pipeline through the runner: members equal a direct batched trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from sciml.cli import app
from solvers.chaos import trajectory

RUN_FILE = """
pipeline = "chaos"
members = 5
seed = 11
output = "lorenz.zarr"
backend = "numpy"
scheduler = "threads"
chunk_size = 2

[config]
system = "Lorenz"
n = 60
pts_per_period = 20
"""


def test_run_file_members_equal_the_direct_trajectory(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE)
    result = CliRunner().invoke(app, ["run", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    store = xr.open_zarr(tmp_path / "lorenz.zarr").load()
    direct = trajectory("Lorenz", 60, members=5, pts_per_period=20, seed=11, backend="numpy")
    assert not bool(store["failed"].any())
    np.testing.assert_allclose(store["x"].values, direct["x"].values, rtol=1e-12, atol=1e-12)
    # distinct members: their initial states were drawn from separate streams
    assert np.unique(store["x"].isel(time=0).values[:, 0]).size == 5


def test_unknown_system_is_a_one_line_error_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE.replace('"Lorenz"', '"Lorentz"'))
    result = CliRunner().invoke(app, ["run", str(path), "--no-progress"])
    assert result.exit_code == 2
    assert "Lorenz" in result.stderr  # the close name is suggested
