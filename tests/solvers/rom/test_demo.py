"""The ROM part of ``sciml demo`` runs and reports the clustering comparison."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from sciml.demo import run_demo


def test_rom_demo_part(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, parts=["rom"], backend="numpy", show_progress=False)
    text = summary.read_text()
    assert "sine k-medoids" in text and "efficiency criterion" in text
    assert (tmp_path / "rom" / "clustering.png").stat().st_size > 0
    with xr.open_dataset(tmp_path / "rom" / "clustering.nc") as ds:
        error = ds["error"].sel(n_modes=4)
        sine, euclid, glob = (float(error.isel(basis=i)) for i in range(3))
    assert euclid > 5 * sine and glob > 10 * sine
