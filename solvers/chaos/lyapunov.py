"""Lyapunov spectra by tangent-space QR (Benettin et al. 1980), batched over members.

The state and ``k`` tangent vectors are advanced together with fixed-step RK4
(``dy/dt = f(y)``, ``dV/dt = J(y) V``); every ``qr_every`` steps the tangent
vectors are re-orthonormalized by a QR decomposition and ``log |R_ii|`` is
accumulated. The Jacobian is exact, never a finite difference: dysts'
analytic ``_jac`` on NumPy where the system has one, forward-mode automatic
differentiation (``jax.jacfwd``) on JAX.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import xarray as xr

from gpu.backends import Backend, get_backend
from gpu.errors import ConfigError, InputError, NumericalInstability
from solvers.chaos.adapter import batched_rhs, modes, numpy_jacobian
from solvers.chaos.catalog import System, get
from solvers.chaos.trajectory import _positive, _seed_attr, trajectory
from solvers.contract import with_provenance

__all__ = ["kaplan_yorke_dimension", "lyapunov_spectrum"]

_REFINEMENTS = 2  # times the default step is divided by 4 when the tangent run overflows


@cache
def _jax_runner(key: tuple[Any, ...], n_blocks: int, qr_every: int, n_exp: int) -> Any:
    import jax
    import jax.numpy as jnp

    system = get(
        key[0], **{k: v if isinstance(v, float) else np.reshape(v[1], v[0]) for k, v in key[1]}
    )
    f = batched_rhs(system).array_fn(jnp)
    if f is None:
        return None

    def single(y: Any, t: Any, p: Any) -> Any:
        return f(y, t, p)

    jac1 = jax.jacfwd(single, argnums=0)
    jac = jax.vmap(jac1, in_axes=(1, 0, 1), out_axes=2)

    def run(y: Any, q: Any, p: Any, h: Any) -> Any:
        return _benettin(jnp, f, jac, y, q, p, h, n_blocks, qr_every, scan=jax.lax.scan)

    return jax.jit(run)


def _rk4_tangent(xp: Any, f: Any, jac: Any, y: Any, q: Any, t: Any, p: Any, h: Any) -> Any:
    def g(yy: Any, qq: Any, tt: Any) -> tuple[Any, Any]:
        return f(yy, tt, p), xp.einsum("ijm,jkm->ikm", jac(yy, tt, p), qq)

    k1y, k1q = g(y, q, t)
    k2y, k2q = g(y + 0.5 * h * k1y, q + 0.5 * h * k1q, t + 0.5 * h)
    k3y, k3q = g(y + 0.5 * h * k2y, q + 0.5 * h * k2q, t + 0.5 * h)
    k4y, k4q = g(y + h * k3y, q + h * k3q, t + h)
    return (
        y + (h / 6.0) * (k1y + 2 * k2y + 2 * k3y + k4y),
        q + (h / 6.0) * (k1q + 2 * k2q + 2 * k3q + k4q),
    )


def _benettin(
    xp: Any,
    f: Any,
    jac: Any,
    y: Any,
    q: Any,
    p: Any,
    h: Any,
    n_blocks: int,
    qr_every: int,
    scan: Any = None,
) -> tuple[Any, Any]:
    """Sum of ``log |R_ii|`` over ``n_blocks`` QR blocks; returns (sums, final y)."""

    def block(carry: tuple[Any, Any, Any, Any], _: Any) -> tuple[tuple[Any, Any, Any, Any], None]:
        y, q, t, sums = carry
        for _ in range(qr_every):
            y, q = _rk4_tangent(xp, f, jac, y, q, t, p, h)
            t = t + h
        qm, r = xp.linalg.qr(xp.moveaxis(q, -1, 0))
        diag = xp.diagonal(r, axis1=-2, axis2=-1)
        sums = sums + xp.log(xp.abs(diag)).T
        return (y, xp.moveaxis(qm, 0, -1), t, sums), None

    members = y.shape[1]
    carry = (y, q, xp.zeros(members), xp.zeros((q.shape[1], members)))
    if scan is not None:
        carry, _ = scan(block, carry, None, length=n_blocks)
    else:
        for _ in range(n_blocks):
            carry, _ = block(carry, None)
    return carry[3], carry[0]


def lyapunov_spectrum(
    system: str | System,
    *,
    members: int = 1,
    n_exponents: int | None = None,
    periods: float = 200.0,
    dt: float | None = None,
    qr_every: int = 5,
    transient: float = 10.0,
    backend: str | None = "auto",
    seed: int | np.random.SeedSequence | None = None,
    params: dict[str, Any] | None = None,
) -> xr.DataArray:
    """Lyapunov exponents of a catalog flow, one spectrum per member.

    Parameters
    ----------
    system : str or System
        A flow of the catalog.
    members : int
        Independent estimates from different points of the attractor.
    n_exponents : int, optional
        How many of the largest exponents (all ``dim`` by default).
    periods : float
        Averaging time in dysts periods.
    dt : float, optional
        RK4 step. By default ``period / 200``, divided by 4 (up to twice) if
        the run leaves the finite range.
    qr_every : int
        Steps between QR re-orthonormalizations.
    transient : float
        Periods run before averaging, to align the tangent vectors.
    backend : str, optional
        ``jax`` (automatic differentiation, any vectorizable system) or
        ``numpy`` (dysts' analytic ``_jac``); ``auto`` prefers JAX.
    seed : int or SeedSequence, optional
        Seeds the starting points on the attractor (see :func:`trajectory`).
    params : dict, optional
        Scalar parameter overrides.

    Returns
    -------
    xarray.DataArray
        ``lyapunov_exponent`` (member, component), largest first, in 1/time
        units, with provenance attrs.

    Raises
    ------
    ConfigError
        No exact Jacobian is available on the chosen backend, or not a flow.
    InputError
        Bad sizes.
    NumericalInstability
        The tangent integration left the finite range.
    """
    sys_ = get(system, **(params or {}))
    if sys_.kind != "flow":
        raise ConfigError(f"{sys_.name} is a {sys_.kind}: Lyapunov spectra are computed for flows")
    _positive("members", members, integer=True)
    _positive("periods", periods)
    _positive("dt", dt)
    _positive("qr_every", qr_every, integer=True)
    _positive("transient", transient)
    k = sys_.dim if n_exponents is None else n_exponents
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= sys_.dim:
        raise InputError(f"n_exponents must be an integer in [1, {sys_.dim}], got {n_exponents!r}")
    k, members = int(k), int(members)
    be = _choose(backend, sys_)
    period = sys_.period or 1.0
    h = float(dt) if dt is not None else period / 200.0
    start = trajectory(
        sys_,
        2,
        members=members,
        dt=transient * period,
        seed=seed if seed is not None else 0,
        backend="numpy",
        rtol=1e-8,
        atol=1e-8,
    )
    y0 = np.ascontiguousarray(start.x.isel(time=-1).values.T)
    if not np.all(np.isfinite(y0)):
        raise InputError(f"{sys_.name}: the starting points diverged during the transient")
    # rewritten systems with array parameters hold them; the rows carry scalar ones only
    scalar = all(np.ndim(value) == 0 for value in sys_.params.values())
    names = sys_.param_names if scalar else ()
    p = np.repeat(
        np.array([float(sys_.params[name]) for name in names])[:, None], members, axis=1
    ).reshape(len(names), members)
    q0 = np.repeat(np.eye(sys_.dim)[:, :k, None], members, axis=2)
    for _ in range(_REFINEMENTS + 1):
        n_blocks = max(1, math.ceil(periods * period / (h * int(qr_every))))
        sums = _run(be, sys_, y0, q0, p, h, n_blocks, int(qr_every), k)
        if np.all(np.isfinite(sums)) or dt is not None:
            break
        h /= 4.0
    if not np.all(np.isfinite(sums)):
        raise NumericalInstability(
            f"{sys_.name}: the tangent integration with RK4 step {h:g} left the finite range; "
            "pass a smaller dt"
        )
    exponents = sums / (n_blocks * int(qr_every) * h)
    da = xr.DataArray(
        exponents.T,
        dims=("member", "component"),
        coords={
            "member": np.arange(members),
            "component": (
                "component",
                np.arange(k),
                {"long_name": "exponent index, largest first"},
            ),
        },
        name="lyapunov_exponent",
        attrs={
            "units": "1",
            "long_name": f"Lyapunov exponents of {sys_.name} (per model time unit)",
        },
    )
    config = {
        "system": sys_.name,
        "members": members,
        "n_exponents": k,
        "periods": periods,
        "dt": h,
        "qr_every": int(qr_every),
        "transient": transient,
        "params": sys_.overrides,
    }
    seed_attr = _seed_attr(seed)
    ds = with_provenance(da.to_dataset(), backend=be.name, seed=seed_attr, config=config)
    out = ds["lyapunov_exponent"]
    out.attrs.update(ds.attrs)
    return out


def _run(
    be: Backend,
    system: System,
    y0: np.ndarray,
    q0: np.ndarray,
    p: np.ndarray,
    h: float,
    n_blocks: int,
    qr_every: int,
    k: int,
) -> np.ndarray:
    """Sums of log |R_ii| over ``n_blocks`` QR blocks, shape (k, members)."""
    if be.name == "jax":
        runner = _jax_runner(system.key, n_blocks, qr_every, k)
        sums, _ = runner(be.asarray(y0), be.asarray(q0), be.asarray(p), h)
        return np.asarray(sums)
    f = batched_rhs(system).array_fn(np)
    with np.errstate(all="ignore"):
        sums, _ = _benettin(np, f, numpy_jacobian(system), y0, q0, p, h, n_blocks, qr_every)
    return np.asarray(sums)


def _choose(backend: str | None, system: System) -> Backend:
    be = get_backend(backend)
    if be.name != "numpy":
        from gpu._optional import module_available

        if module_available("jax"):
            jax_be = get_backend("jax")
            if batched_rhs(system).array_fn(jax_be.xp) is not None:
                return jax_be
        if be.name == "jax":
            raise ConfigError(f"{system.name}: its right-hand side does not trace under JAX")
    if modes(system) != "broadcast":
        raise ConfigError(
            f"{system.name}: Lyapunov spectra need a right-hand side that traces under JAX "
            f"or vectorizes on NumPy (mode 'broadcast'); its mode is {modes(system)!r}"
        )
    if numpy_jacobian(system) is None:
        raise ConfigError(
            f"{system.name} has no analytic Jacobian in dysts: use backend='jax' "
            "(automatic differentiation), which needs the jax extra"
        )
    return get_backend("numpy")


def kaplan_yorke_dimension(exponents: Any) -> Any:
    """Kaplan–Yorke dimension ``k + S_k / |lambda_{k+1}|`` of spectra.

    Parameters
    ----------
    exponents : array_like or xarray.DataArray, shape (..., n)
        Lyapunov spectra along the last axis (sorted here, largest first).

    Returns
    -------
    numpy.ndarray or float
        ``k`` is the largest count whose partial sum ``S_k`` is >= 0; the
        dimension is ``n`` if the whole sum is >= 0, and 0 if the largest
        exponent is negative.
    """
    lam = -np.sort(-np.asarray(exponents, dtype=float), axis=-1)
    sums = np.cumsum(lam, axis=-1)
    n = lam.shape[-1]
    k = np.sum(sums >= 0, axis=-1)
    flat_k, flat_s, flat_l = k.reshape(-1), sums.reshape(-1, n), lam.reshape(-1, n)
    out = np.empty(flat_k.shape)
    for i, ki in enumerate(flat_k):
        if ki == 0:
            out[i] = 0.0
        elif ki == n:
            out[i] = float(n)
        else:
            out[i] = ki + flat_s[i, ki - 1] / abs(flat_l[i, ki])
    return out.reshape(k.shape) if k.ndim else float(out[0])
