"""Batched Rosenbrock 2(3) and RODAS4: orders, stiff accuracy against scipy's Radau and BDF."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import gpu
from gpu.errors import ConfigError
from gpu.ode import BatchedRHS, Status, dopri5, rodas4, rosenbrock23
from tests._markers import requires_jax, requires_numba

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


def _forced(xp: Any) -> Any:
    """``y' = lam (y - cos t) - sin t``: solution ``cos t + (y(0) - 1) exp(lam t)``."""

    def f(y: Any, t: Any, p: Any) -> Any:
        return p[0] * (y - xp.cos(t)) - xp.sin(t)

    return f


LINEAR = BatchedRHS(2, _linear, None, "linear")
FORCED = BatchedRHS(1, _forced, None, "forced")
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


def _one_step_slope(solver: Any, rhs: BatchedRHS, y0: np.ndarray, p: np.ndarray, exact: Any) -> Any:
    """Slope of log(error) against log(h) of one step from t = 0.3, per member."""
    spans = np.array([0.16, 0.08, 0.04, 0.02])
    errors = []
    for h in spans:
        sol = solver(NUMPY, rhs, y0, t0=0.3, dt_out=h, n_out=2, params=p, rtol=1e3, atol=1e3)
        assert np.all(sol.n_steps == 1)
        errors.append(np.abs(sol.y[-1] - exact(h)).max(axis=0))
    return np.polyfit(np.log(spans), np.log(np.array(errors)), 1)[0]


def test_rodas4_is_fourth_order() -> None:
    """One step has local error O(h^5), with and without explicit time dependence."""
    y0 = Y0_LINEAR
    slopes = _one_step_slope(rodas4, LINEAR, y0, RATES[None, :], lambda h: _linear_exact(y0, h))
    np.testing.assert_allclose(slopes, 5.0, atol=0.3)
    lam, start = np.array([[-2.0, 1.0]]), np.array([[2.0, -0.5]])

    def forced(h: float) -> np.ndarray:
        return np.cos(0.3 + h) + (start - np.cos(0.3)) * np.exp(lam * h)

    np.testing.assert_allclose(_one_step_slope(rodas4, FORCED, start, lam, forced), 5.0, atol=0.3)


def test_rodas4_dense_output_is_third_order() -> None:
    """Inside one step the continuous extension has error O(h^4)."""
    spans = np.array([0.16, 0.08, 0.04, 0.02])
    errors = []
    for h in spans:
        sol = rodas4(
            NUMPY,
            LINEAR,
            Y0_LINEAR,
            dt_out=h / 4,
            n_out=5,
            params=RATES[None, :],
            rtol=1e3,
            atol=1e3,
        )
        assert np.all(sol.n_steps == 1)
        exact = np.stack([_linear_exact(Y0_LINEAR, k * h / 4) for k in (1, 2, 3)])
        errors.append(np.abs(sol.y[1:4] - exact).max())
    slope = np.polyfit(np.log(spans), np.log(errors), 1)[0]
    assert slope == pytest.approx(4.0, abs=0.3)


@pytest.mark.parametrize("solver", [rosenbrock23, rodas4])
@pytest.mark.parametrize("method", ["Radau", "BDF"])
@pytest.mark.parametrize("jac", [None, _van_der_pol_jac], ids=["differences", "analytic"])
def test_stiff_van_der_pol_matches_scipy(solver: Any, method: str, jac: Any) -> None:
    """mu up to 1e4: the explicit method runs out of steps, Rosenbrock takes a few dozen."""
    grid = np.linspace(0.0, 3.0, 31)
    sol = solver(NUMPY, VDP, Y0_VDP, dt_out=0.1, n_out=31, params=MU, jac=jac, rtol=1e-8, atol=1e-8)
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


def _radau(t_end: float, n: int, rtol: float) -> np.ndarray:
    """scipy's Radau on every member of the van der Pol batch, shape (n, 2, members)."""
    grid = np.linspace(0.0, t_end, n)
    return np.stack(
        [
            solve_ivp(
                lambda t, y, m=m: _van_der_pol(np)(y, t, MU[:, m]),
                (0.0, t_end),
                Y0_VDP[:, m],
                method="Radau",
                rtol=rtol,
                atol=rtol,
                t_eval=grid,
            ).y.T
            for m in range(MU.shape[1])
        ],
        axis=-1,
    )


def test_rodas4_takes_fewer_steps_at_tight_tolerance() -> None:
    """At rtol = 1e-10 the fourth-order pair needs far fewer steps and stays as accurate."""
    ref = _radau(3.0, 31, 1e-13)
    kwargs: dict[str, Any] = {
        "dt_out": 0.1,
        "n_out": 31,
        "params": MU,
        "rtol": 1e-10,
        "atol": 1e-10,
    }
    low = rosenbrock23(NUMPY, VDP, Y0_VDP, jac=_van_der_pol_jac, **kwargs)
    high = rodas4(NUMPY, VDP, Y0_VDP, jac=_van_der_pol_jac, **kwargs)
    assert np.all(high.ok) and np.all(low.ok)
    assert np.all(high.n_steps * 2 < low.n_steps)
    np.testing.assert_allclose(high.y, ref, rtol=0.0, atol=1e-8)
    np.testing.assert_allclose(low.y, ref, rtol=0.0, atol=1e-8)


@requires_jax
@pytest.mark.parametrize("solver", [rosenbrock23, rodas4])
def test_jax_autodiff_jacobian_takes_the_numpy_steps(solver: Any) -> None:
    """JAX (jax.jacfwd, one while_loop per member) and NumPy (analytic Jacobian) agree."""
    kwargs: dict[str, Any] = {"dt_out": 0.1, "n_out": 31, "params": MU, "rtol": 1e-8, "atol": 1e-8}
    reference = solver(NUMPY, VDP, Y0_VDP, jac=_van_der_pol_jac, **kwargs)
    sol = solver(gpu.get_backend("jax"), VDP, Y0_VDP, **kwargs)
    assert sol.backend == "jax"
    np.testing.assert_array_equal(sol.status, reference.status)
    np.testing.assert_array_equal(sol.n_steps, reference.n_steps)
    np.testing.assert_allclose(sol.y, reference.y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sol.y, _radau(3.0, 31, 1e-12), rtol=0.0, atol=2e-6)


@requires_numba
@pytest.mark.parametrize("solver", [rosenbrock23, rodas4])
def test_stiff_methods_reject_the_numba_backend(solver: Any) -> None:
    with pytest.raises(ConfigError, match="numpy, cupy or jax"):
        solver(gpu.get_backend("numba"), VDP, Y0_VDP, dt_out=0.1, n_out=3, params=MU)
