"""The catalog: dysts' systems and metadata, lookup, filters, overrides, the adapter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gpu import get_backend
from gpu.errors import ConfigError, InputError
from tests._markers import requires_jax, requires_numba

dysts_base = pytest.importorskip("dysts.base")
dysts_flows = pytest.importorskip("dysts.flows")
chaos = pytest.importorskip("solvers.chaos")


def _json(path: str) -> dict:
    with open(path) as handle:
        return json.load(handle)


def test_every_dysts_system_is_listed() -> None:
    continuous = _json(dysts_base.DATAPATH_CONTINUOUS)
    maps = _json(dysts_base.DATAPATH_DISCRETE)
    assert len(chaos.systems()) == len(continuous) + len(maps)
    delays = sorted(name for name, meta in continuous.items() if meta.get("delay"))
    assert chaos.systems(delay=True) == delays
    assert chaos.systems(kind="delay") == delays
    assert len(chaos.systems(kind="flow")) == len(continuous) - len(delays)
    assert len(chaos.systems(kind="map")) == len(maps)


def test_filters_select_by_metadata() -> None:
    three = chaos.systems(dimension=3)
    assert three and all(chaos.get(name).dim == 3 for name in three)
    big = chaos.systems(min_dimension=5, kind="flow")
    assert big and all(chaos.get(name).dim >= 5 for name in big)
    forced = chaos.systems(nonautonomous=True)
    assert forced and all(chaos.get(name).nonautonomous for name in forced)
    assert set(forced).isdisjoint(chaos.systems(nonautonomous=False))
    with pytest.raises(ConfigError, match="kind"):
        chaos.systems(kind="pde")


def test_metadata_comes_from_dysts() -> None:
    system = chaos.get("lorenz")
    reference = dysts_flows.Lorenz()
    assert system.name == "Lorenz"
    assert system.dim == reference.dimension
    np.testing.assert_array_equal(system.ic, reference.ic)
    assert system.period == reference.period
    assert system.max_lyapunov == reference.maximum_lyapunov_estimated
    assert system.param_names == sorted(reference.params)
    assert system.lyapunov_time == pytest.approx(1.0 / reference.maximum_lyapunov_estimated)


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(InputError, match="Lorenz"):
        chaos.get("Lorenzz")
    with pytest.raises(InputError, match="unknown chaotic system"):
        chaos.get("NoSuchSystemAtAll")


def test_parameter_overrides_and_errors() -> None:
    system = chaos.get("Lorenz", rho=35.0)
    assert system.params["rho"] == 35.0
    assert system.overrides == {"rho": 35.0}
    assert system.dysts_instance().rho == 35.0
    with pytest.raises(ConfigError, match="rho, sigma"):
        chaos.get("Lorenz", r=1.0)
    with pytest.raises(ConfigError, match="finite"):
        chaos.get("Lorenz", rho=np.nan)


def test_map_names_do_not_collide_with_flows() -> None:
    assert chaos.get("Duffing").kind == "flow"
    duffing_map = chaos.get("DuffingMap")
    assert duffing_map.kind == "map"
    assert type(duffing_map.dysts_instance()).__module__ == "dysts.maps"


SAMPLE = ["Lorenz", "Rossler", "Thomas", "Duffing", "Halvorsen", "SprottA", "Lorenz96", "MacArthur"]


def _perturbed(system: object, count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ic = system.ic  # type: ignore[attr-defined]
    y = ic[:, None] * (1 + 0.05 * rng.standard_normal((ic.size, count)))
    return y, rng.uniform(0.0, 1.0, count)


def _dysts_rhs(system: object, y: np.ndarray, t: np.ndarray, compiled: bool = True) -> np.ndarray:
    """dysts' rhs point by point; ``compiled=False`` calls the pure-Python ``_rhs``
    where the class keeps dysts' default ``rhs`` (skips numba compilation)."""
    instance = system.dysts_instance()  # type: ignore[attr-defined]
    point = instance.rhs
    if not compiled and type(instance).rhs is dysts_base.DynSys.rhs:
        raw = getattr(type(instance)._rhs, "py_func", type(instance)._rhs)

        def point(x: np.ndarray, tt: float) -> object:
            return raw(*x, tt, *instance.param_list)

    with np.errstate(all="ignore"):
        return np.stack([np.asarray(point(y[:, m], t[m]), float) for m in range(y.shape[1])], -1)


def _params(system: object) -> np.ndarray | None:
    if any(np.ndim(v) for v in system.params.values()):  # type: ignore[attr-defined]
        return None
    return np.array([system.params[k] for k in system.param_names])[:, None]  # type: ignore[attr-defined]


def test_every_flow_vectorizes_like_dysts_pointwise_rhs() -> None:
    """The batched NumPy form equals dysts' own rhs member by member, in every mode."""
    report = chaos.vectorization_report()
    assert sorted(name for names in report.values() for name in names) == chaos.systems(kind="flow")
    assert len(report["broadcast"]) > 100
    for name in chaos.systems(kind="flow"):
        system = chaos.get(name)
        y, t = _perturbed(system)
        f = chaos.batched_rhs(system).array_fn(np)
        with np.errstate(all="ignore"):
            batched = f(y, t, _params(system))
        reference = _dysts_rhs(system, y, t, compiled=name in SAMPLE)
        np.testing.assert_allclose(batched, reference, rtol=1e-10, atol=1e-12, err_msg=name)


@requires_jax
def test_jax_form_matches_dysts() -> None:
    jnp = get_backend("jax").xp
    for name in SAMPLE[:6]:
        system = chaos.get(name)
        y, t = _perturbed(system)
        f = chaos.batched_rhs(system).array_fn(jnp)
        assert f is not None, name
        value = np.asarray(f(jnp.asarray(y), jnp.asarray(t), jnp.asarray(_params(system))))
        np.testing.assert_allclose(value, _dysts_rhs(system, y, t), rtol=1e-12, err_msg=name)


@requires_numba
def test_numba_form_matches_dysts() -> None:
    for name in SAMPLE[:3]:
        system = chaos.get(name)
        y, t = _perturbed(system, 1)
        f = chaos.batched_rhs(system).numba_form()
        value = np.asarray(f(*y[:, 0], t[0], *_params(system)[:, 0]), dtype=float)
        np.testing.assert_allclose(value, _dysts_rhs(system, y, t)[:, 0], rtol=1e-12, err_msg=name)


def test_non_flows_have_no_ode_form() -> None:
    with pytest.raises(ConfigError, match="delay"):
        chaos.batched_rhs(chaos.get("MackeyGlass"))
