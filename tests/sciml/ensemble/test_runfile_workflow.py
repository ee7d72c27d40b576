"""Run files that name a workflow: config injection, execution, CLI, and their errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pydantic import Field
from typer.testing import CliRunner

from gpu.errors import ConfigError, InputError
from sciml.cli import app
from sciml.config import Config
from sciml.ensemble import load_run, register_pipeline, unregister_pipeline
from sciml.ensemble.pipelines import Workflow, get_pipeline
from solvers.contract import validate_dataset, with_provenance


class DrawConfig(Config):
    """``n`` uniform draws on ``[0, scale)``."""

    n: int = Field(ge=2)
    seed: int = Field(ge=0)
    scale: float = Field(1.0, gt=0)


def draw(
    config: DrawConfig,
    *,
    scheduler: str,
    workers: int | None,
    figures: Path | None,
    progress: bool | None,
) -> xr.Dataset:
    """The draws and their mean; a text file in ``figures`` stands in for a plot."""
    values = config.scale * np.random.default_rng(config.seed).uniform(size=config.n)
    if figures is not None:
        (figures / "plot.txt").write_text(f"{scheduler} {workers}")
    ds = xr.Dataset(
        {
            "x": ("sample", values, {"units": "m", "long_name": "draw"}),
            "x_mean": ((), values.mean(), {"units": "m", "long_name": "mean of the draws"}),
        }
    )
    return with_provenance(ds, backend="numpy", seed=config.seed, config=config)


WORKFLOW = Workflow(
    "draw-test",
    DrawConfig,
    draw,
    members_field="n",
    seed_field="seed",
    summary=lambda ds: f"mean {float(ds['x_mean']):.3f}",
)

RUN = """
pipeline = "draw-test"
members = 50
seed = 3
output = "draws.zarr"
scheduler = "serial"
{extra}
[config]
scale = 2.0
{config}
"""


@pytest.fixture
def workflow() -> Iterator[Workflow]:
    register_pipeline(WORKFLOW)
    yield WORKFLOW
    unregister_pipeline(WORKFLOW.name)


def _write(folder: Path, extra: str = "", config: str = "") -> Path:
    path = folder / "run.toml"
    path.write_text(RUN.format(extra=extra, config=config))
    return path


def _invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_members_and_seed_fill_the_workflow_config(tmp_path: Path, workflow: Workflow) -> None:
    plan = load_run(_write(tmp_path), members=20)
    assert plan.pipeline is get_pipeline("draw-test")
    assert plan.config == DrawConfig(n=20, seed=3, scale=2.0)
    assert plan.describe().startswith("workflow draw-test, 20 members, seed 3")
    ds = plan.execute()
    stored = xr.open_zarr(plan.output).load()
    expected = 2.0 * np.random.default_rng(3).uniform(size=20)
    np.testing.assert_array_equal(stored["x"].values, expected)
    assert float(stored["x_mean"]) == pytest.approx(expected.mean(), rel=1e-15)
    assert "workflow draw-test from" in stored.attrs["history"]
    validate_dataset(stored)
    assert (plan.figures / "plot.txt").read_text() == "serial None"
    assert plan.summary(ds) == f"mean {expected.mean():.3f}"


def test_workflow_run_file_errors(tmp_path: Path, workflow: Workflow) -> None:
    with pytest.raises(ConfigError, match=r"config\.n: set the members once"):
        load_run(_write(tmp_path, config="n = 4"))
    with pytest.raises(ConfigError, match=r"config\.seed: set the seed once"):
        load_run(_write(tmp_path, config="seed = 4"))
    with pytest.raises(ConfigError, match=r"config\.offset: unknown key"):
        load_run(_write(tmp_path, config="offset = 1.0"))
    with pytest.raises(ConfigError, match="chunk_size: the draw-test workflow sets its own"):
        load_run(_write(tmp_path, extra="chunk_size = 4"))
    plan = load_run(_write(tmp_path))
    with pytest.raises(ConfigError, match="cannot resume"):
        plan.execute(resume=True)
    plan.execute()
    with pytest.raises(InputError, match="exists already"):
        plan.execute()


def test_cli_runs_validates_and_shows_a_workflow(tmp_path: Path, workflow: Workflow) -> None:
    run_file = _write(tmp_path)
    code, out, _ = _invoke("validate", run_file)
    assert code == 0
    assert "is valid: workflow draw-test, 50 members, seed 3" in out
    code, out, err = _invoke("run", run_file, "--no-progress")
    assert (code, err) == (0, "")
    expected = 2.0 * np.random.default_rng(3).uniform(size=50).mean()
    assert f"mean {expected:.3f}; written to" in out
    code, out, _ = _invoke("show", tmp_path / "draws.zarr")
    assert code == 0
    for line in ("dims: sample=50", "x(sample)", "seed: 3", "workflow draw-test from"):
        assert line in out
    assert "members:" not in out
    code, _, err = _invoke("run", run_file, "--resume")
    assert code == 2
    assert "cannot resume" in err
    (tmp_path / "plain.zarr").mkdir()
    code, _, err = _invoke("show", tmp_path / "plain.zarr")
    assert code == 2
    assert "not an ensemble store" in err or "cannot open" in err
