"""The `sciml` command line: help, info and the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from sciml.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [["--help"], ["info", "--help"], ["demo", "--help"]])
def test_help_everywhere(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_info_prints_backend_table() -> None:
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    for word in ("array backends", "numpy", "numba", "jax", "cupy", "GPU seen"):
        assert word in result.output
    assert "sciml[gpu]" in result.output or "cuda:" in result.output


def test_demo_backends_part_writes_data_plot_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "-o", str(tmp_path), "-p", "backends", "--no-progress"])
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "summary.md").read_text()
    assert "Array backends" in summary and "numpy:" in summary
    assert (tmp_path / "backends" / "diffusion.png").stat().st_size > 1000
    with xr.open_dataset(tmp_path / "backends" / "diffusion.nc") as ds:
        # explicit Euler against the analytic decay: first-order accurate, small here
        assert float(abs(ds["u"] - ds["u_exact"]).max()) < 1e-3


def test_unknown_demo_part_is_a_one_line_error_with_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sciml.cli", "demo", "-o", str(tmp_path), "-p", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: unknown demo part(s) nope")
    assert len(proc.stderr.strip().splitlines()) == 1
