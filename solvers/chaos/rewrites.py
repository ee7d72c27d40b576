"""Batched rewrites of the dysts flows whose own right-hand side does not vectorize.

dysts evaluates these one state at a time or through code that only NumPy
runs: BelousovZhabotinsky branches on a component (``max(0, x)``); BeerRNN,
BickleyJet, InteriorSquirmer and MacArthur combine vector or matrix parameters
with the state in ways that do not broadcast over members; Lorenz96 assigns
into slices, BlinkingRotlet, BlinkingVortex, CellularNeuralNetwork and
LidDrivenCavityFlow call numba helpers and CircadianRhythm returns a scalar
component (NumPy-only ``rhs(X, t)`` overrides). Each rewrite
here is the same formula on a batch ``y`` of shape ``(dim, *batch)``
(``batch`` may be empty, as under ``jax.vmap``) for any array namespace ``xp``
(NumPy, CuPy, ``jax.numpy``): ``where``-style for the branch, explicit batch
axes for the array parameters. The adapter uses a rewrite only after checking
it against dysts' own ``rhs`` (see :mod:`solvers.chaos.adapter`). These are
the NumPy, JAX and CuPy forms; on numba, where a single member runs in a
compiled loop, dysts' own code is translated instead
(:mod:`solvers.chaos.translate`).

A rewrite factory takes ``(xp, params)``, with ``params`` the system's
parameter values by name, and returns ``f(y, t, p)``; the scalar parameters of
BelousovZhabotinsky come in ``p`` as rows (dysts' ``param_list`` order), the
others take all their parameters from ``params``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["REWRITES"]

RHS = Callable[[Any, Any, Any], Any]


def _along(value: Any, like: Any) -> np.ndarray:
    """A parameter array with trailing unit axes for the batch axes of ``like``."""
    arr = np.asarray(value, dtype=float)
    return arr.reshape(arr.shape + (1,) * np.ndim(like))


def _protocol(xp: Any, tt: Any, tau: float) -> Any:
    """dysts' smoothed square-wave switching between the two flows of a blinking system."""
    return 0.5 + 0.5 * xp.tanh(tau * 20.0 * xp.sin(2.0 * np.pi * tt / tau))


def _belousov_zhabotinsky(xp: Any, params: Mapping[str, Any]) -> RHS:
    def f(y: Any, t: Any, p: Any) -> Any:
        c1, c10, c11, c12, c13, c2, c3, c4, c5, c6, c7, c8, c9 = p[:13]
        ci, kf, t0, y0, yb1, yb2, yb3, z0 = p[13:21]
        x, z, v = y[0], y[1], y[2]
        ybar = (1 / y0) * yb1 * z * v / (yb2 * x + yb3 + kf)
        x = xp.maximum(x, 0.0)
        rf = (ci - z0 * z) * xp.sqrt(x)
        xdot = c1 * x * ybar + c2 * ybar + c3 * x**2 + c4 * rf + c5 * x * z - kf * x
        zdot = (c6 / z0) * rf + c7 * x * z + c8 * z * v + c9 * z - kf * z
        vdot = c10 * x * ybar + c11 * ybar + c12 * x**2 + c13 * z * v - kf * v
        return xp.stack([xdot * t0, zdot * t0, vdot * t0])

    return f


def _bickley_jet(xp: Any, params: Mapping[str, Any]) -> RHS:
    ell, omega, u = (float(params[k]) for k in ("ell", "omega", "u"))

    def f(y: Any, t: Any, p: Any) -> Any:
        # dysts orders the state (y, x, z)
        yy, x, z = y[0], y[1], y[2]
        eps, k, sigma = (_along(params[n], x) for n in ("eps", "k", "sigma"))
        sech2 = 1.0 / xp.cosh(yy / ell) ** 2
        un = k * (x - z * sigma)
        dx = u * sech2 * (-1.0 - 2.0 * xp.sum(eps * xp.cos(un), axis=0) * xp.tanh(yy / ell))
        dy = ell * u * sech2 * xp.sum(eps * k * xp.sin(un), axis=0)
        return xp.stack([dy, dx, xp.zeros_like(z) + omega])

    return f


def _beer_rnn(xp: Any, params: Mapping[str, Any]) -> RHS:
    w = np.asarray(params["w"], dtype=float)

    def f(y: Any, t: Any, p: Any) -> Any:
        tau, theta = (_along(params[n], y[0]) for n in ("tau", "theta"))
        return (-y + w @ (1.0 / (1.0 + xp.exp(-(y + theta))))) / tau

    return f


def _interior_squirmer(xp: Any, params: Mapping[str, Any]) -> RHS:
    tau = float(params["tau"])
    modes = np.arange(1, np.size(params["a"]) + 1, dtype=float)

    def f(y: Any, t: Any, p: Any) -> Any:
        r, th, tt = y[0], y[1], y[2]
        a, g, n = (_along(v, r) for v in (params["a"], params["g"], modes))
        phase = _protocol(xp, tt, tau)
        a_t, g_t = a * phase, g * (1.0 - phase)
        sin, cos = xp.sin(th * n), xp.cos(th * n)
        rn = r**n
        vrn = (g_t * cos + a_t * sin) * (n * rn * (r**2 - 1.0)) / r
        vth = (2.0 * r + (r**2 - 1.0) * n / r) * (a_t * cos - g_t * sin) * rn
        return xp.stack([xp.sum(vrn, axis=0), xp.sum(vth, axis=0) / r, xp.ones_like(tt)])

    return f


def _mac_arthur(xp: Any, params: Mapping[str, Any]) -> RHS:
    c = np.asarray(params["c"], dtype=float)
    d, m, r = (float(params[n]) for n in ("d", "m", "r"))
    species = c.shape[0]

    def f(y: Any, t: Any, p: Any) -> Any:
        nn, rr = y[:species], y[species:]
        k_t, s = _along(np.asarray(params["k"]).T, rr[0]), _along(params["s"], rr[0])
        # growth of species i: the scarcest resource j limits it (Liebig's law)
        mu = xp.min(r * rr[None] / (k_t + rr[None]), axis=1)
        nndot = nn * (mu - m)
        rrdot = d * (s - rr) - xp.tensordot(c, mu * nn, axes=1)
        return xp.concatenate([nndot, rrdot], axis=0)

    return f


def _cellular_neural_network(xp: Any, params: Mapping[str, Any]) -> RHS:
    a, b, c, d = (float(params[n]) for n in ("a", "b", "c", "d"))

    def f(y: Any, t: Any, p: Any) -> Any:
        x, yy, z = y[0], y[1], y[2]
        fx, fy, fz = (0.5 * (xp.abs(v + 1.0) - xp.abs(v - 1.0)) for v in (x, yy, z))
        xdot = -x + d * fx - b * fy - b * fz
        ydot = -yy - b * fx + c * fy - a * fz
        zdot = -z - b * fx + a * fy + fz
        return xp.stack([xdot, ydot, zdot])

    return f


def _circadian_rhythm(xp: Any, params: Mapping[str, Any]) -> RHS:
    v = {name: float(value) for name, value in params.items()}

    def f(y: Any, t: Any, p: Any) -> Any:
        m, fc, fs, fn, th = y[0], y[1], y[2], y[3], y[4]
        vs = v["vc"] * ((0.5 + 0.5 * xp.cos(th)) + v["vmin"]) * (v["vmax"] - v["vmin"])
        ki_n = v["Ki"] ** v["n"]
        mdot = vs * ki_n / (ki_n + fn ** v["n"]) - v["vm"] * m / (v["km"] + m)
        fcdot = v["ks"] * m - v["k1"] * fc + v["k2"] * fn - v["k"] * fc
        fsdot = v["k"] * fc - v["vd"] * fs / (v["kd"] + fs)
        fndot = v["k1"] * fc - v["k2"] * fn - v["vdn"] * fn / (v["kdn"] + fn)
        thdot = xp.zeros_like(th) + 2.0 * np.pi / v["ps"]
        return xp.stack([mdot, fcdot, fsdot, fndot, thdot])

    return f


def _lorenz96(xp: Any, params: Mapping[str, Any]) -> RHS:
    forcing = float(params["f"])

    def f(y: Any, t: Any, p: Any) -> Any:
        # dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, indices cyclic
        ahead, back, back2 = (xp.roll(y, shift, axis=0) for shift in (-1, 1, 2))
        return (ahead - back2) * back - y + forcing

    return f


def _blinking_rotlet(xp: Any, params: Mapping[str, Any]) -> RHS:
    a, b, bc, sigma, tau = (float(params[n]) for n in ("a", "b", "bc", "sigma", "tau"))

    def rotlet(r: Any, theta: Any, b: float) -> tuple[Any, Any]:
        cos = xp.cos(theta)
        kappa = a**2 + (b**2 * r**2) / a**2 - 2.0 * b * r * cos
        gamma = (1.0 - r**2 / a**2) * (a**2 - (b**2 * r**2) / a**2)
        iota = (b**2 * r) / a**2 - b * cos
        zeta = b**2 + r**2 - 2.0 * b * r * cos
        nu = a**2 + b**2 - (2.0 * b**2 * r**2) / a**2
        vr = b * xp.sin(theta) * (-bc * (gamma / kappa**2) - 1.0 / kappa + 1.0 / zeta)
        vth = (
            bc * (gamma * iota) / kappa**2
            + bc * r * nu / (a**2 * kappa)
            + iota / kappa
            - (r - b * cos) / zeta
        )
        return vr, vth

    def f(y: Any, t: Any, p: Any) -> Any:
        r, theta, tt = y[0], y[1], y[2]
        weight = _protocol(xp, tt, tau)
        dr1, dth1 = rotlet(r, theta, b)
        dr2, dth2 = rotlet(r, theta, -b)
        dr = weight * dr1 + (1.0 - weight) * dr2
        dth = (weight * dth1 + (1.0 - weight) * dth2) / r
        return xp.stack([sigma * dr, sigma * dth, xp.ones_like(tt)])

    return f


def _lid_driven_cavity_flow(xp: Any, params: Mapping[str, Any]) -> RHS:
    a, b, tau, u1, u2 = (float(params[n]) for n in ("a", "b", "tau", "u1", "u2"))
    pi = np.pi
    den1 = 2.0 * b * pi + a * np.sinh(2.0 * pi * b / a)
    den2 = 4.0 * b * pi + a * np.sinh(4.0 * pi * b / a)
    sh1, ch1 = np.sinh(pi * b / a), np.cosh(pi * b / a)
    sh2, ch2 = np.sinh(2.0 * pi * b / a), np.cosh(2.0 * pi * b / a)

    def lid(x: Any, y: Any, u1: float) -> tuple[Any, Any]:
        """Velocity when the lid with speed ``u1`` (and the second mode ``u2``) drives."""
        s1, c1 = xp.sinh(pi * y / a), xp.cosh(pi * y / a)
        s2, c2 = xp.sinh(2.0 * pi * y / a), xp.cosh(2.0 * pi * y / a)
        vx1 = -b * pi * sh1 * s1 + ch1 * (pi * y * c1 + a * s1)
        vx2 = -2.0 * b * pi * sh2 * s2 + ch2 * (2.0 * pi * y * c2 + a * s2)
        vx = (2.0 * u1 * xp.sin(pi * x / a) / den1) * vx1 + (
            2.0 * u2 * xp.sin(2.0 * pi * x / a) / den2
        ) * vx2
        vy1 = b * sh1 * c1 - ch1 * y * s1
        vy2 = b * sh2 * c2 - ch2 * y * s2
        vy = (2.0 * pi * u1 * xp.cos(pi * x / a) / den1) * vy1 + (
            4.0 * pi * u2 * xp.cos(2.0 * pi * x / a) / den2
        ) * vy2
        return vx, vy

    def f(y: Any, t: Any, p: Any) -> Any:
        x, yy, tt = y[0], y[1], y[2]
        weight = _protocol(xp, tt, tau)
        dx1, dy1 = lid(x, yy, u1)
        dx2, dy2 = lid(x, yy, -u1)
        dx = weight * dx1 + (1.0 - weight) * dx2
        dy = weight * dy1 + (1.0 - weight) * dy2
        return xp.stack([dx, dy, xp.ones_like(tt)])

    return f


#: Rewrite factories by system name.
REWRITES: dict[str, Callable[[Any, Mapping[str, Any]], RHS]] = {
    "BeerRNN": _beer_rnn,
    "BelousovZhabotinsky": _belousov_zhabotinsky,
    "BickleyJet": _bickley_jet,
    "BlinkingRotlet": _blinking_rotlet,
    "BlinkingVortex": _blinking_rotlet,
    "CellularNeuralNetwork": _cellular_neural_network,
    "CircadianRhythm": _circadian_rhythm,
    "InteriorSquirmer": _interior_squirmer,
    "LidDrivenCavityFlow": _lid_driven_cavity_flow,
    "Lorenz96": _lorenz96,
    "MacArthur": _mac_arthur,
}
