"""Lazy detection and import of optional dependencies."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType

from gpu.errors import MissingExtra

__all__ = ["module_available", "require"]

#: The extra that provides each optional top-level module.
EXTRA_OF: dict[str, str] = {
    "jax": "jax",
    "torch": "torch",
    "cupy": "gpu",
    "dysts": "chaos",
    "skfem": "fem",
    "meshio": "fem",
    "distributed": "hpc",
    "dask_jobqueue": "hpc",
}


@cache
def module_available(name: str) -> bool:
    """Return whether ``name`` can be imported, without importing it.

    Parameters
    ----------
    name : str
        Top-level module name, e.g. ``"jax"``.
    """
    return importlib.util.find_spec(name) is not None


def require(name: str, purpose: str = "") -> ModuleType:
    """Import an optional module or raise :class:`~gpu.errors.MissingExtra`.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"jax.numpy"``.
    purpose : str, optional
        What the module is needed for, used in the error message.

    Returns
    -------
    module
        The imported module.
    """
    top = name.split(".")[0]
    if not module_available(top):
        raise MissingExtra(top, EXTRA_OF.get(top, "complete"), purpose)
    return importlib.import_module(name)
