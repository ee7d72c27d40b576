"""Attractor statistics: power spectrum, invariant measure, correlation dimension."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import InputError

chaos = pytest.importorskip("solvers.chaos")


def _as_trajectory(values: np.ndarray, dt: float) -> xr.DataArray:
    """(member, time, component) values on a uniform time grid."""
    return xr.DataArray(
        values,
        dims=("member", "time", "component"),
        coords={"time": np.arange(values.shape[1]) * dt},
    )


def test_power_spectrum_peaks_at_the_frequency_and_keeps_the_variance() -> None:
    dt, n, f0, amplitude = 0.01, 4096, 2.5, 3.0
    t = np.arange(n) * dt
    rng = np.random.default_rng(0)
    phases = rng.uniform(0, 2 * np.pi, 4)
    values = amplitude * np.sin(2 * np.pi * f0 * t[None, :] + phases[:, None])[..., None]
    psd = chaos.power_spectrum(_as_trajectory(values, dt))
    df = float(psd.frequency[1] - psd.frequency[0])
    assert abs(float(psd.frequency[int(np.argmax(psd.isel(component=0).values))]) - f0) <= df
    assert float(psd.sum("frequency")[0]) * df == pytest.approx(amplitude**2 / 2, rel=0.02)


def test_invariant_measure_of_uniform_samples_is_flat() -> None:
    values = np.random.default_rng(1).uniform(-2.0, 2.0, (3, 20000, 2))
    density = chaos.invariant_measure(
        _as_trajectory(values, 1.0), bins=20, value_range=[(-2, 2)] * 2
    )
    np.testing.assert_allclose((density * density.bin_width).sum("bin"), 1.0)
    np.testing.assert_allclose(density, 0.25, rtol=0.1)
    with pytest.raises(InputError, match="bins"):
        chaos.invariant_measure(_as_trajectory(values, 1.0), bins=0)


def test_correlation_dimension_of_a_line_and_a_square() -> None:
    rng = np.random.default_rng(2)
    s = rng.uniform(0, 1, 3000)
    line = np.stack([s, 2 * s, -s], axis=1)
    square = np.column_stack([rng.uniform(0, 1, (3000, 2)), np.zeros(3000)])
    assert chaos.correlation_dimension(line) == pytest.approx(1.0, abs=0.05)
    assert chaos.correlation_dimension(square) == pytest.approx(2.0, abs=0.1)


def test_lorenz_correlation_dimension() -> None:
    """Grassberger & Procaccia (1983) measured 2.05 for the Lorenz attractor."""
    pytest.importorskip("dysts.flows")
    ds = chaos.trajectory("Lorenz", 4000, members=2, seed=3, rtol=1e-8, atol=1e-8, backend="numpy")
    assert chaos.correlation_dimension(ds) == pytest.approx(2.05, abs=0.15)
