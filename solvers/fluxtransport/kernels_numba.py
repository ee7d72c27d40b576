"""Compiled CPU kernels (numba) of the flux-transport step, batched over members.

The same discretization as :mod:`solvers.fluxtransport.operators`, written as
explicit loops over ``(member, theta, phi)`` so that each operator is one pass
over memory with no temporaries; a whole stretch of steps runs inside one
compiled call. The loops are serial on purpose: on a loaded machine with few
cores, numba's threads oversubscribe the CPU and run several times slower;
parallelism across many members comes from the ensemble runner's processes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from gpu._optional import require
from gpu.backends import Backend
from solvers.fluxtransport.config import SFTConfig
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.operators import rkg2_coefficients, rkl2_coefficients
from solvers.fluxtransport.stepper import Stepper

__all__ = ["NumbaStepper"]


def _diffusion(f, kt, kp, sinf, isdt, is2dp, dth, dph, cap, out):
    members, nt, npp = f.shape
    for job in range(members * (nt - 2)):
        m = job // (nt - 2)
        i = job % (nt - 2) + 1
        for k in range(npp):
            km1 = k - 1 if k > 0 else npp - 1
            kp1 = k + 1 if k < npp - 1 else 0
            c = f[m, i, k]
            north = sinf[i - 1] * kt[m, i - 1, k] * (c - f[m, i - 1, k])
            south = sinf[i] * kt[m, i, k] * (f[m, i + 1, k] - c)
            east = kp[m, i - 1, kp1] * (f[m, i, kp1] - c)
            west = kp[m, i - 1, k] * (c - f[m, i, km1])
            out[m, i, k] = (south - north) / dth * isdt[i - 1] + (east - west) / dph * is2dp[i - 1]
    for m in range(members):
        north = 0.0
        south = 0.0
        for k in range(npp):
            north += sinf[0] * kt[m, 0, k] * (f[m, 1, k] - f[m, 0, k]) / dth
            south += sinf[nt - 2] * kt[m, nt - 2, k] * (f[m, nt - 1, k] - f[m, nt - 2, k]) / dth
        for k in range(npp):
            out[m, 0, k] = north * cap
            out[m, nt - 1, k] = -south * cap


def _weno3(far, near, across, eps):
    p0 = 1.5 * near - 0.5 * far
    p1 = 0.5 * (near + across)
    b0 = eps + (near - far) ** 2
    b1 = eps + (across - near) ** 2
    w0 = (1.0 / 3.0) / (b0 * b0)
    w1 = (2.0 / 3.0) / (b1 * b1)
    return (w0 * p0 + w1 * p1) / (w0 + w1)


def _upwind(v, left, right):
    return v * left if v >= 0.0 else v * right


def _advection(f, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, out):
    members, nt, npp = f.shape
    # theta fluxes on faces 1 .. nt-1, stored at ft[:, face-1, :]
    for job in range(members * (nt - 1)):
        m = job // (nt - 1)
        face = job % (nt - 1) + 1
        for k in range(npp):
            v = vt[m, face, k]
            if weno and 2 <= face <= nt - 2:
                ln2 = 0.5 * f[m, face - 2, k] * (vt[m, face - 2, k] + at[m, face - 2, k])
                ln1 = 0.5 * f[m, face - 1, k] * (vt[m, face - 1, k] + at[m, face - 1, k])
                ln0 = 0.5 * f[m, face, k] * (vt[m, face, k] + at[m, face, k])
                lp1 = 0.5 * f[m, face - 1, k] * (vt[m, face, k] - at[m, face - 1, k])
                lp0 = 0.5 * f[m, face, k] * (vt[m, face + 1, k] - at[m, face, k])
                lpp = 0.5 * f[m, face + 1, k] * (vt[m, face + 2, k] - at[m, face + 1, k])
                ft[m, face - 1, k] = _weno3(ln2, ln1, ln0, dth) + _weno3(lpp, lp0, lp1, dth)
            else:
                ft[m, face - 1, k] = _upwind(v, f[m, face - 1, k], f[m, face, k])
    # phi fluxes on the west face of each interior node, stored at fp[:, i-1, :]
    for job in range(members * (nt - 2)):
        m = job // (nt - 2)
        i = job % (nt - 2) + 1
        for k in range(npp):
            km1 = k - 1 if k > 0 else npp - 1
            if weno:
                km2 = km1 - 1 if km1 > 0 else npp - 1
                kp1 = k + 1 if k < npp - 1 else 0
                ln2 = 0.5 * f[m, i, km2] * (vp[m, i, km2] + ap[m, i, km2])
                ln1 = 0.5 * f[m, i, km1] * (vp[m, i, km1] + ap[m, i, km1])
                ln0 = 0.5 * f[m, i, k] * (vp[m, i, k] + ap[m, i, k])
                lp1 = 0.5 * f[m, i, km1] * (vp[m, i, k] - ap[m, i, km1])
                lp0 = 0.5 * f[m, i, k] * (vp[m, i, kp1] - ap[m, i, k])
                kp2 = kp1 + 1 if kp1 < npp - 1 else 0
                lpp = 0.5 * f[m, i, kp1] * (vp[m, i, kp2] - ap[m, i, kp1])
                fp[m, i - 1, k] = _weno3(ln2, ln1, ln0, dph) + _weno3(lpp, lp0, lp1, dph)
            else:
                fp[m, i - 1, k] = _upwind(vp[m, i, k], f[m, i, km1], f[m, i, k])
    for job in range(members * (nt - 2)):
        m = job // (nt - 2)
        i = job % (nt - 2) + 1
        for k in range(npp):
            kp1 = k + 1 if k < npp - 1 else 0
            div_t = (sinf[i] * ft[m, i, k] - sinf[i - 1] * ft[m, i - 1, k]) * isdt[i - 1]
            div_p = (fp[m, i - 1, kp1] - fp[m, i - 1, k]) * isdp[i - 1]
            out[m, i, k] = div_t + div_p
    for m in range(members):
        north = 0.0
        south = 0.0
        for k in range(npp):
            north += sinf[0] * ft[m, 0, k]
            south += sinf[nt - 2] * ft[m, nt - 2, k]
        for k in range(npp):
            out[m, 0, k] = north * cap
            out[m, nt - 1, k] = -south * cap


def _flows(f, vt0, vp0, inv_b, attenuating, vt, vp, at, ap):
    members, nt, npp = f.shape
    for job in range(members * (nt + 1)):
        m = job // (nt + 1)
        face = job % (nt + 1)
        for k in range(npp):
            v = vt0[m, face, k]
            if attenuating and 1 <= face <= nt - 1:
                mag = max(abs(f[m, face - 1, k]), abs(f[m, face, k]))
                v *= 1.0 - np.tanh(mag * inv_b[m, 0, 0])
            vt[m, face, k] = v
    for job in range(members * nt):
        m = job // nt
        i = job % nt
        for k in range(npp):
            v = vp0[m, i, k]
            if attenuating:
                km1 = k - 1 if k > 0 else npp - 1
                mag = max(abs(f[m, i, km1]), abs(f[m, i, k]))
                v *= 1.0 - np.tanh(mag * inv_b[m, 0, 0])
            vp[m, i, k] = v
    for job in range(members * nt):
        m = job // nt
        i = job % nt
        lo = max(i - 2, 0)
        hi = min(i + 3, nt)
        for k in range(npp):
            a = 0.0
            for face in range(lo, hi + 1):
                a = max(a, abs(vt[m, face, k]))
            at[m, i, k] = a
            b = 0.0
            for shift in range(-2, 4):
                kk = (k + shift) % npp
                b = max(b, abs(vp[m, i, kk]))
            ap[m, i, k] = b


def _ssprk(g, h, ssprk43, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r, f1):
    if ssprk43:
        _advection(g, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        f1[:] = g - 0.5 * h * r
        _advection(f1, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        f1[:] = f1 - 0.5 * h * r
        _advection(f1, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        f1[:] = (2.0 / 3.0) * g + (1.0 / 3.0) * f1 - (h / 6.0) * r
        _advection(f1, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        g[:] = f1 - 0.5 * h * r
    else:
        _advection(g, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        f1[:] = g - h * r
        _advection(f1, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        f1[:] = 0.75 * g + 0.25 * f1 - 0.25 * h * r
        _advection(f1, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp, r)
        g[:] = g / 3.0 + (2.0 / 3.0) * f1 - (2.0 / 3.0 * h) * r


def _diffuse(g, h, kt, kp, sinf, isdt, is2dp, dth, dph, cap, sts, euler_count, work):
    r, f0, l0, prev2, prev = work[0], work[1], work[2], work[3], work[4]
    if euler_count > 0:
        sub = h / euler_count
        for _ in range(euler_count):
            _diffusion(g, kt, kp, sinf, isdt, is2dp, dth, dph, cap, r)
            g[:] = g + sub * r
        return
    f0[:] = g
    _diffusion(f0, kt, kp, sinf, isdt, is2dp, dth, dph, cap, l0)
    l0[:] = h * l0
    prev2[:] = f0
    prev[:] = f0 + sts[0, 2] * l0
    for j in range(1, sts.shape[0]):
        mu = sts[j, 0]
        nu = sts[j, 1]
        _diffusion(prev, kt, kp, sinf, isdt, is2dp, dth, dph, cap, r)
        g[:] = mu * prev + nu * prev2 + (1.0 - mu - nu) * f0 + (sts[j, 2] * h) * r + sts[j, 3] * l0
        prev2[:] = prev
        prev[:] = g


def _advance(
    f, dt, n, vt0, vp0, inv_b, kt, kp, sinf, isdt, isdp, is2dp, dth, dph, cap,
    advect, attenuating, weno, ssprk43, strang, diffuse, sts, euler_count,
):  # fmt: skip
    members, nt, npp = f.shape
    # one member at a time: its whole working set stays in cache for n steps
    vt = np.empty((1, nt + 1, npp))
    vp = np.empty((1, nt, npp))
    at = np.empty((1, nt, npp))
    ap = np.empty((1, nt, npp))
    ft = np.empty((1, nt - 1, npp))
    fp = np.empty((1, nt - 2, npp))
    work = np.empty((6, 1, nt, npp))
    r = work[5]
    f1 = np.empty((1, nt, npp))
    out = f.copy()
    for m in range(members):
        g = out[m : m + 1]
        vt0m, vp0m, bm = vt0[m : m + 1], vp0[m : m + 1], inv_b[m : m + 1]
        ktm, kpm = kt[m : m + 1], kp[m : m + 1]
        for _ in range(n):
            if advect:
                _flows(g, vt0m, vp0m, bm, attenuating, vt, vp, at, ap)
                h = 0.5 * dt if strang else dt
                _ssprk(
                    g, h, ssprk43, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp,
                    r, f1,
                )  # fmt: skip
            if diffuse:
                _diffuse(g, dt, ktm, kpm, sinf, isdt, is2dp, dth, dph, cap, sts, euler_count, work)
            if advect and strang:
                _ssprk(
                    g, h, ssprk43, vt, vp, at, ap, weno, sinf, isdt, isdp, dth, dph, cap, ft, fp,
                    r, f1,
                )  # fmt: skip
    return out


@cache
def _compiled() -> Callable[..., Any]:
    """Compile the kernels once per process (numba's cache keeps them across runs)."""
    numba = require("numba", "the numba backend")
    jit = numba.njit(cache=True)
    inline = numba.njit(inline="always", cache=True)
    namespace = globals()
    for name in ("_weno3", "_upwind"):
        namespace[name] = inline(namespace[name])
    for name in ("_diffusion", "_advection", "_flows", "_ssprk", "_diffuse"):
        namespace[name] = jit(namespace[name])
    return jit(_advance)


class NumbaStepper(Stepper):
    """:class:`Stepper` whose steps run in compiled numba loops."""

    def __init__(
        self,
        config: SFTConfig,
        grid: SphereGrid,
        backend: Backend,
        nu_map: np.ndarray | None = None,
        flow_series: list[tuple[float, np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        super().__init__(config, grid, backend, nu_map, flow_series)
        sin_n = grid.sin_theta[1:-1]
        self._sinf = np.ascontiguousarray(grid.sin_faces[1:-1])
        self._isdt = 1.0 / (sin_n * grid.dtheta)
        self._isdp = 1.0 / (sin_n * grid.dphi)
        self._is2dp = 1.0 / (sin_n**2 * grid.dphi)

    def advance_function(self, dt_plan: tuple[str, int]) -> Callable[[Any, float, int], Any]:
        kernel = _compiled()
        scheme, count = dt_plan
        if scheme == "euler":
            sts, euler_count = np.zeros((1, 4)), count
        else:
            table = rkl2_coefficients(count) if scheme == "rkl2" else rkg2_coefficients(count)
            sts, euler_count = table, 0
        grid = self.grid
        numerics = self.config.numerics
        shape = (self.members, grid.n_theta, grid.n_phi)
        k_theta = np.ascontiguousarray(
            np.broadcast_to(self.k_theta, (shape[0], shape[1] - 1, shape[2]))
        )
        k_phi = np.ascontiguousarray(
            np.broadcast_to(self.k_phi, (shape[0], shape[1] - 2, shape[2]))
        )

        def advance(f: Any, dt: float, n: int) -> Any:
            v_theta = np.ascontiguousarray(
                np.broadcast_to(self.v_theta, (shape[0], shape[1] + 1, shape[2]))
            )
            v_phi = np.ascontiguousarray(np.broadcast_to(self.v_phi, shape))
            return kernel(
                np.ascontiguousarray(f, dtype=np.float64), float(dt), int(n),
                v_theta, v_phi, self.inv_b, k_theta, k_phi,
                self._sinf, self._isdt, self._isdp, self._is2dp,
                grid.dtheta, grid.dphi, self.geo.north_cap,
                self.advect, self.attenuating, self.weno,
                numerics.time_stepping == "ssprk43", numerics.splitting == "strang",
                self.diffuse, sts, euler_count,
            )  # fmt: skip

        return advance
