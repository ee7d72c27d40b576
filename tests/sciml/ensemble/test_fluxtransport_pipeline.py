"""The fluxtransport pipeline through the runner: a run file, members per chunk, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from sciml.cli import app
from sciml.ensemble import get_pipeline
from solvers.fluxtransport import SFTConfig, read_hipft_map, run
from solvers.fluxtransport.plots import sample_map_path

RUN_FILE = """
pipeline = "fluxtransport"
members = 3
seed = 5
output = "sft.zarr"
backend = "numpy"
scheduler = "threads"
chunk_size = 2

[config]
duration_h = 4.0
grid = {{ n_theta = 46, n_phi = 90 }}
diffusion = {{ nu_km2_s = {nus} }}
output = {{ history_cadence_h = 2.0 }}
"""


def test_run_file_members_match_a_direct_batched_run(tmp_path: Path) -> None:
    """Members computed in chunks of 2 by the runner equal one direct batch of 3."""
    nus = [25.0, 100.0, 400.0]
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE.format(nus=nus))
    result = CliRunner().invoke(app, ["run", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    store = xr.open_zarr(tmp_path / "sft.zarr")
    assert store.sizes["member"] == 3
    assert not bool(store["failed"].any())

    direct = run(
        SFTConfig(
            duration_h=4.0,
            grid={"n_theta": 46, "n_phi": 90},
            diffusion={"nu_km2_s": nus},
            output={"history_cadence_h": 2.0, "map_cadence_h": 2.0},
        ),
        read_hipft_map(sample_map_path()),
        backend="numpy",
    )
    for name in ("dipole_axial", "flux_positive"):
        np.testing.assert_allclose(store[name].values, direct[name].values, rtol=1e-12)
    # more diffusion, weaker extremes: the members really differ in nu
    br_max = store["br_max"].isel(time=-1).values
    assert br_max[0] > br_max[1] > br_max[2]


def test_default_initial_map_is_the_shipped_one() -> None:
    pipeline = get_pipeline("fluxtransport")
    cfg = pipeline.make_config({"duration_h": 1.0}, "numpy")
    assert Path(cfg.initial_map) == sample_map_path()  # type: ignore[attr-defined]
