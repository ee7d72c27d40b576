"""Energy and variogram scores: reference values, peers, backends, dask, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq import crps_ensemble, energy_score, variogram_score
from tests._markers import requires_numba

BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("numba", marks=requires_numba)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_reference_values(backend: str) -> None:
    fc = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    standard = energy_score(fc, [1.0, 1.0], backend=backend)
    assert standard == pytest.approx(0.7587141250, abs=1e-10)
    fair = energy_score(fc, [1.0, 1.0], fair=True, backend=backend)
    assert fair == pytest.approx(0.5690355937, abs=1e-10)
    # by hand: distances to y sum to 2 + sqrt(2), the pairwise ones (each pair once) too
    assert standard == pytest.approx((2 + np.sqrt(2)) / 3 - 2 * (2 + np.sqrt(2)) / 18, abs=1e-15)
    assert fair == pytest.approx((2 + np.sqrt(2)) / 3 - 2 * (2 + np.sqrt(2)) / 12, abs=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_agrees_with_scoringrules(backend: str) -> None:
    scoringrules = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(7)
    fc = rng.normal(size=(300, 12, 3))
    obs = rng.normal(size=(300, 3))
    for fair, estimator in ((False, "nrg"), (True, "fair")):
        np.testing.assert_allclose(
            energy_score(fc, obs, fair=fair, backend=backend),
            scoringrules.es_ensemble(obs, fc, estimator=estimator),
            atol=1e-10,
        )
    w = rng.uniform(size=(3, 3))
    for p in (0.5, 1.0):
        np.testing.assert_allclose(
            variogram_score(fc, obs, p=p, weights=w, backend=backend),
            scoringrules.vs_ensemble(obs, fc, w=w, p=p),
            atol=1e-10,
        )


@pytest.mark.parametrize("fair", [False, True])
def test_one_component_is_the_crps(fair: bool) -> None:
    rng = np.random.default_rng(8)
    fc = rng.normal(size=(50, 7))
    obs = rng.normal(size=50)
    np.testing.assert_allclose(
        energy_score(fc[..., None], obs[:, None], fair=fair),
        crps_ensemble(fc, obs, fair=fair),
        atol=1e-12,
    )


@requires_numba
def test_skipna_drops_incomplete_members_on_both_backends() -> None:
    rng = np.random.default_rng(9)
    fc = rng.normal(size=(40, 6, 2))
    obs = rng.normal(size=(40, 2))
    fc[3, 1, 0] = np.nan
    a = energy_score(fc, obs, skipna=True)
    b = energy_score(fc, obs, skipna=True, backend="numpy")
    np.testing.assert_allclose(a, b, atol=1e-12)
    assert a[3] == pytest.approx(energy_score(np.delete(fc[3], 1, axis=0), obs[3]), abs=1e-12)
    with pytest.raises(InputError, match="NaN"):
        energy_score(fc, obs)


def test_named_dims_and_dask() -> None:
    rng = np.random.default_rng(10)
    fc = xr.DataArray(rng.normal(size=(3, 100, 8)), dims=("component", "sample", "member"))
    obs = xr.DataArray(rng.normal(size=(100, 3)), dims=("sample", "component"))
    out = energy_score(fc, obs)
    assert out.dims == ("sample",)
    lazy = energy_score(fc.chunk(sample=30, component=1), obs.chunk(sample=50))
    np.testing.assert_allclose(lazy.values, out.values, atol=1e-12)
    vs = variogram_score(fc.chunk(sample=30), obs)
    np.testing.assert_allclose(vs.values, variogram_score(fc, obs).values, atol=1e-12)


def test_bad_input() -> None:
    fc = np.zeros((5, 4, 3))
    with pytest.raises(InputError, match="different sizes"):
        energy_score(fc, np.zeros((5, 2)))
    with pytest.raises(InputError, match="at least 2"):
        energy_score(fc[:, :1], np.zeros((5, 3)), fair=True)
    with pytest.raises(InputError, match="shape"):
        variogram_score(fc, np.zeros((5, 3)), weights=np.ones((2, 2)))
    with pytest.raises(ConfigError, match="p must be positive"):
        variogram_score(fc, np.zeros((5, 3)), p=0.0)
