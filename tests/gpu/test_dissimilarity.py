"""Blocked pairwise dissimilarities and principal angles on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from sklearn.metrics import pairwise_distances

import gpu
from gpu.errors import ConfigError, InputError
from gpu.kernels.dissimilarity import (
    iter_dissimilarity_blocks,
    pairwise_dissimilarity,
    principal_angles,
)

RNG = np.random.default_rng(7)
A = RNG.normal(size=(37, 11))
B = RNG.normal(size=(23, 11))


def _sine_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = 1.0 - pairwise_distances(a, b, metric="cosine")  # scikit-learn as the peer
    return np.sqrt(np.clip(1.0 - cos**2, 0.0, None))


@pytest.mark.parametrize("block_size", [7, 64])
def test_sine_matches_peer_any_block_size(backend: gpu.Backend, block_size: int) -> None:
    d = pairwise_dissimilarity(backend, A, B, kind="sine", block_size=block_size)
    np.testing.assert_allclose(d, _sine_reference(A, B), atol=1e-7)
    sym = pairwise_dissimilarity(backend, A, kind="sine", block_size=block_size)
    np.testing.assert_allclose(sym, _sine_reference(A, A), atol=1e-7)
    np.testing.assert_array_equal(sym, sym.T)
    np.testing.assert_array_equal(np.diag(sym), 0.0)


def test_euclidean_matches_scipy(backend: gpu.Backend) -> None:
    from scipy.spatial.distance import cdist

    d = pairwise_dissimilarity(backend, A, B, kind="euclidean", block_size=8)
    np.testing.assert_allclose(d, cdist(A, B), atol=1e-9)
    sym = pairwise_dissimilarity(backend, A, kind="euclidean", block_size=8)
    np.testing.assert_allclose(sym, cdist(A, A), atol=1e-6)


def test_inner_product_equals_cholesky_transform(backend: gpu.Backend) -> None:
    m = RNG.normal(size=(11, 11))
    w = m @ m.T + 11 * np.eye(11)
    chol = scipy.linalg.cholesky(w)  # <u, v>_W = (R u) . (R v)
    expected = _sine_reference(A @ chol.T, B @ chol.T)
    got = pairwise_dissimilarity(backend, A, B, kind="sine", inner=scipy.sparse.csr_matrix(w))
    np.testing.assert_allclose(got, expected, atol=1e-7)


def test_blocks_stream_upper_triangle_only() -> None:
    be = gpu.get_backend("numpy")
    blocks = list(iter_dissimilarity_blocks(be, A, block_size=10))
    assert [(r.start, c.start, c.stop) for r, c, _ in blocks] == [
        (start, start, 37) for start in range(0, 37, 10)
    ]  # upper triangle only
    assert max(block.shape[0] for _, _, block in blocks) <= 10


def test_bad_input() -> None:
    be = gpu.get_backend("numpy")
    zero = A.copy()
    zero[3] = 0.0
    with pytest.raises(InputError, match="undefined for a zero vector"):
        pairwise_dissimilarity(be, zero, kind="sine")
    pairwise_dissimilarity(be, zero, kind="euclidean")  # fine for distances
    nan = A.copy()
    nan[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        pairwise_dissimilarity(be, nan)
    with pytest.raises(InputError, match="dof count"):
        pairwise_dissimilarity(be, A, B[:, :5])
    with pytest.raises(InputError, match="dof count"):
        pairwise_dissimilarity(be, A, inner=np.eye(5))
    with pytest.raises(ConfigError):
        pairwise_dissimilarity(be, A, kind="cosine")  # type: ignore[arg-type]


def test_principal_angles_match_scipy(backend: gpu.Backend) -> None:
    a, b = RNG.normal(size=(30, 4)), RNG.normal(size=(30, 4))
    got = principal_angles(backend, a, b)
    np.testing.assert_allclose(got, np.sort(scipy.linalg.subspace_angles(a, b)), atol=1e-10)


def test_principal_angles_extremes(backend: gpu.Backend) -> None:
    q, _ = np.linalg.qr(RNG.normal(size=(20, 6)))
    a, b = q[:, :3], q[:, 3:]
    np.testing.assert_allclose(principal_angles(backend, a, b), np.pi / 2, atol=1e-12)
    mixed = a @ RNG.normal(size=(3, 3))
    np.testing.assert_allclose(principal_angles(backend, a, mixed), 0.0, atol=1e-7)
    with pytest.raises(InputError, match="rank deficient"):
        principal_angles(backend, a, np.column_stack([a[:, 0], a[:, 0], a[:, 1]]))


def _mp_sine(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The sine of the stored float values in 50-digit arithmetic (mpmath)."""
    import mpmath

    mpmath.mp.dps = 50
    rows = [[mpmath.mpf(float(v)) for v in row] for row in x]
    wm = [[mpmath.mpf(float(v)) for v in row] for row in w]
    wx = [
        [mpmath.fsum(wm[i][k] * r[k] for k in range(len(r))) for i in range(len(r))] for r in rows
    ]
    gram = [[mpmath.fsum(p * q for p, q in zip(r, s, strict=True)) for s in wx] for r in rows]
    out = np.empty((len(rows), len(rows)))
    for i in range(len(rows)):
        for j in range(len(rows)):
            c2 = gram[i][j] ** 2 / (gram[i][i] * gram[j][j])
            out[i, j] = float(mpmath.sqrt(max(1 - c2, mpmath.mpf(0))))
    return out


def _near_parallel(dtype: type) -> np.ndarray:
    u = RNG.normal(size=12)
    rows = [u]
    for k, gap in enumerate((1e-2, 1e-4, 1e-6, 1e-9, 1e-12)):  # angle about `gap`
        rows.append((-1.0) ** k * 10.0**k * (u + gap * RNG.normal(size=12)))
    rows += list(RNG.normal(size=(2, 12)))
    return np.array(rows).astype(dtype)


@pytest.mark.parametrize("weighted", [False, True])
def test_near_parallel_pairs_keep_relative_accuracy(backend: gpu.Backend, weighted: bool) -> None:
    x = _near_parallel(np.float64)
    m = RNG.normal(size=(12, 12))
    w = m @ m.T + 12 * np.eye(12) if weighted else np.eye(12)
    exact = _mp_sine(x, w)
    inner = scipy.sparse.csr_matrix(w) if weighted else None
    got = pairwise_dissimilarity(backend, x, kind="sine", inner=inner, block_size=3)
    # absolute error of a few eps, where sqrt(1 - c^2) has about eps / delta
    np.testing.assert_allclose(got, exact, rtol=1e-7, atol=1e-15)
    across = pairwise_dissimilarity(backend, x[:4], x, kind="sine", inner=inner)
    np.testing.assert_allclose(across[:, 1:], exact[:4, 1:], rtol=1e-7, atol=1e-15)
    if not weighted:  # sqrt(1 - c^2) alone, scikit-learn's way, loses these digits
        naive = _sine_reference(x, x)
        assert np.max(np.abs(naive[0, 4:6] / exact[0, 4:6] - 1.0)) > 0.1


def test_float32_input_computes_in_float32() -> None:
    be = gpu.get_backend("numpy")
    x = _near_parallel(np.float32)[:3]  # gaps 1e-2 and 1e-4: resolvable in float32
    exact = _mp_sine(x, np.eye(12))
    got = pairwise_dissimilarity(be, x, kind="sine", dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, exact, rtol=1e-3, atol=1e-6)  # naive: 1e-3 at 1e-4
    np.testing.assert_allclose(
        pairwise_dissimilarity(be, A.astype(np.float32), B.astype(np.float32), dtype=np.float32),
        _sine_reference(A, B),
        atol=1e-5,
    )


def test_many_parallel_copies_stay_near_zero(backend: gpu.Backend) -> None:
    # more near-parallel partners per row than are refined: sqrt(1 - c^2) is kept
    u = RNG.normal(size=30)
    x = np.outer(np.linspace(-3.0, 3.0, 40) + 0.05, u)
    got = pairwise_dissimilarity(backend, x, kind="sine", block_size=16)
    assert np.max(got) <= 1e-7
    np.testing.assert_array_equal(got, got.T)
