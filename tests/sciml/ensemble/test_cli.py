"""``sciml run``, ``sciml validate`` and ``sciml show``: results and exit codes 0, 1 and 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from sciml.cli import app
from sciml.ensemble import Pipeline, register_pipeline, unregister_pipeline
from tests.sciml.ensemble import _members as m

OU_RUN = """
pipeline = "ou"
members = 6
seed = 5
output = "ou.zarr"
chunk_size = 2

[config]
theta = 2.0
n_steps = 20
"""

FAULTY_RUN = """
pipeline = "faulty-test"
members = 8
seed = 5
output = "faulty.zarr"
scheduler = "serial"
"""


@pytest.fixture
def faulty_pipeline() -> Iterator[None]:
    """A pipeline whose member 3 raises and member 5 goes NaN."""
    register_pipeline(Pipeline("faulty-test", m.FaultyConfig, m.faulty))
    yield
    unregister_pipeline("faulty-test")


def _write(folder: Path, text: str, name: str = "run.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_run_validate_and_show_a_good_run_file(tmp_path: Path) -> None:
    run_file = _write(tmp_path, OU_RUN)
    code, out, _ = _invoke("validate", run_file)
    assert code == 0
    assert "is valid: pipeline ou, 6 members, seed 5" in out
    assert not (tmp_path / "ou.zarr").exists()

    code, out, err = _invoke("run", run_file, "--no-progress")
    assert (code, err) == (0, "")
    assert "6 members: 6 succeeded, 0 failed" in out
    ds = xr.open_zarr(tmp_path / "ou.zarr")
    assert ds.sizes == {"member": 6, "time": 21}

    code, out, _ = _invoke("run", run_file, "--resume")
    assert code == 0
    assert (
        "0 members computed (0 failed), 6 already in the store"
        in xr.open_zarr(tmp_path / "ou.zarr").attrs["history"]
    )

    code, out, _ = _invoke("show", tmp_path / "ou.zarr")
    assert code == 0
    for expected in ("dims: member=6, time=21", "6 of 6 members done", "seed: 5", "history:"):
        assert expected in out


def test_overrides_from_the_command_line(tmp_path: Path) -> None:
    run_file = _write(tmp_path, OU_RUN)
    elsewhere = tmp_path / "elsewhere.zarr"
    code, _, err = _invoke(
        "run", run_file, "--members", "3", "--scheduler", "serial", "--output", elsewhere
    )
    assert (code, err) == (0, "")
    assert xr.open_zarr(elsewhere).sizes["member"] == 3
    assert "on serial" in xr.open_zarr(elsewhere).attrs["history"]


def test_member_failures_exit_0_and_1_in_strict_mode(tmp_path: Path, faulty_pipeline: None) -> None:
    run_file = _write(tmp_path, FAULTY_RUN)
    code, out, _ = _invoke("run", run_file)
    assert code == 0
    assert "8 members: 6 succeeded, 2 failed" in out

    code, out, _ = _invoke("show", tmp_path / "faulty.zarr")
    assert "member 3: ValueError: member 3 diverged on purpose" in out
    assert "member 5: NumericalInstability" in out

    code, _, err = _invoke("run", run_file, "--strict", "--output", tmp_path / "strict.zarr")
    assert code == 1
    assert err.count("\n") == 1
    assert "member 3: ValueError" in err and "member 5: NumericalInstability" in err
    assert xr.open_zarr(tmp_path / "strict.zarr")["done"].values.all()


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("members = = 3", (), "is not valid TOML"),
        (OU_RUN.replace('"ou"', '"nope"'), (), "pipeline: unknown pipeline, choose from"),
        (OU_RUN.replace("seed = 5\n", ""), (), "seed: required key is missing"),
        (OU_RUN.replace("members = 6", "members = -4"), (), "members: Input should be greater"),
        (OU_RUN, ("--members", "-4"), "members: Input should be greater than or equal to 1"),
        (OU_RUN.replace("members = 6", "memebrs = 6"), (), "memebrs: unknown key"),
        (
            OU_RUN.replace("theta = 2.0", "theta = -2.0"),
            (),
            "config.theta: Input should be greater",
        ),
        (OU_RUN.replace("chunk_size = 2", 'scheduler = "mpi"'), (), "scheduler: unknown scheduler"),
        (OU_RUN.replace('"ou.zarr"', '"missing/ou.zarr"'), (), "folder .* does not exist"),
        (OU_RUN.replace('"ou.zarr"', '"a_file/ou.zarr"'), (), "a_file is not a folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, text: str, extra: tuple[str, ...], message: str
) -> None:
    (tmp_path / "a_file").write_text("")
    run_file = _write(tmp_path, text)
    commands = [["run", run_file, *extra]] + ([] if extra else [["validate", run_file]])
    for command in commands:
        code, _, err = _invoke(*command)
        assert code == 2, err
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert re.search(message, err), err


def test_missing_run_file_and_non_store_exit_2(tmp_path: Path) -> None:
    code, _, err = _invoke("run", tmp_path / "absent.toml")
    assert code == 2 and "does not exist" in err
    code, _, err = _invoke("show", tmp_path)
    assert code == 2 and "cannot open" in err


def test_an_existing_store_needs_resume(tmp_path: Path) -> None:
    run_file = _write(tmp_path, OU_RUN)
    assert _invoke("run", run_file)[0] == 0
    code, _, err = _invoke("run", run_file)
    assert code == 2 and "pass resume=True (sciml run --resume)" in err


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["show"]])
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = _invoke(*command, "--help")
    assert code == 0
    assert "Usage" in out
