"""Batched Rosenbrock 2(3): order, stiff accuracy against scipy's Radau and BDF, Jacobians."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import gpu
from gpu.errors import ConfigError
from gpu.ode import BatchedRHS, Status, dopri5, rosenbrock23

NUMPY = gpu.get_backend("numpy")
RATES = np.array([-0.5, -1.0, -2.0])


def _linear(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return xp.stack([p[0] * y[0] + y[1], -y[0] + p[0] * y[1]])

    return f


def _linear_exact(y0: np.ndarray, t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.exp(RATES * t)[None, :] * (np.array([[c, s], [-s, c]]) @ y0)


def _van_der_pol(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return xp.stack([y[1], p[0] * (1.0 - y[0] ** 2) * y[1] - y[0]])

    return f


def _van_der_pol_jac(y: Any, t: Any, p: Any) -> Any:
    zero = np.zeros_like(y[0])
    return np.stack(
        [
            np.stack([zero, zero + 1.0]),
            np.stack([-2.0 * p[0] * y[0] * y[1] - 1.0, p[0] * (1.0 - y[0] ** 2)]),
        ]
    )


LINEAR = BatchedRHS(2, _linear, None, "linear")
VDP = BatchedRHS(2, _van_der_pol, None, "van der pol")
Y0_LINEAR = np.array([[1.0, 0.5, -1.0], [0.0, 1.0, 2.0]])
MU = np.array([[1e2, 1e3, 1e4]])
Y0_VDP = np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])


def test_rosenbrock23_is_second_order() -> None:
    """One step of size h has local error O(h^3)."""
    spans = np.array([0.08, 0.04, 0.02, 0.01])
    errors = []
    for h in spans:
        sol = rosenbrock23(
            NUMPY, LINEAR, Y0_LINEAR, dt_out=h, n_out=2, params=RATES[None, :], rtol=1e3, atol=1e3
        )
        assert np.all(sol.n_steps == 1)
        errors.append(np.abs(sol.y[-1] - _linear_exact(Y0_LINEAR, h)).max())
    slope = np.polyfit(np.log(spans), np.log(errors), 1)[0]
    assert slope == pytest.approx(3.0, abs=0.15)


@pytest.mark.parametrize("method", ["Radau", "BDF"])
@pytest.mark.parametrize("jac", [None, _van_der_pol_jac], ids=["differences", "analytic"])
def test_stiff_van_der_pol_matches_scipy(method: str, jac: Any) -> None:
    """mu up to 1e4: the explicit method runs out of steps, Rosenbrock takes a few dozen."""
    grid = np.linspace(0.0, 3.0, 31)
    sol = rosenbrock23(
        NUMPY, VDP, Y0_VDP, dt_out=0.1, n_out=31, params=MU, jac=jac, rtol=1e-8, atol=1e-8
    )
    assert np.all(sol.ok)
    assert sol.n_steps.max() < 200
    for m in range(MU.shape[1]):
        ref = solve_ivp(
            lambda t, y, m=m: _van_der_pol(np)(y, t, MU[:, m]),
            (0.0, 3.0),
            Y0_VDP[:, m],
            method=method,
            rtol=1e-11,
            atol=1e-11,
            t_eval=grid,
        )
        np.testing.assert_allclose(sol.y[:, :, m], ref.y.T, rtol=0.0, atol=2e-6)


def test_explicit_method_stalls_where_rosenbrock_does_not() -> None:
    explicit = dopri5(
        NUMPY, VDP, Y0_VDP, dt_out=0.1, n_out=31, params=MU, rtol=1e-8, atol=1e-8, max_steps=5000
    )
    assert explicit.status[-1] == Status.MAX_STEPS
    assert explicit.status[0] == Status.SUCCESS


def test_rosenbrock23_rejects_kernel_backends() -> None:
    with pytest.raises(ConfigError, match="numpy or cupy"):
        rosenbrock23(gpu.get_backend("jax"), VDP, Y0_VDP, dt_out=0.1, n_out=3, params=MU)
