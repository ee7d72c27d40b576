"""The ring-diffusion kernel: backends agree with the reference, and with theory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gpu
from gpu.kernels import ring_diffusion


def _modes(n: int, k: np.ndarray) -> np.ndarray:
    phi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.sin(k[:, None] * phi)


def test_backends_agree_with_numpy_reference(backend: gpu.Backend) -> None:
    u0 = np.random.default_rng(1).standard_normal((5, 64))
    reference = ring_diffusion(gpu.get_backend("numpy"), u0, 0.3, 50)
    result = ring_diffusion(backend, u0, 0.3, 50)
    np.testing.assert_allclose(result, reference, rtol=1e-12, atol=1e-14)


def test_mode_decay_matches_the_discrete_symbol() -> None:
    """Each Fourier mode is multiplied by 1 - 4c sin^2(k dphi / 2) per step, exactly."""
    n, c, steps = 64, 0.4, 30
    k = np.array([1.0, 3.0, 7.0])
    u = ring_diffusion(gpu.get_backend("numpy"), _modes(n, k), c, steps)
    factor = (1.0 - 4.0 * c * np.sin(k * np.pi / n) ** 2) ** steps
    np.testing.assert_allclose(u, factor[:, None] * _modes(n, k), atol=1e-13)


def test_converges_to_the_continuous_solution_at_second_order_in_space() -> None:
    """At a fixed final time and fixed c, the error falls as dphi^2 (slope 2)."""
    k, t_end, c = np.array([2.0]), 0.05, 0.25
    errors, spacings = [], []
    for n in (32, 64, 128):
        dphi = 2.0 * np.pi / n
        steps = round(t_end / (c * dphi**2))
        c_exact = t_end / (steps * dphi**2)
        u = ring_diffusion(gpu.get_backend("numpy"), _modes(n, k), c_exact, steps)
        errors.append(np.max(np.abs(u - np.exp(-4.0 * t_end) * _modes(n, k))))
        spacings.append(dphi)
    slope = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
    assert 1.8 < slope < 2.2


def test_unstable_coefficient_and_bad_shapes_are_refused() -> None:
    be = gpu.get_backend("numpy")
    with pytest.raises(gpu.NumericalInstability, match="stable range"):
        ring_diffusion(be, np.zeros((1, 8)), 0.6, 1)
    with pytest.raises(gpu.InputError, match="shape"):
        ring_diffusion(be, np.zeros(8), 0.1, 1)
    with pytest.raises(gpu.InputError, match="steps"):
        ring_diffusion(be, np.zeros((1, 8)), 0.1, -1)


@given(
    u0=arrays(
        np.float64, st.tuples(st.integers(1, 4), st.integers(3, 40)), elements=st.floats(-1e3, 1e3)
    ),
    coefficient=st.floats(0.0, 0.5),
    steps=st.integers(0, 20),
)
def test_conserves_the_mean_and_obeys_the_maximum_principle(
    u0: np.ndarray, coefficient: float, steps: int
) -> None:
    """For 0 <= c <= 1/2 each step is a convex average: ring sums are kept and
    no new extremum appears."""
    u = ring_diffusion(gpu.get_backend("numpy"), u0, coefficient, steps)
    scale = 1e-12 * (1.0 + np.abs(u0).max()) * (steps + 1) * u0.shape[1]
    np.testing.assert_allclose(u.sum(axis=1), u0.sum(axis=1), atol=scale)
    assert np.all(u.max(axis=1) <= u0.max(axis=1) + scale)
    assert np.all(u.min(axis=1) >= u0.min(axis=1) - scale)
