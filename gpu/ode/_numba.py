"""Code generation for the numba backend: unrolled over the state dimension.

A numba right-hand side has the scalar form ``f(y_0, ..., y_{D-1}, t, p_0,
..., p_{P-1}) -> tuple`` of ``D`` values. The kernels here are generated for
one ``(D, P)`` pair, so components and parameters live in registers and the
members loop compiles to straight-line, vectorizable code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gpu._optional import require

__all__ = ["array_wrapper", "rk4_kernel"]


def _compile(source: str, name: str) -> Any:
    numba = require("numba", "the numba backend")
    scope: dict[str, Any] = {"np": np}
    exec(compile(source, f"<sciml generated {name}>", "exec"), scope)
    return numba.njit(error_model="numpy")(scope[name])


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


@cache
def array_wrapper(dim: int, n_params: int) -> Any:
    """``w(f, y, t, p, out)``: the scalar form ``f`` on 1-D arrays, into ``out``."""
    args = ", ".join([f"y[{i}]" for i in range(dim)] + ["t"] + [f"p[{i}]" for i in range(n_params)])
    stores = "\n".join(f"    out[{i}] = r[{i}]" for i in range(dim))
    source = f"def wrapper(f, y, t, p, out):\n    r = f({args})\n{stores}\n"
    return _compile(source, "wrapper")


@cache
def rk4_kernel(dim: int, n_params: int) -> Any:
    """Fixed-step RK4 with members in the innermost loop, for ``dim`` and ``n_params``.

    Signature: ``kernel(f, y0, t0, dt_out, n_out, substeps, p, max_abs, out, status)``
    with ``y0`` of shape (D, M), ``p`` (P, M), ``out`` (n_out, D, M).
    """
    ys, ps = _names("y", dim), _names("p", n_params)
    tail = ", ".join(ps)

    def call(prefix: str, states: list[str], time: str) -> str:
        targets = ", ".join(_names(prefix, dim))
        comma = "," if dim == 1 else ""
        return f"{targets}{comma} = f({', '.join(states)}, {time}{', ' if ps else ''}{tail})"

    def shifted(prefix: str, factor: str) -> list[str]:
        return [f"{y} + {factor} * {k}" for y, k in zip(ys, _names(prefix, dim), strict=True)]

    lines = [
        "def kernel(f, y0, t0, dt_out, n_out, substeps, p, max_abs, out, status):",
        "    members = y0.shape[1]",
        "    state = y0.copy()",
        "    alive = np.ones(members, dtype=np.bool_)",
        "    out[0] = y0",
        "    for k in range(1, n_out):",
        "        for s in range(substeps):",
        "            for m in range(members):",
        "                h = dt_out[m] / substeps",
        "                t = t0[m] + ((k - 1) * substeps + s) * h",
        "                h6 = h / 6.0",
        *[f"                {y} = state[{i}, m]" for i, y in enumerate(ys)],
        *[f"                {q} = p[{i}, m]" for i, q in enumerate(ps)],
        "                " + call("a", ys, "t"),
        "                " + call("b", shifted("a", "0.5 * h"), "t + 0.5 * h"),
        "                " + call("c", shifted("b", "0.5 * h"), "t + 0.5 * h"),
        "                " + call("d", shifted("c", "h"), "t + h"),
        *[
            f"                state[{i}, m] = {y} + h6 * (a{i} + 2.0 * b{i} + 2.0 * c{i} + d{i})"
            for i, y in enumerate(ys)
        ],
        "        for m in range(members):",
        "            for i in range(state.shape[0]):",
        "                if not abs(state[i, m]) <= max_abs:",
        "                    alive[m] = False",
        "            for i in range(state.shape[0]):",
        "                out[k, i, m] = state[i, m] if alive[m] else np.nan",
        "    for m in range(members):",
        "        status[m] = 0 if alive[m] else 1",
    ]
    return _compile("\n".join(lines) + "\n", "kernel")
