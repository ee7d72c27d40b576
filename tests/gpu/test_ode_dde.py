"""Delay equations by the method of steps: exactness and fourth-order convergence."""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np
import pytest

import gpu
from gpu.errors import ConfigError
from gpu.ode import Status, dde_rk4, dense

NUMPY = gpu.get_backend("numpy")


def _minus_delayed(x: Any, xd: Any, t: Any, p: Any) -> Any:
    return -xd


def _exact(t: np.ndarray) -> np.ndarray:
    """x' = -x(t - 1), x = 1 for t <= 0: sum_k (-1)^k (t - k + 1)^k / k! over k - 1 <= t."""
    total = np.zeros_like(t)
    for k in range(0, 8):
        total += np.where(
            t >= k - 1, (-1.0) ** k * np.clip(t - k + 1, 0, None) ** k / factorial(k), 0
        )
    return total


def test_exact_for_low_degree_pieces_and_fourth_order_beyond() -> None:
    errors = []
    counts = np.array([8, 16, 32])
    for k in counts:
        sol = dde_rk4(
            NUMPY,
            _minus_delayed,
            np.ones(2),
            tau=1.0,
            steps_per_tau=int(k),
            n_steps=int(5.9 * k),
            params=np.zeros((0, 2)),
        )
        grid = np.arange(sol.x.shape[0]) * sol.h
        early = grid <= 4.0  # RK4 (Simpson) and cubic Hermite are exact up to here
        np.testing.assert_allclose(sol.x[early, 0], _exact(grid[early]), atol=1e-13)
        errors.append(np.abs(sol.x[:, 0] - _exact(grid)).max())
        times = np.linspace(0.0, grid[-1], 41)
        np.testing.assert_allclose(dense(sol, times)[:, 1], _exact(times), atol=1e-3 / k**3)
    slope = np.polyfit(np.log(1.0 / counts), np.log(errors), 1)[0]
    assert slope == pytest.approx(4.0, abs=0.3)


def test_per_member_histories_and_divergence() -> None:
    def growth(x: Any, xd: Any, t: Any, p: Any) -> Any:
        return p[0] * xd

    sol = dde_rk4(
        NUMPY,
        growth,
        np.array([1.0, 2.0]),
        tau=0.5,
        steps_per_tau=10,
        n_steps=200,
        params=np.array([[50.0, -1.0]]),
        max_abs=1e8,
    )
    assert list(sol.status) == [Status.DIVERGED, Status.SUCCESS]
    assert sol.x[0, 1] == 2.0
    with pytest.raises(ConfigError, match="array backends"):
        dde_rk4(
            gpu.get_backend("numba") if "numba" in gpu.BACKEND_NAMES else NUMPY,
            growth,
            np.ones(1),
            tau=1.0,
            steps_per_tau=2,
            n_steps=2,
            params=np.zeros((1, 1)),
        )
