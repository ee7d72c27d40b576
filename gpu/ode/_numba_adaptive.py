"""The numba kernel of the adaptive Dormand–Prince methods, compiled once for every system.

The right-hand side arrives as a C callback ``rhs(y*, t, p*, out*)`` of one
fixed signature (:func:`gpu.ode._numba.rhs_pointer`), taken as a numba
first-class function: the kernel's types do not depend on the system, so it is
compiled once and cached on disk (``cache=True``), and a new system costs only
its small callback. Each member is integrated on its own; Dopri5 and DOP853
share the starting step, the step-size control and the output loop, and
differ in their stages, error norm and dense output (selected by ``method``).

Importing this module imports numba.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from gpu.ode._array_adaptive import FAC_MIN, SAFETY, TINY
from gpu.ode.dop853 import _A as _A8
from gpu.ode.dop853 import _C as _C8
from gpu.ode.dop853 import _DENSE as _D8
from gpu.ode.dop853 import _E3 as _E8_3
from gpu.ode.dop853 import _E5 as _E8_5
from gpu.ode.dop853 import _STAGES as _STAGES8
from gpu.ode.dopri5 import _A as _A5
from gpu.ode.dopri5 import _C as _C5
from gpu.ode.dopri5 import _D as _D5
from gpu.ode.dopri5 import _E as _E5

__all__ = ["DOP853", "DOPRI5", "integrate", "solve"]

#: Values of ``method`` in :func:`integrate`.
DOPRI5, DOP853 = 0, 1

_FAC_MAX = 10.0  # largest step growth in one step (as on the other backends)


def _address_intrinsic(typingctx: Any, arr: Any) -> Any:
    """The data pointer of a contiguous array, for the C callback."""
    sig = types.CPointer(arr.dtype)(arr)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return context.make_array(signature.args[0])(context, builder, args[0]).data

    return sig, codegen


_address: Any = intrinsic(_address_intrinsic)


@numba.njit(error_model="numpy", cache=True)
def _starting_step(
    f: Any, y: Any, t: Any, pp: Any, ks: Any, y_stage: Any, rtol: Any, atol: Any, order: Any
) -> Any:
    """Hairer's starting step for a local error ``O(h^order)``; ``ks[0]`` holds ``f(t, y)``."""
    dim = y.shape[0]
    d0 = 0.0
    d1 = 0.0
    for i in range(dim):
        sc = atol + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (ks[0, i] / sc) ** 2
    d0 = np.sqrt(d0 / dim)
    d1 = np.sqrt(d1 / dim)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    for i in range(dim):
        y_stage[i] = y[i] + h0 * ks[0, i]
    f(_address(y_stage), t + h0, pp, _address(ks[1]))
    d2 = 0.0
    for i in range(dim):
        sc = atol + rtol * abs(y[i])
        d2 += ((ks[1, i] - ks[0, i]) / sc) ** 2
    d2 = np.sqrt(d2 / dim) / h0
    dmax = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if dmax <= 1e-15 else (0.01 / dmax) ** (1.0 / order)
    h = min(100.0 * h0, h1)
    return h if np.isfinite(h) else 1e-6


@numba.njit(error_model="numpy", cache=True)
def _dopri5_stages(f: Any, y: Any, t: Any, h: Any, pp: Any, ks: Any, y_stage: Any) -> None:
    """Stages 1..6 of Dopri5 into ``ks`` (the tableau as compile-time constants)."""
    for s in range(1, 7):
        for i in range(y.shape[0]):
            acc = 0.0
            for j in range(s):
                acc += _A5[s, j] * ks[j, i]
            y_stage[i] = y[i] + h * acc
        f(_address(y_stage), t + _C5[s] * h, pp, _address(ks[s]))


@numba.njit(error_model="numpy", cache=True)
def _dop853_stages(
    f: Any, first: Any, last: Any, y: Any, t: Any, h: Any, pp: Any, ks: Any, y_stage: Any
) -> None:
    """Stages ``first..last - 1`` of DOP853 (with the extra ones) into ``ks``."""
    for s in range(first, last):
        for i in range(y.shape[0]):
            acc = 0.0
            for j in range(s):
                acc += _A8[s, j] * ks[j, i]
            y_stage[i] = y[i] + h * acc
        f(_address(y_stage), t + _C8[s] * h, pp, _address(ks[s]))


@numba.njit(error_model="numpy", cache=True)
def _dopri5_step(
    f: Any, y: Any, t: Any, h: Any, pp: Any, ks: Any, y_stage: Any, y_new: Any, rtol: Any, atol: Any
) -> Any:
    """One Dopri5 step: ``y_new``, ``ks[6] = f(y_new)`` and the RMS error norm."""
    dim = y.shape[0]
    _dopri5_stages(f, y, t, h, pp, ks, y_stage)
    err = 0.0
    for i in range(dim):
        y_new[i] = y_stage[i]
        e = 0.0
        for j in range(7):
            e += _E5[j] * ks[j, i]
        sc = atol + rtol * max(abs(y[i]), abs(y_new[i]))
        err += (h * e / sc) ** 2
    return np.sqrt(err / dim)


@numba.njit(error_model="numpy", cache=True)
def _dop853_step(
    f: Any, y: Any, t: Any, h: Any, pp: Any, ks: Any, y_stage: Any, y_new: Any, rtol: Any, atol: Any
) -> Any:
    """One DOP853 step: ``y_new``, ``ks[12] = f(y_new)`` and Hairer's error norm."""
    dim = y.shape[0]
    _dop853_stages(f, 1, _STAGES8 + 1, y, t, h, pp, ks, y_stage)
    e5 = 0.0
    e3 = 0.0
    for i in range(dim):
        y_new[i] = y_stage[i]
        a5 = 0.0
        a3 = 0.0
        for j in range(_STAGES8 + 1):
            a5 += _E8_5[j] * ks[j, i]
            a3 += _E8_3[j] * ks[j, i]
        sc = atol + rtol * max(abs(y[i]), abs(y_new[i]))
        e5 += (a5 / sc) ** 2
        e3 += (a3 / sc) ** 2
    denom = e5 + 0.01 * e3
    if not denom > 0.0:
        denom = 1.0
    return abs(h) * e5 / np.sqrt(denom * dim)


@numba.njit(error_model="numpy", cache=True)
def _dopri5_dense(y: Any, y_new: Any, h: Any, ks: Any, terms: Any) -> Any:
    """The four coefficient vectors of Dopri5's continuous extension; returns 4."""
    for i in range(y.shape[0]):
        dense = 0.0
        for j in range(7):
            dense += _D5[j] * ks[j, i]
        ydiff = y_new[i] - y[i]
        bspl = h * ks[0, i] - ydiff
        terms[0, i] = ydiff
        terms[1, i] = bspl
        terms[2, i] = ydiff - h * ks[6, i] - bspl
        terms[3, i] = h * dense
    return 4


@numba.njit(error_model="numpy", cache=True)
def _dop853_dense(
    f: Any, y: Any, y_new: Any, t: Any, h: Any, pp: Any, ks: Any, y_stage: Any, terms: Any
) -> Any:
    """The seven coefficient vectors of DOP853's extension (three extra stages); returns 7."""
    _dop853_stages(f, _STAGES8 + 1, 16, y, t, h, pp, ks, y_stage)
    for i in range(y.shape[0]):
        dy = y_new[i] - y[i]
        terms[0, i] = dy
        terms[1, i] = h * ks[0, i] - dy
        terms[2, i] = 2.0 * dy - h * (ks[_STAGES8, i] + ks[0, i])
        for r in range(4):
            acc = 0.0
            for j in range(16):
                acc += _D8[r, j] * ks[j, i]
            terms[3 + r, i] = h * acc
    return 7


@numba.njit(error_model="numpy", cache=True)
def _interpolate(y: Any, terms: Any, n_terms: Any, theta: Any, i: Any) -> Any:
    """``y + theta (F0 + (1 - theta) (F1 + theta (F2 + ...)))`` for component ``i``."""
    acc = terms[n_terms - 1, i]
    for r in range(n_terms - 2, -1, -1):
        acc = terms[r, i] + (theta if r % 2 == 1 else 1.0 - theta) * acc
    return y[i] + theta * acc


@numba.njit(error_model="numpy", cache=True)
def _step_factor(err: Any, finite: Any, accept: Any, order: Any) -> Any:
    """The step-size factor after a step with error norm ``err`` (Hairer's controller)."""
    if finite:
        fac = SAFETY * max(err, 1e-10) ** (-1.0 / order)
        fac = min(max(fac, FAC_MIN), _FAC_MAX)
    else:
        fac = FAC_MIN
    return fac if accept else min(fac, 1.0)


@numba.njit(error_model="numpy", cache=True)
def integrate(
    method: Any,
    f: Any,
    y0: Any,
    t0: Any,
    dt_out: Any,
    n_out: Any,
    p: Any,
    rtol: Any,
    atol: Any,
    max_steps: Any,
    max_abs: Any,
    out: Any,
    status: Any,
    n_steps: Any,
) -> None:
    """Integrate every member of ``y0`` (D, M) onto its output grid, into ``out`` (n_out, D, M).

    ``method`` is :data:`DOPRI5` or :data:`DOP853`; ``f`` a callback of
    :func:`gpu.ode._numba.rhs_pointer`; ``p`` (P, M). ``status`` and
    ``n_steps`` (M,) receive a :class:`~gpu.ode.Status` code and the accepted
    steps of each member.
    """
    dim, members = y0.shape
    order = 8 if method == DOP853 else 5
    fsal = _STAGES8 if method == DOP853 else 6
    ks = np.empty((16, dim))
    terms = np.empty((7, dim))
    y = np.empty(dim)
    y_stage = np.empty(dim)
    y_new = np.empty(dim)
    pm = np.empty(p.shape[0])
    pp = _address(pm)
    for m in range(members):
        for i in range(p.shape[0]):
            pm[i] = p[i, m]
        for i in range(dim):
            y[i] = y0[i, m]
            out[0, i, m] = y0[i, m]
        t = t0[m]
        t_end = t0[m] + (n_out - 1) * dt_out[m]
        f(_address(y), t, pp, _address(ks[0]))
        h = min(_starting_step(f, y, t, pp, ks, y_stage, rtol, atol, order), t_end - t)
        nxt = 1
        n_terms = 0
        active = n_out > 1
        steps = 0
        iteration = 0
        while active:
            if iteration >= max_steps:
                status[m] = 3
                break
            iteration += 1
            remaining = t_end - t
            last = h >= remaining
            if last:
                h = remaining
            if method == DOP853:
                err = _dop853_step(f, y, t, h, pp, ks, y_stage, y_new, rtol, atol)
            else:
                err = _dopri5_step(f, y, t, h, pp, ks, y_stage, y_new, rtol, atol)
            big = 0.0
            for i in range(dim):
                big = max(big, abs(y_new[i]))
            finite = np.isfinite(err)
            accept = finite and err <= 1.0
            if accept and not big <= max_abs:
                status[m] = 1
                break
            if accept:
                t_new = t_end if last else t + h
                if nxt < n_out and t0[m] + nxt * dt_out[m] <= t_new:
                    if method == DOP853:
                        n_terms = _dop853_dense(f, y, y_new, t, h, pp, ks, y_stage, terms)
                    else:
                        n_terms = _dopri5_dense(y, y_new, h, ks, terms)
                while nxt < n_out and t0[m] + nxt * dt_out[m] <= t_new:
                    theta = min(max((t0[m] + nxt * dt_out[m] - t) / h, 0.0), 1.0)
                    for i in range(dim):
                        out[nxt, i, m] = _interpolate(y, terms, n_terms, theta, i)
                    nxt += 1
                for i in range(dim):
                    y[i] = y_new[i]
                    ks[0, i] = ks[fsal, i]
                t = t_new
                steps += 1
                if last:
                    active = False
            h = h * _step_factor(err, finite, accept, order)
            if active and h < TINY * max(abs(t), dt_out[m]):
                status[m] = 2
                active = False
        n_steps[m] = steps


def solve(
    method: int,
    numba_fn: Any,
    y: np.ndarray,
    t: np.ndarray,
    dt: np.ndarray,
    n_out: int,
    p: np.ndarray,
    rtol: float,
    atol: float,
    max_steps: int,
    max_abs: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate a prepared batch with :func:`integrate`; returns ``out, status, n_steps``."""
    from gpu.ode._numba import rhs_pointer

    dim, members = y.shape
    out = np.full((n_out, dim, members), np.nan)
    status = np.zeros(members, dtype=np.int8)
    n_steps = np.zeros(members, dtype=np.int64)
    f = rhs_pointer(numba_fn, dim, p.shape[0])
    integrate(method, f, y, t, dt, n_out, p, rtol, atol, max_steps, max_abs, out, status, n_steps)
    return out, status, n_steps
