"""Reservoir computing: next-generation reservoir computing (NVAR) and the echo state network."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from gpu.errors import ConfigError, InputError
from sciml.forecast.base import (
    Forecaster,
    check_float,
    check_fraction,
    check_int,
    one_blas_thread,
    ridge,
)
from sciml.forecast.baselines import DelayRidge
from sciml.uq._compile import compiled, kernel_backend

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


def _spectral_radius(w: Any) -> float:
    """Largest absolute eigenvalue of the CSR matrix ``w``: ARPACK, dense LAPACK when small.

    ARPACK stops at a residual of 1e-5 relative to the eigenvalue, which puts the
    eigenvalue itself within about 1e-6 (the radius is a modelling choice; machine
    precision would cost twice the Arnoldi iterations for nothing). A random
    reservoir's eigenvalues fill a disk (the circular law), many near its edge:
    asked for one eigenvalue, ARPACK often settles on one up to 2% inside the
    largest once ``n >= 1000`` (measured); there it computes six with 40
    Arnoldi vectors, which finds the largest at about the same cost. Below
    1,000 units one eigenvalue is kept (six would double the cost; the
    occasional miss there is under 0.5%).
    """
    n = w.shape[0]
    if n > 64:
        from scipy.sparse.linalg import ArpackNoConvergence, eigs

        k, ncv = (1, None) if n < 1000 else (6, 40)
        try:
            with one_blas_thread():
                values = eigs(
                    w, k=k, ncv=ncv, which="LM", v0=np.ones(n), tol=1e-5,
                    return_eigenvectors=False,
                )  # fmt: skip
            return float(np.abs(values).max())
        except ArpackNoConvergence:
            pass
    return float(np.max(np.abs(np.linalg.eigvals(w.toarray()))))


_CSR = tuple[np.ndarray, np.ndarray, np.ndarray]
_CSR_CACHE: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, _CSR]] = weakref.WeakKeyDictionary()


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
    readout_: np.ndarray

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
        from scipy.sparse import csr_matrix

        w = rng.uniform(-1.0, 1.0, (n, n)) * (rng.random((n, n)) < self.density)
        sparse = csr_matrix(w)
        radius = _spectral_radius(sparse)
        if radius > 0:
            w *= self.spectral_radius / radius
            sparse.data *= self.spectral_radius / radius
        self.reservoir_ = w
        csr = (sparse.indptr.astype(np.uint64), sparse.indices.astype(np.uint64), sparse.data)
        _CSR_CACHE[self] = (w, csr)
        self.input_weights_ = rng.uniform(-self.input_scaling, self.input_scaling, (n, n_inputs))
        self.bias_ = rng.uniform(-self.bias, self.bias, n)

    def _batch_key(self) -> tuple[Any, ...]:
        return (self.n_reservoir, self.squared, self.washout, kernel_backend(self.backend))

    def _sparse(self) -> _CSR:
        """The reservoir in CSR form ``(indptr, indices, values)``, cached per model."""
        cached = _CSR_CACHE.get(self)
        if cached is not None and cached[0] is self.reservoir_:
            return cached[1]
        rows, cols = np.nonzero(self.reservoir_)
        indptr = np.searchsorted(rows, np.arange(self.n_reservoir + 1)).astype(np.uint64)
        csr = (indptr, cols.astype(np.uint64), self.reservoir_[rows, cols])
        _CSR_CACHE[self] = (self.reservoir_, csr)
        return csr

    def _feature_buffer(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Readout features ``[1, u, r, (r^2)]`` of the inputs ``u (..., dim)`` and the
        view of their state columns ``r``, left to fill (then :meth:`_square_states`)."""
        n_in, n = u.shape[-1], self.n_reservoir
        features = np.empty((*u.shape[:-1], 1 + n_in + n * (2 if self.squared else 1)))
        features[..., 0] = 1.0
        features[..., 1 : 1 + n_in] = u
        return features, features[..., 1 + n_in : 1 + n_in + n]

    def _square_states(self, features: np.ndarray, states: np.ndarray) -> None:
        if self.squared:
            np.square(states, out=features[..., -self.n_reservoir :])

    def _features(self, r: np.ndarray, u: np.ndarray) -> np.ndarray:
        features, states = self._feature_buffer(u)
        states[...] = r
        self._square_states(features, states)
        return features

    def _augment(self, u: np.ndarray) -> np.ndarray:
        """What the reservoir and the readout receive for the state ``u`` (here ``u`` itself)."""
        return u

    def _fit(self, series: list[np.ndarray]) -> None:
        type(self)._fit_batch([self], series)

    @classmethod
    def _fit_batch(cls, models: Sequence[Forecaster], series: list[np.ndarray]) -> None:
        esns = [m for m in models if isinstance(m, ESN)]
        for m in esns:
            m._build(m._augment(series[0][:1]).shape[1])
        first, washout = esns[0], esns[0].washout
        feats: list[list[np.ndarray]] = [[] for _ in esns]
        targets = []
        for s in series:
            inputs = first._augment(s[:-1])
            shared = np.broadcast_to(inputs, (len(esns), *inputs.shape))
            features, states = first._feature_buffer(shared)
            _run(esns, shared, states=states)  # the kernel writes the states in place
            first._square_states(features, states)
            for k in range(len(esns)):
                feats[k].append(features[k, washout:])
            targets.append(s[washout + 1 :] - s[washout:-1])
        target = np.concatenate(targets)
        for k, m in enumerate(esns):
            rows = feats[k][0] if len(feats[k]) == 1 else np.concatenate(feats[k])
            m.readout_ = ridge(rows, target, m.alpha)

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        return type(self)._predict_batch([self] * context.shape[0], context, horizon)

    @classmethod
    def _predict_batch(
        cls, models: Sequence[Forecaster], context: np.ndarray, horizon: int
    ) -> np.ndarray:
        esns = [m for m in models if isinstance(m, ESN)]
        return _run(esns, context, readout=np.stack([m.readout_ for m in esns]), horizon=horizon)[2]


class _Stacked(NamedTuple):
    """The reservoirs of several ESNs, one row each (CSR arrays padded to the longest).

    The CSR index arrays are unsigned: numba then skips the negative-index
    wraparound on every access, a third of the sparse product's time.
    """

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    w_in: np.ndarray
    bias: np.ndarray
    leak: np.ndarray


def _stack(models: Sequence[ESN]) -> _Stacked:
    unique = {id(m): m for m in models}
    csr = {key: m._sparse() for key, m in unique.items()}
    width = max(1, max(len(c[1]) for c in csr.values()))
    indices = np.zeros((len(models), width), dtype=np.uint64)
    values = np.zeros((len(models), width))
    for row, m in enumerate(models):
        _, idx, val = csr[id(m)]
        indices[row, : len(idx)] = idx
        values[row, : len(val)] = val
    return _Stacked(
        np.stack([csr[id(m)][0] for m in models]),
        indices,
        values,
        np.stack([m.input_weights_ for m in models]),
        np.stack([m.bias_ for m in models]),
        np.array([float(m.leak) for m in models]),
    )


def _run(
    models: Sequence[ESN],
    inputs: np.ndarray,
    r0: np.ndarray | None = None,
    *,
    readout: np.ndarray | None = None,
    horizon: int = 0,
    states: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drive row ``b`` of ``inputs (batch, time, dim)`` through ``models[b]``'s reservoir, in
    one kernel call; then, with a ``readout (batch, features, dim)``, run ``horizon`` steps
    closed-loop (the input is the state, as for :class:`ESN`).

    Returns the states after each input ``(batch, time, n)`` (only without a readout;
    written into ``states`` when given, e.g. a view into a feature matrix), the last
    state ``(batch, n)`` and the closed-loop forecast ``(batch, horizon, dim)``.
    """
    first = models[0]
    batch, n_time, n_in = inputs.shape
    n = first.n_reservoir
    r = np.zeros((batch, n)) if r0 is None else np.array(r0, dtype=np.float64)
    if states is None:
        states = np.empty((batch, 0 if readout is not None else n_time, n))
    out = np.empty((batch, horizon, n_in))
    weights = np.zeros((batch, 0, n_in)) if readout is None else readout
    if kernel_backend(first.backend) == "numpy":
        _run_numpy(models, inputs, r, states, weights, first.squared, out)
    else:
        compiled(_run_loop)(
            *_stack(models), np.asarray(inputs, dtype=np.float64), r, states,
            np.ascontiguousarray(weights, dtype=np.float64), bool(first.squared), out,
        )  # fmt: skip
    return states, r, out


def _run_numpy(
    models: Sequence[ESN],
    inputs: np.ndarray,
    r: np.ndarray,
    states: np.ndarray,
    readout: np.ndarray,
    squared: bool,
    out: np.ndarray,
) -> None:
    """The dense NumPy reference of :func:`_run_loop` (same arguments, dense reservoirs)."""
    w = np.stack([m.reservoir_ for m in models])
    w_in = np.stack([m.input_weights_ for m in models])
    bias = np.stack([m.bias_ for m in models])
    leak = np.array([float(m.leak) for m in models])[:, None]
    n_time, horizon = inputs.shape[1], out.shape[1]
    u = inputs[:, -1]
    for t in range(n_time + horizon):
        if t < n_time:
            x = inputs[:, t]
        else:
            parts = [np.ones((len(u), 1)), u, r, r * r] if squared else [np.ones((len(u), 1)), u, r]
            u = u + np.einsum("bf,bfd->bd", np.concatenate(parts, axis=1), readout)
            out[:, t - n_time] = x = u
        pre = np.einsum("bij,bj->bi", w, r) + np.einsum("bij,bj->bi", w_in, x) + bias
        r[:] = (1.0 - leak) * r + leak * np.tanh(pre)
        if states.shape[1]:
            states[:, t] = r


def _run_loop(
    indptr: np.ndarray,
    indices: np.ndarray,
    values: np.ndarray,
    w_in: np.ndarray,
    bias: np.ndarray,
    leak: np.ndarray,
    inputs: np.ndarray,
    r: np.ndarray,
    states: np.ndarray,
    readout: np.ndarray,
    squared: bool,
    out: np.ndarray,
) -> None:
    """Leaky-tanh reservoirs, row ``b`` with its own CSR matrix ``(indptr, indices,
    values)[b]``, ``w_in[b]``, ``bias[b]``, ``leak[b]``: driven by ``inputs[b] (time, dim)``
    from ``r[b]`` (updated in place; ``states[b]`` gets every state when it has ``time``
    rows), then ``out.shape[1]`` closed-loop steps ``u += [1, u, r, (r^2)] @ readout[b]``
    written to ``out[b]``."""
    n_batch, n_time, n_in = inputs.shape
    n = r.shape[1]
    horizon = out.shape[1]
    keep = states.shape[1] > 0
    new = np.empty(n)
    u = np.empty(n_in)
    x = np.empty(n_in)
    for b in range(n_batch):
        ptr, idx, val, win, rb, wout = indptr[b], indices[b], values[b], w_in[b], r[b], readout[b]
        u[:] = inputs[b, n_time - 1]
        a = leak[b]
        for t in range(n_time + horizon):
            if t < n_time:
                x[:] = inputs[b, t]
            else:
                for j in range(n_in):
                    acc = wout[0, j]
                    for i in range(n_in):
                        acc += u[i] * wout[1 + i, j]
                    for i in range(n):
                        acc += rb[i] * wout[1 + n_in + i, j]
                    if squared:
                        for i in range(n):
                            acc += rb[i] * rb[i] * wout[1 + n_in + n + i, j]
                    x[j] = u[j] + acc
                u[:] = x
                out[b, t - n_time] = x
            for i in range(n):
                acc = bias[b, i]
                for k in range(ptr[i], ptr[i + 1]):
                    acc += val[k] * rb[idx[k]]
                for d in range(n_in):
                    acc += win[i, d] * x[d]
                new[i] = acc
            # tanh from exp, in a loop of its own that LLVM vectorizes: ~10x faster than the
            # scalar libm tanh, which dominated the step; error within 2.3e-16 absolute
            for i in range(n):
                e = np.exp(-2.0 * abs(new[i]))
                th = (1.0 - e) / (1.0 + e)
                new[i] = (1.0 - a) * rb[i] + a * (th if new[i] >= 0.0 else -th)
            rb[:] = new
            if keep:
                states[b, t] = new


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
    increment_scale_: np.ndarray

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

    def _batch_key(self) -> tuple[Any, ...]:
        params = tuple(sorted((self.params or {}).items()))
        return (*super()._batch_key(), self.system, params, self.substeps)

    @classmethod
    def _fit_batch(cls, models: Sequence[Forecaster], series: list[np.ndarray]) -> None:
        steps = np.concatenate([np.diff(x, axis=0) for x in series])
        spread = steps.std(0)
        for m in models:
            if not isinstance(m, HybridESN):
                continue
            if series[0].shape[1] != m._dimension():
                raise InputError(
                    f"train has {series[0].shape[1]} components, the knowledge model "
                    f"{m.system} has {m._dimension()}"
                )
            m.increment_scale_ = np.where(spread > 0, spread, 1.0)
        super()._fit_batch(models, series)

    @classmethod
    def _predict_batch(
        cls, models: Sequence[Forecaster], context: np.ndarray, horizon: int
    ) -> np.ndarray:
        hybrids = [m for m in models if isinstance(m, HybridESN)]
        first = hybrids[0]
        inputs = np.stack(
            [_augment_rows(hybrids, context[:, t]) for t in range(context.shape[1])], axis=1
        )
        r = _run(hybrids, inputs)[1]
        readout = np.stack([m.readout_ for m in hybrids])
        u, a = context[:, -1, :], inputs[:, -1, :]
        out = np.empty((context.shape[0], horizon, context.shape[2]))
        for k in range(horizon):
            u = u + np.einsum("bf,bfd->bd", first._features(r, a), readout)
            out[:, k] = u
            a = _augment_rows(hybrids, u)
            r = _run(hybrids, a[:, None, :], r)[1]
        return out

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


def _augment_rows(models: Sequence[ESN], u: np.ndarray) -> np.ndarray:
    """``models[b]._augment`` of each row ``u[b]`` (one call when every row has one model)."""
    if all(m is models[0] for m in models):
        return models[0]._augment(u)
    return np.concatenate([m._augment(u[b : b + 1]) for b, m in enumerate(models)])
