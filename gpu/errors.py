"""The sciml error hierarchy.

Every error that sciml raises on bad input is a :class:`SciMLError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do
not know about sciml. The classes live in the lowest layer (``gpu``) so that
every layer can raise them; ``sciml`` re-exports them.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "ContractError",
    "InputError",
    "MissingExtra",
    "NumericalInstability",
    "SciMLError",
]


class SciMLError(ValueError):
    """Base class of every error raised by sciml on bad input or a failed run."""


class ConfigError(SciMLError):
    """A configuration value is invalid: its message names the key and what is expected."""


class InputError(SciMLError):
    """Input data are unusable: wrong shape or dims, NaN where none is allowed, ..."""


class ContractError(InputError):
    """A Dataset does not follow the sciml xarray data contract."""


class BackendUnavailable(SciMLError):
    """The requested array backend cannot run on this machine (no GPU, no driver, ...)."""


class MissingExtra(BackendUnavailable, ImportError):
    """An optional dependency is not installed; the message gives the install command."""

    def __init__(self, module: str, extra: str, purpose: str = "") -> None:
        self.module = module
        self.extra = extra
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{module!r} is needed{what} but is not installed: pip install 'sciml[{extra}]'"
        )
        self.name = module


class NumericalInstability(SciMLError):
    """A computation produced non-finite values or violated a stability limit."""
