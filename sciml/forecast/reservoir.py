"""Reservoir computing: next-generation reservoir computing (NVAR) and the echo state network."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from gpu.errors import ConfigError, InputError
from sciml.forecast.base import Forecaster, check_float, check_fraction, check_int, ridge
from sciml.forecast.baselines import DelayRidge

__all__ = ["ESN", "NVAR", "HybridESN"]


class NVAR(DelayRidge):
    """Next-generation reservoir computer (Gauthier et al. 2021).

    Features are the constant, ``k`` delayed states ``x[t], x[t-s], ...``
    and their unique monomials up to ``degree``; a ridge regression maps them
    to the increment ``x[t+1] - x[t]``.

    Parameters
    ----------
    delays : int, default 2
        Number of delayed states ``k`` (the current one included).
    stride : int, default 1
        Steps ``s`` between delays.
    degree : int, default 2
        Highest monomial degree (2: quadratic features).
    alpha : float, default 1e-6
        Ridge penalty (on standardized data).
    seed : int, optional
        Seeds the perturbations of ensemble forecasts.
    """

    name = "nvar"

    def __init__(
        self,
        *,
        delays: int = 2,
        stride: int = 1,
        degree: int = 2,
        alpha: float = 1e-6,
        seed: int | None = 0,
    ) -> None:
        super().__init__(delays=delays, stride=stride, degree=degree, alpha=alpha, seed=seed)


def _spectral_radius(w: np.ndarray) -> float:
    """Largest absolute eigenvalue: ARPACK on the sparse matrix, dense LAPACK when small."""
    if len(w) > 64:
        from scipy.sparse import csr_matrix
        from scipy.sparse.linalg import ArpackNoConvergence, eigs

        try:
            values = eigs(
                csr_matrix(w), k=1, which="LM", v0=np.ones(len(w)), return_eigenvectors=False
            )
            return float(np.abs(values).max())
        except ArpackNoConvergence:
            pass
    return float(np.max(np.abs(np.linalg.eigvals(w))))


class ESN(Forecaster):
    """Echo state network with a sparse random reservoir and a ridge readout.

    The reservoir state follows ``r[t+1] = (1 - a) r[t] + a tanh(W r[t] +
    W_in x[t] + b)``; the readout maps ``[1, x[t], r[t+1], r[t+1]^2]`` (the
    squares when ``squared=True``, Pathak et al. 2018) to ``x[t+1] - x[t]``.
    Forecasts first drive the reservoir with the context, then run closed-loop.

    Parameters
    ----------
    n_reservoir : int, default 400
        Reservoir size.
    spectral_radius : float, default 0.9
        Largest absolute eigenvalue of ``W``.
    leak : float, default 1.0
        Leak rate ``a`` in (0, 1].
    input_scaling : float, default 0.5
        ``W_in`` entries are uniform in ``[-input_scaling, input_scaling]``.
    density : float, default 0.05
        Fraction of nonzero entries of ``W``.
    bias : float, default 0.5
        ``b`` entries are uniform in ``[-bias, bias]``.
    squared : bool, default True
        Add the squared reservoir states to the readout features.
    alpha : float, default 1e-6
        Ridge penalty of the readout.
    washout : int, default 50
        Initial training states discarded (the reservoir forgets its start).
    backend : {None, "auto", "numba", "numpy"}
        The reservoir loop: compiled with numba over the sparse reservoir
        (default where installed) or the dense NumPy reference.
    seed : int, optional
        Seeds the reservoir and the perturbations of ensemble forecasts.
    """

    name = "esn"

    def __init__(
        self,
        *,
        n_reservoir: int = 400,
        spectral_radius: float = 0.9,
        leak: float = 1.0,
        input_scaling: float = 0.5,
        density: float = 0.05,
        bias: float = 0.5,
        squared: bool = True,
        alpha: float = 1e-6,
        washout: int = 50,
        backend: str | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__(seed=seed)
        self.backend = backend
        self.n_reservoir = n_reservoir
        self.spectral_radius = spectral_radius
        self.leak = leak
        self.input_scaling = input_scaling
        self.density = density
        self.bias = bias
        self.squared = squared
        self.alpha = alpha
        self.washout = washout

    def _validate(self) -> None:
        check_int("n_reservoir", self.n_reservoir)
        check_float("spectral_radius", self.spectral_radius, 0.0)
        check_fraction("leak", self.leak)
        check_float("input_scaling", self.input_scaling, 0.0)
        check_fraction("density", self.density)
        check_float("bias", self.bias, 0.0)
        check_float("alpha", self.alpha, 0.0)
        check_int("washout", self.washout, 0)

    def _min_train(self) -> int:
        return self.washout + 2

    def _build(self, n_inputs: int) -> None:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(1)[0])
        n = self.n_reservoir
        w = rng.uniform(-1.0, 1.0, (n, n)) * (rng.random((n, n)) < self.density)
        radius = _spectral_radius(w)
        self.reservoir_ = w * (self.spectral_radius / radius) if radius > 0 else w
        self.input_weights_ = rng.uniform(-self.input_scaling, self.input_scaling, (n, n_inputs))
        self.bias_ = rng.uniform(-self.bias, self.bias, n)

    def _sparse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols = np.nonzero(self.reservoir_)
        indptr = np.searchsorted(rows, np.arange(self.n_reservoir + 1)).astype(np.int64)
        return indptr, cols.astype(np.int64), self.reservoir_[rows, cols]

    def _drive(
        self, inputs: np.ndarray, r0: np.ndarray | None = None, sparse: tuple[Any, ...] = ()
    ) -> np.ndarray:
        """Reservoir states ``(batch, time, n)`` after each input of ``(batch, time, dim)``
        (``sparse``: the CSR arrays of the reservoir, if already made)."""
        from sciml.uq._compile import compiled, kernel_backend

        batch = inputs.shape[0]
        r = np.zeros((batch, self.n_reservoir)) if r0 is None else r0
        states = np.empty((batch, inputs.shape[1], self.n_reservoir))
        if kernel_backend(self.backend) == "numpy":
            for t in range(inputs.shape[1]):
                pre = r @ self.reservoir_.T + inputs[:, t] @ self.input_weights_.T + self.bias_
                r = (1.0 - self.leak) * r + self.leak * np.tanh(pre)
                states[:, t] = r
            return states
        indptr, indices, values = sparse or self._sparse()
        compiled(_drive_loop)(
            indptr, indices, values, np.ascontiguousarray(self.input_weights_), self.bias_,
            float(self.leak), np.ascontiguousarray(inputs, dtype=np.float64),
            np.ascontiguousarray(r), states,
        )  # fmt: skip
        return states

    def _features(self, r: np.ndarray, u: np.ndarray) -> np.ndarray:
        parts = [np.ones((*r.shape[:-1], 1)), u, r]
        if self.squared:
            parts.append(r * r)
        return np.concatenate(parts, axis=-1)

    def _augment(self, u: np.ndarray) -> np.ndarray:
        """What the reservoir and the readout receive for the state ``u`` (here ``u`` itself)."""
        return u

    def _fit(self, series: list[np.ndarray]) -> None:
        self._build(self._augment(series[0][:1]).shape[1])
        feats, targets = [], []
        for s in series:
            inputs = self._augment(s[:-1])
            states = self._drive(inputs[None])[0, self.washout :]
            feats.append(self._features(states, inputs[self.washout :]))
            targets.append(s[self.washout + 1 :] - s[self.washout : -1])
        self.readout_ = ridge(np.concatenate(feats), np.concatenate(targets), self.alpha)

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        inputs = self._augment(context.reshape(-1, context.shape[2])).reshape(
            *context.shape[:2], -1
        )
        sparse = self._sparse()
        r = self._drive(inputs, sparse=sparse)[:, -1, :]
        u, a = context[:, -1, :], inputs[:, -1, :]
        out = np.empty((context.shape[0], horizon, context.shape[2]))
        for k in range(horizon):
            u = u + self._features(r, a) @ self.readout_
            out[:, k] = u
            a = self._augment(u)
            r = self._drive(a[:, None, :], r, sparse)[:, 0]
        return out


def _drive_loop(
    indptr: np.ndarray,
    indices: np.ndarray,
    values: np.ndarray,
    w_in: np.ndarray,
    bias: np.ndarray,
    leak: float,
    inputs: np.ndarray,
    r0: np.ndarray,
    states: np.ndarray,
) -> None:
    """Leaky-tanh reservoir driven by ``inputs (batch, time, dim)`` from ``r0 (batch, n)``;
    the reservoir matrix in CSR form; writes ``states (batch, time, n)``."""
    n_batch, n_time, n_in = inputs.shape
    n = r0.shape[1]
    for b in range(n_batch):
        r = r0[b].copy()
        for t in range(n_time):
            new = np.empty(n)
            for i in range(n):
                acc = bias[i]
                for k in range(indptr[i], indptr[i + 1]):
                    acc += values[k] * r[indices[k]]
                for d in range(n_in):
                    acc += w_in[i, d] * inputs[b, t, d]
                new[i] = (1.0 - leak) * r[i] + leak * np.tanh(acc)
            r = new
            states[b, t, :] = r


@lru_cache(maxsize=16)
def _knowledge_rhs(
    name: str, overrides: tuple[tuple[str, float], ...]
) -> Callable[[np.ndarray], np.ndarray]:
    """``f(y)`` of a catalog flow on ``(dim, batch)`` arrays at ``t = 0``."""
    from solvers.chaos import batched_rhs, get

    system = get(name, **dict(overrides))
    if system.kind != "flow":
        raise ConfigError(f"the knowledge model must be a flow; {name} is a {system.kind}")
    rhs = batched_rhs(system).array_fn(np)
    if rhs is None:
        raise ConfigError(f"{name} has no NumPy right-hand side for the knowledge model")
    p = np.array([[float(np.ravel(system.params[k])[0])] for k in system.param_names])
    return lambda y: np.asarray(rhs(y, 0.0, p))


class HybridESN(ESN):
    """Knowledge-based hybrid reservoir computer (Pathak et al. 2018).

    An imperfect model — a catalog system, usually with wrong parameters,
    advanced one step with RK4 — predicts the next increment; the reservoir
    and the readout receive that prediction (scaled by the spread of the
    training increments) next to the state, and the readout learns the
    increment. Flows are evaluated at ``t = 0`` (the knowledge
    model is taken as autonomous).

    Parameters
    ----------
    system : str
        Catalog name of the knowledge model (a flow, see :func:`solvers.chaos.get`).
    params : mapping, optional
        Parameter overrides of the knowledge model (the imperfection).
    substeps : int, default 4
        RK4 steps per sampling interval of the training series.
    n_reservoir, spectral_radius, leak, input_scaling, density, bias, squared, alpha
        As in :class:`ESN`.
    washout, backend
        As in :class:`ESN`.
    seed : int, optional
        Seeds the reservoir and the perturbations of ensemble forecasts.
    """

    name = "hybrid_esn"

    def __init__(
        self,
        *,
        system: str = "Lorenz",
        params: dict[str, float] | None = None,
        substeps: int = 4,
        n_reservoir: int = 400,
        spectral_radius: float = 0.9,
        leak: float = 1.0,
        input_scaling: float = 0.5,
        density: float = 0.05,
        bias: float = 0.5,
        squared: bool = True,
        alpha: float = 1e-6,
        washout: int = 50,
        backend: str | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__(
            backend=backend,
            n_reservoir=n_reservoir,
            spectral_radius=spectral_radius,
            leak=leak,
            input_scaling=input_scaling,
            density=density,
            bias=bias,
            squared=squared,
            alpha=alpha,
            washout=washout,
            seed=seed,
        )
        self.system = system
        self.params = params
        self.substeps = substeps

    def _validate(self) -> None:
        super()._validate()
        check_int("substeps", self.substeps)

    def _knowledge(self) -> Callable[[np.ndarray], np.ndarray]:
        return _knowledge_rhs(self.system, tuple(sorted((self.params or {}).items())))

    def _fit(self, series: list[np.ndarray]) -> None:
        if series[0].shape[1] != self._dimension():
            raise InputError(
                f"train has {series[0].shape[1]} components, the knowledge model "
                f"{self.system} has {self._dimension()}"
            )
        steps = np.concatenate([np.diff(x, axis=0) for x in series])
        spread = steps.std(0)
        self.increment_scale_ = np.where(spread > 0, spread, 1.0)
        super()._fit(series)

    def _dimension(self) -> int:
        from solvers.chaos import get

        return get(self.system).dim

    def _augment(self, u: np.ndarray) -> np.ndarray:
        f = self._knowledge()
        y = (u * self.scale_ + self.mean_).T
        h = self.dt_ / self.substeps
        for _ in range(self.substeps):
            k1 = f(y)
            k2 = f(y + 0.5 * h * k1)
            k3 = f(y + 0.5 * h * k2)
            k4 = f(y + h * k3)
            y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        step = ((y.T - self.mean_) / self.scale_ - u) / self.increment_scale_
        return np.concatenate([u, step], axis=-1)
