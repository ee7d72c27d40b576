"""Ensemble CRPS (standard and fair): reference values, peers, backends, dask, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gpu.errors import InputError
from sciml.uq import crps_ensemble
from tests._markers import requires_numba

BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("numba", marks=requires_numba)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_reference_values(backend: str) -> None:
    assert crps_ensemble([0.0, 1.0, 2.0], 0.5, backend=backend) == pytest.approx(7 / 18, abs=1e-10)
    fair = crps_ensemble([0.0, 1.0, 2.0], 0.5, fair=True, backend=backend)
    assert fair == pytest.approx(1 / 6, abs=1e-10)
    # member order does not matter
    assert crps_ensemble([2.0, 0.0, 1.0], 0.5, backend=backend) == pytest.approx(7 / 18, abs=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ties", [False, True], ids=["continuous", "ties"])
def test_agrees_with_peers(backend: str, ties: bool) -> None:
    properscoring = pytest.importorskip("properscoring")
    scoringrules = pytest.importorskip("scoringrules")
    xskillscore = pytest.importorskip("xskillscore")
    scores_probability = pytest.importorskip("scores.probability")
    rng = np.random.default_rng(1)
    fc = rng.normal(size=(400, 11)) * rng.uniform(0.2, 3, size=(400, 1))
    obs = rng.normal(size=400)
    if ties:
        fc, obs = np.round(fc), np.round(obs)
    mine = crps_ensemble(fc, obs, backend=backend)
    mine_fair = crps_ensemble(fc, obs, fair=True, backend=backend)
    np.testing.assert_allclose(mine, properscoring.crps_ensemble(obs, fc), atol=1e-10)
    np.testing.assert_allclose(
        mine, scoringrules.crps_ensemble(obs, fc, estimator="nrg"), atol=1e-10
    )
    np.testing.assert_allclose(
        mine_fair, scoringrules.crps_ensemble(obs, fc, estimator="fair"), atol=1e-10
    )
    fc_da = xr.DataArray(fc, dims=("sample", "member"))
    obs_da = xr.DataArray(obs, dims="sample")
    xs = xskillscore.crps_ensemble(obs_da, fc_da, dim=[])
    np.testing.assert_allclose(mine, xs.values, atol=1e-10)
    for method, values in (("ecdf", mine), ("fair", mine_fair)):
        peer = scores_probability.crps_for_ensemble(
            fc_da, obs_da, "member", method=method, preserve_dims=["sample"]
        )
        np.testing.assert_allclose(values, peer.values, atol=1e-10)


@requires_numba
@pytest.mark.parametrize("fair", [False, True])
def test_numba_matches_numpy_with_nan_and_float32(fair: bool) -> None:
    rng = np.random.default_rng(2)
    fc = rng.normal(size=(5000, 9)).astype(np.float32)
    obs = rng.normal(size=5000)
    fc[::7, 3] = np.nan
    fc[::13, :8] = np.nan  # one valid member left: NaN for the fair score
    obs[5] = np.nan
    a = crps_ensemble(fc, obs, fair=fair, skipna=True, backend="numba")
    b = crps_ensemble(fc, obs, fair=fair, skipna=True, backend="numpy")
    np.testing.assert_allclose(a, b, atol=1e-10)
    assert np.isnan(a[5])
    assert np.isnan(a[13]) == fair
    # skipna leaves the NaN member out of its forecast
    row = fc[7].astype(np.float64)
    expected = crps_ensemble(row[~np.isnan(row)], obs[7], fair=fair)
    assert a[7] == pytest.approx(expected, abs=1e-10)


@given(
    arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e3, 1e3)),
    st.floats(-1e3, 1e3),
)
def test_properties(members: np.ndarray, y: float) -> None:
    value = crps_ensemble(members, y)
    assert value >= -1e-9
    if members.size == 1:
        assert value == pytest.approx(abs(members[0] - y), abs=1e-9)
    else:
        assert crps_ensemble(members, y, fair=True) <= value + 1e-9
        assert crps_ensemble(members, y, backend="numpy") == pytest.approx(value, abs=1e-8)


def test_xarray_dims_order_units_and_dask() -> None:
    rng = np.random.default_rng(3)
    fc = xr.DataArray(rng.normal(size=(6, 20, 300)), dims=("member", "time", "sample"))
    obs = xr.DataArray(rng.normal(size=(300, 20)), dims=("sample", "time"), attrs={"units": "K"})
    out = crps_ensemble(fc, obs)
    assert set(out.dims) == {"time", "sample"}
    assert out.attrs["units"] == "K"
    assert out.name == "crps"
    direct = crps_ensemble(fc.transpose("sample", "time", "member").values, obs.T.values.T)
    np.testing.assert_allclose(out.transpose("sample", "time").values, direct, atol=1e-12)
    lazy = crps_ensemble(fc.chunk(member=2, sample=70), obs.chunk(sample=100), fair=True)
    assert lazy.chunks is not None
    np.testing.assert_allclose(
        lazy.compute().values, crps_ensemble(fc, obs, fair=True).values, atol=1e-12
    )


def test_bad_input() -> None:
    fc = xr.DataArray(np.zeros((10, 4)), dims=("sample", "member"))
    obs = xr.DataArray(np.zeros(10), dims="sample")
    with pytest.raises(InputError, match="no 'ens' dim"):
        crps_ensemble(fc, obs, dim="ens")
    with pytest.raises(InputError, match="must not have the dim"):
        crps_ensemble(fc, fc)
    with pytest.raises(InputError, match="different sizes"):
        crps_ensemble(fc, obs[:5])
    with pytest.raises(InputError, match="at least 2"):
        crps_ensemble(fc[:, :1], obs, fair=True)
    with pytest.raises(InputError, match="Dataset"):
        crps_ensemble(fc.to_dataset(name="x"), obs)
    with pytest.raises(InputError, match="unnamed array"):
        crps_ensemble(fc, np.zeros(10))
    shifted = obs.assign_coords(sample=np.arange(10) + 1)
    with pytest.raises(InputError, match="coordinates do not match"):
        crps_ensemble(fc.assign_coords(sample=np.arange(10)), shifted)
    with pytest.raises(InputError, match="NaN"):
        crps_ensemble(fc.where(fc.member != 2), obs)
    lazy = crps_ensemble(fc.where(fc.member != 2).chunk(sample=5), obs)
    with pytest.raises(InputError, match="NaN"):
        lazy.compute()
    assert isinstance(InputError("x"), ValueError)
