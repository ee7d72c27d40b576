"""k-medoids, k-means and local bases: peers, brute force and the headline check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from gpu._optional import module_available
from gpu.errors import ConfigError, InputError
from solvers.rom import LocalBases, kmeans, kmedoids, moving_front, pod, projection_error

RNG = np.random.default_rng(11)


def _blobs(n_per: int = 30, k: int = 4, spread: float = 1.0) -> np.ndarray:
    centers = RNG.normal(scale=10.0, size=(k, 3))
    return np.concatenate([c + spread * RNG.normal(size=(n_per, 3)) for c in centers])


def test_kmedoids_reaches_brute_force_optimum() -> None:
    x = RNG.normal(size=(14, 2))
    d = cdist(x, x)
    best = min(d[:, list(m)].min(axis=1).sum() for m in itertools.combinations(range(14), 3))
    result = kmedoids(d, 3, n_init=5, seed=0)
    np.testing.assert_allclose(result.loss, best, rtol=1e-12)
    np.testing.assert_array_equal(result.labels, np.argmin(d[:, result.centers], axis=1))


@pytest.mark.skipif(not module_available("kmedoids"), reason="kmedoids package not installed")
def test_kmedoids_loss_no_worse_than_fasterpam_peer() -> None:
    import kmedoids as peer

    x = _blobs(40, 6, spread=4.0)
    d = cdist(x, x)
    theirs = peer.fasterpam(d, 6, random_state=0, n_cpu=1)
    ours = kmedoids(d, 6, n_init=3, seed=0)
    assert ours.loss <= theirs.loss * (1 + 1e-12)


def test_kmeans_matches_sklearn_inertia() -> None:
    x = _blobs()
    ours = kmeans(x, 4, n_init=3, seed=0)
    theirs = KMeans(4, n_init=3, random_state=0).fit(x)
    np.testing.assert_allclose(ours.loss, theirs.inertia_, rtol=1e-9)


def test_clustering_bad_input() -> None:
    d = cdist(RNG.normal(size=(5, 2)), RNG.normal(size=(5, 2)))
    with pytest.raises(InputError, match="exceed"):
        kmedoids(d, 6)
    with pytest.raises(InputError, match="exceed"):
        kmeans(RNG.normal(size=(5, 2)), 6)
    with pytest.raises(InputError, match="square"):
        kmedoids(d[:, :3], 2)
    with pytest.raises(ConfigError):
        kmedoids(d, 0)


def test_local_bases_bad_input() -> None:
    train = moving_front(30, 50, seed=0)
    with pytest.raises(InputError, match="fewer than n_modes"):
        LocalBases(3, 20).fit(train)
    with pytest.raises(InputError, match="exceed"):
        LocalBases(31, 1).fit(train)
    values = train.values.copy()
    values[4] = 0.0
    with pytest.raises(InputError, match="zero snapshot"):
        LocalBases(2, 2).fit(train.copy(data=values))
    fitted = LocalBases(2, 2).fit(train)
    with pytest.raises(InputError, match="dofs"):
        fitted.assign(moving_front(3, 40, seed=1))
    with pytest.raises(ConfigError, match="not fitted"):
        LocalBases(2, 2).assign(train)


def test_local_bases_assign_project_and_parameters() -> None:
    train = moving_front(120, 100, seed=0)
    fitted = LocalBases(4, 3, n_init=2).fit(train)
    # training snapshots sit nearest to their own medoid
    np.testing.assert_array_equal(fitted.assign(train), fitted.labels_)
    proj = fitted.project(train).values
    own = fitted.bases_[int(fitted.labels_[0])]
    np.testing.assert_allclose(proj[0], own.T @ (own @ train.values[0]), atol=1e-12)
    # the parameter classifier agrees with its leave-one-out rate on fresh points
    test = moving_front(200, 100, seed=5)
    by_params = fitted.assign_parameters(np.column_stack([test.amplitude, test.position]))
    miss = float(np.mean(by_params != fitted.assign(test)))
    assert fitted.misassignment_rate_ is not None
    assert miss < 0.15 and fitted.misassignment_rate_ < 0.15


def _mean_errors(amplitude: tuple[float, float], k: int = 8, n: int = 4) -> tuple[float, ...]:
    train = moving_front(300, 150, amplitude=amplitude, seed=1)
    test = moving_front(150, 150, amplitude=amplitude, seed=2)
    sine = LocalBases(k, n, "sine", n_init=3).fit(train)
    euclid = LocalBases(k, n, "euclidean", n_init=3).fit(train)
    global_error = float(projection_error(test, pod(train, n_modes=n)).mean())
    return (
        float(sine.projection_error(test).mean()),
        float(euclid.projection_error(test).mean()),
        global_error,
    )


def test_sine_clusters_beat_euclidean_when_amplitude_varies() -> None:
    # amplitude over 30x: Euclidean k-means clusters by size, sine by front position
    sine, euclid, global_error = _mean_errors((0.1, 3.0))
    assert euclid >= 5.0 * sine
    assert global_error >= 10.0 * sine
    # amplitude fixed: both clusterings see the same geometry
    sine_fixed, euclid_fixed, _ = _mean_errors((1.0, 1.0))
    assert abs(sine_fixed - euclid_fixed) <= 0.25 * max(sine_fixed, euclid_fixed)
