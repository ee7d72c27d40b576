"""NumPy functions that numba's ``njit`` lacks, for right-hand sides translated to numba.

:mod:`solvers.chaos.translate` replaces calls that numba does not compile
by these: ``np.heaviside`` (no numba implementation) and ``np.min`` /
``np.max`` with an ``axis`` argument (numba reduces whole arrays only), each
with NumPy's semantics on the inputs the translated functions pass. Calls
numba knows under another spelling (``np.matmul`` as ``@``, list arguments of
``np.hstack`` as tuples) are rewritten in the syntax tree instead.

Importing this module imports numba.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["amax_axis", "amin_axis", "heaviside"]


@numba.vectorize(["float64(float64, float64)"], cache=True)
def heaviside(x: float, h0: float) -> float:  # pragma: no cover - compiled by numba
    """``np.heaviside``: 0 below zero, ``h0`` at zero, 1 above, NaN for NaN (a ufunc)."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return 0.0
    return h0 if x == 0.0 else x


@numba.njit(cache=True)
def _reduce_2d(a: Any, axis: int, sign: float) -> Any:
    """``sign * max(sign * a)`` along ``axis`` of a 2-D array (NaN propagates, as in NumPy)."""
    rows, cols = a.shape
    n_out, n_red = (cols, rows) if axis == 0 else (rows, cols)
    out = np.empty(n_out)
    for i in range(n_out):
        best = sign * (a[0, i] if axis == 0 else a[i, 0])
        for j in range(1, n_red):
            v = sign * (a[j, i] if axis == 0 else a[i, j])
            if v > best or np.isnan(v):
                best = v
            if np.isnan(best):
                break
        out[i] = sign * best
    return out


@numba.njit(cache=True)
def amin_axis(a: Any, axis: int) -> Any:
    """``np.min(a, axis=axis)`` for a 2-D array (``axis`` 0, 1 or -1)."""
    return _reduce_2d(a, axis % 2, -1.0)


@numba.njit(cache=True)
def amax_axis(a: Any, axis: int) -> Any:
    """``np.max(a, axis=axis)`` for a 2-D array (``axis`` 0, 1 or -1)."""
    return _reduce_2d(a, axis % 2, 1.0)
