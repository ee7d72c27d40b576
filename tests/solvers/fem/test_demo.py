"""The FEM part of ``sciml demo`` runs, and its submodel matches the global model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xarray as xr

pytest.importorskip("skfem")
pytest.importorskip("dask", reason="sciml.demo needs the full sciml install")


def test_fem_demo_part(tmp_path: Path) -> None:
    from sciml.demo import run_demo

    text = run_demo(tmp_path, parts=["fem"], show_progress=False).read_text()
    mismatch = re.search(r"max relative difference ([0-9.e+-]+)", text)
    assert mismatch is not None and float(mismatch.group(1)) < 1e-12
    assert (tmp_path / "fem" / "fem_submodel.png").stat().st_size > 0
    with xr.open_dataset(tmp_path / "fem" / "boundary_histories.nc") as ds:
        assert ds["displacement"].dims == ("member", "time", "node", "component")
        assert ds.sizes["member"] == 8
