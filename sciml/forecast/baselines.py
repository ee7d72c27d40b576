"""Baselines: persistence, the climatological mean, and linear autoregression with delays."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations_with_replacement
from typing import Any

import numpy as np

from sciml.forecast.base import Forecaster, check_float, check_int, delay_embed, ridge_path

__all__ = ["Climatology", "DelayRidge", "LinearAR", "Persistence"]


class Persistence(Forecaster):
    """Repeat the last observed state.

    Parameters
    ----------
    seed : int, optional
        Seeds the perturbations of ensemble forecasts.
    """

    name = "persistence"

    def _fit(self, series: list[np.ndarray]) -> None:
        self.n_train_ = sum(len(s) for s in series)

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        return np.repeat(context[:, -1:, :], horizon, axis=1)


class Climatology(Forecaster):
    """Forecast the training mean (the climatological mean) at every lead.

    Parameters
    ----------
    seed : int, optional
        Unused randomness seed (kept for the common contract).
    """

    name = "climatology"

    def _fit(self, series: list[np.ndarray]) -> None:
        self.n_train_ = sum(len(s) for s in series)

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        # standardized data: the training mean is zero
        return np.zeros((context.shape[0], horizon, context.shape[2]))


def monomial_indices(n_linear: int, degree: int) -> list[np.ndarray]:
    """For each degree 2..``degree``, the index tuples of the unique monomials."""
    return [
        np.array(list(combinations_with_replacement(range(n_linear), d)), dtype=np.intp)
        for d in range(2, degree + 1)
    ]


def polynomial_features(linear: np.ndarray, monomials: list[np.ndarray]) -> np.ndarray:
    """``[1, linear, monomials of linear]`` along the last axis."""
    parts = [np.ones((*linear.shape[:-1], 1)), linear]
    parts += [np.prod(linear[..., idx], axis=-1) for idx in monomials]
    return np.concatenate(parts, axis=-1)


class DelayRidge(Forecaster):
    """Ridge regression of the one-step increment on polynomial features of delayed states.

    The common machinery of :class:`LinearAR` and :class:`~sciml.forecast.NVAR`.

    Parameters
    ----------
    delays : int, default 2
        Number of delayed states (the current one included).
    stride : int, default 1
        Steps between delays.
    degree : int, default 1
        Highest degree of the monomials of the delayed states.
    alpha : float, default 1e-6
        Ridge penalty (on standardized data).
    seed : int, optional
        Seeds the perturbations of ensemble forecasts.
    """

    weights_: np.ndarray
    n_features_: int

    def __init__(
        self,
        *,
        delays: int = 2,
        stride: int = 1,
        degree: int = 1,
        alpha: float = 1e-6,
        seed: int | None = 0,
    ) -> None:
        super().__init__(seed=seed)
        self.delays = delays
        self.stride = stride
        self.degree = degree
        self.alpha = alpha

    def _validate(self) -> None:
        check_int("delays", self.delays)
        check_int("stride", self.stride)
        check_int("degree", self.degree)
        check_float("alpha", self.alpha, 0.0)

    @property
    def min_context(self) -> int:
        """Fewest context points: the span of the delays."""
        return (self.delays - 1) * self.stride + 1

    def _features(self, linear: np.ndarray) -> np.ndarray:
        return polynomial_features(linear, monomial_indices(linear.shape[-1], self.degree))

    def _batch_key(self) -> tuple[Any, ...]:
        return (self.delays, self.stride, self.degree)

    def _fit(self, series: list[np.ndarray]) -> None:
        type(self)._fit_batch([self], series)

    @classmethod
    def _fit_batch(cls, models: Sequence[Forecaster], series: list[np.ndarray]) -> None:
        ridges = [m for m in models if isinstance(m, DelayRidge)]
        first = ridges[0]
        feats, targets = [], []
        span = first.min_context - 1
        for s in series:
            feats.append(first._features(delay_embed(s[:-1], first.delays, first.stride)))
            targets.append(s[span + 1 :] - s[span:-1])
        features = np.concatenate(feats)
        weights = ridge_path(features, np.concatenate(targets), [m.alpha for m in ridges])
        for model, w in zip(ridges, weights, strict=True):
            model.n_features_ = features.shape[1]
            model.weights_ = w

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        return type(self)._predict_batch([self] * context.shape[0], context, horizon)

    @classmethod
    def _predict_batch(
        cls, models: Sequence[Forecaster], context: np.ndarray, horizon: int
    ) -> np.ndarray:
        ridges = [m for m in models if isinstance(m, DelayRidge)]
        first = ridges[0]
        weights = np.stack([m.weights_ for m in ridges])
        span = first.min_context
        window = context[:, -span:, :].copy()
        monomials = monomial_indices(first.delays * context.shape[2], first.degree)
        out = np.empty((context.shape[0], horizon, context.shape[2]))
        for k in range(horizon):
            linear = delay_embed(window, first.delays, first.stride)[:, -1, :]
            features = polynomial_features(linear, monomials)
            step = window[:, -1, :] + np.einsum("bf,bfd->bd", features, weights)
            out[:, k] = step
            window = np.concatenate([window[:, 1:], step[:, None]], axis=1)
        return out


class LinearAR(DelayRidge):
    """Linear autoregression on delayed states, fitted by ridge regression.

    ``x[t+1] = x[t] + W [1, x[t], x[t-s], ..., x[t-(k-1)s]]``.

    Parameters
    ----------
    delays : int, default 8
        Number of delayed states ``k`` (the current one included).
    stride : int, default 1
        Steps ``s`` between delays.
    alpha : float, default 1e-6
        Ridge penalty (on standardized data).
    seed : int, optional
        Seeds the perturbations of ensemble forecasts.
    """

    name = "linear"

    def __init__(
        self, *, delays: int = 8, stride: int = 1, alpha: float = 1e-6, seed: int | None = 0
    ) -> None:
        super().__init__(delays=delays, stride=stride, degree=1, alpha=alpha, seed=seed)
