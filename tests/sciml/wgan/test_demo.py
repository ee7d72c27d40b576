"""The WGAN demo part runs, writes its files and reports sensible findings."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from sciml.demo import run_demo
from tests._markers import requires_torch

pytestmark = requires_torch


def test_wgan_demo_part(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, parts=["wgan"], show_progress=False)
    text = summary.read_text()
    assert "sliced W2" in text and "wgan/wgan_boundary.png" in text
    for name in ("generated_boundary.nc", "submodel_mc.nc", "loss_curves.nc", "generator.pt"):
        assert (tmp_path / "wgan" / name).exists(), name
    with xr.open_dataset(tmp_path / "wgan" / "submodel_mc.nc") as mc:
        assert list(mc["source"].values) == ["generated", "reference"]
        assert float(mc["w1_distance"]) < 0.5 * float(mc["std"].sel(source="reference"))
