"""The a priori efficiency criterion of local reduced bases.

From the training snapshots alone, before any ROM is built, for every number
of clusters ``K`` and online dimension ``N``:

    E_loc(K, N) = (1 - p_K) * mean_o e(o, c(o), N) + p_K * mean_o e(o, c2(o), N)
    E_glob(N)   = mean_o e(o, global, N)

where ``e(o, c, N)`` is the relative projection error of training snapshot
``o`` onto the first ``N`` POD modes of cluster ``c``, ``c(o)`` its own
cluster, ``c2(o)`` the cluster of its second-nearest medoid (where a
misassigned snapshot most likely lands), and ``p_K`` the parameter
classifier's (k-NN or MLP) cross-validated misassignment rate.
``K = 1`` is the global basis. The per-cluster n-width decay is
``sqrt(sum_{i>N} s_{c,i}^2 / sum_i s_{c,i}^2)``.
Every ``(K, N)`` has the same online cost for a given ``N``, so the cheapest
pair meeting a target error is the smallest ``N``, then the smallest ``K``;
local bases are worth it when that ``N`` is below the global one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu import get_backend
from gpu.errors import ConfigError
from gpu.kernels.dissimilarity import pairwise_dissimilarity
from solvers.contract import with_provenance
from solvers.rom._snapshots import as_matrix
from solvers.rom.classifier import MLPClassifier
from solvers.rom.local import LocalBases

__all__ = ["efficiency_criterion"]


def _errors_by_n(x: np.ndarray, basis: np.ndarray, n_max: int) -> np.ndarray:
    """Relative error of each row of ``x`` onto the first 1..n_max rows of ``basis``."""
    coef2 = (x @ basis[:n_max].T) ** 2
    norm2 = np.einsum("ij,ij->i", x, x)
    captured = np.cumsum(coef2, axis=1)
    if captured.shape[1] < n_max:  # a basis shorter than n_max stays exact beyond its size
        pad = np.repeat(captured[:, -1:], n_max - captured.shape[1], axis=1)
        captured = np.concatenate([captured, pad], axis=1)
    return np.sqrt(np.clip(1.0 - captured / norm2[:, None], 0.0, None))


def efficiency_criterion(
    snapshots: Any,
    k_values: Sequence[int] = (1, 2, 4, 8),
    n_max: int = 10,
    target: float | None = None,
    *,
    dissimilarity: Literal["sine", "euclidean"] = "sine",
    n_init: int = 3,
    n_neighbors: int = 5,
    classifier: Literal["knn", "mlp"] | MLPClassifier = "knn",
    backend: str | None = "numpy",
    seed: int = 0,
) -> xr.Dataset:
    """Expected error of local bases versus a global one, from training snapshots.

    Parameters
    ----------
    snapshots : xarray.DataArray or array_like
        Training set; with parameters (numeric coordinates along
        ``snapshot``) the k-NN misassignment rate enters, else ``p_K = 0``
        (assignment a posteriori, by nearest medoid).
    k_values : sequence of int
        Numbers of clusters to try (1 = global basis).
    n_max : int
        Largest online dimension ``N`` to try.
    target : float, optional
        Target mean relative error for the recommendation.
    dissimilarity : {"sine", "euclidean"}
        Clustering of :class:`LocalBases`.
    classifier : {"knn", "mlp"} or MLPClassifier
        Parameter classifier whose cross-validated misassignment rate is
        ``p_K`` (see :class:`LocalBases`).
    n_init, n_neighbors, backend, seed
        Passed to :class:`LocalBases`.

    Returns
    -------
    xarray.Dataset
        Over dims ``n_clusters`` and ``n_modes``: ``local_error`` (NaN where
        ``N`` exceeds the smallest cluster), ``global_error`` (over
        ``n_modes``), ``misassignment_rate`` (over ``n_clusters``) and
        ``nwidth`` (``n_clusters``, ``cluster``, ``n_modes``: each cluster's
        Frobenius residual). With ``target``, attrs ``recommended_k``,
        ``recommended_n``, ``global_n`` (-1 where unreachable) and
        ``worth_it`` (1 or 0).

    Raises
    ------
    ConfigError
        Empty or invalid ``k_values``, ``n_max < 1``, ``target`` not in (0, 1).
    InputError
        Bad snapshots or a ``K`` above their number.
    """
    ks = sorted({int(k) for k in k_values})
    if not ks or ks[0] < 1 or n_max < 1:
        raise ConfigError("k_values must hold integers >= 1 and n_max must be >= 1")
    if target is not None and not 0.0 < target < 1.0:
        raise ConfigError(f"target must be in (0, 1), got {target}")
    x = as_matrix(snapshots, allow_zero=False).values
    n_max = min(n_max, min(x.shape))
    n_axis = np.arange(1, n_max + 1)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    global_error = _errors_by_n(x, vt, n_max).mean(axis=0)
    local = np.full((len(ks), n_max), np.nan)
    rates = np.zeros(len(ks))
    nwidth = np.full((len(ks), ks[-1], n_max), np.nan)
    for row, k in enumerate(ks):
        if k == 1:
            local[row], nwidth[row, 0] = global_error, _frobenius(np.linalg.svd(x)[1], n_max)
            continue
        fitted = LocalBases(
            k,
            1,
            dissimilarity,
            n_init=n_init,
            n_neighbors=n_neighbors,
            classifier=classifier,
            backend=backend,
            seed=seed,
        ).fit(snapshots)
        rates[row] = fitted.misassignment_rate_ or 0.0
        labels = fitted.labels_
        to_centers = pairwise_dissimilarity(
            get_backend(backend),
            x,
            fitted.centers_,
            kind="sine" if dissimilarity == "sine" else "euclidean",
        )
        second = np.argsort(to_centers, axis=1)[:, 1]
        own = np.empty((len(x), n_max))
        other = np.empty((len(x), n_max))
        full_bases = []
        for j in range(k):
            members = x[labels == j]
            _, s, basis = np.linalg.svd(members, full_matrices=False)
            full_bases.append(basis)
            nwidth[row, j] = _frobenius(s, n_max)
            own[labels == j] = _errors_by_n(members, basis, n_max)
        for j in range(k):
            rows = second == j
            if rows.any():
                other[rows] = _errors_by_n(x[rows], full_bases[j], n_max)
        estimate = (1.0 - rates[row]) * own.mean(axis=0) + rates[row] * other.mean(axis=0)
        smallest = min(int(np.sum(labels == j)) for j in range(k))
        local[row] = np.where(n_axis <= smallest, estimate, np.nan)
    ds = xr.Dataset(
        {
            "local_error": (
                ("n_clusters", "n_modes"),
                local,
                {"units": "1", "long_name": "expected mean relative error, local bases"},
            ),
            "global_error": (
                "n_modes",
                global_error,
                {"units": "1", "long_name": "mean relative error, global POD basis"},
            ),
            "misassignment_rate": (
                "n_clusters",
                rates,
                {"units": "1", "long_name": "cross-validated misassignment rate"},
            ),
            "nwidth": (
                ("n_clusters", "cluster", "n_modes"),
                nwidth,
                {"units": "1", "long_name": "per-cluster relative Frobenius POD residual"},
            ),
        },
        coords={"n_clusters": ks, "n_modes": n_axis, "cluster": np.arange(ks[-1])},
    )
    if target is not None:
        ds.attrs.update(_recommend(local, global_error, ks, n_axis, target))
    config = {
        "k_values": ks,
        "n_max": n_max,
        "target": target,
        "dissimilarity": dissimilarity,
        "classifier": classifier if isinstance(classifier, str) else "mlp",
    }
    return with_provenance(ds, backend=str(backend), seed=seed, config=config)


def _frobenius(s: np.ndarray, n_max: int) -> np.ndarray:
    energy = s**2
    tail = np.clip(energy.sum() - np.cumsum(energy), 0.0, None) / energy.sum()
    out = np.zeros(n_max)
    out[: min(n_max, len(s))] = np.sqrt(tail[:n_max])
    return out


def _recommend(
    local: np.ndarray, global_error: np.ndarray, ks: list[int], n_axis: np.ndarray, target: float
) -> dict[str, int | float]:
    meets = np.nan_to_num(local, nan=np.inf) <= target
    global_ok = np.flatnonzero(global_error <= target)
    global_n = int(n_axis[global_ok[0]]) if global_ok.size else -1
    if not meets.any():
        return {
            "target": target,
            "recommended_k": -1,
            "recommended_n": -1,
            "global_n": global_n,
            "worth_it": 0,
        }
    col = int(np.flatnonzero(meets.any(axis=0))[0])
    row = int(np.flatnonzero(meets[:, col])[0])
    best_k, best_n = ks[row], int(n_axis[col])
    worth = best_k > 1 and (global_n == -1 or best_n < global_n)
    return {
        "target": target,
        "recommended_k": best_k,
        "recommended_n": best_n,
        "global_n": global_n,
        "worth_it": int(worth),
    }
