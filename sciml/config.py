"""Frozen, validated configuration objects, loadable from TOML.

Every run of sciml is described by a subclass of :class:`Config`: a frozen
pydantic model that refuses unknown keys. :func:`load_toml` reads one from a
file and turns pydantic's validation report into a :class:`ConfigError` whose
lines name each offending key (``members: must be >= 1, got -3``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomllib
from pydantic import BaseModel, ConfigDict, ValidationError

from gpu.errors import ConfigError

__all__ = ["Config", "format_validation_error", "load_toml", "parse_config"]

C = TypeVar("C", bound="Config")


class Config(BaseModel):
    """Base class of sciml configurations: immutable, strict about unknown keys.

    Use :meth:`replace` to derive a changed copy (``cfg.replace(members=10)``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def replace(self: C, **changes: Any) -> C:
        """Return a validated copy with ``changes`` applied."""
        return parse_config(type(self), {**self.model_dump(), **changes})


def format_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line per problem, each naming the key path and what is expected."""
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if prefix:
            key = f"{prefix}.{key}"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        got = item.get("input")
        shown = "" if item["type"] in ("missing", "extra_forbidden") else f", got {got!r}"
        lines.append(f"{key}: {message}{shown}")
    return "; ".join(lines)


def parse_config(model: type[C], data: Mapping[str, Any], *, where: str = "") -> C:
    """Validate ``data`` into ``model`` or raise :class:`ConfigError`.

    Parameters
    ----------
    model : type
        A :class:`Config` subclass.
    data : mapping
        Raw values, e.g. a parsed TOML table.
    where : str, optional
        Key prefix or file name to put in front of each message.
    """
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(
            f"invalid {model.__name__}{' in ' + where if where else ''}: "
            + format_validation_error(exc)
        ) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning I/O and syntax errors into :class:`ConfigError`."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"run file {file} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{file} is a folder, not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from None


def load_toml(model: type[C], path: str | Path, table: str | None = None) -> C:
    """Load a :class:`Config` subclass from a TOML file (optionally one table of it)."""
    data: Any = read_toml(path)
    if table is not None:
        if table not in data:
            raise ConfigError(f"{path}: table [{table}] is missing")
        data = data[table]
    return parse_config(model, data, where=str(path))
