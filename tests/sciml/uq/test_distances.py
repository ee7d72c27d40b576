"""Sample-set distances: sliced Wasserstein, MMD^2, energy distance, KS per marginal."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats
from scipy.spatial.distance import pdist

from gpu.errors import ConfigError, InputError
from sciml.uq import energy_distance, ks_marginals, mmd2, sliced_wasserstein
from sciml.uq.distances import median_bandwidth
from tests._markers import requires_numba

BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("numba", marks=requires_numba)]


@pytest.mark.parametrize("sizes", [(300, 300), (300, 200), (7, 3)])
def test_one_dimensional_wasserstein_matches_scipy(sizes: tuple[int, int]) -> None:
    rng = np.random.default_rng(20)
    a = rng.normal(size=sizes[0])
    b = rng.normal(0.5, 1.5, size=sizes[1])
    assert sliced_wasserstein(a, b, p=1) == pytest.approx(
        stats.wasserstein_distance(a, b), abs=1e-10
    )
    if sizes[0] == sizes[1]:
        w2 = np.sqrt(np.mean((np.sort(a) - np.sort(b)) ** 2))
        assert sliced_wasserstein(a, b) == pytest.approx(w2, abs=1e-10)


def test_sliced_w2_of_shifted_gaussians() -> None:
    rng = np.random.default_rng(21)
    d = 3
    shift = np.array([2.0, -1.0, 0.5])
    x = rng.normal(size=(5000, d))
    y = rng.normal(size=(5000, d)) + shift
    value = sliced_wasserstein(x, y, n_projections=1000, seed=1)
    # E_theta[(theta . shift)^2] = |shift|^2 / d; the projection noise is 1.4 % (1 s.e.)
    assert value == pytest.approx(np.linalg.norm(shift) / np.sqrt(d), rel=0.045)
    assert sliced_wasserstein(x, y, seed=5) == sliced_wasserstein(x, y, seed=5)
    assert sliced_wasserstein(x, x[::-1]) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mmd2_is_unbiased_for_one_distribution(backend: str) -> None:
    rng = np.random.default_rng(22)
    values = np.array(
        [
            mmd2(rng.normal(size=(120, 2)), rng.normal(size=(90, 2)), backend=backend)
            for _ in range(40)
        ]
    )
    assert abs(values.mean()) < 3 * values.std(ddof=1) / np.sqrt(values.size)
    shifted = mmd2(rng.normal(size=(120, 2)), rng.normal(size=(90, 2)) + 1.0, backend=backend)
    assert shifted > 10 * values.std()


@requires_numba
def test_mmd2_and_energy_backends_agree() -> None:
    rng = np.random.default_rng(23)
    x = rng.normal(size=(150, 3))
    y = rng.standard_t(4, size=(110, 3))
    assert mmd2(x, y) == pytest.approx(mmd2(x, y, backend="numpy"), abs=1e-12)
    assert mmd2(x, y, bandwidth=0.7) == pytest.approx(
        mmd2(x, y, bandwidth=0.7, backend="numpy"), abs=1e-12
    )
    assert energy_distance(x, y) == pytest.approx(energy_distance(x, y, backend="numpy"), abs=1e-10)


def test_mmd2_by_hand_and_median_bandwidth() -> None:
    x = np.array([[0.0], [1.0]])
    y = np.array([[3.0], [5.0]])
    h = 2.0
    k = lambda a, b: np.exp(-((a - b) ** 2) / (2 * h**2))  # noqa: E731
    expected = k(0, 1) + k(3, 5) - (k(0, 3) + k(0, 5) + k(1, 3) + k(1, 5)) / 2
    assert mmd2(x, y, bandwidth=h) == pytest.approx(expected, abs=1e-12)
    rng = np.random.default_rng(24)
    a, b = rng.normal(size=(50, 2)), rng.normal(size=(40, 2))
    assert median_bandwidth(a, b) == pytest.approx(np.median(pdist(np.vstack([a, b]))))


def test_energy_distance_matches_scipy() -> None:
    rng = np.random.default_rng(25)
    a = rng.normal(size=200)
    b = rng.exponential(size=150)
    assert energy_distance(a, b) == pytest.approx(stats.energy_distance(a, b), abs=1e-10)
    assert energy_distance(a, a) == pytest.approx(0.0, abs=1e-7)


def test_ks_per_marginal_matches_scipy() -> None:
    rng = np.random.default_rng(26)
    x = rng.normal(size=(300, 3))
    y = rng.normal(size=(250, 3)) * [1.0, 1.5, 1.0] + [0.0, 0.0, 0.4]
    ks = ks_marginals(x, y)
    for k in range(3):
        ref = stats.ks_2samp(x[:, k], y[:, k])
        assert float(ks["statistic"][k]) == pytest.approx(ref.statistic, abs=1e-12)
        assert float(ks["p_value"][k]) == pytest.approx(ref.pvalue, abs=1e-12)


def test_named_dims_extra_dims_and_dask() -> None:
    rng = np.random.default_rng(27)
    x = xr.DataArray(rng.normal(size=(3, 400, 2)), dims=("time", "sample", "component"))
    y = xr.DataArray(rng.normal(size=(2, 3, 300)), dims=("component", "time", "sample"))
    for fn in (sliced_wasserstein, mmd2, energy_distance):
        eager = fn(x, y)
        assert eager.dims == ("time",)
        lazy = fn(x.chunk(time=1), y.chunk(time=2))
        np.testing.assert_allclose(lazy.values, eager.values, atol=1e-12)
        first = fn(x.isel(time=0).values, y.isel(time=0).transpose("sample", "component").values)
        assert float(eager[0]) == pytest.approx(first, abs=1e-12)
    assert ks_marginals(x, y)["statistic"].dims == ("time", "component")


def test_bad_input() -> None:
    x = np.zeros((10, 2))
    with pytest.raises(InputError, match="different sizes"):
        sliced_wasserstein(x, np.zeros((10, 3)))
    with pytest.raises(InputError, match="two samples"):
        mmd2(x, np.zeros((1, 2)))
    with pytest.raises(InputError, match="median distance"):
        mmd2(x, x)
    with pytest.raises(ConfigError, match="n_projections"):
        sliced_wasserstein(x, x, n_projections=0)
    with pytest.raises(ConfigError, match="p must be at least 1"):
        sliced_wasserstein(x, x, p=0.5)
    with pytest.raises(ConfigError, match="bandwidth"):
        mmd2(x, x + 1, bandwidth=0.0)
    with pytest.raises(ConfigError, match="backend"):
        energy_distance(x, x + 1, backend="jax")
    nan = x.copy()
    nan[3, 1] = np.nan
    rng = np.random.default_rng(28)
    y = rng.normal(size=(12, 2))
    with pytest.raises(InputError, match="NaN"):
        energy_distance(nan, y)
    assert energy_distance(nan, y, skipna=True) == pytest.approx(
        energy_distance(np.delete(x, 3, 0), y)
    )
