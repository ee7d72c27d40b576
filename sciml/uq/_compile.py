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

from gpu.backends import get_backend
from sciml.uq.calibration_inputs import kernel_backend

__all__ = ["compiled", "kernel_backend"]


@cache
def compiled(loop: Callable[..., Any]) -> Callable[..., Any]:
    """The numba-compiled version of a loop kernel (compiled once, cached on disk)."""
    return get_backend("numba").jit(loop, cache=True, nogil=True)
