"""Examples are tests: every script in examples/ runs at a small size.

Each example takes ``--output DIR`` and ``--quick`` and must finish cleanly
and write at least one file. Scripts that need a batch system are listed in
``NEEDS_BATCH_SYSTEM`` and tested by their own module instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
#: submits SLURM/PBS jobs; its --dry-run is tested in tests/sciml/ensemble/test_examples.py
NEEDS_BATCH_SYSTEM = {"hpc/jobqueue_run.py"}
EXAMPLES = sorted(
    p
    for p in (ROOT / "examples").rglob("*.py")
    if not p.name.startswith("_")
    and str(p.relative_to(ROOT / "examples")) not in NEEDS_BATCH_SYSTEM
)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_example_runs(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(script), "--output", str(tmp_path), "--quick"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert any(tmp_path.rglob("*")), "the example wrote nothing"


def test_quickstart_matches_theory(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import quickstart
    finally:
        sys.path.pop(0)
    ds = quickstart.main(tmp_path, members=3, steps=200, backend="numpy")
    with xr.open_dataset(tmp_path / "heat.nc") as back:
        xr.testing.assert_identical(back.load(), ds)
    # explicit Euler, second-order stencil: error well below the signal
    assert float(abs(ds["u"] - ds["u_exact"]).max()) < 1e-3 * float(abs(ds["u_exact"]).max())
