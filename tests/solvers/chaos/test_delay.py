"""Delay equations: method of steps against SciPy, the delay embedding, the catalog."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gpu.ode import Status
from solvers.contract import validate_dataset

chaos = pytest.importorskip("solvers.chaos")
pytest.importorskip("dysts.flows")


def _scipy_method_of_steps(name: str, t_end: float) -> object:
    """Reference: solve_ivp per delay interval, the previous interval's dense output as history."""
    system = chaos.get(name)
    instance = system.dysts_instance()
    fn = getattr(type(instance)._rhs, "py_func", type(instance)._rhs)
    params = instance.param_list
    tau, x0 = float(system.params["tau"]), float(system.ic[0])
    pieces: list = []

    def history(t: float) -> float:
        if t <= 0:
            return x0
        piece = next(p for p in pieces if p.t_min <= t <= p.t_max + 1e-12)
        return float(piece(t)[0])

    start = 0.0
    while start < t_end:
        stop = min(start + tau, t_end)
        y_start = x0 if not pieces else float(pieces[-1](start)[0])
        sol = solve_ivp(
            lambda t, y: [fn(y[0], history(t - tau), t, *params)],
            (start, stop),
            [y_start],
            method="DOP853",
            rtol=1e-12,
            atol=1e-12,
            dense_output=True,
        )
        pieces.append(sol.sol)
        start = stop
    return history


def test_mackey_glass_matches_scipy_method_of_steps() -> None:
    ds = chaos.trajectory("MackeyGlass", 600, backend="numpy")
    tau = float(chaos.get("MackeyGlass").params["tau"])
    times = tau + ds.time.values  # the embedding starts one delay in
    reference = _scipy_method_of_steps("MackeyGlass", times[-1])
    expected = np.array([reference(t) for t in times])
    np.testing.assert_allclose(ds.x.values[0, :, 0], expected, atol=1e-6)
    lag_last = float(ds.lag[-1])
    assert lag_last == pytest.approx(tau)
    expected_lagged = np.array([reference(t - lag_last) for t in times])
    np.testing.assert_allclose(ds.x.values[0, :, -1], expected_lagged, atol=1e-6)


def test_every_delay_equation_integrates_an_ensemble() -> None:
    for name in chaos.systems(kind="delay"):
        ds = chaos.trajectory(name, 200, members=3, seed=2, backend="numpy")
        validate_dataset(ds)
        assert ds.x.shape == (3, 200, chaos.get(name).dim)
        assert (ds.status == Status.SUCCESS).all(), name
        assert np.isfinite(ds.x.values).all(), name
