"""Find the array namespace of arrays, whatever library made them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpu.errors import InputError

__all__ = ["array_namespace"]


def _namespace_of(x: Any) -> ModuleType | None:
    if x is None or isinstance(x, (bool, int, float, complex)):
        return None
    module = type(x).__module__.split(".")[0]
    if module == "cupy":
        import cupy

        return cupy
    if module in ("jax", "jaxlib"):
        import jax.numpy as jnp

        return jnp
    if isinstance(x, (np.ndarray, np.generic, list, tuple)):
        return np
    if hasattr(x, "__array_namespace__"):
        ns: ModuleType = x.__array_namespace__()
        return ns
    return np


def array_namespace(*arrays: Any) -> ModuleType:
    """Return the one array namespace shared by ``arrays``.

    Python scalars and ``None`` are ignored; lists and tuples count as NumPy.

    Raises
    ------
    InputError
        If the arrays come from different libraries (e.g. a CuPy and a NumPy
        array): move them to one backend first.
    """
    found = {ns for ns in map(_namespace_of, arrays) if ns is not None}
    if not found:
        return np
    if len(found) > 1:
        names = sorted(ns.__name__ for ns in found)
        raise InputError(
            f"arrays from different libraries were mixed ({', '.join(names)}): "
            "convert them to one backend with Backend.asarray first"
        )
    return found.pop()
