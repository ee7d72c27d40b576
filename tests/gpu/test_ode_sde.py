"""Stochastic integrators: Ornstein–Uhlenbeck statistics, reproducibility, backends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpu
from gpu.errors import ConfigError, InputError
from gpu.ode import BatchedRHS, Status, sde

NUMPY = gpu.get_backend("numpy")
THETA, SIGMA, X0 = 1.0, 0.5, 2.0


def _ou(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return -THETA * y

    return f


OU = BatchedRHS(1, _ou, None, "ornstein-uhlenbeck")


def _seeds(count: int, first: int = 0, root: int = 5) -> list[np.random.Generator]:
    return [
        np.random.default_rng(np.random.SeedSequence(root, spawn_key=(first + i,)))
        for i in range(count)
    ]


@pytest.mark.parametrize("method", ["euler_maruyama", "heun"])
def test_ornstein_uhlenbeck_mean_and_variance(method: str) -> None:
    members, t_end, steps = 4000, 2.0, 200
    h = t_end / steps
    sol = sde(
        NUMPY,
        OU,
        np.full((1, members), X0),
        sigma=SIGMA,
        dt_out=t_end,
        n_out=2,
        substeps=steps,
        rngs=_seeds(members),
        method=method,
    )
    x = sol.y[-1, 0]
    # mean of the scheme applied to the linear drift, exactly
    factor = 1 - THETA * h if method == "euler_maruyama" else 1 - THETA * h + (THETA * h) ** 2 / 2
    mean = X0 * factor**steps
    variance = SIGMA**2 / (2 * THETA) * (1 - np.exp(-2 * THETA * t_end))
    assert abs(x.mean() - mean) < 4 * np.sqrt(variance / members)
    assert x.var() == pytest.approx(variance, rel=0.1)


def test_member_paths_do_not_depend_on_the_batch_split() -> None:
    kwargs: dict[str, Any] = {"sigma": SIGMA, "dt_out": 0.1, "n_out": 20, "substeps": 5}
    whole = sde(NUMPY, OU, np.full((1, 6), X0), rngs=_seeds(6), **kwargs)
    part = sde(NUMPY, OU, np.full((1, 2), X0), rngs=_seeds(2, first=4), **kwargs)
    np.testing.assert_array_equal(whole.y[:, :, 4:], part.y)
    assert not np.allclose(whole.y[:, :, 0], whole.y[:, :, 1])


def test_array_backends_agree_with_numpy(backend: gpu.Backend) -> None:
    kwargs: dict[str, Any] = {"sigma": SIGMA, "dt_out": 0.1, "n_out": 10}
    y0 = np.full((1, 3), X0)
    if backend.name == "numba":
        with pytest.raises(ConfigError, match="array backends"):
            sde(backend, OU, y0, rngs=_seeds(3), **kwargs)
        return
    np.testing.assert_allclose(
        sde(backend, OU, y0, rngs=_seeds(3), **kwargs).y,
        sde(NUMPY, OU, y0, rngs=_seeds(3), **kwargs).y,
        rtol=1e-10,
        atol=1e-12,
    )


def test_diverging_member_is_flagged() -> None:
    def grow(xp: Any) -> Any:
        return lambda y, t, p: p[0] * y

    rhs = BatchedRHS(1, grow, None, "growth")
    sol = sde(
        NUMPY,
        rhs,
        np.ones((1, 2)),
        sigma=0.0,
        dt_out=1.0,
        n_out=5,
        rngs=_seeds(2),
        params=np.array([[100.0, -1.0]]),
        max_abs=1e6,
    )
    assert list(sol.status) == [Status.DIVERGED, Status.SUCCESS]


def test_bad_input() -> None:
    y0 = np.ones((1, 2))
    with pytest.raises(InputError, match="rngs"):
        sde(NUMPY, OU, y0, sigma=1.0, dt_out=0.1, n_out=3, rngs=_seeds(3))
    with pytest.raises(InputError, match="sigma"):
        sde(NUMPY, OU, y0, sigma=-1.0, dt_out=0.1, n_out=3, rngs=_seeds(2))
    with pytest.raises(ConfigError, match="method"):
        sde(NUMPY, OU, y0, sigma=1.0, dt_out=0.1, n_out=3, rngs=_seeds(2), method="milstein")
