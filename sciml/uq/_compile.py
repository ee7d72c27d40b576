"""Backend choice and lazy numba compilation of the UQ loop kernels.

The loop kernels are plain Python functions (runnable, slowly, as they are);
:func:`compiled` turns one into a numba function the first time it is needed,
so importing :mod:`sciml.uq` does not import numba. The vectorized NumPy
implementation next to each kernel is the reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from gpu._optional import module_available
from gpu.backends import get_backend
from gpu.errors import ConfigError

__all__ = ["compiled", "kernel_backend", "loop_for"]


@cache
def compiled(loop: Callable[..., Any]) -> Callable[..., Any]:
    """The numba-compiled version of a loop kernel (compiled once, cached on disk)."""
    return get_backend("numba").jit(loop, cache=True, nogil=True)


def kernel_backend(name: str | None) -> str:
    """Resolve the backend of a loop kernel: ``"numba"`` (compiled) or ``"numpy"`` (reference).

    Parameters
    ----------
    name : {None, "auto", "numba", "numpy"}
        ``None`` and ``"auto"`` pick numba when it is installed.

    Returns
    -------
    str
        ``"numba"`` or ``"numpy"``.

    Raises
    ------
    ConfigError
        Any other backend (these kernels run on the CPU only).
    MissingExtra
        ``"numba"`` asked for but not installed.
    """
    if name is None or name == "auto":
        return "numba" if module_available("numba") else "numpy"
    if name not in ("numba", "numpy"):
        raise ConfigError(
            f"backend={name!r} is not available for this computation: "
            "use 'numba' (compiled loops), 'numpy' (reference) or 'auto'"
        )
    get_backend(name)  # raises MissingExtra for a missing numba
    return name


def loop_for(loop: Callable[..., Any], backend: str | None) -> Callable[..., Any]:
    """``loop`` compiled with numba, or as it is (the reference) for ``backend="numpy"``."""
    return compiled(loop) if kernel_backend(backend) == "numba" else loop
