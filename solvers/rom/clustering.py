"""k-medoids on any dissimilarity matrix, and Euclidean k-means as the baseline.

k-medoids minimizes ``TD = sum_o min_m D[o, m]`` over sets of ``k`` medoids
with the FasterPAM swap search (Schubert & Rousseeuw, 2021). With ``n(o)``,
``dn(o)`` and ``ds(o)`` the nearest medoid of point ``o`` and its
dissimilarities to the nearest and second-nearest medoids, one pass over the
points gives the change of the loss for swapping a candidate ``c`` with
*every* medoid ``m`` at once:

    dTD(m, c) = sum_{o: n(o) = m} (ds(o) - dn(o))                  (removal loss)
              + sum_{o: D(o,c) < dn(o)} (D(o,c) - dn(o))           (points won by c)
              + sum_{o: n(o) = m, D(o,c) < dn(o)} (dn(o) - ds(o))  (no double count)
              + sum_{o: n(o) = m, dn(o) <= D(o,c) < ds(o)} (D(o,c) - ds(o)),

and the best improving swap is taken at once (eager swapping) until a full
cycle over the candidates brings none. Seeds come from k-medoids++ (points
drawn with probability proportional to their dissimilarity to the nearest
seed; k-means++ uses the squared distance). The swap loop is compiled with
numba.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from gpu.errors import ConfigError, InputError

__all__ = ["ClusteringResult", "kmeans", "kmedoids"]


@dataclass(frozen=True)
class ClusteringResult:
    """Outcome of :func:`kmedoids` or :func:`kmeans`.

    Attributes
    ----------
    labels : numpy.ndarray of int, shape (n,)
        Cluster of each point.
    centers : numpy.ndarray
        ``kmedoids``: indices of the medoids, shape (k,); ``kmeans``: the
        centroids, shape (k, n_features).
    loss : float
        ``kmedoids``: sum of dissimilarities to the nearest medoid;
        ``kmeans``: sum of squared distances to the nearest centroid.
    n_swaps : int
        Swaps (k-medoids) or Lloyd iterations (k-means) of the best restart.
    """

    labels: np.ndarray
    centers: np.ndarray
    loss: float
    n_swaps: int


@numba.njit(cache=False)
def _nearest_two(d: np.ndarray, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, k = d.shape[0], medoids.shape[0]
    nearest = np.empty(n, dtype=np.int64)
    dn = np.empty(n)
    ds = np.empty(n)
    for o in range(n):
        best, second, arg = np.inf, np.inf, 0
        for j in range(k):
            v = d[o, medoids[j]]
            if v < best:
                second, best, arg = best, v, j
            elif v < second:
                second = v
        nearest[o], dn[o], ds[o] = arg, best, second
    return nearest, dn, ds


@numba.njit(cache=False)
def _fasterpam(d: np.ndarray, medoids: np.ndarray, max_passes: int) -> tuple[np.ndarray, int]:
    n, k = d.shape[0], medoids.shape[0]
    nearest, dn, ds = _nearest_two(d, medoids)
    is_medoid = np.zeros(n, dtype=np.bool_)
    for j in range(k):
        is_medoid[medoids[j]] = True
    removal = np.zeros(k)
    for o in range(n):
        removal[nearest[o]] += ds[o] - dn[o]
    delta = np.empty(k)
    swaps = 0
    last_swap = -1
    for _ in range(max_passes):
        for c in range(n):
            if c == last_swap:
                return medoids, swaps
            if is_medoid[c]:
                continue
            for j in range(k):
                delta[j] = removal[j]
            acc = 0.0
            for o in range(n):
                doc = d[o, c]
                if doc < dn[o]:
                    acc += doc - dn[o]
                    delta[nearest[o]] += dn[o] - ds[o]
                elif doc < ds[o]:
                    delta[nearest[o]] += doc - ds[o]
            best = 0
            for j in range(1, k):
                if delta[j] < delta[best]:
                    best = j
            if delta[best] + acc < -1e-12 * (1.0 + abs(acc)):
                is_medoid[medoids[best]] = False
                is_medoid[c] = True
                medoids[best] = c
                swaps += 1
                last_swap = c
                nearest, dn, ds = _nearest_two(d, medoids)
                removal[:] = 0.0
                for o in range(n):
                    removal[nearest[o]] += ds[o] - dn[o]
        if last_swap == -1:
            return medoids, swaps
    return medoids, swaps


def _plusplus(d: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = d.shape[0]
    chosen = [int(rng.integers(n))]
    closest = d[chosen[0]].copy()
    for _ in range(1, k):
        weights = closest.copy()
        weights[chosen] = 0.0
        total = weights.sum()
        pick = (
            int(rng.choice(n, p=weights / total))
            if total > 0
            else int(rng.choice(np.setdiff1d(np.arange(n), chosen)))
        )
        chosen.append(pick)
        closest = np.minimum(closest, d[pick])
    return np.array(chosen, dtype=np.int64)


def _check_k(k: int, n: int) -> None:
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    if k > n:
        raise InputError(f"k={k} clusters exceed the {n} points to cluster: lower k")


def kmedoids(
    D: Any,
    k: int,
    *,
    n_init: int = 5,
    max_passes: int = 100,
    seed: int = 0,
    init: Any = None,
) -> ClusteringResult:
    """k-medoids clustering of a precomputed dissimilarity matrix (FasterPAM).

    Parameters
    ----------
    D : array_like, shape (n, n)
        Dissimilarities: non-negative, symmetric, zero diagonal.
    k : int
        Number of clusters (``1 <= k <= n``).
    n_init : int
        Restarts from independent k-medoids++ seeds; the lowest loss wins.
    max_passes : int
        Upper bound on passes over the candidates per restart.
    seed : int
        Seed of the k-medoids++ draws (restart ``r`` uses
        ``SeedSequence(seed).spawn(n_init)[r]``).
    init : array_like of int, optional
        Initial medoid indices (then ``n_init`` is ignored).

    Returns
    -------
    ClusteringResult
        ``centers`` holds the medoid indices.

    Raises
    ------
    InputError
        ``D`` not square, not finite, negative, or ``k`` larger than ``n``.
    ConfigError
        ``k``, ``n_init`` or ``max_passes`` below 1.
    """
    d = np.ascontiguousarray(D, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise InputError(f"D must be a square matrix, got shape {d.shape}")
    if not np.all(np.isfinite(d)) or d.min() < 0:
        raise InputError("D must be finite and non-negative")
    n = d.shape[0]
    _check_k(k, n)
    if n_init < 1 or max_passes < 1:
        raise ConfigError(f"n_init and max_passes must be at least 1, got {n_init}, {max_passes}")
    if init is not None:
        starts = [np.asarray(init, dtype=np.int64)]
        if starts[0].shape != (k,) or len(set(starts[0].tolist())) != k:
            raise InputError(f"init must hold {k} distinct medoid indices")
    else:
        children = np.random.SeedSequence(seed).spawn(n_init)
        starts = [_plusplus(d, k, np.random.default_rng(child)) for child in children]
    results = []
    for start in starts:
        medoids, swaps = _fasterpam(d, start.copy(), max_passes)
        labels = np.argmin(d[:, medoids], axis=1)
        loss = float(d[np.arange(n), medoids[labels]].sum())
        results.append(ClusteringResult(labels, medoids.copy(), loss, int(swaps)))
    return min(results, key=lambda r: r.loss)


def kmeans(
    X: Any, k: int, *, n_init: int = 5, max_iter: int = 300, seed: int = 0
) -> ClusteringResult:
    """Euclidean k-means (Lloyd's iterations from k-means++ seeds).

    Parameters
    ----------
    X : array_like, shape (n, n_features)
        Points, one per row.
    k : int
        Number of clusters.
    n_init : int
        Restarts; the lowest inertia wins.
    max_iter : int
        Lloyd iterations per restart at most.
    seed : int
        Seed of the k-means++ draws.

    Returns
    -------
    ClusteringResult
        ``centers`` holds the centroids.

    Raises
    ------
    InputError
        ``X`` not 2-D or not finite, or ``k`` larger than the number of points.
    """
    x = np.asarray(X, dtype=float)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise InputError(f"X must be a finite 2-D array, got shape {x.shape}")
    n = x.shape[0]
    _check_k(k, n)
    sq = np.einsum("ij,ij->i", x, x)
    results = []
    for child in np.random.SeedSequence(seed).spawn(n_init):
        centers, labels, iterations = _lloyd(x, sq, k, max_iter, np.random.default_rng(child))
        loss = float(np.sum((x - centers[labels]) ** 2))
        results.append(ClusteringResult(labels, centers, loss, iterations))
    return min(results, key=lambda r: r.loss)


def _squared_to(x: np.ndarray, sq: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d2 = sq[:, None] + np.einsum("ij,ij->i", centers, centers)[None, :] - 2.0 * x @ centers.T
    return np.clip(d2, 0.0, None)


def _lloyd(
    x: np.ndarray, sq: np.ndarray, k: int, max_iter: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, int]:
    n = x.shape[0]
    chosen = [int(rng.integers(n))]
    closest = _squared_to(x, sq, x[chosen])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        pick = int(rng.choice(n, p=closest / total)) if total > 0 else int(rng.integers(n))
        chosen.append(pick)
        closest = np.minimum(closest, _squared_to(x, sq, x[[pick]])[:, 0])
    centers = x[chosen].copy()
    labels = np.full(n, -1)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        d2 = _squared_to(x, sq, centers)
        new = np.argmin(d2, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = labels == j
            if members.any():
                centers[j] = x[members].mean(axis=0)
            else:  # an emptied cluster restarts at the point worst served
                centers[j] = x[int(np.argmax(d2[np.arange(n), labels]))]
    return centers, labels, iterations
