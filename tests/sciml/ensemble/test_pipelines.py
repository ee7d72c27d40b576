"""The pipeline registry and run-file loading: names, backends, paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from gpu.errors import ConfigError
from sciml.ensemble import (
    Pipeline,
    get_pipeline,
    load_run,
    pipeline_names,
    register_pipeline,
    unregister_pipeline,
)
from sciml.ensemble.ou import OUConfig, ou_member
from tests.sciml.ensemble import _members as m


class BackendConfig(BaseModel):
    """A configuration that wants to know its backend (a plain pydantic model, as in solvers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str
    scale: float = 1.0


@pytest.fixture
def two_backend_pipeline() -> Iterator[Pipeline]:
    pipeline = Pipeline("two-backends", BackendConfig, m.walk, backends=("numpy", "numba"))
    register_pipeline(pipeline)
    yield pipeline
    unregister_pipeline(pipeline.name)


def _run_file(folder: Path, pipeline: str, extra: str = "") -> Path:
    path = folder / "run.toml"
    path.write_text(
        f'pipeline = "{pipeline}"\nmembers = 4\nseed = 1\noutput = "out/run.zarr"\n{extra}'
    )
    (folder / "out").mkdir(exist_ok=True)
    return path


def test_builtin_ou_pipeline() -> None:
    pipeline = get_pipeline("ou")
    assert "ou" in pipeline_names()
    assert pipeline.member is ou_member and pipeline.config_model is OUConfig
    with pytest.raises(ConfigError, match=r"unknown pipeline 'chaos-x': choose from .*ou"):
        get_pipeline("chaos-x")


def test_registering_checks_names_and_backends(two_backend_pipeline: Pipeline) -> None:
    with pytest.raises(ConfigError, match="exists: pass replace=True"):
        register_pipeline(two_backend_pipeline)
    register_pipeline(two_backend_pipeline, replace=True)
    with pytest.raises(ConfigError, match="backends must be a non-empty tuple"):
        register_pipeline(Pipeline("bad", BackendConfig, m.walk, backends=("fortran",)))


def test_run_file_backend_reaches_a_config_with_a_backend_field(
    tmp_path: Path, two_backend_pipeline: Pipeline
) -> None:
    plan = load_run(_run_file(tmp_path, "two-backends", 'backend = "numba"\n'))
    assert plan.backend == "numba"
    assert isinstance(plan.config, BackendConfig) and plan.config.backend == "numba"
    auto = load_run(_run_file(tmp_path, "two-backends"))
    assert auto.backend in ("numpy", "numba")
    with pytest.raises(ConfigError, match="backend: pipeline 'two-backends' runs on numpy, numba"):
        load_run(_run_file(tmp_path, "two-backends", 'backend = "jax"\n'))
    with pytest.raises(ConfigError, match=r"config\.backend: set the backend once"):
        load_run(_run_file(tmp_path, "two-backends", '[config]\nbackend = "numpy"\n'))


def test_single_backend_pipeline_resolves_auto_and_refuses_others(tmp_path: Path) -> None:
    assert load_run(_run_file(tmp_path, "ou")).backend == "numpy"
    with pytest.raises(ConfigError, match="runs on numpy, not 'cupy'"):
        load_run(_run_file(tmp_path, "ou", 'backend = "cupy"\n'))
    with pytest.raises(ConfigError, match="backend: unknown backend"):
        load_run(_run_file(tmp_path, "ou", 'backend = "tpu"\n'))


def test_output_paths_are_relative_to_the_run_file_or_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_file = _run_file(tmp_path, "ou")
    monkeypatch.chdir(tmp_path / "out")
    assert load_run(run_file).output == tmp_path / "out" / "run.zarr"
    assert load_run(run_file, output="here.zarr").output == tmp_path / "out" / "here.zarr"
    plan = load_run(run_file, members=9, scheduler="serial", workers=None)
    assert (plan.run.members, plan.run.scheduler, plan.run.workers) == (9, "serial", None)
