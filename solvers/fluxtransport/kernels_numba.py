"""Compiled CPU kernels (numba) of the flux-transport step, fused and batched over members.

The same discretization as :mod:`solvers.fluxtransport.operators`, on a
*member-innermost* layout: a batch ``f[member, theta, phi]`` is stored as
``F[theta, phi * members + member]``, so that one row of ``F`` is contiguous
and a longitude neighbour is ``members`` columns away. Every inner loop runs
along a whole row with constant offsets, which the compiler turns into SIMD
code for one realization (across longitudes) as well as for many (across
longitudes and members together).

Each Runge-Kutta stage is fused into two passes over memory: the theta
fluxes, then the phi fluxes and the stage update of each row (divergence and
linear combination in one go); each super-time-stepping stage of the
diffusion is one pass. The flows, their attenuation and the Lax-Friedrichs
split coefficients are computed once per step. A whole stretch of steps runs
inside one compiled call.

Members go through in chunks small enough to stay in cache, each chunk an
independent run in the member-innermost layout (:func:`configure`). The
loops over rows use ``prange``: the serial build runs them in order, the
``"rows"`` build splits them over numba's threads, the ``"members"`` build
runs the chunks on different threads instead. By default (``"auto"``) a
batch of several chunks called from the main thread runs on the
``"members"`` build and everything else on the serial one, so a batch uses
every core while a run inside a threaded ensemble runner (which already
spreads members over threads) never nests thread pools.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from gpu._optional import require
from gpu.backends import Backend
from gpu.errors import ConfigError
from solvers.fluxtransport.config import SFTConfig
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.operators import rkg2_coefficients, rkl2_coefficients
from solvers.fluxtransport.stepper import Stepper

__all__ = ["NumbaStepper", "configure"]

#: Options of the advance functions made from now on (see :func:`configure`).
_OPTIONS: dict[str, Any] = {"threading": "auto", "chunk_members": None}

#: Bytes of cache a chunk of members should fit in (about 20 field-sized arrays per member).
_CACHE_BYTES = 8 * 2**20
_ARRAYS_PER_MEMBER = 20

#: ``range`` in plain Python; :func:`_compiled` rebinds them to ``numba.prange`` where threaded
prange = range
chunk_range = range


def configure(threading: str = "auto", chunk_members: int | None = None) -> None:
    """Choose how the numba advance functions made from now on use threads and cache.

    Parameters
    ----------
    threading : {"auto", "serial", "rows", "members"}
        ``"auto"`` (default) is ``"members"`` for a batch of several chunks
        called from the main thread and ``"serial"`` otherwise. ``"serial"``
        runs on one thread; ``"rows"`` splits the rows of every pass over
        numba's threads (can help one realization on an idle machine, but the
        threads meet at every pass); ``"members"`` runs chunks of members on
        different threads with no meeting until the end of the call (on 2
        idle cores, 8 realizations at 180 x 360 cost 4.0-4.2x one).
    chunk_members : int, optional
        Members advanced together in the member-innermost layout; by default
        as many as keep a chunk's working set within about 8 MiB (one at a
        time on the 180 x 360 map and larger).

    Raises
    ------
    ConfigError
        For an unknown ``threading`` or a ``chunk_members`` below 1.
    """
    if threading != "auto" and threading not in _BUILDS:
        raise ConfigError(
            f"threading must be 'auto' or one of {sorted(_BUILDS)}, got {threading!r}"
        )
    if chunk_members is not None and chunk_members < 1:
        raise ConfigError(f"chunk_members must be at least 1, got {chunk_members}")
    _OPTIONS.update(threading=threading, chunk_members=chunk_members)


# -- point formulas (inlined) -------------------------------------------------------------
def _weno3(far, near, across, eps):
    # (w0 p0 + w1 p1) / (w0 + w1), w0 = 1 / (3 b0^2), w1 = 2 / (3 b1^2), times 3 b0^2 b1^2
    b0 = eps + (near - far) ** 2
    b1 = eps + (across - near) ** 2
    c0 = b1 * b1
    c1 = b0 * b0
    return (c0 * (1.5 * near - 0.5 * far) + c1 * (near + across)) / (c0 + 2.0 * c1)


# -- flows ----------------------------------------------------------------------------------
def _flows(g, vt0, vp0, ib, attenuating, members, vt, vp, cnt, cpt, cnp, cpp, fac, ext):
    """Attenuated flows and the Lax-Friedrichs split coefficients of this step.

    ``cnt[i] = (vt[i] + at[i]) / 2`` and ``cpt[i] = (vt[i + 1] - at[i]) / 2``
    multiply the field at node ``i`` into the split theta fluxes, ``cnp``
    and ``cpp`` likewise in phi; ``at``/``ap`` are the largest speeds over six
    faces around the node (HipFT's window). ``ext`` is a scratch array of
    rows of ``width + 5 members``.
    """
    nt, width = g.shape
    m2 = 2 * members
    if attenuating:
        # 1 - tanh(y) = 2 / (1 + exp(2 y)) (vectorizes, unlike tanh) decreases with |Br|,
        # so the factor of a face's larger |Br| is the smaller of its two nodes' factors
        for i in prange(nt):
            for j in range(width):
                fac[i, j] = 2.0 / (1.0 + np.exp(2.0 * abs(g[i, j]) * ib[j]))
        for face in prange(nt + 1):
            if 1 <= face <= nt - 1:
                for j in range(width):
                    vt[face, j] = vt0[face, j] * min(fac[face - 1, j], fac[face, j])
            else:
                for j in range(width):
                    vt[face, j] = vt0[face, j]
        for i in prange(nt):
            fi, e = fac[i], ext[i]
            for j in range(width):
                e[j + members] = fi[j]
            for j in range(members):
                e[j] = e[j + width]
            for j in range(width):
                vp[i, j] = vp0[i, j] * min(e[j], fi[j])
    else:
        vt[:, :] = vt0
        vp[:, :] = vp0
    for i in prange(nt):
        lo = max(i - 2, 0)
        hi = min(i + 3, nt)
        ci, pi, v = cnt[i], cpt[i], vp[i]
        for j in range(width):
            ci[j] = abs(vt[lo, j])
        for face in range(lo + 1, hi + 1):
            for j in range(width):
                ci[j] = max(ci[j], abs(vt[face, j]))
        for j in range(width):
            alpha = ci[j]
            ci[j] = 0.5 * (vt[i, j] + alpha)
            pi[j] = 0.5 * (vt[i + 1, j] - alpha)
        e = ext[i]  # e[t] = |vp[t - 2 members]| over columns -2 .. width + 3 members
        for j in range(width):
            e[j + m2] = abs(v[j])
        for j in range(m2):
            e[j] = e[j + width]
        for j in range(3 * members):
            e[width + m2 + j] = e[m2 + j]
        ni, qi = cnp[i], cpp[i]
        for j in range(width):
            alpha = max(max(e[j], e[j + members]), max(e[j + m2], e[j + 3 * members]))
            alpha = max(alpha, max(e[j + 4 * members], e[j + 5 * members]))
            ni[j] = 0.5 * (v[j] + alpha)
            qi[j] = -alpha
        for j in range(width - members):
            qi[j] = 0.5 * (v[j + members] + qi[j])
        for j in range(width - members, width):
            qi[j] = 0.5 * (v[j + members - width] + qi[j])


# -- advection --------------------------------------------------------------------------------
def _theta_fluxes(x, vt, cnt, cpt, weno, dth, ft):
    """Theta fluxes on faces 1 .. nt - 1 into ``ft[face - 1]`` (upwind next to the poles)."""
    nt, width = x.shape
    for face in prange(1, nt):
        out = ft[face - 1]
        if weno and 2 <= face <= nt - 2:
            a, b, c, d = x[face - 2], x[face - 1], x[face], x[face + 1]
            na, nb, nc = cnt[face - 2], cnt[face - 1], cnt[face]
            pb, pc, pd = cpt[face - 1], cpt[face], cpt[face + 1]
            for j in range(width):
                minus = _weno3(a[j] * na[j], b[j] * nb[j], c[j] * nc[j], dth)
                out[j] = minus + _weno3(d[j] * pd[j], c[j] * pc[j], b[j] * pb[j], dth)
        else:
            v, up, down = vt[face], x[face - 1], x[face]
            for j in range(width):
                out[j] = v[j] * up[j] if v[j] >= 0.0 else v[j] * down[j]


def _phi_fluxes(xi, cn, cp, v, weno, dph, members, en, ep, row):
    """Fluxes through the west faces of one row into ``row`` (``row[width + j] = row[j]``).

    ``en``/``ep`` are scratch rows of ``width + 2 members`` holding the split
    fluxes with periodic ghosts, so the stencil loop runs without wrapping.
    """
    width = xi.shape[0]
    m2 = 2 * members
    if weno:
        for j in range(width):
            en[j + m2] = xi[j] * cn[j]
            ep[j + members] = xi[j] * cp[j]
        for j in range(m2):
            en[j] = en[j + width]
        for j in range(members):
            ep[j] = ep[j + width]
            ep[j + width + members] = ep[j + members]
        for j in range(width):
            minus = _weno3(en[j], en[j + members], en[j + m2], dph)
            row[j] = minus + _weno3(ep[j + m2], ep[j + members], ep[j], dph)
    else:
        for j in range(width):
            ep[j + members] = xi[j]
        for j in range(members):
            ep[j] = ep[j + width]
        for j in range(width):
            row[j] = v[j] * ep[j] if v[j] >= 0.0 else v[j] * xi[j]
    for j in range(members):
        row[width + j] = row[j]


def _advection_stage(
    x, base, out, a, b, c, vt, vp, cnt, cpt, cnp, cpp, weno,
    sinf, isdt, isdp, dth, dph, cap, members, ft, fp, en, ep, acc,
):  # fmt: skip
    """``out = a * base + b * x - c * div(v x)`` (``out`` may be ``base``, never ``x``)."""
    nt, width = x.shape
    _theta_fluxes(x, vt, cnt, cpt, weno, dth, ft)
    for i in prange(1, nt - 1):
        xi, row = x[i], fp[i - 1]
        _phi_fluxes(xi, cnp[i], cpp[i], vp[i], weno, dph, members, en[i], ep[i], row)
        north = sinf[i - 1] * isdt[i - 1]
        south = sinf[i] * isdt[i - 1]
        q = isdp[i - 1]
        fn, fs, bi, oi = ft[i - 1], ft[i], base[i], out[i]
        for j in range(width):
            div = south * fs[j] - north * fn[j] + (row[j + members] - row[j]) * q
            oi[j] = a * bi[j] + b * xi[j] - c * div
    _poles(x, base, out, a, b, -c * sinf[0] * cap, c * sinf[nt - 2] * cap, ft[0], ft[nt - 2], acc)


def _poles(x, base, out, a, b, c_north, c_south, ring_n, ring_s, acc):
    """Pole rows: ``a base + b x + c (sum of the ring over each member's longitudes)``."""
    nt, width = x.shape
    members = acc.shape[1]
    acc[:, :] = 0.0
    for j0 in range(0, width, members):
        for m in range(members):
            acc[0, m] += ring_n[j0 + m]
            acc[1, m] += ring_s[j0 + m]
    for j in range(width):
        m = j % members
        out[0, j] = a * base[0, j] + b * x[0, j] + c_north * acc[0, m]
        out[nt - 1, j] = a * base[nt - 1, j] + b * x[nt - 1, j] + c_south * acc[1, m]


def _ssprk(
    bufs, cur, h, ssprk43, vt, vp, cnt, cpt, cnp, cpp, weno,
    sinf, isdt, isdp, dth, dph, cap, members, ft, fp, en, ep, acc,
):  # fmt: skip
    """One SSPRK(4,3) or SSPRK(3,3) advection step of ``bufs[cur]`` in place."""
    if ssprk43:
        table = np.array(
            [[0.0, 1.0, 0.5], [0.0, 1.0, 0.5], [2.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0], [0.0, 1.0, 0.5]]
        )
    else:
        table = np.array([[0.0, 1.0, 1.0], [0.75, 0.25, 0.25], [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]])
    t1 = (cur + 1) % bufs.shape[0]
    t2 = (cur + 2) % bufs.shape[0]
    src = cur
    for s in range(table.shape[0]):
        dst = cur if s == table.shape[0] - 1 else (t1 if s % 2 == 0 else t2)
        _advection_stage(
            bufs[src], bufs[cur], bufs[dst], table[s, 0], table[s, 1], table[s, 2] * h,
            vt, vp, cnt, cpt, cnp, cpp, weno, sinf, isdt, isdp, dth, dph, cap, members,
            ft, fp, en, ep, acc,
        )  # fmt: skip
        src = dst


# -- diffusion ---------------------------------------------------------------------------------
def _diffusion_stage(
    p, p2, f0, l0, out, a, b, c, d, e, kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, acc, ring,
):  # fmt: skip
    """``out = a p + b p2 + c f0 + d div(nu grad p) + e l0`` (``out`` aliases none of them)."""
    nt, width = p.shape
    for i in prange(1, nt - 1):
        pn, pc, ps = p[i - 1], p[i], p[i + 1]
        ktn, kts, kpi = kt[i - 1], kt[i], kp[i - 1]
        p2i, f0i, l0i, oi = p2[i], f0[i], l0[i], out[i]
        wn = sinf[i - 1] * isdt[i - 1] / dth
        ws = sinf[i] * isdt[i - 1] / dth
        q = is2dp[i - 1] / dph
        for j in range(width):
            jm1 = j - members if j >= members else j - members + width
            jp1 = j + members if j + members < width else j + members - width
            cc = pc[j]
            lap = ws * kts[j] * (ps[j] - cc) - wn * ktn[j] * (cc - pn[j])
            lap += q * (kpi[jp1] * (pc[jp1] - cc) - kpi[j] * (cc - pc[jm1]))
            oi[j] = a * cc + b * p2i[j] + c * f0i[j] + d * lap + e * l0i[j]
    for j in range(width):
        ring[0, j] = kt[0, j] * (p[1, j] - p[0, j])
        ring[1, j] = kt[nt - 2, j] * (p[nt - 1, j] - p[nt - 2, j])
    dn = d * sinf[0] / dth * cap
    ds = -d * sinf[nt - 2] / dth * cap
    _poles(p, p, out, 0.0, a, dn, ds, ring[0], ring[1], acc)
    for i in (0, nt - 1):
        for j in range(width):
            out[i, j] += b * p2[i, j] + c * f0[i, j] + e * l0[i, j]


def _diffuse(
    bufs, cur, h, kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, sts, euler_count,
    acc, ring, l0,
):  # fmt: skip
    """One diffusion step of ``h`` hours from ``bufs[cur]``; returns the index of the result."""
    n = bufs.shape[0]
    if euler_count > 0:
        sub = h / euler_count
        for _ in range(euler_count):
            f, nxt = bufs[cur], (cur + 1) % n
            _diffusion_stage(
                f, f, f, f, bufs[nxt], 1.0, 0.0, 0.0, sub, 0.0,
                kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, acc, ring,
            )  # fmt: skip
            cur = nxt
        return cur
    f0 = bufs[cur]
    _diffusion_stage(
        f0, f0, f0, f0, l0, 0.0, 0.0, 0.0, h, 0.0,
        kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, acc, ring,
    )  # fmt: skip
    first = (cur + 1) % n
    mu1 = sts[0, 2]
    for i in prange(f0.shape[0]):
        for j in range(f0.shape[1]):
            bufs[first, i, j] = f0[i, j] + mu1 * l0[i, j]
    # the three buffers other than f0 rotate as (prev2, prev, new)
    prev2, prev, new = cur, first, (cur + 2) % n
    for s in range(1, sts.shape[0]):
        mu, nu, mu_t, gamma_t = sts[s, 0], sts[s, 1], sts[s, 2], sts[s, 3]
        _diffusion_stage(
            bufs[prev], bufs[prev2], f0, l0, bufs[new], mu, nu, 1.0 - mu - nu, mu_t * h, gamma_t,
            kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, acc, ring,
        )  # fmt: skip
        spare = prev2 if prev2 != cur else (cur + 3) % n
        prev2, prev, new = prev, new, spare
    return prev


def _advance_rows(
    f, dt, n, members, vt0, vp0, ib, kt, kp, sinf, isdt, isdp, is2dp, dth, dph, cap,
    advect, attenuating, weno, ssprk43, strang, diffuse, sts, euler_count,
):  # fmt: skip
    """``n`` steps of ``dt`` of the member-innermost field ``f`` (rows, n_phi * members)."""
    nt, width = f.shape
    bufs = np.empty((4, nt, width))
    bufs[0] = f
    cur = 0
    vt = np.empty((nt + 1, width))
    vp = np.empty((nt, width))
    split = np.empty((5, nt, width))
    cnt, cpt, cnp, cpp, fac = split[0], split[1], split[2], split[3], split[4]
    ft = np.empty((nt - 1, width))
    fp = np.empty((nt - 2, width + members))
    en = np.empty((nt, width + 2 * members))
    ep = np.empty((nt, width + 2 * members))
    ext = np.empty((nt, width + 5 * members))
    l0 = np.empty((nt, width))
    acc = np.empty((2, members))
    ring = np.empty((2, width))
    h = 0.5 * dt if strang else dt
    for _ in range(n):
        if advect:
            _flows(
                bufs[cur], vt0, vp0, ib, attenuating, members, vt, vp, cnt, cpt, cnp, cpp, fac, ext
            )
            _ssprk(
                bufs, cur, h, ssprk43, vt, vp, cnt, cpt, cnp, cpp, weno,
                sinf, isdt, isdp, dth, dph, cap, members, ft, fp, en, ep, acc,
            )  # fmt: skip
        if diffuse:
            cur = _diffuse(
                bufs, cur, dt, kt, kp, sinf, isdt, is2dp, dth, dph, cap, members, sts, euler_count,
                acc, ring, l0,
            )  # fmt: skip
        if advect and strang:
            _ssprk(
                bufs, cur, h, ssprk43, vt, vp, cnt, cpt, cnp, cpp, weno,
                sinf, isdt, isdp, dth, dph, cap, members, ft, fp, en, ep, acc,
            )  # fmt: skip
    return bufs[cur]


def _gather(a, m0, m1):
    """Members ``m0:m1`` of ``a`` (members, rows, n_phi) in the member-innermost layout."""
    _, rows, n_phi = a.shape
    mc = m1 - m0
    out = np.empty((rows, n_phi * mc))
    for i in range(rows):
        for k in range(n_phi):
            for m in range(mc):
                out[i, k * mc + m] = a[m0 + m, i, k]
    return out


def _advance(
    f, dt, n, chunk, vt0, vp0, inv_b, kt, kp, sinf, isdt, isdp, is2dp, dth, dph, cap,
    advect, attenuating, weno, ssprk43, strang, diffuse, sts, euler_count,
):  # fmt: skip
    """``n`` steps of ``f`` (members, n_theta, n_phi), ``chunk`` members at a time.

    Each chunk is an independent run in the member-innermost layout; the
    member-threaded build runs the chunks on different threads.
    """
    members, nt, n_phi = f.shape
    out = np.empty_like(f)
    for c in chunk_range((members + chunk - 1) // chunk):
        m0 = c * chunk
        m1 = min(members, m0 + chunk)
        mc = m1 - m0
        ib = np.empty(n_phi * mc)
        for k in range(n_phi):
            for m in range(mc):
                ib[k * mc + m] = inv_b[m0 + m]
        g = _advance_rows(
            _gather(f, m0, m1), dt, n, mc, _gather(vt0, m0, m1), _gather(vp0, m0, m1), ib,
            _gather(kt, m0, m1), _gather(kp, m0, m1), sinf, isdt, isdp, is2dp, dth, dph, cap,
            advect, attenuating, weno, ssprk43, strang, diffuse, sts, euler_count,
        )  # fmt: skip
        for i in range(nt):
            for k in range(n_phi):
                for m in range(mc):
                    out[m0 + m, i, k] = g[i, k * mc + m]
    return out


#: the kernels compiled by :func:`_compiled`, and those of them with a ``prange`` loop
_KERNELS = ("_phi_fluxes", "_poles", "_ssprk", "_advance_rows", "_gather")
_ROW_PARALLEL = ("_flows", "_theta_fluxes", "_advection_stage", "_diffusion_stage", "_diffuse")

#: threading builds: name -> (rows in parallel, chunks of members in parallel)
_BUILDS = {"serial": (False, False), "rows": (True, False), "members": (False, True)}


@cache
def _compiled(build: str) -> Callable[..., Any]:
    """Compile one build of the kernels once per process (numba's cache keeps them on disk)."""
    numba = require("numba", "the numba backend")
    rows, chunks = _BUILDS[build]
    source = globals()
    namespace = dict(source)
    namespace["prange"] = numba.prange if rows else range
    namespace["chunk_range"] = numba.prange if chunks else range
    inline = numba.njit(inline="always", cache=True)
    namespace["_weno3"] = inline(_rebind(_weno3, namespace, build))
    for name in _KERNELS + _ROW_PARALLEL:
        parallel = rows and name in _ROW_PARALLEL
        namespace[name] = numba.njit(cache=True, parallel=parallel)(
            _rebind(source[name], namespace, build)
        )
    return numba.njit(cache=True, parallel=chunks)(_rebind(_advance, namespace, build))


def _build(choice: str, *, n_chunks: int) -> str:
    """The build for ``choice``: ``"auto"`` threads over chunks only from the main thread."""
    if choice != "auto":
        return choice
    on_main = threading.current_thread() is threading.main_thread()
    return "members" if n_chunks > 1 and on_main else "serial"


def _rebind(fn: Callable[..., Any], namespace: dict[str, Any], build: str) -> Callable[..., Any]:
    """``fn`` with its globals replaced by ``namespace``, named apart for numba's cache."""
    rebound = types.FunctionType(fn.__code__, namespace, f"{fn.__name__}_{build}", fn.__defaults__)
    rebound.__qualname__ = f"{fn.__qualname__}_{build}"
    return rebound


class NumbaStepper(Stepper):
    """:class:`Stepper` whose steps run in compiled numba loops (member-innermost layout)."""

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
        scheme, count = dt_plan
        if scheme == "euler":
            sts, euler_count = np.zeros((1, 4)), count
        else:
            table = rkl2_coefficients(count) if scheme == "rkl2" else rkg2_coefficients(count)
            sts, euler_count = table, 0
        grid, members = self.grid, self.members
        numerics = self.config.numerics
        field_bytes = _ARRAYS_PER_MEMBER * 8 * grid.n_theta * grid.n_phi
        chunk = _OPTIONS["chunk_members"] or max(1, _CACHE_BYTES // field_bytes)
        kernel = _compiled(_build(_OPTIONS["threading"], n_chunks=-(-members // chunk)))
        nt, n_phi = grid.shape

        def full(a: Any, rows: int) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(a, (members, rows, n_phi)), dtype=float)

        k_theta, k_phi = full(self.k_theta, nt - 1), full(self.k_phi, nt - 2)
        inv_b = np.asarray(self.inv_b, dtype=float).reshape(members)

        def advance(f: Any, dt: float, n: int) -> Any:
            return kernel(
                np.ascontiguousarray(f, dtype=float), float(dt), int(n), int(min(chunk, members)),
                full(self.v_theta, nt + 1), full(self.v_phi, nt), inv_b, k_theta, k_phi,
                self._sinf, self._isdt, self._isdp, self._is2dp,
                grid.dtheta, grid.dphi, self.geo.north_cap,
                self.advect, self.attenuating, self.weno,
                numerics.time_stepping == "ssprk43", numerics.splitting == "strang",
                self.diffuse, sts, euler_count,
            )  # fmt: skip

        return advance
