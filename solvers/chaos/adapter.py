"""Turn a dysts flow into a :class:`gpu.ode.BatchedRHS` for every backend.

dysts writes most right-hand sides as ``_rhs(x, y, z, t, *params)`` on scalar
components, compiled with numba. The adapter uses dysts' own function in
three ways, and checks each against dysts' per-point ``rhs`` on a small batch
before using it:

``broadcast``
    The pure-Python ``_rhs`` evaluated on whole component arrays (one entry
    per member): NumPy directly; JAX and CuPy with the function's global
    ``np`` bound to ``jax.numpy`` / ``cupy``; numba through a generated
    per-member wrapper around dysts' compiled ``_rhs``.
``rewrite``
    Flows whose dysts right-hand side branches on the state, combines array
    parameters with it or only runs on NumPy (the list is
    :data:`solvers.chaos.rewrites.REWRITES`): a batched rewrite of the same
    formula on NumPy, JAX and CuPy.
``vector-rhs``
    Systems that override ``rhs(X, t)`` (indexing into ``X``): called on the
    ``(dim, members)`` array with the same parameters for every member; on
    JAX and CuPy with its global ``np`` rebound, where that traces.
``per-member``
    Anything else (a flow added to dysts that fits none of the above):
    dysts' ``rhs`` called once per member, NumPy only.

The numba form is separate from the mode: dysts' compiled scalar ``_rhs``
where it has one that compiles, else dysts' own ``rhs`` (or ``_rhs``)
translated to numba by :mod:`solvers.chaos.translate` (every flow of dysts
0.96 has one of the two); either is probed through the C callback the numba
kernels call.

:func:`vectorization_report` lists the mode of every flow.
"""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from gpu._optional import require
from gpu.errors import ConfigError
from gpu.ode import BatchedRHS
from gpu.ode._numba import call_pointer, rhs_pointer, vector_form
from solvers.chaos.catalog import System, get, systems
from solvers.chaos.rewrites import REWRITES
from solvers.chaos.translate import translate

__all__ = ["MODES", "batched_rhs", "modes", "numpy_jacobian", "vectorization_report"]

#: The adapter's modes, fastest first.
MODES: tuple[str, ...] = ("broadcast", "rewrite", "vector-rhs", "per-member")


def _raw_rhs(instance: Any) -> Any:
    """dysts' ``_rhs`` if the class defines its own, else None."""
    from dysts.base import BaseDyn

    raw = type(instance)._rhs
    return None if raw is BaseDyn._rhs else raw


def _probe_batch(system: System) -> tuple[np.ndarray, np.ndarray]:
    """Three nearby states and times to compare the vectorized forms on."""
    ic = system.ic
    offsets = np.array([0.0, 1e-2, -2e-2])
    y = ic[:, None] * (1.0 + offsets) + 1e-3 * offsets
    return y, np.array([0.0, 0.3, 0.7])


def _stack(xp: Any, comps: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """Stack the components dysts returns (arrays or scalars) into ``(dim, *shape)``."""
    if xp is np:
        out = np.empty((len(comps), *shape), dtype=dtype)
        for i, comp in enumerate(comps):
            out[i] = comp
        return out
    return xp.stack([xp.broadcast_to(xp.asarray(c, dtype=dtype), shape) for c in comps])


def _reference(instance: Any, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dysts' per-point right-hand side (its uncompiled ``_rhs`` where ``rhs`` is the default)."""
    from dysts.base import DynSys

    raw = _raw_rhs(instance)
    if type(instance).rhs is DynSys.rhs and hasattr(raw, "py_func"):

        def point(x: np.ndarray, t: float) -> Any:
            return raw.py_func(*x, t, *instance.param_list)

    else:
        point = instance.rhs
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.stack(
            [np.asarray(point(y[:, m], t[m]), dtype=float) for m in range(y.shape[1])], axis=-1
        )


def _agrees(candidate: Callable[[], Any], reference: np.ndarray) -> bool:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = np.asarray(candidate(), dtype=float)
    except Exception:  # third-party code fails in many ways when it does not vectorize
        return False
    return value.shape == reference.shape and bool(
        np.allclose(value, reference, rtol=1e-10, atol=1e-12, equal_nan=True)
    )


def _rebound(fn: Any, xp: Any) -> Any:
    """``fn`` with its global ``np`` bound to the namespace ``xp``."""
    return types.FunctionType(
        fn.__code__, {**fn.__globals__, "np": xp}, fn.__name__, fn.__defaults__, fn.__closure__
    )


class _Adapter:
    """All forms of one system's right-hand side, probed once."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.instance = system.dysts_instance()
        self.scalar_params = all(np.ndim(v) == 0 for v in system.params.values())
        self.param_vector = (
            np.array([float(system.params[k]) for k in system.param_names])
            if self.scalar_params
            else np.zeros(0)
        )
        raw = _raw_rhs(self.instance)
        self.py_rhs = None if raw is None else getattr(raw, "py_func", raw)
        self.raw = raw
        y, t = _probe_batch(system)
        self.probe = (y, t, _reference(self.instance, y, t))
        self.mode = self._classify()

    def _classify(self) -> str:
        y, t, ref = self.probe
        if self.py_rhs is not None and self.scalar_params:
            fn = self.py_rhs
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            if _agrees(lambda: _stack(np, fn(*y, t, *p), t.shape, float), ref):
                return "broadcast"
        rewrite = REWRITES.get(self.system.name)
        if rewrite is not None:
            fn = rewrite(np, self.system.params)
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            if _agrees(lambda: fn(y, t, p), ref):
                return "rewrite"
        if _agrees(lambda: _stack(np, self.instance.rhs(y, t), t.shape, float), ref):
            return "vector-rhs"
        return "per-member"

    def array_fn(self, xp: Any) -> Callable[[Any, Any, Any], Any] | None:
        if self.mode == "broadcast" and self.py_rhs is not None:
            fn = self.py_rhs if xp is np else _rebound(self.py_rhs, xp)

            def f(y: Any, t: Any, p: Any) -> Any:
                return _stack(xp, fn(*y, t, *p), y.shape[1:], y.dtype)

            if xp is np:
                return f
            y, t, ref = self.probe
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            to_host = getattr(xp, "asnumpy", np.asarray)
            ok = _agrees(lambda: to_host(f(xp.asarray(y), xp.asarray(t), xp.asarray(p))), ref)
            return f if ok else None
        if self.mode == "rewrite":
            rewritten = REWRITES[self.system.name](xp, self.system.params)
            if xp is np:
                return rewritten
            y, t, ref = self.probe
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            to_host = getattr(xp, "asnumpy", np.asarray)
            ok = _agrees(
                lambda: to_host(rewritten(xp.asarray(y), xp.asarray(t), xp.asarray(p))), ref
            )
            return rewritten if ok else None
        instance = self.instance
        if xp is not np:
            return self._rebound_vector_rhs(xp) if self.mode == "vector-rhs" else None
        if self.mode == "vector-rhs":

            def g(y: Any, t: Any, p: Any) -> Any:
                return _stack(np, instance.rhs(y, t), y.shape[1:], y.dtype)

            return g

        def per_member(y: Any, t: Any, p: Any) -> Any:
            times = np.broadcast_to(t, y.shape[1:])
            return np.stack(
                [
                    np.asarray(instance.rhs(y[:, m], times[m]), dtype=y.dtype)
                    for m in range(y.shape[1])
                ],
                axis=-1,
            )

        return per_member

    def _rebound_vector_rhs(self, xp: Any) -> Callable[[Any, Any, Any], Any] | None:
        """dysts' ``rhs(X, t)`` with its global ``np`` bound to ``xp``, where that traces."""
        method = _rebound(type(self.instance).rhs, xp)
        instance = self.instance

        def f(y: Any, t: Any, p: Any) -> Any:
            return _stack(xp, method(instance, y, t), y.shape[1:], y.dtype)

        y, t, ref = self.probe
        to_host = getattr(xp, "asnumpy", np.asarray)
        ok = _agrees(lambda: to_host(f(xp.asarray(y), xp.asarray(t), None)), ref)
        return f if ok else None

    def numba_fn(self) -> Any:
        """dysts' compiled scalar ``_rhs``, else its translated vector form, else None."""
        scalar = self._scalar_numba()
        return scalar if scalar is not None else self._vector_numba()

    def _probe_callback(self, form: Any, n_params: int) -> bool:
        """Whether ``form``'s C callback agrees with dysts' ``rhs`` on the probe batch."""
        y, t, ref = self.probe
        p = self.param_vector[:n_params]

        def call() -> np.ndarray:
            # through the C callback the adaptive kernels use (cached on disk): no compilation
            # of the form itself when that callback is already cached
            callback = rhs_pointer(form, self.system.dim, len(p))
            columns = [call_pointer(callback, y[:, m], float(t[m]), p) for m in range(len(t))]
            return np.stack(columns, axis=-1)

        return _agrees(call, ref)

    def _scalar_numba(self) -> Any:
        if self.raw is None or not self.scalar_params:
            return None
        numba = require("numba", "the numba backend")
        # dysts' pure-Python _rhs compiled with NumPy's float semantics (x / 0 -> inf)
        compiled = numba.njit(error_model="numpy")(self.py_rhs)
        return compiled if self._probe_callback(compiled, len(self.param_vector)) else None

    def _vector_numba(self) -> Any:
        """dysts' own code translated to numba (:mod:`solvers.chaos.translate`), if it compiles."""
        require("numba", "the numba backend")
        try:
            body, n_params = translate(self.instance)
            form = vector_form(body, self.system.dim, n_params, self.system.name)
        except Exception:  # dysts code outside what the translation covers: stay on NumPy
            return None
        return form if self._probe_callback(form, n_params) else None


class _MapAdapter:
    """The forms of one map ``x_{k+1} = F(x_k)``, probed once (modes as for flows)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.instance = system.dysts_instance()
        self.scalar_params = all(np.ndim(v) == 0 for v in system.params.values())
        self.param_vector = (
            np.array([float(system.params[k]) for k in system.param_names])
            if self.scalar_params
            else np.zeros(0)
        )
        raw = type(self.instance)._rhs
        self.static = isinstance(inspect.getattr_static(type(self.instance), "_rhs"), staticmethod)
        self.py_rhs = getattr(raw, "py_func", raw) if self.static else None
        y, _ = _probe_batch(system)
        self.probe = (y, self._reference(y))
        self.mode = self._classify()

    def _point(self, x: np.ndarray) -> Any:
        params = self.instance.param_list
        if self.py_rhs is not None:
            return self.py_rhs(*x, *params)
        return self.instance._rhs(*x, *params)

    def _reference(self, y: np.ndarray) -> np.ndarray | None:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return np.stack(
                    [
                        np.atleast_1d(np.asarray(self._point(y[:, m]), float))
                        for m in range(y.shape[1])
                    ],
                    axis=-1,
                )
        except Exception:  # a dysts map that cannot be evaluated point by point
            return None

    def _classify(self) -> str:
        y, ref = self.probe
        if ref is None or ref.shape[0] != self.system.dim:
            return "unsupported"
        if self.py_rhs is not None and self.scalar_params:
            fn = self.py_rhs
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            if _agrees(lambda: _stack(np, _components(fn(*y, *p)), (y.shape[1],), float), ref):
                return "broadcast"
        return "per-member"

    def array_fn(self, xp: Any) -> Callable[[Any, Any, Any], Any] | None:
        if self.mode == "broadcast" and self.py_rhs is not None:
            fn = self.py_rhs if xp is np else _rebound(self.py_rhs, xp)

            def f(y: Any, k: Any, p: Any) -> Any:
                return _stack(xp, _components(fn(*y, *p)), y.shape[1:], y.dtype)

            if xp is np:
                return f
            y, ref = self.probe
            p = np.repeat(self.param_vector[:, None], y.shape[1], axis=1)
            to_host = getattr(xp, "asnumpy", np.asarray)
            ok = ref is not None and _agrees(
                lambda: to_host(f(xp.asarray(y), 0, xp.asarray(p))), ref
            )
            return f if ok else None
        if xp is not np or self.mode != "per-member":
            return None

        def per_member(y: Any, k: Any, p: Any) -> Any:
            return np.stack(
                [
                    np.atleast_1d(np.asarray(self._point(y[:, m]), dtype=y.dtype))
                    for m in range(y.shape[1])
                ],
                axis=-1,
            )

        return per_member


def _components(value: Any) -> Any:
    """A map's output as a sequence of components (1-D maps return one array)."""
    return value if isinstance(value, tuple | list) else (value,)


@cache
def _adapter(key: tuple[Any, ...]) -> _Adapter | _MapAdapter:
    name, overrides = key
    values = {k: v if isinstance(v, float) else np.reshape(v[1], v[0]) for k, v in overrides}
    system = get(name, **values)
    return _MapAdapter(system) if system.kind == "map" else _Adapter(system)


def _adapter_for(system: System) -> _Adapter | _MapAdapter:
    if system.kind == "delay":
        raise ConfigError(
            f"{system.name} is a delay equation; delay equations are listed but not integrated"
        )
    return _adapter(system.key)


def _flow_adapter(system: System) -> _Adapter:
    adapter = _adapter_for(system)
    if not isinstance(adapter, _Adapter):
        raise ConfigError(f"{system.name} is a map, not an ordinary differential equation")
    return adapter


@cache
def _batched(key: tuple[Any, ...]) -> BatchedRHS:
    adapter = _adapter(key)
    if isinstance(adapter, _MapAdapter):
        if adapter.mode == "unsupported":
            raise ConfigError(
                f"{adapter.system.name}: dysts' map cannot be evaluated point by point"
            )
        return BatchedRHS(adapter.system.dim, cache(adapter.array_fn), None, adapter.system.name)
    return BatchedRHS(
        adapter.system.dim,
        cache(adapter.array_fn),
        name=adapter.system.name,
        numba_factory=adapter.numba_fn,
    )


def batched_rhs(system: System) -> BatchedRHS:
    """The batched right-hand side of a flow, or the batched map (built and checked once).

    Parameters
    ----------
    system : System
        A flow or map of the catalog (parameters as set on it).

    Returns
    -------
    gpu.ode.BatchedRHS
        Parameters are passed as rows ``p[i]`` in :attr:`System.param_names`
        order for the ``broadcast`` mode; the other modes use the system's own.

    Raises
    ------
    ConfigError
        A delay equation, or a map dysts cannot evaluate.
    """
    _adapter_for(system)
    return _batched(system.key)


def modes(system: System) -> str:
    """The adapter mode of a flow or map: one of :data:`MODES` (``"unsupported"`` for
    a map dysts cannot evaluate point by point)."""
    return _adapter_for(system).mode


def vectorization_report() -> dict[str, list[str]]:
    """Flows of the catalog grouped by adapter mode (probes every flow: a few seconds).

    Returns
    -------
    dict
        Mode -> sorted system names.
    """
    report: dict[str, list[str]] = {mode: [] for mode in MODES}
    for name in systems(kind="flow"):
        report[modes(get(name))].append(name)
    return report


def numpy_jacobian(system: System) -> Callable[[Any, Any, Any], Any] | None:
    """dysts' analytic Jacobian on a NumPy batch: ``J(y, t, p)`` -> ``(D, D, M)``.

    Parameters
    ----------
    system : System
        A catalog flow.

    Returns
    -------
    callable or None
        The batched Jacobian, or None where dysts defines no ``_jac`` or the
        right-hand side does not broadcast over members.
    """
    adapter = _flow_adapter(system)
    raw = type(adapter.instance)._jac
    from dysts.base import BaseDyn

    if raw is BaseDyn._jac or modes(system) != "broadcast":
        return None
    fn = getattr(raw, "py_func", raw)

    def jac(y: Any, t: Any, p: Any) -> Any:
        rows = fn(*y, t, *p)
        shape = y.shape[1:]
        return np.stack(
            [
                np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in row])
                for row in rows
            ]
        )

    return jac
