"""Trajectories: agreement with SciPy, the whole catalog, backends, seeds, contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import gpu
from gpu.errors import ConfigError, InputError
from gpu.ode import Status
from solvers.contract import validate_dataset
from tests._markers import has_numba

chaos = pytest.importorskip("solvers.chaos")
pytest.importorskip("dysts.flows")


@pytest.mark.parametrize("name", ["Lorenz", "Rossler", "Halvorsen", "Lorenz96", "CellCycle"])
def test_agrees_with_scipy_dop853_over_five_lyapunov_times(name: str) -> None:
    system = chaos.get(name)
    dt = system.period / 100
    n = math.ceil(5.0 / system.max_lyapunov / dt) + 1
    ds = chaos.trajectory(name, n, rtol=1e-10, atol=1e-10, backend="numpy")
    instance = system.dysts_instance()
    t_eval = ds.time.values
    ref = solve_ivp(
        lambda t, y: np.asarray(instance.rhs(y, t), dtype=float),
        (0.0, t_eval[-1]),
        system.ic,
        method="DOP853",
        rtol=1e-13,
        atol=1e-13,
        t_eval=t_eval,
    ).y.T
    x = ds.x.isel(member=0).values
    assert np.max(np.abs(x - ref)) <= 1e-6 * np.max(np.abs(ref))


def _catalog_run(backend: str, names: list[str]) -> dict[str, str]:
    problems = {}
    for name in names:
        ds = chaos.trajectory(name, 1000, pts_per_period=100, rtol=1e-6, atol=1e-6, backend=backend)
        if ds.attrs["backend"] != backend:
            problems[name] = f"ran on {ds.attrs['backend']}"
        elif int(ds.status[0]) != Status.SUCCESS or not np.all(np.isfinite(ds.x.values)):
            problems[name] = Status(int(ds.status[0])).message
    return problems


def test_whole_catalog_integrates_without_non_finite_values_numpy() -> None:
    """Every flow: 1,000 points at 100 points per period from dysts' initial condition."""
    assert _catalog_run("numpy", chaos.systems(kind="flow")) == {}


@pytest.mark.skipif(not has_numba, reason="numba not installed")
def test_whole_catalog_integrates_without_non_finite_values_numba() -> None:
    """The same on numba, the fastest CPU backend, for every flow.

    The adaptive kernel is compiled once (and cached on disk), each flow adds a
    small C callback: dysts' scalar ``_rhs``, or dysts' own ``rhs`` translated
    to numba (:mod:`solvers.chaos.translate`), so the whole catalog stays quick.
    """
    assert _catalog_run("numba", chaos.systems(kind="flow")) == {}


def test_backends_agree_with_numpy(backend: gpu.Backend) -> None:
    kwargs = {"members": 3, "seed": 5, "pts_per_period": 50, "burn_in": 1.0}
    reference = chaos.trajectory("Lorenz", 60, backend="numpy", **kwargs)
    result = chaos.trajectory("Lorenz", 60, backend=backend.name, **kwargs)
    assert result.attrs["backend"] == backend.name
    np.testing.assert_allclose(result.x.values, reference.x.values, rtol=1e-10, atol=1e-10)


def test_dataset_follows_the_contract() -> None:
    ds = chaos.trajectory("Rossler", 50, members=2, seed=1, burn_in=1.0, backend="numpy")
    validate_dataset(ds)
    system = chaos.get("Rossler")
    assert ds.x.dims == ("member", "time", "component")
    assert ds.x.shape == (2, 50, 3)
    np.testing.assert_allclose(ds.lyapunov_time.values, ds.time.values * system.max_lyapunov)
    np.testing.assert_allclose(ds.periods.values[1], 0.01)
    np.testing.assert_allclose(np.diff(ds.time.values), system.period / 100)
    assert list(ds.status.values) == [0, 0]


def test_fixed_dt_and_rk4() -> None:
    ds = chaos.trajectory("Lorenz", 101, dt=0.01, method="rk4", substeps=4, backend="numpy")
    ref = chaos.trajectory("Lorenz", 101, dt=0.01, backend="numpy")
    np.testing.assert_allclose(ds.time.values[-1], 1.0)
    np.testing.assert_allclose(ds.x.values, ref.x.values, atol=1e-4)


def test_same_seed_same_ensemble_whatever_the_batch_split() -> None:
    kwargs = {"seed": 11, "burn_in": 2.0, "backend": "numpy"}
    whole = chaos.trajectory("Lorenz", 40, members=5, **kwargs)
    first = chaos.trajectory("Lorenz", 40, members=2, **kwargs)
    rest = chaos.trajectory("Lorenz", 40, members=3, first_member=2, **kwargs)
    np.testing.assert_array_equal(whole.x.values[:2], first.x.values)
    np.testing.assert_array_equal(whole.x.values[2:], rest.x.values)
    np.testing.assert_array_equal(rest.member.values, [2, 3, 4])
    # the ensemble runner's interface: member m draws from default_rng(SeedSequence(seed).spawn)
    config = chaos.ChaosConfig(system="Lorenz", n=40, burn_in=2.0, backend="numpy")
    streams = np.random.SeedSequence(11).spawn(5)
    single = chaos.chaos_member(config, 3, np.random.default_rng(streams[3]))
    assert "member" not in single.dims
    np.testing.assert_array_equal(single.x.values, whole.x.values[3])
    batch = chaos.chaos_members(config, [1, 4], [np.random.default_rng(streams[i]) for i in (1, 4)])
    np.testing.assert_array_equal(batch.member.values, [1, 4])
    np.testing.assert_array_equal(batch.x.values, whole.x.values[[1, 4]])
    other = chaos.trajectory("Lorenz", 40, members=5, seed=12, burn_in=2.0, backend="numpy")
    assert not np.allclose(other.x.values, whole.x.values)


def test_parameter_sweep_matches_separate_runs() -> None:
    ic = chaos.get("Lorenz").ic
    rho = np.array([20.0, 28.0, 35.0])
    swept = chaos.trajectory("Lorenz", 30, members=3, ic=ic, params={"rho": rho}, backend="numpy")
    np.testing.assert_array_equal(swept.param_rho.values, rho)
    for m, value in enumerate(rho):
        alone = chaos.trajectory("Lorenz", 30, ic=ic, params={"rho": value}, backend="numpy")
        np.testing.assert_allclose(swept.x.values[m], alone.x.values[0], rtol=1e-12, atol=1e-12)


def test_diverging_members_are_flagged_and_can_be_dropped() -> None:
    ic = chaos.get("Lorenz").ic
    kwargs = {
        "ic": ic,
        "params": {"sigma": np.array([10.0, -10.0])},
        "method": "rk4",
        "backend": "numpy",
    }
    kept = chaos.trajectory("Lorenz", 200, members=2, **kwargs)
    assert kept.status.values[0] == Status.SUCCESS
    assert kept.status.values[1] == Status.DIVERGED
    assert np.isnan(kept.x.values[1, -1]).all()
    dropped = chaos.trajectory("Lorenz", 200, members=2, drop_diverged=True, **kwargs)
    np.testing.assert_array_equal(dropped.member.values, [0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"system": "Lorenzz"}, InputError, "did you mean"),
        ({"n": 0}, InputError, "n must"),
        ({"n": -5}, InputError, "n must"),
        ({"dt": 0.0}, InputError, "dt must"),
        ({"dt": -0.1}, InputError, "dt must"),
        ({"ic": [1.0, 2.0]}, InputError, "ic must have shape"),
        ({"ic": [1.0, np.nan, 2.0]}, InputError, "NaN"),
        ({"params": {"r": 1.0}}, ConfigError, "no parameter"),
        ({"params": {"rho": [1.0, 2.0, 3.0]}}, ConfigError, "one value per member"),
        ({"method": "euler"}, ConfigError, "method"),
        ({"system": "EndCap"}, ConfigError, "defines no such system"),
        (
            {"system": "MackeyGlass", "params": {"tau": [1.0, 2.0]}, "members": 2},
            ConfigError,
            "sweep",
        ),
    ],
)
def test_bad_input_raises_clear_errors(kwargs: dict, error: type, match: str) -> None:
    args = {"system": "Lorenz", "n": 10, "backend": "numpy", **kwargs}
    with pytest.raises(error, match=match):
        chaos.trajectory(args.pop("system"), args.pop("n"), **args)


def test_stochastic_ensembles() -> None:
    kwargs = {"seed": 4, "burn_in": 1.0, "method": "heun", "noise": 0.05, "backend": "numpy"}
    whole = chaos.trajectory("Lorenz", 30, members=3, **kwargs)
    rest = chaos.trajectory("Lorenz", 30, members=1, first_member=2, **kwargs)
    np.testing.assert_array_equal(whole.x.values[2], rest.x.values[0])
    quiet = chaos.trajectory("Lorenz", 30, members=3, **{**kwargs, "noise": 0.0})
    assert not np.allclose(whole.x.values[:, 1:], quiet.x.values[:, 1:])
    np.testing.assert_array_equal(whole.x.values[:, 0], quiet.x.values[:, 0])
    deterministic = chaos.trajectory("Lorenz", 30, members=3, seed=4, burn_in=1.0, backend="numpy")
    # noise-free Heun is second order: close to the adaptive solution, not equal
    np.testing.assert_allclose(quiet.x.values, deterministic.x.values, atol=2e-2)
    with pytest.raises(ConfigError, match="stochastic"):
        chaos.trajectory("Lorenz", 10, noise=0.1, backend="numpy")
