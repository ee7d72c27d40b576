"""Hyperparameter search on a validation trajectory, run through the ensemble runner.

Each candidate setting is one member of :func:`sciml.ensemble.run_ensemble`:
it is fitted on the training series, forecasts the validation trajectory
after its first ``n_context`` points, and is scored against the rest. A
chunk of candidates is computed by one batched call (:func:`~sciml.forecast.fit_batch`
and :func:`~sciml.forecast.forecast_batch`: one reservoir kernel for ESNs
that differ by seed or spectral radius, one Gram matrix for NVARs that differ
by ridge penalty); when that call fails, the runner retries the chunk
candidate by candidate, so a failing candidate is recorded, not fatal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.forecast import metrics as M
from sciml.forecast.base import REGISTRY, Forecaster, _spacing, check_int, series_array
from sciml.forecast.batched import fit_batch, forecast_batch

__all__ = ["SCORES", "SearchResult", "search"]

#: Validation metrics a search may minimize (lower is better for each).
SCORES = ("smape", "mae", "rmse", "nrmse", "mse", "mape", "wape")


@dataclass(frozen=True)
class SearchResult:
    """What :func:`search` returns.

    Attributes
    ----------
    scores : xarray.Dataset
        ``score`` per candidate (dim ``member``), the searched parameters as
        coordinates along ``member`` (``params``: every parameter as JSON), and
        the runner's ``failed``, ``failure_type``, ``failure_message``.
    best : Forecaster
        The candidate with the lowest score, fitted on the training series.
    best_params : dict
        Its parameters.
    """

    scores: xr.Dataset
    best: Forecaster
    best_params: dict[str, Any]


@dataclass(frozen=True)
class _Scorer:
    """The member and batch functions of a search (picklable for process schedulers)."""

    train: np.ndarray
    validation: np.ndarray
    dt: float

    def _split(self, n_context: int) -> tuple[xr.DataArray, xr.DataArray]:
        t = self.dt * np.arange(len(self.validation))
        da = xr.DataArray(self.validation, dims=("time", "component"), coords={"time": t})
        return da.isel(time=slice(0, n_context)), da.isel(time=slice(n_context, None))

    def _train(self) -> xr.DataArray:
        t = self.dt * np.arange(len(self.train))
        return xr.DataArray(self.train, dims=("time", "component"), coords={"time": t})

    def _dataset(self, config: Mapping[str, Any], forecasts: list[xr.DataArray]) -> xr.Dataset:
        _, truth = self._split(config["n_context"])
        fn = M.METRICS[config["metric"]]
        values = []
        for fc in forecasts:
            pred = fc.isel(member=0)
            values.append(float(fn(M.bounded(pred), truth.assign_coords(time=pred.time))))
        attrs = {"long_name": f"validation {config['metric']}", "units": "1"}
        return xr.Dataset({"score": (("member",), np.array(values), attrs)})

    def _models(self, config: Mapping[str, Any], indices: np.ndarray) -> list[Forecaster]:
        kind = REGISTRY[config["model"]]
        return [kind(**config["candidates"][int(i)]) for i in indices]

    def __call__(
        self, config: Mapping[str, Any], index: int, rng: np.random.Generator
    ) -> xr.Dataset:
        """Score candidate ``index`` alone (the runner's member function)."""
        return self.batch(config, np.array([index]), [rng]).isel(member=0)

    def batch(
        self, config: Mapping[str, Any], indices: np.ndarray, rngs: Sequence[np.random.Generator]
    ) -> xr.Dataset:
        """Score the candidates ``indices`` with one batched fit and forecast."""
        context, _ = self._split(config["n_context"])
        models = fit_batch(self._models(config, indices), self._train())
        with np.errstate(over="ignore", invalid="ignore"):
            forecasts = forecast_batch(models, context, config["horizon"])
        return self._dataset(config, forecasts)


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a parameter value (NumPy scalars to Python ones)."""
    return json.loads(
        json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )


def _candidates(
    grid: Mapping[str, Sequence[Any]], method: str, budget: int | None, seed: int
) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError("grid must be a non-empty mapping of parameter name to values")
    values = {}
    for name, options in grid.items():
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence) or not options:
            raise ConfigError(f"grid[{name!r}] must be a non-empty list of values")
        values[str(name)] = list(options)
    points = [
        dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())
    ]
    if method == "grid":
        if budget is not None and budget < len(points):
            raise ConfigError(
                f"the grid has {len(points)} candidates, over the budget of {budget}: "
                "use method='random' to sample within the budget"
            )
        return points
    if method != "random":
        raise ConfigError(f"method must be 'grid' or 'random', got {method!r}")
    if budget is None:
        raise ConfigError("method='random' needs a budget (the number of candidates)")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    chosen = rng.choice(len(points), size=min(budget, len(points)), replace=False)
    return [points[int(i)] for i in chosen]


def _coordinate(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return np.asarray(values)
    if all(isinstance(v, str) for v in values):
        return np.asarray(values)
    return np.asarray([json.dumps(_plain(v)) for v in values])


def search(
    model: Forecaster,
    grid: Mapping[str, Sequence[Any]],
    train: Any,
    validation: Any,
    *,
    horizon: int,
    n_context: int | None = None,
    method: Literal["grid", "random"] = "grid",
    budget: int | None = None,
    metric: str = "smape",
    seed: int = 0,
    scheduler: str = "serial",
    workers: int | None = None,
    chunk_size: int | None = None,
) -> SearchResult:
    """Choose a forecaster's hyperparameters on a validation trajectory.

    Parameters
    ----------
    model : Forecaster
        The template: parameters not in ``grid`` are kept as they are.
    grid : mapping of str to list
        Values to try per parameter; candidates are their combinations.
    train : xarray.DataArray or array_like
        Training series ``(time, component)``.
    validation : xarray.DataArray or array_like
        Another trajectory of the same system: the first ``n_context`` points
        are the context, the next ``horizon`` points the truth.
    horizon : int
        Validation forecast length, in steps.
    n_context : int, optional
        Context points (default: all of ``validation`` before the last ``horizon``).
    method : {"grid", "random"}, default "grid"
        Every combination, or ``budget`` of them drawn without replacement.
    budget : int, optional
        Most candidates to evaluate (needed for ``"random"``; for ``"grid"``,
        a grid larger than the budget is an error).
    metric : str, default "smape"
        One of :data:`SCORES`; the lowest wins.
    seed : int, default 0
        Seeds the random draw and the runner.
    scheduler, workers, chunk_size
        As in :func:`sciml.ensemble.run_ensemble` (one chunk of candidates is
        one batched call).

    Returns
    -------
    SearchResult
        Scores per candidate and the best model, fitted on ``train``.

    Raises
    ------
    ConfigError
        An empty or malformed grid, an unknown method or metric, a grid over the budget.
    InputError
        A validation trajectory shorter than ``n_context + horizon``, or no
        candidate could be scored (their failures are listed).
    """
    from sciml.ensemble import run_ensemble

    if not isinstance(model, Forecaster):
        raise ConfigError(f"model must be a sciml Forecaster, got {type(model).__name__}")
    if metric not in SCORES:
        raise ConfigError(f"metric must be one of {SCORES}, got {metric!r}")
    horizon = check_int("horizon", horizon)
    check_int("budget", budget if budget is not None else 1)
    train_values, train_source = series_array(train, "train")
    val_values, _ = series_array(validation, "validation")
    if train_values.shape[0] != 1 or val_values.shape[0] != 1:
        raise InputError("train and validation must each be one series (time, component)")
    n_context = val_values.shape[1] - horizon if n_context is None else n_context
    check_int("n_context", n_context)
    if val_values.shape[1] < n_context + horizon:
        raise InputError(
            f"validation has {val_values.shape[1]} points; n_context + horizon needs "
            f"{n_context + horizon}"
        )
    points = _candidates(grid, method, budget, seed)
    base = model.get_params()
    unknown = sorted(set(points[0]) - set(base))
    if unknown:
        raise ConfigError(f"{type(model).__name__} has no parameter(s) {unknown}")
    candidates = [_plain({**base, **p}) for p in points]
    dt = _spacing(train_source)
    scorer = _Scorer(train_values[0], val_values[0, : n_context + horizon], dt)
    config = {
        "model": type(model).__name__,
        "candidates": candidates,
        "n_context": n_context,
        "horizon": horizon,
        "metric": metric,
    }
    scores = run_ensemble(
        scorer, len(candidates), seed=seed, scheduler=scheduler, batch=scorer.batch,
        config=config, chunk_size=chunk_size, workers=workers, progress=False,
    )  # fmt: skip
    coords: dict[str, Any] = {
        name: ("member", _coordinate([p[name] for p in points])) for name in points[0]
    }
    coords["params"] = ("member", [json.dumps(c, sort_keys=True) for c in candidates])
    scores = scores.assign_coords(coords)
    if "score" not in scores:  # every candidate failed: the runner kept only the failures
        messages = sorted({str(m) for m in scores.failure_message.values})
        raise InputError(f"no candidate could be scored: {'; '.join(messages)}")
    values = np.where(scores.failed.values, np.inf, scores.score.values)
    best_params = candidates[int(np.argmin(values))]
    best = REGISTRY[type(model).__name__](**best_params).fit(train)
    return SearchResult(scores=scores, best=best, best_params=best_params)
