"""Local reduced bases: cluster the snapshots, one POD basis per cluster.

``dissimilarity="sine"`` clusters with k-medoids on the sine dissimilarity
(the projection error onto a line, blind to scale and sign), and a new
snapshot goes to the medoid with the smallest sine; ``"euclidean"`` is the
classical baseline, Euclidean k-means with nearest-centroid assignment.
A new parameter point is assigned without its snapshot by a k-nearest-
neighbour vote in standardized parameter space (leave-one-out
misassignment rate) or, optionally, by a small torch MLP as in ROM-net
(k-fold cross-validated rate); the rate is kept as ``misassignment_rate_``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu import get_backend
from gpu.errors import ConfigError, InputError
from gpu.kernels.dissimilarity import pairwise_dissimilarity
from solvers.rom._snapshots import as_matrix, parameters_of
from solvers.rom.classifier import MLPClassifier, knn_vote
from solvers.rom.clustering import kmeans, kmedoids

__all__ = ["LocalBases"]


class LocalBases:
    """Cluster a snapshot set and build one POD basis of ``n_modes`` per cluster.

    Parameters
    ----------
    k : int
        Number of clusters.
    n_modes : int
        Modes per local basis (the online dimension ``N``).
    dissimilarity : {"sine", "euclidean"}
        ``sine``: k-medoids on the sine dissimilarity; ``euclidean``:
        k-means on the raw snapshots.
    n_init : int
        Clustering restarts.
    n_neighbors : int
        Neighbours of the k-NN parameter classifier.
    classifier : {"knn", "mlp"} or MLPClassifier
        How parameters are assigned to clusters: the k-NN vote, or a torch
        MLP (``"mlp"``: :class:`~solvers.rom.classifier.MLPClassifier` with
        its defaults; pass an instance to configure it).
    inner : array_like or sparse matrix, optional
        Inner product of the sine dissimilarity (e.g. a mass matrix).
    backend : str
        Array backend of the dissimilarity matrix.
    seed : int
        Seed of the clustering.

    Attributes
    ----------
    labels_ : numpy.ndarray of int
        Cluster of each training snapshot.
    centers_ : numpy.ndarray, shape (k, n_dofs)
        Medoid snapshots (sine) or centroids (euclidean).
    bases_ : list of numpy.ndarray, each (n_modes, n_dofs)
        Orthonormal local bases, modes as rows.
    singular_values_ : list of numpy.ndarray
        Each cluster's full singular-value spectrum (its n-width decay).
    parameters_ : numpy.ndarray or None
        Training parameters (the numeric coordinates along ``snapshot``).
    misassignment_rate_ : float or None
        Cross-validated rate at which the parameter classifier picks another
        cluster than the clustering did (leave-one-out for k-NN, k-fold for
        the MLP; None without parameters).
    classifier_ : MLPClassifier or None
        The fitted network (``classifier="mlp"`` with parameters only).
    """

    def __init__(
        self,
        k: int,
        n_modes: int,
        dissimilarity: Literal["sine", "euclidean"] = "sine",
        *,
        n_init: int = 5,
        n_neighbors: int = 5,
        classifier: Literal["knn", "mlp"] | MLPClassifier = "knn",
        inner: Any = None,
        backend: str | None = "numpy",
        seed: int = 0,
    ) -> None:
        self.k = k
        self.n_modes = n_modes
        self.dissimilarity = dissimilarity
        self.n_init = n_init
        self.n_neighbors = n_neighbors
        self.classifier = classifier
        self.inner = inner
        self.backend = backend
        self.seed = seed

    def fit(self, snapshots: Any) -> LocalBases:
        """Cluster ``snapshots`` and build the local bases.

        Parameters
        ----------
        snapshots : xarray.DataArray or array_like
            Training set; parameters are read from its numeric coordinates
            along ``snapshot``.

        Returns
        -------
        LocalBases
            ``self``.

        Raises
        ------
        ConfigError
            Unknown dissimilarity or classifier, or non-positive
            ``n_modes``/``n_neighbors``.
        InputError
            NaN or (sine) zero snapshots, ``k`` above the number of
            snapshots, or ``n_modes`` above a cluster's size.
        """
        if self.dissimilarity not in ("sine", "euclidean"):
            raise ConfigError(
                f"dissimilarity must be 'sine' or 'euclidean', got {self.dissimilarity!r}"
            )
        if not (self.classifier in ("knn", "mlp") or isinstance(self.classifier, MLPClassifier)):
            raise ConfigError(
                f"classifier must be 'knn', 'mlp' or an MLPClassifier, got {self.classifier!r}"
            )
        if self.n_modes < 1 or self.n_neighbors < 1:
            raise ConfigError("n_modes and n_neighbors must be at least 1")
        mat = as_matrix(snapshots, allow_zero=False)
        x = mat.values
        self.n_dofs_ = mat.n_dofs
        if self.dissimilarity == "sine":
            d = pairwise_dissimilarity(get_backend(self.backend), x, kind="sine", inner=self.inner)
            result = kmedoids(d, self.k, n_init=self.n_init, seed=self.seed)
            self.centers_ = x[result.centers]
        else:
            result = kmeans(x, self.k, n_init=self.n_init, seed=self.seed)
            self.centers_ = result.centers
        self.labels_ = result.labels
        self.bases_: list[np.ndarray] = []
        self.singular_values_: list[np.ndarray] = []
        for j in range(self.k):
            members = x[self.labels_ == j]
            if self.n_modes > min(members.shape):
                raise InputError(
                    f"cluster {j} holds {members.shape[0]} snapshot(s), fewer than "
                    f"n_modes={self.n_modes}: lower n_modes or k, or add snapshots"
                )
            _, s, vt = np.linalg.svd(members, full_matrices=False)
            self.bases_.append(vt[: self.n_modes])
            self.singular_values_.append(s)
        self.parameters_ = parameters_of(snapshots)
        self.misassignment_rate_: float | None = None
        self.classifier_: MLPClassifier | None = None
        if self.parameters_ is None:
            return self
        if self.classifier == "knn":
            self._scale = self.parameters_.std(axis=0)
            self._scale[self._scale == 0] = 1.0
            scaled = self.parameters_ / self._scale
            dist = np.linalg.norm(scaled[:, None, :] - scaled[None, :, :], axis=-1)
            np.fill_diagonal(dist, np.inf)
            n_vote = min(self.n_neighbors, max(len(x) - 1, 1))
            loo = knn_vote(dist, self.labels_, n_vote)
            self.misassignment_rate_ = float(np.mean(loo != self.labels_))
        else:
            net = MLPClassifier() if self.classifier == "mlp" else self.classifier
            self.misassignment_rate_ = net.cross_validated_misassignment(
                self.parameters_, self.labels_
            )
            self.classifier_ = net.fit(self.parameters_, self.labels_)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "bases_"):
            raise ConfigError("this LocalBases is not fitted yet: call fit(snapshots) first")

    def _matrix(self, snapshots: Any) -> np.ndarray:
        self._check_fitted()
        mat = as_matrix(snapshots, allow_zero=False)
        if mat.n_dofs != self.n_dofs_:
            raise InputError(
                f"snapshots have {mat.n_dofs} dofs but the bases were fitted on {self.n_dofs_}"
            )
        return mat.values

    def assign(self, snapshots: Any) -> np.ndarray:
        """Cluster of each snapshot: nearest medoid (sine) or centroid (euclidean).

        Returns
        -------
        numpy.ndarray of int, shape (n_snapshots,)
        """
        x = self._matrix(snapshots)
        sine = self.dissimilarity == "sine"
        d = pairwise_dissimilarity(
            get_backend(self.backend),
            x,
            self.centers_,
            kind="sine" if sine else "euclidean",
            inner=self.inner if sine else None,
        )
        return np.argmin(d, axis=1)

    def assign_parameters(self, parameters: Any) -> np.ndarray:
        """Cluster of each parameter point, by the k-NN vote or the MLP.

        Parameters
        ----------
        parameters : array_like, shape (n, n_parameters)
            In the order of the sorted coordinate names of the training set.

        Returns
        -------
        numpy.ndarray of int, shape (n,)

        Raises
        ------
        InputError
            The training snapshots had no parameters, or the widths differ.
        """
        self._check_fitted()
        if self.parameters_ is None:
            raise InputError(
                "the training snapshots carried no parameters: give them numeric "
                "coordinates along 'snapshot'"
            )
        p = np.atleast_2d(np.asarray(parameters, dtype=float))
        if p.shape[1] != self.parameters_.shape[1] or not np.all(np.isfinite(p)):
            raise InputError(
                f"parameters must be finite with {self.parameters_.shape[1]} column(s), "
                f"got shape {p.shape}"
            )
        if self.classifier_ is not None:
            return self.classifier_.predict(p)
        dist = np.linalg.norm((p[:, None, :] - self.parameters_[None, :, :]) / self._scale, axis=-1)
        return knn_vote(dist, self.labels_, min(self.n_neighbors, len(self.labels_)))

    def project(self, snapshots: Any, labels: Any = None) -> xr.DataArray:
        """Orthogonal projection of each snapshot onto its cluster's basis.

        Parameters
        ----------
        snapshots : xarray.DataArray or array_like
            Snapshots of the training discretization.
        labels : array_like of int, optional
            Clusters to use (default :meth:`assign`).

        Returns
        -------
        xarray.DataArray
            The projections, shaped like the snapshots.
        """
        x = self._matrix(snapshots)
        chosen = self.assign(snapshots) if labels is None else np.asarray(labels, dtype=int)
        if chosen.shape != (x.shape[0],) or chosen.min() < 0 or chosen.max() >= self.k:
            raise InputError(f"labels must hold one cluster in [0, {self.k}) per snapshot")
        out = np.empty_like(x)
        for j in range(self.k):
            rows = chosen == j
            out[rows] = (x[rows] @ self.bases_[j].T) @ self.bases_[j]
        if isinstance(snapshots, xr.DataArray):
            da = snapshots.transpose("snapshot", ...)
            return da.copy(data=out.reshape(da.shape))
        return xr.DataArray(out, dims=("snapshot", "node"))

    def projection_error(self, snapshots: Any, labels: Any = None) -> xr.DataArray:
        """Relative projection error of each snapshot onto its local basis.

        Returns
        -------
        xarray.DataArray
            Dim ``snapshot``.
        """
        x = self._matrix(snapshots)
        proj = self.project(snapshots, labels).transpose("snapshot", ...).values
        err = np.linalg.norm(x - proj.reshape(x.shape), axis=1) / np.linalg.norm(x, axis=1)
        return xr.DataArray(
            err,
            dims="snapshot",
            name="projection_error",
            attrs={"units": "1", "long_name": "relative projection error onto the local basis"},
        )
