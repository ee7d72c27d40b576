"""sciml's exceptions (defined in :mod:`gpu.errors`, the lowest layer, re-exported here)."""

from gpu.errors import (
    BackendUnavailable,
    ConfigError,
    ContractError,
    InputError,
    MissingExtra,
    NumericalInstability,
    SciMLError,
)

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "ContractError",
    "InputError",
    "MissingExtra",
    "NumericalInstability",
    "SciMLError",
]
