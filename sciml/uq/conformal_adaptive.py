"""Adaptive conformal inference (ACI) for time series: online updates of the level.

Gibbs & Candès (2021): at step ``t`` the interval is ``y_hat_t -/+ Q_t``,
with ``Q_t`` the split-conformal quantile at level ``1 - alpha_t`` of the
past scores ``|y_s - y_hat_s|``, ``s < t`` (the last ``window`` of them).
After ``y_t`` is seen,

    alpha_{t+1} = alpha_t + gamma (alpha - err_t),    err_t = 1{y_t outside the interval}.

Whatever the data do — drift, regime changes, adversarial sequences — the
long-run miss rate satisfies ``|mean(err) - alpha| <= (max(alpha_1,
1 - alpha_1) + gamma) / (gamma T)``. By construction the interval is the
whole line while ``alpha_t <= 0`` or the history is too short for the level
(these steps count as covered), and empty while ``alpha_t >= 1``; that is
what the guarantee rests on, so here infinite bounds are part of the
output, not an error.

The time loop runs compiled with numba (the NumPy backend runs the same
loop uncompiled, as the reference); multi-output series ``(T, d)`` keep one
``alpha_t`` per output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpu.errors import ConfigError, InputError
from sciml.uq._compile import loop_for
from sciml.uq._estimators import require_fitted
from sciml.uq.calibration_inputs import as_cases, check_alpha, check_same_length
from sciml.uq.conformal_base import conformal_rank

__all__ = ["AdaptiveConformal"]


def _aci_loops(
    history: np.ndarray,
    pred: np.ndarray,
    obs: np.ndarray,
    alpha: float,
    gamma: float,
    window: int,
    alpha_state: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    alpha_used: np.ndarray,
    covered: np.ndarray,
) -> None:
    """Run ACI over ``pred``/``obs`` (T, d), starting from past scores ``history`` (H, d)."""
    n_hist, n_out = history.shape
    n_steps = pred.shape[0]
    for j in range(n_out):
        chron = np.empty(n_hist + n_steps)
        chron[:n_hist] = history[:, j]
        ordered = np.empty(n_hist + n_steps)
        ordered[:n_hist] = np.sort(history[:, j])
        count = n_hist
        level = alpha_state[j]
        for t in range(n_steps):
            if level >= 1.0:
                half = -np.inf
            elif level <= 0.0:
                half = np.inf
            else:
                rank = math.ceil(round((count + 1) * (1.0 - level), 9))
                half = np.inf if rank > count else ordered[rank - 1]
            lower[t, j] = pred[t, j] - half
            upper[t, j] = pred[t, j] + half
            score = abs(obs[t, j] - pred[t, j])
            hit = score <= half
            covered[t, j] = hit
            alpha_used[t, j] = level
            level += gamma * (alpha - (0.0 if hit else 1.0))
            chron[n_hist + t] = score
            if window > 0 and count == window:
                oldest = chron[n_hist + t - window]
                lo = 0
                hi = count - 1
                while lo < hi:  # first position holding the oldest score
                    mid = (lo + hi) // 2
                    if ordered[mid] < oldest:
                        lo = mid + 1
                    else:
                        hi = mid
                for i in range(lo, count - 1):
                    ordered[i] = ordered[i + 1]
                count -= 1
            pos = count
            while pos > 0 and ordered[pos - 1] > score:
                ordered[pos] = ordered[pos - 1]
                pos -= 1
            ordered[pos] = score
            count += 1
        alpha_state[j] = level


class AdaptiveConformal:
    """Adaptive conformal inference: intervals whose level adapts online to the errors.

    Parameters
    ----------
    alpha : float, default 0.1
        Target long-run miss rate.
    gamma : float, default 0.005
        Step size of the level update (larger adapts faster, wobbles more).
    window : int, optional
        Use only the last ``window`` scores (default: all past scores).
    backend : {None, "auto", "numba", "numpy"}
        Where the time loop runs.
    dim : str, default "time"
        Time dimension of DataArray inputs.
    skipna : bool, default False
        Whether steps with NaN in the forecast or the observation (missing
        data) are allowed. Such a step takes no part in the online run: it
        adds no score and leaves the level unchanged; its bounds are NaN and
        ``valid_`` is False there. By default NaN raises.

    Attributes
    ----------
    alpha_t_ : numpy.ndarray, shape (d,)
        The current level ``alpha_t`` (next step's).
    scores_ : numpy.ndarray, shape (H, d)
        The score history used for the next step (the last ``window``).
    lower_, upper_ : numpy.ndarray, shape (T, d) or (T,)
        The online bounds of every step seen by :meth:`fit` and :meth:`update`.
    alpha_path_ : numpy.ndarray
        The level used at each step.
    covered_ : numpy.ndarray, bool
        Whether each step's observation fell inside its interval (False at
        steps left out for NaN).
    valid_ : numpy.ndarray, bool, shape (T,)
        Which steps took part in the online run (all, unless ``skipna``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=3000) * np.linspace(1, 5, 3000)
    >>> aci = AdaptiveConformal(alpha=0.1, gamma=0.02).fit(np.zeros(3000), y)
    >>> bool(abs(1 - aci.covered_.mean() - 0.1) < 0.02)
    True
    """

    alpha_t_: np.ndarray
    scores_: np.ndarray
    multi_output_: bool

    def __init__(
        self,
        *,
        alpha: float = 0.1,
        gamma: float = 0.005,
        window: int | None = None,
        backend: str | None = None,
        dim: str = "time",
        skipna: bool = False,
    ) -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.window = window
        self.backend = backend
        self.dim = dim
        self.skipna = skipna

    def _series(self, y_pred: Any, y: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        allow_nan = bool(self.skipna)
        pred, _ = as_cases(y_pred, "y_pred", dim=self.dim, ndim=(1, 2), allow_nan=allow_nan)
        obs, _ = as_cases(y, "y", dim=self.dim, ndim=(1, 2), allow_nan=allow_nan)
        check_same_length(("y_pred", pred), ("y", obs))
        if pred.shape != obs.shape:
            raise InputError(f"y_pred has shape {pred.shape} but y has {obs.shape}")
        multi = pred.ndim == 2
        return pred.reshape(len(pred), -1), obs.reshape(len(obs), -1), multi

    def _run(self, pred: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, ...]:
        """Run the complete steps online; steps with NaN get NaN bounds."""
        valid = ~(np.isnan(pred).any(axis=1) | np.isnan(obs).any(axis=1))
        lower, upper, used, covered = self._run_complete(pred[valid], obs[valid])
        full = [np.full((len(pred), pred.shape[1]), np.nan) for _ in range(3)]
        hit = np.zeros((len(pred), pred.shape[1]), dtype=np.bool_)
        for target, part in zip((*full, hit), (lower, upper, used, covered), strict=True):
            target[valid] = part
        return (*full, hit, valid)

    def _run_complete(self, pred: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, ...]:
        steps, n_out = pred.shape
        lower = np.empty((steps, n_out))
        upper = np.empty((steps, n_out))
        used = np.empty((steps, n_out))
        covered = np.empty((steps, n_out), dtype=np.bool_)
        window = 0 if self.window is None else int(self.window)
        loop = loop_for(_aci_loops, self.backend)
        loop(
            np.ascontiguousarray(self.scores_),
            np.ascontiguousarray(pred),
            np.ascontiguousarray(obs),
            float(self.alpha),
            float(self.gamma),
            window,
            self.alpha_t_,
            lower,
            upper,
            used,
            covered,
        )
        new_scores = np.concatenate([self.scores_, np.abs(obs - pred)], axis=0)
        self.scores_ = new_scores[-window:] if window else new_scores
        return lower, upper, used, covered

    def fit(self, y_pred: Any, y: Any) -> AdaptiveConformal:
        """Run ACI over a series from an empty history.

        Parameters
        ----------
        y_pred : array_like or xarray.DataArray
            Forecasts ``(T,)`` or ``(T, d)``, time first (``time`` dim).
        y : array_like or xarray.DataArray
            Observations, same shape.

        Returns
        -------
        AdaptiveConformal
            ``self``.
        """
        alpha = check_alpha(self.alpha)
        if not (isinstance(self.gamma, (int, float)) and self.gamma > 0):
            raise ConfigError(f"gamma must be a positive step size, got {self.gamma!r}")
        if self.window is not None and (
            isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1
        ):
            raise ConfigError(f"window must be a positive integer or None, got {self.window!r}")
        pred, obs, multi = self._series(y_pred, y)
        self.multi_output_ = multi
        self.alpha_t_ = np.full(pred.shape[1], alpha)
        self.scores_ = np.empty((0, pred.shape[1]))
        lower, upper, used, covered, self.valid_ = self._run(pred, obs)
        self.lower_, self.upper_, self.alpha_path_, self.covered_ = self._shape(
            lower, upper, used, covered
        )
        return self

    def update(self, y_pred: Any, y: Any) -> AdaptiveConformal:
        """Continue the online run with new forecasts and observations.

        Parameters
        ----------
        y_pred, y : array_like or xarray.DataArray
            The next steps, shaped like the series given to :meth:`fit`.

        Returns
        -------
        AdaptiveConformal
            ``self``, with the new steps appended to ``lower_`` etc.
        """
        require_fitted(self, "alpha_t_")
        pred, obs, multi = self._series(y_pred, y)
        if multi != self.multi_output_ or pred.shape[1] != self.alpha_t_.size:
            raise InputError("update needs series of the same shape as those given to fit")
        *steps, valid = self._run(pred, obs)
        new = self._shape(*steps)
        self.valid_ = np.concatenate([self.valid_, valid])
        self.lower_, self.upper_, self.alpha_path_, self.covered_ = (
            np.concatenate([old, add], axis=0)
            for old, add in zip(
                (self.lower_, self.upper_, self.alpha_path_, self.covered_), new, strict=True
            )
        )
        return self

    def _shape(self, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        return arrays if self.multi_output_ else tuple(a[:, 0] for a in arrays)

    def predict_interval(self, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        """The interval for the next step at the current level ``alpha_t_``.

        Parameters
        ----------
        y_pred : array_like
            Next forecast, shape ``(d,)`` (or a scalar for a single series).

        Returns
        -------
        lower, upper : numpy.ndarray
            Bounds (infinite while ``alpha_t <= 0`` or the history is short;
            ``lower > upper`` — an empty set — while ``alpha_t >= 1``).
        """
        require_fitted(self, "alpha_t_")
        pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
        if pred.size != self.alpha_t_.size:
            raise InputError(f"expected {self.alpha_t_.size} forecast value(s), got {pred.size}")
        half = np.empty_like(pred)
        count = len(self.scores_)
        for j, level in enumerate(self.alpha_t_):
            if level >= 1.0:
                half[j] = -np.inf
            elif level <= 0.0:
                half[j] = np.inf
            else:
                rank = conformal_rank(count, level)
                half[j] = np.inf if rank > count else np.sort(self.scores_[:, j])[rank - 1]
        lower, upper = pred - half, pred + half
        if self.multi_output_:
            return lower, upper
        return lower.reshape(()), upper.reshape(())
