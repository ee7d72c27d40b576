"""Lyapunov spectra (Benettin QR) and the Kaplan–Yorke dimension."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.errors import ConfigError, InputError
from tests._markers import requires_jax

chaos = pytest.importorskip("solvers.chaos")
pytest.importorskip("dysts.flows")

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
LORENZ_LARGEST = 0.9056  # Sprott, "Chaos and Time-Series Analysis" (2003), table A.1


@requires_jax
def test_lorenz_spectrum_with_jax_autodiff() -> None:
    spectrum = chaos.lyapunov_spectrum(
        "Lorenz",
        members=4,
        periods=400,
        seed=1,
        backend="jax",
        params={"sigma": SIGMA, "rho": RHO, "beta": BETA},
    )
    assert spectrum.dims == ("member", "component")
    mean = spectrum.mean("member").values
    assert mean[0] == pytest.approx(LORENZ_LARGEST, rel=0.02)
    # the trace of the Jacobian is constant: the exponents sum to -(sigma + 1 + beta)
    np.testing.assert_allclose(spectrum.sum("component"), -(SIGMA + 1.0 + BETA), rtol=0.01)
    assert abs(mean[1]) < 0.05
    assert chaos.kaplan_yorke_dimension(mean) == pytest.approx(2.06, abs=0.01)


def test_lorenz_spectrum_with_dysts_analytic_jacobian() -> None:
    spectrum = chaos.lyapunov_spectrum("Lorenz", members=2, periods=40, seed=2, backend="numpy")
    assert spectrum.attrs["backend"] == "numpy"
    np.testing.assert_allclose(spectrum.sum("component"), -(SIGMA + 1.0 + BETA), rtol=0.01)
    assert spectrum.values[:, 0] == pytest.approx(LORENZ_LARGEST, rel=0.15)


def test_kaplan_yorke_dimension_from_theory() -> None:
    assert chaos.kaplan_yorke_dimension([1.0, 0.0, -2.0]) == pytest.approx(2.5)
    assert chaos.kaplan_yorke_dimension([-1.0, -2.0]) == 0.0
    assert chaos.kaplan_yorke_dimension([1.0, 0.5]) == 2.0
    np.testing.assert_allclose(
        chaos.kaplan_yorke_dimension(np.array([[0.5, -1.0], [-2.0, 1.0]])), [1.5, 1.5]
    )


def test_bad_requests() -> None:
    with pytest.raises(InputError, match="n_exponents"):
        chaos.lyapunov_spectrum("Lorenz", n_exponents=4, backend="numpy")
    with pytest.raises(ConfigError, match="broadcast"):
        chaos.lyapunov_spectrum("Lorenz96", backend="numpy")
