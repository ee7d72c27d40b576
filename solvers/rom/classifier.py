"""Classifiers that assign a parameter point to a cluster, without its snapshot.

The default is a k-nearest-neighbour vote in standardized parameter space
(:func:`knn_vote`, leave-one-out misassignment rate); :class:`MLPClassifier`
is the small fully connected network of ROM-net (Daniel et al., 2020),
trained with cross-entropy in torch (the ``torch`` extra, imported only when
it is fitted), whose misassignment rate is estimated by k-fold
cross-validation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpu._optional import require
from gpu.errors import ConfigError, InputError

__all__ = ["MLPClassifier", "knn_vote"]


def knn_vote(distances: np.ndarray, labels: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Majority label among the ``n_neighbors`` nearest columns of each row.

    Ties go to the label of the nearest neighbour among the tied ones.

    Parameters
    ----------
    distances : numpy.ndarray, shape (n_queries, n_train)
        Distances from each query to each training point.
    labels : numpy.ndarray of int, shape (n_train,)
        Training labels.
    n_neighbors : int
        Neighbours that vote.

    Returns
    -------
    numpy.ndarray of int, shape (n_queries,)
    """
    order = np.argsort(distances, axis=1, kind="stable")[:, :n_neighbors]
    votes = labels[order]
    n_labels = int(labels.max()) + 1
    counts = np.zeros((votes.shape[0], n_labels), dtype=int)
    np.add.at(counts, (np.arange(votes.shape[0])[:, None], votes), 1)
    winners = counts == counts.max(axis=1, keepdims=True)
    out = np.empty(votes.shape[0], dtype=int)
    for i, row in enumerate(votes):
        out[i] = next(label for label in row if winners[i, label])
    return out


class MLPClassifier:
    """A small fully connected network from parameters to cluster labels (torch).

    Inputs are standardized with the training mean and deviation; hidden
    layers use ``tanh``; training is full-batch Adam on the cross-entropy,
    from weights drawn under ``seed`` (torch's global generator is left as
    it was), on one torch thread (a network this small only loses time to
    thread synchronization; the thread count is restored afterwards).

    Parameters
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    epochs : int
        Full-batch training steps.
    learning_rate : float
        Adam step size.
    n_folds : int
        Folds of :meth:`cross_validated_misassignment`.
    seed : int
        Seed of the weights and of the fold split.

    Attributes
    ----------
    n_classes_ : int
        Number of clusters seen in training.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (32, 32),
        epochs: int = 400,
        learning_rate: float = 1e-2,
        n_folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.n_folds = n_folds
        self.seed = seed

    def _checked(self, parameters: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
        if self.epochs < 1 or self.learning_rate <= 0 or not all(h >= 1 for h in self.hidden):
            raise ConfigError("epochs, learning_rate and the hidden widths must be positive")
        p = np.atleast_2d(np.asarray(parameters, dtype=float))
        y = np.asarray(labels, dtype=np.int64)
        if p.ndim != 2 or y.shape != (p.shape[0],) or not np.all(np.isfinite(p)):
            raise InputError(
                f"parameters must be finite (n, n_parameters) with one label each, got shapes "
                f"{p.shape} and {y.shape}"
            )
        if y.min() < 0:
            raise InputError("labels must be non-negative cluster indices")
        return p, y

    def fit(self, parameters: Any, labels: Any) -> MLPClassifier:
        """Train on parameter points and their cluster labels.

        Parameters
        ----------
        parameters : array_like, shape (n, n_parameters)
            Training parameter points.
        labels : array_like of int, shape (n,)
            Their clusters.

        Returns
        -------
        MLPClassifier
            ``self``.

        Raises
        ------
        ConfigError
            Non-positive ``epochs``, ``learning_rate`` or widths.
        InputError
            Shapes that do not match, or non-finite parameters.
        MissingExtra
            torch is not installed (``pip install 'sciml[torch]'``).
        """
        p, y = self._checked(parameters, labels)
        torch = require("torch", "the MLP cluster classifier")
        self._mean = p.mean(axis=0)
        self._scale = np.where(p.std(axis=0) > 0, p.std(axis=0), 1.0)
        self.n_classes_ = int(y.max()) + 1
        x = torch.as_tensor((p - self._mean) / self._scale, dtype=torch.float32)
        target = torch.as_tensor(y)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(np.random.SeedSequence(self.seed).generate_state(1)[0]))
            layers: list[Any] = []
            width = p.shape[1]
            for h in self.hidden:
                layers += [torch.nn.Linear(width, h), torch.nn.Tanh()]
                width = h
            layers.append(torch.nn.Linear(width, self.n_classes_))
            self._net = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(self._net.parameters(), lr=self.learning_rate)
        loss_fn = torch.nn.CrossEntropyLoss()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for _ in range(self.epochs):
                opt.zero_grad()
                loss_fn(self._net(x), target).backward()
                opt.step()
        finally:
            torch.set_num_threads(threads)
        return self

    def predict(self, parameters: Any) -> np.ndarray:
        """Cluster of each parameter point (the most probable class).

        Parameters
        ----------
        parameters : array_like, shape (n, n_parameters)

        Returns
        -------
        numpy.ndarray of int, shape (n,)
        """
        if not hasattr(self, "_net"):
            raise ConfigError("this MLPClassifier is not fitted yet: call fit first")
        torch = require("torch", "the MLP cluster classifier")
        p = np.atleast_2d(np.asarray(parameters, dtype=float))
        x = torch.as_tensor((p - self._mean) / self._scale, dtype=torch.float32)
        with torch.no_grad():
            return self._net(x).argmax(dim=1).numpy().astype(int)

    def cross_validated_misassignment(self, parameters: Any, labels: Any) -> float:
        """Fraction of points that a network trained without them misassigns.

        The points are split into ``n_folds`` folds by a permutation drawn
        under ``seed``; each fold is predicted by a network trained on the
        others (same settings).

        Parameters
        ----------
        parameters, labels
            As in :meth:`fit`.

        Returns
        -------
        float
            The out-of-fold misassignment rate in [0, 1].

        Raises
        ------
        ConfigError
            ``n_folds`` below 2 or above the number of points.
        """
        p, y = self._checked(parameters, labels)
        if not 2 <= self.n_folds <= len(y):
            raise ConfigError(f"n_folds must be in [2, {len(y)}], got {self.n_folds}")
        order = np.random.default_rng(np.random.SeedSequence(self.seed)).permutation(len(y))
        predicted = np.empty_like(y)
        for fold in np.array_split(order, self.n_folds):
            train = np.setdiff1d(order, fold)
            member = MLPClassifier(
                self.hidden, self.epochs, self.learning_rate, self.n_folds, self.seed
            ).fit(p[train], y[train])
            predicted[fold] = member.predict(p[fold])
        return float(np.mean(predicted != y))
