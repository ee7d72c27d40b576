"""POD, projection errors, sine dissimilarity and Grassmann distances against theory."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from gpu.errors import ConfigError, InputError
from solvers.contract import validate_dataset
from solvers.rom import (
    euclidean_dissimilarity,
    grassmann_distance,
    make_snapshots,
    moving_front,
    pod,
    projection_error,
    sine_dissimilarity,
)
from tests._markers import BACKEND_PARAMS

RNG = np.random.default_rng(3)


def _low_rank(n: int = 60, dofs: int = 40, rank: int = 5) -> np.ndarray:
    return RNG.normal(size=(n, rank)) @ RNG.normal(size=(rank, dofs))


def test_pod_exact_on_low_rank_and_matches_svd() -> None:
    x = _low_rank()
    ds = pod(make_snapshots(x, {"mu": np.arange(60.0)}), n_modes=5)
    validate_dataset(ds)
    assert float(projection_error(x, ds).max()) < 1e-12
    s = np.linalg.svd(x, compute_uv=False)
    np.testing.assert_allclose(ds["singular_values"], s[:5], rtol=1e-12)
    modes = ds["modes"].values
    np.testing.assert_allclose(modes @ modes.T, np.eye(5), atol=1e-12)


def test_pod_tolerance_is_the_frobenius_error() -> None:
    x = RNG.normal(size=(50, 30)) * np.geomspace(1, 1e-3, 30)
    ds = pod(x, tol=1e-2)
    n = ds.sizes["mode"]
    s = np.linalg.svd(x, compute_uv=False)
    residual = np.sqrt(np.sum(s[n:] ** 2) / np.sum(s**2))
    assert residual <= 1e-2 < np.sqrt(np.sum(s[n - 1 :] ** 2) / np.sum(s**2))
    basis = ds["modes"].values
    frob = np.linalg.norm(x - x @ basis.T @ basis) / np.linalg.norm(x)
    np.testing.assert_allclose(frob, residual, rtol=1e-10)


def test_centred_pod_reproduces_affine_family() -> None:
    offset = RNG.normal(size=40)
    x = _low_rank(rank=3) + offset
    ds = pod(x, n_modes=3, center=True)
    np.testing.assert_allclose(ds["mean"], x.mean(axis=0))
    assert float(projection_error(x, ds).max()) < 1e-12


def test_randomized_pod_agrees_with_full() -> None:
    x = RNG.normal(size=(300, 8)) @ (np.geomspace(1, 1e-2, 8)[:, None] * RNG.normal(size=(8, 200)))
    x += 1e-6 * RNG.normal(size=x.shape)
    full = pod(x, n_modes=6, method="svd")
    fast = pod(x, n_modes=6, method="randomized", seed=1)
    np.testing.assert_allclose(fast["singular_values"], full["singular_values"], rtol=1e-6)
    np.testing.assert_allclose(
        projection_error(x, fast), projection_error(x, full), rtol=1e-5, atol=1e-12
    )


def test_pod_keeps_dof_dims_of_a_dataarray() -> None:
    x = _low_rank(n=20, dofs=12, rank=2).reshape(20, 3, 4)
    da = xr.DataArray(x, dims=("snapshot", "lat", "lon"))
    ds = pod(da, n_modes=2)
    assert ds["modes"].dims == ("mode", "lat", "lon")
    assert float(projection_error(da, ds).max()) < 1e-12


def test_pod_bad_input() -> None:
    x = _low_rank()
    with pytest.raises(ConfigError):
        pod(x)
    with pytest.raises(InputError, match="exceeds"):
        pod(x[:4], n_modes=5)
    bad = x.copy()
    bad[2, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        pod(bad, n_modes=2)
    with pytest.raises(InputError, match="same discretization"):
        projection_error(x, pod(x[:, :20], n_modes=2))
    zero = x.copy()
    zero[1] = 0.0
    with pytest.raises(InputError, match="zero snapshot"):
        projection_error(zero, pod(x, n_modes=2))


@given(
    scale=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
    other=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
    seed=st.integers(0, 2**16),
)
def test_sine_invariances_and_projection_meaning(scale: float, other: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=(2, 15))
    d = sine_dissimilarity(u[None], v[None])[0, 0]
    np.testing.assert_allclose(
        sine_dissimilarity((scale * u)[None], (other * v)[None]), d, atol=1e-9
    )
    # delta(u, v) = |u - P_v u| / |u|: the relative projection error onto the line of v
    np.testing.assert_allclose(projection_error(u[None], v[None]).values[0], d, atol=1e-9)
    np.testing.assert_allclose(sine_dissimilarity(u[None], (scale * u)[None]), 0.0, atol=1e-7)


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_backends_agree(name: str) -> None:
    x = RNG.normal(size=(50, 20))
    ref = sine_dissimilarity(x, backend="numpy")
    np.testing.assert_allclose(sine_dissimilarity(x, backend=name, block_size=7), ref, atol=1e-10)
    np.testing.assert_allclose(
        euclidean_dissimilarity(x, x[:9], backend=name, block_size=4),
        euclidean_dissimilarity(x, x[:9], block_size=1000),
        atol=1e-9,
    )


def test_sine_zero_snapshot_says_undefined() -> None:
    x = RNG.normal(size=(5, 4))
    x[2] = 0.0
    with pytest.raises(InputError, match=r"zero snapshot.*undefined"):
        sine_dissimilarity(x)


@pytest.mark.parametrize("kind", ["chordal", "geodesic", "projection"])
def test_grassmann_zero_and_orthogonal(kind: str) -> None:
    q, _ = np.linalg.qr(RNG.normal(size=(25, 6)))
    a, b = q[:, :3], q[:, 3:]
    assert grassmann_distance(a, a @ RNG.normal(size=(3, 3)), kind) < 1e-7
    expected = {"chordal": np.sqrt(3), "geodesic": np.sqrt(3) * np.pi / 2, "projection": 1.0}
    np.testing.assert_allclose(grassmann_distance(a, b, kind), expected[kind], rtol=1e-12)


def test_grassmann_geodesic_matches_scipy_angles() -> None:
    a, b = RNG.normal(size=(2, 30, 4))
    theta = scipy.linalg.subspace_angles(a, b)
    np.testing.assert_allclose(grassmann_distance(a, b, "geodesic"), np.linalg.norm(theta))
    with pytest.raises(ConfigError):
        grassmann_distance(a, b, "angular")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        grassmann_distance(a, b[:, :3])


def test_float32_snapshots_are_computed_in_float32() -> None:
    x = moving_front(40, 60, seed=3)
    single = x.astype(np.float32)
    got = sine_dissimilarity(single, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, sine_dissimilarity(x), atol=1e-4)
    # float32 rounding shows: the float32 result is not the float64 one
    assert np.max(np.abs(got - sine_dissimilarity(x))) > 1e-9
