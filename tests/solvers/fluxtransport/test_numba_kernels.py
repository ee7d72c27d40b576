"""The fused numba kernels against the NumPy reference, scheme by scheme and build by build."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

import numpy as np
import pytest

import gpu
from gpu.errors import ConfigError
from solvers.fluxtransport import SFTConfig, SphereGrid
from solvers.fluxtransport.run import _make_stepper
from tests._markers import requires_numba
from tests.solvers.fluxtransport._helpers import soccer_ball

pytestmark = requires_numba

GRID = SphereGrid(23, 48)


@pytest.fixture(autouse=True)
def _default_options() -> Iterator[None]:
    from solvers.fluxtransport.kernels_numba import configure

    yield
    configure()


def _advance(backend: str, numerics: dict, diffusion: str, steps: int = 3) -> np.ndarray:
    """``steps`` steps of three realizations with different flows, attenuation and nu."""
    cfg = SFTConfig(
        duration_h=24.0,
        flows={
            "attenuation_gauss": [300.0, 150.0, 600.0],
            "p0_m_s": [46.0, 400.0, 52.0],
            "p1_m_s": [22.0, 15.0, 300.0],
        },
        diffusion={"nu_km2_s": [2500.0, 25000.0, 5000.0], "scheme": diffusion},
        numerics=numerics,
    )
    rng = np.random.default_rng(3)
    f0 = 400.0 * soccer_ball(GRID) + 50.0 * rng.standard_normal((3, *GRID.shape))
    f0[:, 0], f0[:, -1] = f0[:, :1].mean(axis=2), f0[:, -1:].mean(axis=2)
    stepper = _make_stepper(cfg, GRID, gpu.get_backend(backend))
    dt = stepper.time_step()
    plan = stepper.diffusion_plan(dt)
    if diffusion != "euler":
        assert plan[1] > 3  # a genuine super time step
    return np.asarray(stepper.advance_function(plan)(f0, dt, steps))


@pytest.mark.parametrize(
    ("advection", "stepping", "splitting", "diffusion"),
    list(
        product(
            ["upwind", "weno3"],
            ["ssprk33", "ssprk43"],
            ["sequential", "strang"],
            ["euler", "rkl2", "rkg2"],
        )
    ),
)
def test_every_scheme_matches_numpy(
    advection: str, stepping: str, splitting: str, diffusion: str
) -> None:
    numerics = {"advection": advection, "time_stepping": stepping, "splitting": splitting}
    reference = _advance("numpy", numerics, diffusion)
    got = _advance("numba", numerics, diffusion)
    assert np.max(np.abs(got - reference)) <= 1e-12 * np.max(np.abs(reference))


@pytest.mark.parametrize(
    ("threading", "chunk"), [("serial", 1), ("serial", 2), ("rows", 3), ("members", 1)]
)
def test_chunks_and_threads_give_the_same_result(threading: str, chunk: int) -> None:
    from solvers.fluxtransport.kernels_numba import configure

    reference = _advance("numpy", {}, "rkg2")
    configure(threading=threading, chunk_members=chunk)
    got = _advance("numba", {}, "rkg2")
    assert np.max(np.abs(got - reference)) <= 1e-12 * np.max(np.abs(reference))


def test_bad_options_are_refused() -> None:
    from solvers.fluxtransport.kernels_numba import configure

    with pytest.raises(ConfigError, match="threading"):
        configure(threading="openmp")
    with pytest.raises(ConfigError, match="chunk_members"):
        configure(chunk_members=0)


def test_auto_threads_over_chunks_only_from_the_main_thread() -> None:
    import threading

    from solvers.fluxtransport.kernels_numba import _build

    assert _build("auto", n_chunks=3) == "members"
    assert _build("auto", n_chunks=1) == "serial"
    assert _build("rows", n_chunks=3) == "rows"
    seen: list[str] = []
    worker = threading.Thread(target=lambda: seen.append(_build("auto", n_chunks=3)))
    worker.start()
    worker.join()
    assert seen == ["serial"]
