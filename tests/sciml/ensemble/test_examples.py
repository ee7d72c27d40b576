"""The examples in examples/hpc and the ensemble demo part run, at a small size, and are right."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from gpu._optional import module_available
from sciml.cli import app
from sciml.demo.ensemble import PART

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "hpc"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_example_matches_the_exact_mean_and_resumes(tmp_path: Path) -> None:
    example = _load("run_ensemble_api")
    args = ["--members", "200", "--scheduler", "serial", "--output", str(tmp_path)]
    ds = example.main(args)
    exact = example.CONFIG["s0"] * np.exp(example.CONFIG["mu"] * ds["time"].values)
    gap = np.abs(ds["price"].mean("member").values - exact)
    standard_error = ds["price"].std("member").values / np.sqrt(200)
    assert (gap[1:] < 5 * standard_error[1:]).all()
    assert gap[0] == 0.0  # every path starts at S0
    lo, hi = example.CONFIG["sigma_range"]
    assert ((ds["sigma"] >= lo) & (ds["sigma"] <= hi)).all()
    assert (tmp_path / "gbm.png").exists()
    again = example.main([*args, "--resume"])
    assert "0 members computed" in again.attrs["history"].splitlines()[-1]


def test_run_file_example_is_valid() -> None:
    result = CliRunner().invoke(app, ["validate", str(EXAMPLES / "ou.toml")])
    assert result.exit_code == 0, result.stderr
    assert "pipeline ou, 64 members" in result.stdout


def test_slurm_job_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(EXAMPLES / "slurm_job.sh")], check=True)


@pytest.mark.skipif(not module_available("dask_jobqueue"), reason="dask-jobqueue not installed")
@pytest.mark.xdist_group("cluster")  # starts a Dask scheduler
def test_jobqueue_example_writes_a_worker_job_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _load("jobqueue_run")
    example.main(
        [str(EXAMPLES / "ou.toml"), "--dry-run", "--cores", "4", "--logs", str(tmp_path / "logs")]
    )
    script = capsys.readouterr().out
    assert "#SBATCH --cpus-per-task=4" in script
    assert "--nworkers 4" in script and "--nthreads 1" in script


def test_demo_part_checks_the_variance(tmp_path: Path) -> None:
    result = PART.run(tmp_path, None)
    assert (tmp_path / "ensemble.png").exists()
    assert (tmp_path / "ou_ensemble.zarr" / ".zmetadata").exists()
    assert "0 failed" in result.findings[0]
    assert "0 members computed" in result.findings[1]
