"""Batched trajectories and ensembles of catalog systems as contract xarray.

>>> from solvers import chaos
>>> ds = chaos.trajectory("Lorenz", 1000, members=8, seed=1)   # doctest: +SKIP
>>> ds.x.dims                                                   # doctest: +SKIP
('member', 'time', 'component')

Initial conditions: with ``ic=None``, a single member without a seed starts
from dysts' reference initial condition; otherwise member ``m`` draws a
perturbation of it from the ``m``-th child of ``SeedSequence(seed)`` and is
integrated for ``burn_in`` periods, so that it starts on the attractor;
members that escape (thin basins) redraw smaller perturbations, see
:mod:`solvers.chaos.sampling`. The burn-in of the adaptive explicit methods
runs as ``auto``, so a member that turns stiff is finished by RODAS4 instead
of stalling the batch. The draws depend only on the seed and the member
index, never on how the members are split into calls (``first_member``).

Flows are integrated by the chosen method; maps are iterated (``time`` is the
iteration index; ``burn_in`` counts hundreds of iterations); delay equations
follow dysts' convention: a constant history equal to the first entry of
the initial condition, and a delay embedding as the state (see
:mod:`solvers.chaos.delay`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.backends import Backend, get_backend
from gpu.errors import ConfigError, InputError
from gpu.ode import (
    SDE_METHODS,
    BatchedRHS,
    OdeSolution,
    Status,
    dop853,
    dopri5,
    iterate,
    rk4,
    rodas4,
    rosenbrock23,
    sde,
)
from solvers.chaos.adapter import batched_rhs, modes, numpy_jacobian
from solvers.chaos.catalog import System, get
from solvers.chaos.delay import delay_run
from solvers.chaos.sampling import burn_in_members, initial_states
from solvers.contract import with_provenance

__all__ = ["METHODS", "member_streams", "resolve_backend", "trajectory"]

#: Integration methods of :func:`trajectory`.
METHODS: tuple[str, ...] = (
    "dopri5",
    "dop853",
    "rk4",
    "rosenbrock",
    "rodas4",
    "auto",
    *SDE_METHODS,
)
#: ``auto``: attempts per period of model time the explicit method may take
#: before a member counts as stalled and is redone by the stiff method.
STEPS_PER_PERIOD = 5_000
_MAP_BURN_IN = 100  # maps: iterations per unit of burn_in


def member_streams(seed: int | np.random.SeedSequence | None, first: int, count: int) -> list[Any]:
    """The seed sequences of members ``first .. first + count - 1`` of a run seeded ``seed``."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [
        np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, first + i))
        for i in range(count)
    ]


def _seed_attr(seed: int | np.random.SeedSequence | None) -> int | None:
    """The integer recorded as the provenance seed (a SeedSequence's entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        return int(entropy) if isinstance(entropy, (int, np.integer)) else None
    return seed


def resolve_backend(name: str | None, rhs: BatchedRHS) -> Backend:
    """The requested backend, or NumPy where the system has no form for it."""
    backend = get_backend(name)
    if backend.name == "numba" and rhs.numba_form() is None:
        return get_backend("numpy")
    if backend.name in ("jax", "cupy") and rhs.array_fn(backend.xp) is None:
        return get_backend("numpy")
    return backend


def _positive(name: str, value: Any, integer: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise InputError(f"{name} must be an integer, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")


def _split_params(
    system: System, params: Mapping[str, Any] | None, members: int
) -> tuple[System, dict[str, np.ndarray]]:
    """Apply fixed overrides; return the swept parameters (one value per member)."""
    if not params:
        return system, {}
    fixed, swept = {}, {}
    for key, value in params.items():
        if key not in system.params:
            system.with_params(**{key: value})  # raises the unknown-parameter error
        arr = np.asarray(value, dtype=float)
        if np.ndim(system.params[key]) == 0 and arr.ndim == 1:
            if arr.shape != (members,):
                raise ConfigError(
                    f"a sweep of {key!r} needs one value per member ({members}), got {arr.shape[0]}"
                )
            if not np.all(np.isfinite(arr)):
                raise ConfigError(f"the sweep of {key!r} contains non-finite values")
            swept[key] = arr
        else:
            fixed[key] = value
    return system.with_params(**fixed), swept


def _param_rows(system: System, swept: Mapping[str, np.ndarray], members: int) -> np.ndarray | None:
    """Parameters as rows ``(n_params, members)``; None where a parameter is an array."""
    if swept and modes(system) != "broadcast":
        raise ConfigError(
            f"{system.name} cannot sweep parameters within one batch (its right-hand side "
            f"does not vectorize: mode {modes(system)!r}); run one batch per value instead"
        )
    if any(np.ndim(value) for value in system.params.values()):
        return None
    rows = [
        np.broadcast_to(swept.get(key, float(system.params[key])), (members,))
        for key in system.param_names
    ]
    return np.array(rows, dtype=float).reshape(len(rows), members)


def _integrate(
    method: str,
    backend: Backend,
    system: System,
    y0: np.ndarray,
    dt_out: float,
    n_out: int,
    params: np.ndarray | None,
    rtol: float,
    atol: float,
    substeps: int,
    max_abs: float = 1e12,
) -> OdeSolution:
    """Integrate with ``method``; ``auto`` redoes stalled explicit members with RODAS4.

    A member stalls when Dormand–Prince 5(4) collapses its step
    (``STEP_TOO_SMALL``) or spends more than :data:`STEPS_PER_PERIOD`
    attempts per period of model time (``MAX_STEPS``). The stiff methods run
    on JAX (``jax.jacfwd`` Jacobians) or CuPy where asked, else on NumPy with
    dysts' analytic ``_jac`` (forward differences where it has none).
    """
    rhs = batched_rhs(system)
    if method == "rk4":
        return rk4(
            backend,
            rhs,
            y0,
            dt_out=dt_out,
            n_out=n_out,
            substeps=substeps,
            params=params,
            max_abs=max_abs,
        )
    if method in ("rosenbrock", "rodas4"):
        implicit = rosenbrock23 if method == "rosenbrock" else rodas4
        on = backend if backend.name in ("jax", "cupy") else get_backend("numpy")
        return implicit(
            on,
            rhs,
            y0,
            dt_out=dt_out,
            n_out=n_out,
            params=params,
            jac=numpy_jacobian(system) if on.name == "numpy" else None,
            rtol=rtol,
            atol=atol,
            max_abs=max_abs,
        )
    adaptive = dop853 if method == "dop853" else dopri5
    budget = 1_000_000
    if method == "auto":
        periods = (n_out - 1) * dt_out / (system.period or 1.0)
        budget = math.ceil(STEPS_PER_PERIOD * (1.0 + periods))
    sol = adaptive(
        backend,
        rhs,
        y0,
        dt_out=dt_out,
        n_out=n_out,
        params=params,
        rtol=rtol,
        atol=atol,
        max_steps=budget,
        max_abs=max_abs,
    )
    stalled = np.flatnonzero(np.isin(sol.status, (Status.STEP_TOO_SMALL, Status.MAX_STEPS)))
    if method != "auto" or stalled.size == 0:
        return sol
    sub = None if params is None else params[:, stalled]
    stiff = _integrate(
        "rodas4", backend, system, y0[:, stalled], dt_out, n_out, sub, rtol, atol, substeps, max_abs
    )
    y, status, n_steps = sol.y.copy(), sol.status.copy(), sol.n_steps.copy()
    y[:, :, stalled], status[stalled], n_steps[stalled] = stiff.y, stiff.status, stiff.n_steps
    return OdeSolution(y, sol.t0, sol.dt_out, status, n_steps, sol.backend)


def _iterate_map(
    backend: Backend, rhs: BatchedRHS, y0: np.ndarray, n: int, p: np.ndarray | None, burn_in: float
) -> tuple[OdeSolution, np.ndarray]:
    """Iterate a map ``n`` times after ``burn_in * 100`` discarded iterations."""
    burn_status = np.zeros(y0.shape[1], dtype=np.int8)
    if burn_in > 0:
        warm = iterate(backend, rhs, y0, n_out=math.ceil(burn_in * _MAP_BURN_IN) + 1, params=p)
        burn_status = warm.status
        y0 = np.where(warm.ok, warm.y[-1], y0)
    return iterate(backend, rhs, y0, n_out=n, params=p), burn_status


def _member_rngs(
    seed: int | np.random.SeedSequence | None,
    rngs: Sequence[np.random.Generator] | None,
    members: int,
    first_member: int,
) -> Sequence[np.random.Generator] | None:
    """Per-member generators: given, derived from ``seed``, or None for dysts' one member."""
    if rngs is not None:
        if seed is not None:
            raise ConfigError("pass either seed or rngs, not both")
        if len(rngs) != members:
            raise InputError(
                f"rngs must hold one generator per member ({members}), got {len(rngs)}"
            )
        return list(rngs)
    if seed is None and members == 1 and first_member == 0:
        return None
    return [np.random.default_rng(s) for s in member_streams(seed, first_member, members)]


def trajectory(
    system: str | System,
    n: int,
    *,
    members: int = 1,
    pts_per_period: int = 100,
    dt: float | None = None,
    method: str = "dopri5",
    rtol: float = 1e-10,
    atol: float = 1e-10,
    backend: str | None = "auto",
    seed: int | np.random.SeedSequence | None = None,
    ic: Any = None,
    params: Mapping[str, Any] | None = None,
    burn_in: float = 10.0,
    substeps: int = 10,
    first_member: int = 0,
    drop_diverged: bool = False,
    noise: float = 0.0,
    rngs: Sequence[np.random.Generator] | None = None,
) -> xr.Dataset:
    """Integrate a batch of members of a catalog system onto a uniform time grid.

    Parameters
    ----------
    system : str or System
        Catalog name (see :func:`~solvers.chaos.systems`) or a :class:`System`:
        a flow, a map or a delay equation (see the module docstring).
    n : int
        Number of output points per member (the initial state included).
    members : int
        Ensemble size.
    pts_per_period : int
        Output points per dysts period (dysts' convention); ignored if ``dt`` is set.
    dt : float, optional
        Output spacing in model time units.
    method : str
        One of :data:`METHODS`. Adaptive Dormand–Prince 5(4) or 8(5,3); for stiff systems the
        linearly implicit Rosenbrock 2(3) or RODAS4 (order 4), on JAX
        (automatic-differentiation Jacobians) or CuPy where asked, else NumPy
        with dysts' analytic Jacobian where it has one; ``auto``:
        Dormand–Prince 5(4), with the members that stall (step collapse, or
        more than :data:`STEPS_PER_PERIOD` attempts per period) redone by RODAS4;
        fixed-step RK4 with ``substeps``
        steps per output interval; or a stochastic scheme with additive
        noise of amplitude ``noise`` (the burn-in is then deterministic).
    rtol, atol : float
        Tolerances of the adaptive methods.
    backend : str, optional
        ``numpy``, ``numba``, ``jax``, ``cupy`` or ``auto``. A system without
        a form for the chosen backend runs on NumPy; ``attrs["backend"]``
        says which ran.
    seed : int or numpy.random.SeedSequence, optional
        Seeds the initial-condition draws (see the module docstring).
    ic : array_like, shape (dim,) or (members, dim), optional
        Explicit initial states (no burn-in).
    params : mapping, optional
        Parameter overrides. A scalar parameter given an array of ``members``
        values is swept: one value per member.
    burn_in : float
        Periods integrated before output when initial conditions are drawn.
    substeps : int
        RK4 steps per output interval.
    first_member : int
        Index of the first member, to split one seeded ensemble over calls.
    drop_diverged : bool
        Drop members that did not reach the final time (they are kept with
        NaN and a non-zero ``status`` otherwise).
    noise : float
        For the stochastic methods: ``sigma`` of ``dx_i = f_i dt + sigma
        std_i dW_i``, with ``std_i`` dysts' attractor standard deviation of
        component ``i``; each member draws its own noise from its seed stream.
    rngs : sequence of numpy.random.Generator, optional
        One generator per member, instead of ``seed`` (the ensemble runner's
        interface). Member ``m`` of ``seed=s`` uses
        ``default_rng(SeedSequence(s).spawn(m + 1)[m])``. Each member draws its
        initial perturbation, then its noise, from its own generator.

    Returns
    -------
    xarray.Dataset
        ``x`` (member, time, component) with coordinates ``time`` (model
        time), ``lyapunov_time`` and ``periods`` along time; ``status`` and
        ``n_steps`` per member; swept parameters as member coordinates;
        provenance attrs.

    Raises
    ------
    InputError
        Unknown system, bad ``n``/``dt``/``members``, or a bad ``ic``.
    ConfigError
        Unknown parameters or method, or a sweep the system cannot batch.
    """
    sys_ = get(system)
    _positive("n", n, integer=True)
    _positive("members", members, integer=True)
    _positive("pts_per_period", pts_per_period, integer=True)
    _positive("dt", dt)
    _positive("burn_in", burn_in)
    _positive("substeps", substeps, integer=True)
    if not (math.isfinite(noise) and noise >= 0):
        raise InputError(f"noise must be finite and >= 0, got {noise!r}")
    if noise > 0 and method not in SDE_METHODS:
        raise ConfigError(f"noise needs a stochastic method ({', '.join(SDE_METHODS)})")
    if isinstance(first_member, bool) or int(first_member) != first_member or first_member < 0:
        raise InputError(f"first_member must be an integer >= 0, got {first_member!r}")
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    n, members = int(n), int(members)
    is_map = sys_.kind == "map"
    period = 1.0 if is_map else sys_.period or 1.0
    dt_out = 1.0 if is_map else float(dt) if dt is not None else period / int(pts_per_period)
    sys_, swept = _split_params(sys_, params, members)
    generators = _member_rngs(seed, rngs, members, int(first_member))
    if sys_.kind == "delay":
        return _delay_trajectory(
            sys_,
            n,
            members,
            dt_out,
            int(substeps),
            backend,
            seed,
            generators,
            ic,
            burn_in,
            int(first_member),
            swept,
            drop_diverged,
        )
    p = _param_rows(sys_, swept, members)
    rhs = batched_rhs(sys_)
    be = resolve_backend(backend, rhs)
    y0, needs_burn_in = initial_states(sys_, ic, members, generators)
    if is_map:
        if be.name == "numba":
            be = get_backend("numpy")
        sol, burn_status = _iterate_map(be, rhs, y0, n, p, burn_in if needs_burn_in else 0.0)
    else:
        burn_status = np.zeros(members, dtype=np.int8)
        if needs_burn_in and generators is not None:
            burn_steps = math.ceil(burn_in * period / dt_out) * int(substeps)
            explicit = method in ("dopri5", "dop853", *SDE_METHODS)
            deterministic = "auto" if explicit else method
            span = burn_in * period

            def warm_up(y: np.ndarray, q: np.ndarray | None, bound: float) -> OdeSolution:
                return _integrate(
                    deterministic, be, sys_, y, span, 2, q, rtol, atol, burn_steps, bound
                )

            y0, burn_status = burn_in_members(warm_up, sys_, y0, generators, p)
        if method in SDE_METHODS:
            if be.name == "numba":
                be = get_backend("numpy")
            sol = sde(
                be,
                rhs,
                y0,
                sigma=noise * sys_.std,
                dt_out=dt_out,
                n_out=n,
                # unseeded single member: dysts' initial condition, fresh noise
                rngs=generators or [np.random.default_rng()],
                substeps=int(substeps),
                method=method,
                params=p,
            )
        else:
            sol = _integrate(method, be, sys_, y0, dt_out, n, p, rtol, atol, int(substeps))
    status = np.where(burn_status != Status.SUCCESS, burn_status, sol.status).astype(np.int8)
    values = np.where(status == Status.SUCCESS, 1.0, np.nan)[None, None, :] * sol.y
    ds = _to_dataset(sys_, values, dt_out, status, sol.n_steps, swept, int(first_member))
    config = {
        "system": sys_.name,
        "n": n,
        "members": members,
        "first_member": int(first_member),
        "dt": dt_out,
        "pts_per_period": int(pts_per_period),
        "method": method,
        "rtol": rtol,
        "atol": atol,
        "params": {**sys_.overrides, **swept},
        "burn_in": burn_in,
        "substeps": int(substeps),
        "noise": noise,
        "ic": None if ic is None else np.asarray(ic, dtype=float),
    }
    seed_attr = _seed_attr(seed)
    ds = with_provenance(ds, backend=sol.backend, seed=seed_attr, config=config)
    if drop_diverged:
        ds = ds.isel(member=np.flatnonzero(status == Status.SUCCESS))
    return ds


def _delay_trajectory(
    system: System,
    n: int,
    members: int,
    dt_out: float,
    substeps: int,
    backend: str | None,
    seed: int | np.random.SeedSequence | None,
    rngs: Sequence[np.random.Generator] | None,
    ic: Any,
    burn_in: float,
    first_member: int,
    swept: Mapping[str, np.ndarray],
    drop_diverged: bool,
) -> xr.Dataset:
    if swept:
        raise ConfigError(f"{system.name}: parameter sweeps are not supported for delay equations")
    y0, needs_burn_in = initial_states(system, ic, members, rngs)
    be = get_backend(backend)
    if be.name == "numba":
        be = get_backend("numpy")
    burn_time = burn_in * (system.period or 1.0) if needs_burn_in else 0.0
    values, status, n_steps = delay_run(
        be, system, y0[0], n=n, dt_out=dt_out, substeps=substeps, burn_in_time=burn_time
    )
    ds = _to_dataset(system, values, dt_out, status, n_steps, {}, first_member)
    lags = np.linspace(0.0, float(system.params["tau"]), system.dim)
    ds = ds.assign_coords(
        lag=("component", lags, {"units": "1", "long_name": "delay of the embedding coordinate"})
    )
    config = {
        "system": system.name,
        "n": n,
        "members": members,
        "first_member": first_member,
        "dt": dt_out,
        "method": "method of steps (rk4, cubic Hermite history)",
        "params": system.overrides,
        "burn_in": burn_in,
        "substeps": substeps,
        "ic": None if ic is None else np.asarray(ic, dtype=float),
    }
    ds = with_provenance(ds, backend=be.name, seed=_seed_attr(seed), config=config)
    if drop_diverged:
        ds = ds.isel(member=np.flatnonzero(status == Status.SUCCESS))
    return ds


def _to_dataset(
    system: System,
    values: np.ndarray,
    dt_out: float,
    status: np.ndarray,
    n_steps: np.ndarray,
    swept: Mapping[str, np.ndarray],
    first_member: int,
) -> xr.Dataset:
    n = values.shape[0]
    time = np.arange(n) * dt_out
    time_name = "iteration" if system.kind == "map" else "time (model units)"
    coords: dict[str, Any] = {
        "member": ("member", first_member + np.arange(values.shape[2])),
        "time": ("time", time, {"units": "1", "long_name": time_name}),
        "component": ("component", np.arange(system.dim), {"long_name": "state component"}),
    }
    if system.period is not None and system.kind != "map":
        coords["periods"] = (
            "time",
            time / system.period,
            {"units": "1", "long_name": "time in periods"},
        )
    if system.max_lyapunov is not None and system.kind != "map":
        coords["lyapunov_time"] = (
            "time",
            time * system.max_lyapunov,
            {"units": "1", "long_name": "time in Lyapunov times (dysts estimate)"},
        )
    for key, value in swept.items():
        coords[f"param_{key}"] = ("member", value, {"units": "1", "long_name": f"parameter {key}"})
    flags = list(Status)
    ds = xr.Dataset(
        {
            "x": (
                ("member", "time", "component"),
                np.transpose(values, (2, 0, 1)),
                {"units": "1", "long_name": f"{system.name} state"},
            ),
            "status": (
                "member",
                status,
                {
                    "units": "1",
                    "long_name": "integration status",
                    "flag_values": np.array([int(f) for f in flags], dtype=np.int8),
                    "flag_meanings": " ".join(f.name.lower() for f in flags),
                },
            ),
            "n_steps": ("member", n_steps, {"units": "1", "long_name": "accepted steps"}),
        },
        coords=coords,
        attrs={
            "system": system.name,
            "title": f"{system.name}: {system.description}"[:200],
            "citation": system.citation,
        },
    )
    return ds
