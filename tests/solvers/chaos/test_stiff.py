"""Method choice for stiff systems: ``auto`` hands stalled members to RODAS4; DOP853."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gpu.ode import Status
from solvers import chaos
from solvers.chaos.trajectory import STEPS_PER_PERIOD
from tests._markers import requires_jax


def _scipy(name: str, t_eval: np.ndarray, method: str, **params: float) -> np.ndarray:
    system = chaos.get(name, **params)
    instance = system.dysts_instance()
    return solve_ivp(
        lambda t, y: np.asarray(instance.rhs(y, t), dtype=float),
        (0.0, t_eval[-1]),
        system.ic,
        method=method,
        rtol=1e-12,
        atol=1e-12,
        t_eval=t_eval,
    ).y.T


def test_auto_hands_a_stiff_system_to_rodas4() -> None:
    """Forced van der Pol at mu = 1e6: Dormand–Prince would need ~10^5 steps per unit time."""
    ds = chaos.trajectory(
        "ForcedVanDerPol",
        51,
        dt=0.1,
        params={"mu": 1e6},
        method="auto",
        rtol=1e-8,
        atol=1e-8,
        backend="numpy",
    )
    assert int(ds.status[0]) == Status.SUCCESS
    assert int(ds.n_steps[0]) < 500
    assert ds.attrs["backend"] == "numpy"
    x = ds.x.isel(member=0).values
    for reference in ("Radau", "BDF"):
        ref = _scipy("ForcedVanDerPol", ds.time.values, reference, mu=1e6)
        assert np.max(np.abs(x - ref)) <= 1e-7 * np.max(np.abs(ref)), reference


@pytest.mark.parametrize(
    ("method", "backend", "ran_on"),
    [
        ("rosenbrock", "numba", "numpy"),
        pytest.param("rodas4", "jax", "jax", marks=requires_jax),
    ],
)
def test_stiff_methods_run_on_an_array_backend(method: str, backend: str, ran_on: str) -> None:
    """numba has no stiff kernel (NumPy runs instead); JAX differentiates the rhs itself."""
    ds = chaos.trajectory("Lorenz", 11, method=method, rtol=1e-6, atol=1e-6, backend=backend)
    assert ds.attrs["backend"] == ran_on
    ref = _scipy("Lorenz", ds.time.values, "Radau")
    x = ds.x.isel(member=0).values
    assert np.max(np.abs(x - ref)) <= 1e-4 * np.max(np.abs(ref))


@requires_jax
def test_auto_on_jax_stays_on_jax() -> None:
    """Stiff members of a JAX batch are redone by RODAS4 on JAX (jax.jacfwd Jacobians)."""
    kwargs: dict[str, Any] = {"dt": 0.1, "method": "auto", "rtol": 1e-8, "atol": 1e-8}
    mu = np.array([1.0, 1e6])
    jax_ds = chaos.trajectory(
        "ForcedVanDerPol",
        21,
        members=2,
        params={"mu": mu},
        backend="jax",
        ic=chaos.get("ForcedVanDerPol").ic,
        **kwargs,
    )
    numpy_ds = chaos.trajectory(
        "ForcedVanDerPol",
        21,
        members=2,
        params={"mu": mu},
        backend="numpy",
        ic=chaos.get("ForcedVanDerPol").ic,
        **kwargs,
    )
    assert jax_ds.attrs["backend"] == "jax"
    assert np.all(jax_ds.status.values == Status.SUCCESS)
    np.testing.assert_allclose(jax_ds.x.values, numpy_ds.x.values, rtol=1e-7, atol=1e-9)


def test_auto_keeps_the_explicit_method_where_it_does_not_stall() -> None:
    kwargs: dict[str, Any] = {"rtol": 1e-9, "atol": 1e-9, "backend": "numpy"}
    auto = chaos.trajectory("Lorenz", 201, method="auto", **kwargs)
    explicit = chaos.trajectory("Lorenz", 201, method="dopri5", **kwargs)
    np.testing.assert_array_equal(auto.x.values, explicit.x.values)
    assert int(auto.n_steps[0]) < STEPS_PER_PERIOD * 3


def test_dop853_agrees_with_scipy_over_five_lyapunov_times() -> None:
    system = chaos.get("Lorenz")
    assert system.period is not None and system.max_lyapunov is not None
    dt = system.period / 100
    n = math.ceil(5.0 / system.max_lyapunov / dt) + 1
    ds = chaos.trajectory("Lorenz", n, method="dop853", rtol=1e-10, atol=1e-10, backend="numpy")
    ref = _scipy("Lorenz", ds.time.values, "DOP853")
    x = ds.x.isel(member=0).values
    assert np.max(np.abs(x - ref)) <= 1e-6 * np.max(np.abs(ref))
