"""Advection: solid-body rotation, HipFT's Gaussian validations, convergence orders."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import gpu
from solvers.fluxtransport import SFTConfig, SphereGrid, run
from tests.solvers.fluxtransport._helpers import FAST, KM2_S, as_map, relative_error, soccer_ball

R_KM = 696_000.0
TURN_H = 672.0
#: equatorial speed (km/s) of one solid-body turn in 672 h
OMEGA = 2.0 * np.pi * R_KM / (TURN_H * 3600.0)
NO_FLOW = {"differential_rotation": False, "meridional": False}
WIDTH = 0.03  # HipFT's validation_run_width


def _hipft_error(f: np.ndarray, exact: np.ndarray) -> float:
    """HipFT's validation error ``sqrt(sum (f - f*)^2 / sum f*^2)``."""
    return float(np.sqrt(np.sum((f - exact) ** 2) / np.sum(exact**2)))


def _gaussians(grid: SphereGrid, theta0: float, over_sin: bool) -> np.ndarray:
    theta, phi = grid.theta[:, None], grid.phi[None, :]
    shape = np.exp(-((theta - theta0) ** 2) / WIDTH)
    pair = -shape * np.exp(-((phi - np.pi / 2) ** 2) / WIDTH) + shape * np.exp(
        -((phi - 3 * np.pi / 2) ** 2) / WIDTH
    )
    if over_sin:
        inv = np.zeros_like(theta)
        inv[1:-1] = 1.0 / np.sin(theta[1:-1])
        pair = pair * inv
    return pair


def test_solid_body_rotation_returns_the_field() -> None:
    grid = SphereGrid(90, 180)
    f0 = soccer_ball(grid)
    cfg = SFTConfig(
        duration_h=TURN_H,
        flows={**NO_FLOW, "rigid_omega_km_s": OMEGA},
        numerics={"dt_max_h": 2.0},
    )
    ds = run(cfg, as_map(f0, grid), backend=FAST)
    # third order: 7.7e-3 at this coarse 2-degree grid after a full turn
    assert relative_error(ds.br.isel(member=0, map_time=-1).values, f0) < 1e-2


def test_soccer_ball_rotation_with_diffusion() -> None:
    """HipFT's example: one turn in 672 h with nu = 500 km^2/s at 180 x 360."""
    grid = SphereGrid(180, 359)
    f0 = soccer_ball(grid)
    nu = 500.0
    cfg = SFTConfig(
        duration_h=TURN_H,
        flows={**NO_FLOW, "rigid_omega_km_s": OMEGA},
        diffusion={"nu_km2_s": nu},
        numerics={"dt_max_h": 1.0},
    )
    ds = run(cfg, as_map(f0, grid), backend=FAST)
    exact = f0 * np.exp(-42.0 * nu * KM2_S * TURN_H)
    assert relative_error(ds.br.isel(member=0, map_time=-1).values, exact) <= 1e-3


# HipFT 1.x testsuite (advect_gaussians_*), final validation errors at 180 x 360
HIPFT_GAUSSIAN_ERRORS = {
    "theta": 7.642091826504920e-3,
    "phi": 2.894308580544581e-2,
    "both": 3.059378024943556e-2,
}


@pytest.mark.parametrize("case", ["theta", "phi", "both"])
def test_gaussians_match_hipft(case: str) -> None:
    grid = SphereGrid(180, 359)
    v_theta = (np.pi / 2) * R_KM / (TURN_H * 3600.0)  # pi/4 -> 3pi/4 in 672 h
    flows: dict[str, float] = {}
    if case in ("theta", "both"):
        flows["v_theta_km_s"] = v_theta
    if case in ("phi", "both"):
        flows["rigid_omega_km_s"] = OMEGA
    moves = case != "phi"
    f0 = _gaussians(grid, np.pi / 4, over_sin=moves)
    exact = _gaussians(grid, 3 * np.pi / 4 if moves else np.pi / 4, over_sin=moves)
    cfg = SFTConfig(duration_h=TURN_H, flows={**NO_FLOW, **flows}, numerics={"dt_max_h": 1.0})
    ds = run(cfg, as_map(f0, grid), backend=FAST)
    error = _hipft_error(ds.br.isel(member=0, map_time=-1).values, exact)
    assert error <= HIPFT_GAUSSIAN_ERRORS[case], error


@pytest.mark.parametrize(
    ("advection", "stepping", "expected"),
    [("weno3", "ssprk33", 3.0), ("weno3", "ssprk43", 3.0), ("upwind", "ssprk33", 1.0)],
)
def test_convergence_order_on_a_smooth_field(
    advection: str, stepping: str, expected: float
) -> None:
    omega = 2.0 * np.pi * R_KM / (100.0 * 3600.0)
    errors, spacings = [], []
    for n_phi in (24, 48, 96):
        grid = SphereGrid(n_phi // 2 + 1, n_phi)
        theta, phi = grid.theta[:, None], grid.phi[None, :]

        def field(shift: float, theta: np.ndarray = theta, phi: np.ndarray = phi) -> np.ndarray:
            return np.sin(theta) ** 2 * np.exp(np.cos(phi - shift))

        cfg = SFTConfig(
            duration_h=25.0,
            flows={**NO_FLOW, "rigid_omega_km_s": omega},
            numerics={"advection": advection, "time_stepping": stepping},
        )
        final = run(cfg, as_map(field(0.0), grid), backend="numpy").br.isel(member=0).values[-1]
        errors.append(np.sqrt(np.sum(grid.cell_area * (final - field(np.pi / 2)) ** 2)))
        spacings.append(grid.dphi)
    order = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
    assert order > expected - 0.25, (errors, order)


def _rotation_series(grid: SphereGrid, times: list[float], signs: list[float]) -> xr.Dataset:
    speed = OMEGA * 1e3 * np.sin(grid.theta)[:, None] * np.ones(grid.shape)  # m/s
    v_phi = np.stack([s * speed for s in signs])
    coords = {"time": times, "lat": grid.lat, "lon": grid.lon}
    return xr.Dataset(
        {
            "v_phi": (("time", "lat", "lon"), v_phi),
            "v_theta": (("time", "lat", "lon"), np.zeros_like(v_phi)),
        },
        coords=coords,
    )


def test_time_dependent_flows(backend: gpu.Backend) -> None:
    grid = SphereGrid(46, 90)
    f0 = soccer_ball(grid)
    cfg = SFTConfig(duration_h=96.0, flows=NO_FLOW, numerics={"dt_max_h": 2.0})
    # a constant series is the analytic rigid rotation
    steady = run(
        cfg, as_map(f0, grid), backend=backend, flow_series=_rotation_series(grid, [0.0], [1.0])
    )
    rigid = cfg.model_copy(
        update={"flows": cfg.flows.model_copy(update={"rigid_omega_km_s": OMEGA})}
    )
    expected = run(rigid, as_map(f0, grid), backend="numpy")
    np.testing.assert_allclose(
        steady.br, expected.br, rtol=0, atol=1e-10 * float(abs(expected.br).max())
    )
    # forward then backward: back near the start, and not the same as forward only
    series = _rotation_series(grid, [0.0, 48.0], [1.0, -1.0])
    back = run(cfg, as_map(f0, grid), backend=backend, flow_series=series).br.values[0, -1]
    assert relative_error(back, f0) < 0.2 * relative_error(expected.br.values[0, -1], f0)
