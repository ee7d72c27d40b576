"""The forecaster contract shared by every model of :mod:`sciml.forecast`.

A forecaster follows the scikit-learn estimator conventions: ``__init__``
stores its parameters as given (keyword-only, validated in :meth:`fit`),
:meth:`Forecaster.fit` learns from a training series and returns ``self``,
learned state ends in ``_``, and randomness comes from ``seed``.

Series are :class:`xarray.DataArray` with dims ``time`` and ``component``
(``component`` may be omitted for a scalar series), or a trajectory
Dataset holding ``x``; a training series may carry a ``member`` dim: several
trajectories of the same system, learned from together. Plain arrays of
shape ``(time, component)`` are accepted too.

Models see standardized data (each component centred and divided by its
standard deviation over the training set) and give forecasts back in the
original units. Subclasses implement ``_fit(series)`` on a list of
standardized ``(time, component)`` arrays and ``_predict(context, horizon,
rng)`` on a batch ``(member, time, component)``, batched over members.
"""

from __future__ import annotations

import inspect
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from solvers.contract import package_version

__all__ = [
    "Forecaster",
    "check_float",
    "check_fraction",
    "check_int",
    "delay_embed",
    "load",
    "one_blas_thread",
    "ridge",
    "ridge_path",
    "series_array",
]

#: Forecaster classes by name, for :func:`load`.
REGISTRY: dict[str, type[Forecaster]] = {}


def series_array(data: Any, what: str) -> tuple[np.ndarray, xr.DataArray | None]:
    """``(member, time, component)`` float array of a series, and the DataArray it came from."""
    if isinstance(data, xr.Dataset):
        if "x" not in data:
            raise InputError(f"{what} is a Dataset without an 'x' variable")
        data = data["x"]
    if isinstance(data, xr.DataArray):
        if "time" not in data.dims:
            raise InputError(f"{what} has no 'time' dim (dims {tuple(map(str, data.dims))})")
        arr = data if "component" in data.dims else data.expand_dims("component", axis=-1)
        extra = set(map(str, arr.dims)) - {"member", "time", "component"}
        if extra:
            raise InputError(f"{what} has dims {sorted(extra)}; expected member, time, component")
        if "member" not in arr.dims:
            arr = arr.expand_dims("member")
        values = np.asarray(arr.transpose("member", "time", "component").values, dtype=float)
        return values, data
    try:
        values = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be a DataArray or an array of numbers: {exc}") from None
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3:
        raise InputError(f"{what} must have shape (time, component), got {values.shape}")
    return values, None


class Forecaster(ABC):
    """Base class of forecasters (see the module docstring for the contract).

    Parameters
    ----------
    seed : int, optional
        Seeds every random choice of the model (initial weights, reservoirs,
        initial-condition perturbations of ensemble forecasts).
    """

    #: Short name used in benchmark tables and saved files.
    name: ClassVar[str] = "forecaster"
    #: Whether the model keeps the standardization of the training data.
    standardize: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls

    def __init__(self, *, seed: int | None = 0) -> None:
        self.seed = seed

    # -- scikit-learn style parameters -------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [
            p.name
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change constructor parameters (unfitting nothing: call :meth:`fit` again)."""
        for key, value in params.items():
            if key not in self._param_names():
                raise ConfigError(f"{type(self).__name__} has no parameter {key!r}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- what subclasses implement -----------------------------------------------------
    @property
    def min_context(self) -> int:
        """Fewest context points a forecast needs."""
        return 1

    def _min_train(self) -> int:
        """Fewest training points per trajectory."""
        return self.min_context + 1

    def _validate(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Check the parameters (called by :meth:`fit`); subclasses add their checks."""

    @abstractmethod
    def _fit(self, series: list[np.ndarray]) -> None:
        """Learn from the training trajectories, each ``(time, component)``."""

    @abstractmethod
    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        """Forecast ``horizon`` steps after ``context``; returns ``(horizon, component)``."""

    # -- batched fits and forecasts (see sciml.forecast.batched) -----------------------
    def _batch_key(self) -> tuple[Any, ...] | None:
        """What models fitted in one batched call must share (``None``: fitted alone)."""
        return None

    @classmethod
    def _fit_batch(cls, models: Sequence[Forecaster], series: list[np.ndarray]) -> None:
        """Fit ``models`` (of this class, one batch key) on the same trajectories."""
        for model in models:
            model._fit(series)

    @classmethod
    def _predict_batch(
        cls, models: Sequence[Forecaster], context: np.ndarray, horizon: int
    ) -> np.ndarray:
        """Forecast row ``b`` of ``context (batch, time, component)`` with ``models[b]``."""
        rngs = [np.random.default_rng(np.random.SeedSequence(m.seed)) for m in models]
        return np.concatenate(
            [m._predict(context[b : b + 1], horizon, rngs[b]) for b, m in enumerate(models)]
        )

    # -- the contract -------------------------------------------------------------------
    def fit(self, train: Any) -> Self:
        """Learn from a training series.

        Parameters
        ----------
        train : xarray.DataArray, xarray.Dataset or array_like
            ``(time, component)`` or ``(member, time, component)`` (several
            trajectories), see the module docstring.

        Returns
        -------
        Forecaster
            ``self``.

        Raises
        ------
        InputError
            Series too short for the model, NaN or infinite values.
        ConfigError
            Invalid parameters.
        """
        self._fit(self._prepare(train))
        return self

    def _prepare(self, train: Any) -> list[np.ndarray]:
        """Validate parameters and ``train``, learn the standardization; the standardized
        trajectories ``_fit`` receives."""
        self._validate()
        values, source = series_array(train, "train")
        if not np.all(np.isfinite(values)):
            raise InputError("train has NaN or infinite values")
        need = self._min_train()
        if values.shape[1] < need:
            raise InputError(
                f"train has {values.shape[1]} time points, but {type(self).__name__} with these "
                f"parameters needs at least {need}"
            )
        self.n_components_ = values.shape[2]
        flat = values.reshape(-1, values.shape[2])
        self.mean_ = flat.mean(0) if self.standardize else np.zeros(values.shape[2])
        scale = flat.std(0) if self.standardize else np.ones(values.shape[2])
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.dt_ = _spacing(source)
        return [(v - self.mean_) / self.scale_ for v in values]

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_components_"):
            raise InputError(f"this {type(self).__name__} is not fitted yet: call fit(train) first")

    def forecast(
        self,
        context: Any,
        horizon: int,
        members: int = 1,
        perturbation: float = 0.0,
    ) -> xr.DataArray:
        """Forecast ``horizon`` steps after the end of ``context``.

        Parameters
        ----------
        context : xarray.DataArray or array_like
            The most recent ``(time, component)`` points (at least :attr:`min_context`).
        horizon : int
            Number of steps to forecast.
        members : int, default 1
            Ensemble size; members differ by their initial-condition perturbation
            (and by any randomness of the model itself).
        perturbation : float, default 0
            Standard deviation of Gaussian noise added to each member's
            context, relative to each component's training standard deviation.

        Returns
        -------
        xarray.DataArray
            ``forecast`` with dims ``member``, ``time``, ``component``; ``time``
            continues the context's time coordinate (or counts steps).

        Raises
        ------
        InputError
            Not fitted, NaN in the context, a component count unlike training,
            a context too short.
        ConfigError
            ``horizon`` or ``members`` not a positive integer, negative ``perturbation``.
        """
        batch, source, rng = self._context(context, members, perturbation)
        horizon = check_int("horizon", horizon)
        out = self._predict(batch, horizon, rng) * self.scale_ + self.mean_
        return self._to_dataarray(out, source)

    def _context(
        self, context: Any, members: int, perturbation: float
    ) -> tuple[np.ndarray, xr.DataArray | None, np.random.Generator]:
        """The standardized, perturbed context batch ``(members, time, component)``, the
        DataArray it came from and the random generator of the forecast, after checks."""
        self._check_fitted()
        members = check_int("members", members)
        if not perturbation >= 0:
            raise ConfigError(f"perturbation must be >= 0, got {perturbation!r}")
        values, source = series_array(context, "context")
        if values.shape[0] != 1:
            raise InputError("context must be one series (time, component), without 'member'")
        ctx = values[0]
        if ctx.shape[1] != self.n_components_:
            raise InputError(
                f"context has {ctx.shape[1]} components but the model was trained on "
                f"{self.n_components_}"
            )
        if not np.all(np.isfinite(ctx)):
            raise InputError("context has NaN or infinite values")
        if ctx.shape[0] < self.min_context:
            raise InputError(
                f"context has {ctx.shape[0]} time points, {type(self).__name__} needs at least "
                f"{self.min_context}"
            )
        rng = np.random.default_rng(np.random.SeedSequence(self.seed))
        batch = np.repeat(((ctx - self.mean_) / self.scale_)[None], members, axis=0)
        if perturbation > 0:
            batch = batch + perturbation * rng.standard_normal(batch.shape)
        return batch, source, rng

    def _to_dataarray(self, out: np.ndarray, source: xr.DataArray | None) -> xr.DataArray:
        coords: dict[str, Any] = {"member": np.arange(out.shape[0])}
        attrs: dict[str, Any] = {"long_name": f"{type(self).__name__} forecast", "units": "1"}
        if source is not None and "time" in source.coords and source.sizes["time"] >= 2:
            t = np.asarray(source["time"].values, dtype=float)
            coords["time"] = t[-1] + (t[-1] - t[-2]) * np.arange(1, out.shape[1] + 1)
        else:
            coords["time"] = np.arange(1, out.shape[1] + 1)
        if source is not None:
            attrs["units"] = source.attrs.get("units", "1")
            if "component" in source.coords:
                coords["component"] = source["component"].values
        attrs.update(
            model=type(self).__name__,
            params=json.dumps(self.get_params(), default=str),
            sciml_version=package_version(),
            seed=-1 if self.seed is None else self.seed,
        )
        return xr.DataArray(
            out, dims=("member", "time", "component"), coords=coords, name="forecast", attrs=attrs
        )

    # -- persistence --------------------------------------------------------------------
    def _learned(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def save(self, path: str | Path) -> Path:
        """Write the parameters and learned state to an ``.npz`` file (no pickle).

        Parameters
        ----------
        path : path-like
            Target file.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        self._check_fitted()
        path = Path(path)
        header = {"class": type(self).__name__, "params": self.get_params()}
        arrays: dict[str, Any] = {f"learned/{k}": np.asarray(v) for k, v in self._learned().items()}
        arrays["__header__"] = np.asarray(json.dumps(header))
        with path.open("wb") as fh:
            np.savez(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Read a forecaster written by :meth:`save` (see :func:`load`)."""
        return load(path)


def load(path: str | Path) -> Forecaster:
    """Read a forecaster written by :meth:`Forecaster.save`.

    Parameters
    ----------
    path : path-like
        A file written by ``save``.

    Returns
    -------
    Forecaster
        The fitted forecaster, of the class it was saved from.
    """
    try:
        data = np.load(Path(path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read a saved forecaster from {path}: {exc}") from None
    with data:
        header = json.loads(str(data["__header__"]))
        kind = REGISTRY.get(header["class"])
        if kind is None:
            raise InputError(f"{path} holds an unknown forecaster class {header['class']!r}")
        model = kind(**header["params"])
        for key in data.files:
            if key.startswith("learned/"):
                value = data[key]
                setattr(model, key[len("learned/") :], value.item() if value.ndim == 0 else value)
    return model


def _spacing(source: xr.DataArray | None) -> float:
    if source is None or "time" not in source.coords or source.sizes["time"] < 2:
        return 1.0
    t = np.asarray(source["time"].values, dtype=float)
    step = float(t[1] - t[0])
    return step if math.isfinite(step) and step > 0 else 1.0


def delay_embed(series: np.ndarray, delays: int, stride: int) -> np.ndarray:
    """Delay vectors ``(..., time - (delays-1)*stride, delays*component)``, newest state first."""
    span = (delays - 1) * stride
    n = series.shape[-2] - span
    parts = [series[..., span - j * stride : span - j * stride + n, :] for j in range(delays)]
    return np.concatenate(parts, axis=-1)


def ridge(features: np.ndarray, targets: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge regression weights ``(features, targets)``: ``(F^T F + alpha I)^-1 F^T Y``.

    Solved by Cholesky; a system Cholesky finds not positive definite (``alpha
    = 0`` with a feature that is identically zero, or features dependent to
    within rounding) falls back to the minimum-norm least-squares solution.
    """
    return ridge_path(features, targets, [alpha])[0]


def ridge_path(
    features: np.ndarray, targets: np.ndarray, alphas: Sequence[float]
) -> list[np.ndarray]:
    """Ridge weights for each penalty in ``alphas``, from one Gram matrix (see :func:`ridge`).

    The Gram matrix is one symmetric rank-k update (BLAS ``dsyrk``, half the work
    of a general product) and each penalty one Cholesky solve (LAPACK ``dposv``).
    """
    from scipy.linalg import blas, lapack

    f = np.asarray(features, dtype=np.float64)
    with one_blas_thread():
        # f.T is Fortran-ordered: syrk forms f.T @ f.T.T without copying f
        upper = blas.dsyrk(1.0, f.T, trans=0, lower=0)
        rhs = f.T @ np.asarray(targets, dtype=np.float64)
        diagonal = np.diag_indices_from(upper)
        weights = []
        for alpha in alphas:
            system = upper.copy(order="F")
            system[diagonal] += alpha
            _, solution, info = lapack.dposv(system, rhs, lower=0, overwrite_a=1)
            if info != 0:  # not positive definite: alpha = 0 with dependent features
                full = np.triu(upper) + np.triu(upper, 1).T
                full[diagonal] += alpha
                solution = np.linalg.lstsq(full, rhs, rcond=None)[0]
            weights.append(np.asarray(solution))
    return weights


@cache
def _blas_controller() -> Any:
    from gpu._optional import module_available

    if not module_available("threadpoolctl"):
        return None
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """Run BLAS on one thread inside the block (when ``threadpoolctl`` is installed).

    The forecasters' dense problems are small (a few hundred features): several
    BLAS threads gain little there, and on a busy machine their spin-waiting
    makes a 400 x 400 Gram matrix and its Cholesky solve 10-100x slower
    (scikit-learn limits BLAS threads around its small kernels the same way).
    """
    controller = _blas_controller()
    return nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


def check_float(name: str, value: Any, low: float, *, inclusive: bool = True) -> float:
    """A float ``>= low`` (or ``> low``), else :class:`ConfigError`."""
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= low if inclusive else value > low)
    if not ok:
        relation = ">=" if inclusive else ">"
        raise ConfigError(f"{name} must be a finite number {relation} {low}, got {value!r}")
    return float(value)


def check_fraction(name: str, value: Any) -> float:
    """A float in ``(0, 1]``, else :class:`ConfigError`."""
    value = check_float(name, value, 0.0, inclusive=False)
    if value > 1:
        raise ConfigError(f"{name} must be in (0, 1], got {value!r}")
    return value


def check_int(name: str, value: Any, low: int = 1) -> int:
    """An integer ``>= low``, else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def stack_training(series: Sequence[np.ndarray], make: Any) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``make(trajectory) -> (features, targets)`` over the trajectories."""
    pairs = [make(s) for s in series]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
