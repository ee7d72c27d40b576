"""Maps: batched iteration against dysts' own map, on every array backend."""

from __future__ import annotations

import numpy as np
import pytest

import gpu
from gpu.errors import ConfigError
from gpu.ode import Status

chaos = pytest.importorskip("solvers.chaos")
pytest.importorskip("dysts.maps")


def _dysts_iterates(name: str, x0: np.ndarray, n: int) -> np.ndarray:
    instance = chaos.get(name).dysts_instance()
    raw = type(instance)._rhs
    fn = getattr(raw, "py_func", raw)
    out = [np.asarray(x0, dtype=float)]
    for _ in range(n - 1):
        value = fn(*out[-1], *instance.param_list)
        out.append(np.atleast_1d(np.asarray(value, dtype=float)))
    return np.array(out)


@pytest.mark.parametrize("name", ["Henon", "Logistic", "Ikeda"])
def test_iteration_matches_dysts(name: str) -> None:
    system = chaos.get(name)
    ds = chaos.trajectory(name, 50, backend="numpy")
    np.testing.assert_allclose(ds.x.values[0], _dysts_iterates(name, system.ic, 50), rtol=1e-12)
    assert ds.time.attrs["long_name"] == "iteration"


def test_every_defined_map_iterates_finitely() -> None:
    for name in chaos.systems(kind="map"):
        try:
            rhs = chaos.batched_rhs(chaos.get(name))
        except ConfigError as err:
            assert "defines no such system" in str(err)
            continue
        assert rhs.dim == chaos.get(name).dim
        ds = chaos.trajectory(name, 200, members=3, seed=1, backend="numpy")
        assert (ds.status == Status.SUCCESS).all(), name
        assert np.isfinite(ds.x.values).all(), name


def test_backends_agree_on_henon(backend: gpu.Backend) -> None:
    """A short horizon: rounding differences grow as exp(0.42 k) on the attractor."""
    kwargs = {"members": 4, "seed": 2, "burn_in": 0.05}
    reference = chaos.trajectory("Henon", 15, backend="numpy", **kwargs)
    result = chaos.trajectory("Henon", 15, backend=backend.name, **kwargs)
    np.testing.assert_allclose(result.x.values, reference.x.values, rtol=1e-10, atol=1e-12)


def test_henon_parameter_sweep() -> None:
    a = np.array([1.2, 1.4])
    ds = chaos.trajectory("Henon", 20, members=2, params={"a": a}, ic=chaos.get("Henon").ic)
    for m, value in enumerate(a):
        alone = chaos.trajectory("Henon", 20, params={"a": value}, ic=chaos.get("Henon").ic)
        np.testing.assert_allclose(ds.x.values[m], alone.x.values[0], rtol=1e-14)
