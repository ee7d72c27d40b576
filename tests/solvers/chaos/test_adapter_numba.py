"""numba forms of every flow: dysts' scalar ``_rhs`` or its own code translated to numba."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests._markers import requires_numba

chaos = pytest.importorskip("solvers.chaos")
pytest.importorskip("dysts.flows")
pytestmark = requires_numba

MEMBERS = 6


def _random_states(system: Any, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """States scattered around dysts' initial condition (10 % relative), random times."""
    rng = np.random.default_rng(seed)
    ic = system.ic[:, None]
    y = ic * (1.0 + 0.1 * rng.standard_normal((system.dim, MEMBERS)))
    y = y + 0.01 * rng.standard_normal(y.shape)
    return y, rng.uniform(0.0, 10.0, MEMBERS)


def _dysts_rhs(system: Any, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dysts' ``rhs``; its ``_rhs`` uncompiled where ``rhs`` only calls it (numba would take
    about 0.1 s per flow to compile dysts' own copy)."""
    from dysts.base import DynSys

    instance = system.dysts_instance()
    raw = type(instance)._rhs
    if type(instance).rhs is DynSys.rhs and hasattr(raw, "py_func"):

        def point(x: np.ndarray, s: float) -> Any:
            return raw.py_func(*x, s, *instance.param_list)

    else:
        point = instance.rhs
    with np.errstate(all="ignore"):
        columns = [np.asarray(point(y[:, m], t[m]), float) for m in range(y.shape[1])]
    return np.stack(columns, axis=-1)


def _param_rows(system: Any) -> np.ndarray:
    if any(np.ndim(v) for v in system.params.values()):
        return np.zeros(0)
    return np.array([float(system.params[k]) for k in system.param_names])


def test_every_flow_has_a_numba_form_that_matches_dysts_at_random_states() -> None:
    from gpu.ode._numba import call_pointer, rhs_pointer

    flows = chaos.systems(kind="flow")
    for seed, name in enumerate(flows):
        system = chaos.get(name)
        form = chaos.batched_rhs(system).numba_form()
        assert form is not None, name
        y, t = _random_states(system, seed)
        p = _param_rows(system)
        callback = rhs_pointer(form, system.dim, len(p))
        value = np.stack(
            [call_pointer(callback, y[:, m], t[m], p) for m in range(MEMBERS)], axis=-1
        )
        reference = _dysts_rhs(system, y, t)
        scale = np.nanmax(np.abs(reference), initial=0.0)
        np.testing.assert_allclose(
            value, reference, rtol=1e-10, atol=1e-13 * scale, equal_nan=True, err_msg=name
        )


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_translated_flows_on_numba_match_numpy(method: str) -> None:
    """Array-parameter, slice-assigning and method-calling flows through both numba kernels.

    MacArthur (a minimum over resources: kinks where the adaptive step control
    of the two backends may decide differently) runs with fixed steps only; RK4
    compiles a kernel per system, so it takes two.
    """
    names = ["Lorenz96", "BickleyJet", "Hopfield", "InteriorSquirmer"]
    for name in names if method == "dopri5" else ["Lorenz96", "MacArthur"]:
        kwargs: dict[str, Any] = {"method": method, "pts_per_period": 50}
        ref = chaos.trajectory(name, 20, backend="numpy", **kwargs)
        got = chaos.trajectory(name, 20, backend="numba", **kwargs)
        assert got.attrs["backend"] == "numba", name
        np.testing.assert_allclose(got.x.values, ref.x.values, rtol=1e-9, atol=1e-9, err_msg=name)


def test_translated_static_rhs_reads_swept_parameters_per_member() -> None:
    """FluidTrampoline's translated ``_rhs`` takes its parameters from the batch rows."""
    ic = np.tile(chaos.get("FluidTrampoline").ic, (3, 1))
    kwargs: dict[str, Any] = {"members": 3, "ic": ic, "params": {"gamma": [1.0, 1.2, 1.4]}}
    ref = chaos.trajectory("FluidTrampoline", 60, backend="numpy", **kwargs)
    got = chaos.trajectory("FluidTrampoline", 60, backend="numba", **kwargs)
    assert got.attrs["backend"] == "numba"
    np.testing.assert_allclose(got.x.values, ref.x.values, rtol=1e-9, atol=1e-9)
    assert not np.allclose(got.x.values[0], got.x.values[2])  # the sweep reached the members


def _toy_class() -> type:
    from dysts.base import DynSys

    class Toy(DynSys):  # type: ignore[misc]  # never initialised: dysts has no metadata for it
        @staticmethod
        def _gate(x: Any, width: float = 2.0) -> Any:
            return np.heaviside(x, 0.5) * width

        def _growth(self, r: Any) -> Any:
            u = r / (self.k.T + r)
            return np.min(u.T, axis=1)

        def rhs(self, X: Any, t: float) -> Any:
            a, b = 2 * [self.a]
            mu = self._growth(X[:2])
            head = np.matmul(self.w, X[:2]) * mu - a * X[:2]
            tail = self._gate(X[2] - 1.0) - b * X[2] + np.max(self.k, axis=0)[1] * np.cos(t)
            return np.hstack([head, np.array([tail])])

    return Toy


def test_translation_rewrites_what_numba_does_not_compile(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parameters, a static helper with a default, a plain method, np.heaviside, np.matmul,
    np.min / np.max with an axis, np.hstack of a list and list repetition, against NumPy."""
    from gpu.ode._numba import CACHE_ENV, call_pointer, rhs_pointer, vector_form
    from solvers.chaos.translate import translate

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    toy_class = _toy_class()
    toy = object.__new__(toy_class)
    rng = np.random.default_rng(3)
    values = {"a": 0.3, "k": rng.uniform(0.5, 1.5, (2, 2)), "w": np.array([[0, 1], [-2, 1]])}
    toy.params = values
    for key, value in values.items():
        setattr(toy, key, value)
    toy.ic = np.ones(3)
    body, n_params = translate(toy)
    assert n_params == 0 and "np.heaviside" not in body and "np.matmul" not in body
    form = vector_form(body, 3, n_params, "toy")
    callback = rhs_pointer(form, 3, 0)
    for y in (np.array([0.4, 0.9, 2.0]), np.array([1.5, 0.2, 1.0]), np.array([0.3, 0.7, -1.0])):
        expected = toy_class.rhs(toy, y, 0.7)
        np.testing.assert_allclose(call_pointer(callback, y, 0.7, np.zeros(0)), expected)
        np.testing.assert_allclose(form(*y, 0.7), expected)
