"""The a priori efficiency criterion and the POD-Galerkin ROM."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gpu._optional import module_available
from gpu.errors import ConfigError, InputError
from solvers.contract import validate_dataset
from solvers.rom import LocalBases, efficiency_criterion, moving_front, pod, projection_error

requires_skfem = pytest.mark.skipif(not module_available("skfem"), reason="scikit-fem missing")


def test_criterion_predicts_test_error_and_recommends_local_bases() -> None:
    train = moving_front(240, 120, seed=1)
    report = efficiency_criterion(train, (1, 2, 6), n_max=6, target=0.05, n_init=2)
    validate_dataset(report, extra_dims=["n_clusters", "n_modes"])
    # K = 1 is the global basis, whose training error is POD's
    global_n4 = float(projection_error(train, pod(train, n_modes=4)).mean())
    np.testing.assert_allclose(report["global_error"].sel(n_modes=4), global_n4, rtol=1e-10)
    np.testing.assert_allclose(report["local_error"].sel(n_clusters=1), report["global_error"])
    # the prediction tracks the measured error on fresh snapshots (local bases, nearest medoid)
    test = moving_front(150, 120, seed=2)
    fitted = LocalBases(6, 4, n_init=2).fit(train)
    measured = float(fitted.projection_error(test).mean())
    predicted = float(report["local_error"].sel(n_clusters=6, n_modes=4))
    assert 0.3 * measured <= predicted <= 3.0 * measured
    # errors fall with N within every K, and local bases pay off here
    assert np.all(np.diff(report["global_error"].values) <= 1e-12)
    assert report.attrs["worth_it"] == 1
    assert report.attrs["recommended_k"] > 1
    n_best = report.attrs["recommended_n"]
    assert report["local_error"].sel(n_modes=n_best).min() <= 0.05
    assert report.attrs["global_n"] == -1 or report.attrs["global_n"] > n_best


def test_criterion_bad_input() -> None:
    train = moving_front(20, 30, seed=0)
    with pytest.raises(ConfigError):
        efficiency_criterion(train, (), n_max=3)
    with pytest.raises(ConfigError):
        efficiency_criterion(train, (1, 2), n_max=3, target=2.0)
    with pytest.raises(InputError, match="exceed"):
        efficiency_criterion(train, (1, 40), n_max=3)


@requires_skfem
def test_galerkin_exact_when_basis_holds_the_solution() -> None:
    from solvers.rom import GalerkinROM, MovingSourceProblem

    problem = MovingSourceProblem(120)
    params = problem.sample_parameters(3, np.random.default_rng(0))
    exact = problem.solve(params)
    extra = np.random.default_rng(1).normal(size=(2, problem.n_nodes))
    rom = GalerkinROM(problem, np.vstack([exact, extra]))
    np.testing.assert_allclose(rom.solve(params), exact, atol=1e-10 * np.abs(exact).max())
    with pytest.raises(InputError, match="dofs"):
        GalerkinROM(problem, exact[:, :50])


@requires_skfem
def test_galerkin_error_decreases_with_n_and_local_bases_help() -> None:
    from solvers.rom import GalerkinROM, MovingSourceProblem

    problem = MovingSourceProblem(200)
    rng = np.random.default_rng(2)
    train = problem.snapshots(problem.sample_parameters(150, rng))
    test = problem.sample_parameters(30, rng)
    errors = [
        float(GalerkinROM(problem, pod(train, n_modes=n)).compare(test)["error"].mean())
        for n in (1, 2, 4, 8, 16)
    ]
    assert all(b < a for a, b in itertools.pairwise(errors))
    # Galerkin is quasi-optimal: within a modest factor of the best approximation
    full = problem.snapshots(test)
    best = float(projection_error(full, pod(train, n_modes=8)).mean())
    assert errors[3] <= 5.0 * best
    local = GalerkinROM(problem, LocalBases(6, 8, n_init=2).fit(train)).compare(test)
    assert float(local["error"].mean()) < errors[3]
    assert local.attrs["rom_seconds"] > 0 and local.attrs["full_seconds"] > 0  # speed: bench
