"""Frozen configs and TOML loading with errors that point at the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from sciml.config import Config, load_toml, parse_config
from sciml.errors import ConfigError


class Example(Config):
    members: int = Field(8, ge=1, description="number of ensemble members")
    dt_s: float = Field(1.0, gt=0, description="time step [s]")
    name: str


def test_frozen_and_replace_validates() -> None:
    cfg = parse_config(Example, {"name": "a"})
    with pytest.raises(ValidationError):
        cfg.members = 3  # type: ignore[misc]
    assert cfg.replace(members=3).members == 3
    with pytest.raises(ConfigError, match="members: Input should be greater than or equal to 1"):
        cfg.replace(members=0)


def test_errors_name_each_key(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("members = -3\ndt_s = 'fast'\ncolour = 1\n")
    with pytest.raises(ConfigError) as info:
        load_toml(Example, path)
    message = str(info.value)
    assert "members: Input should be greater than or equal to 1, got -3" in message
    assert "dt_s: Input should be a valid number" in message
    assert "colour: unknown key" in message
    assert "name: required key is missing" in message
    assert "\n" not in message


def test_malformed_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("members = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(Example, bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_toml(Example, tmp_path / "missing.toml")


def test_table_selection(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("[model]\nname = 'x'\nmembers = 2\n")
    assert load_toml(Example, path, table="model").members == 2
    with pytest.raises(ConfigError, match=r"table \[solver\] is missing"):
        load_toml(Example, path, table="solver")
