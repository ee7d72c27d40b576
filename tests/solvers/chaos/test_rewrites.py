"""Batched rewrites of the flows dysts evaluates one state at a time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gpu.backends import get_backend
from solvers import chaos
from solvers.chaos.rewrites import REWRITES
from tests._markers import requires_jax

NAMES = sorted(REWRITES)
MEMBERS = 16


def _states(system: chaos.System) -> tuple[np.ndarray, np.ndarray]:
    """The reference IC and states spread well beyond it (every branch; x < 0 for BZ)."""
    rng = np.random.default_rng(7)
    ic = system.ic
    y = ic[:, None] + (np.abs(ic)[:, None] + 1.0) * rng.normal(size=(system.dim, MEMBERS))
    y[:, 0] = ic
    if system.name == "InteriorSquirmer":  # a radius inside the unit disc
        y[0, 1:] = 0.05 + np.abs(y[0, 1:]) % 0.9
    if system.name == "BelousovZhabotinsky":
        y[0, -1] = -abs(ic[0])
    return y, rng.uniform(0.0, 5.0, MEMBERS)


def _dysts(system: chaos.System, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    instance = system.dysts_instance()
    with np.errstate(all="ignore"):
        return np.stack(
            [np.asarray(instance.rhs(y[:, m], t[m]), float) for m in range(MEMBERS)], -1
        )


def _rows(system: chaos.System, members: int) -> np.ndarray:
    if any(np.ndim(v) for v in system.params.values()):
        return np.zeros((0, members))
    values = np.array([system.params[k] for k in system.param_names], dtype=float)
    return np.repeat(values[:, None], members, axis=1)


@pytest.mark.parametrize("name", NAMES)
def test_rewrite_matches_dysts_rhs(name: str) -> None:
    system = chaos.get(name)
    assert chaos.modes(system) == "rewrite"
    y, t = _states(system)
    f = chaos.batched_rhs(system).array_fn(np)
    assert f is not None
    value = f(y, t, _rows(system, MEMBERS))
    np.testing.assert_allclose(value, _dysts(system, y, t), rtol=1e-12, atol=1e-300)


@requires_jax
@pytest.mark.parametrize("name", NAMES)
def test_rewrite_traces_under_jax_and_matches_dysts(name: str) -> None:
    jnp = get_backend("jax").xp
    system = chaos.get(name)
    y, t = _states(system)
    f = chaos.batched_rhs(system).array_fn(jnp)
    assert f is not None
    value = np.asarray(f(jnp.asarray(y), jnp.asarray(t), jnp.asarray(_rows(system, MEMBERS))))
    np.testing.assert_allclose(value, _dysts(system, y, t), rtol=1e-12, atol=1e-300)


@requires_jax
@pytest.mark.parametrize("name", ["AnishchenkoAstakhov", "CellCycle", "Colpitts", "Hopfield"])
def test_vector_rhs_rebound_to_jax_matches_dysts(name: str) -> None:
    jnp = get_backend("jax").xp
    system = chaos.get(name)
    assert chaos.modes(system) == "vector-rhs"
    y, t = _states(system)
    f = chaos.batched_rhs(system).array_fn(jnp)
    assert f is not None
    value = np.asarray(f(jnp.asarray(y), jnp.asarray(t), None))
    np.testing.assert_allclose(value, _dysts(system, y, t), rtol=1e-12, atol=1e-300)


@requires_jax
def test_every_flow_has_a_jax_form() -> None:
    jnp = get_backend("jax").xp
    missing = [
        name
        for name in chaos.systems(kind="flow")
        if chaos.batched_rhs(chaos.get(name)).array_fn(jnp) is None
    ]
    assert missing == []


@requires_jax
def test_rewritten_system_integrates_on_jax_like_numpy() -> None:
    kwargs: dict[str, Any] = {"members": 2, "seed": 3, "burn_in": 0.5, "pts_per_period": 20}
    reference = chaos.trajectory("BeerRNN", 15, backend="numpy", **kwargs)
    result = chaos.trajectory("BeerRNN", 15, backend="jax", **kwargs)
    assert result.attrs["backend"] == "jax"
    np.testing.assert_allclose(result.x.values, reference.x.values, rtol=1e-10, atol=1e-10)
