"""The ``fluxtransport`` part of ``sciml demo`` runs on the shipped map."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from sciml.demo import run_demo
from tests.solvers.fluxtransport._helpers import FAST


def test_demo_part_writes_data_plots_and_findings(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, parts=["fluxtransport"], backend=FAST, show_progress=False)
    folder = tmp_path / "fluxtransport"
    for name in ("fluxtransport.nc", "fluxtransport_history.png", "fluxtransport_butterfly.png"):
        assert (folder / name).is_file(), name
    with xr.open_dataset(folder / "fluxtransport.nc") as ds:
        assert ds.sizes["member"] == 4 and float(ds["time"][-1]) == 48.0
    text = summary.read_text()
    assert "north polar flux" in text and "realizations" in text
