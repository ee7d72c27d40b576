"""The chaotic-forecasting benchmark: systems x models x metrics.

Protocol (after Gilpin 2021, "Chaos as an interpretable benchmark for
forecasting and data-driven modelling"), for each system:

1. three trajectories from different initial conditions on the attractor,
   ``n_context + n_forecast`` points at ``pts_per_period`` points per
   period, from :func:`solvers.chaos.trajectory` with ``rtol`` pinned;
2. every model is fitted on the first ``n_train`` points of trajectory 0;
3. where a model has several candidate settings, the one with the lowest
   sMAPE forecasting trajectory 1 (``n_forecast`` steps after its first
   ``n_context`` points) is kept;
4. the kept model forecasts trajectory 2 the same way; the metrics of
   :mod:`sciml.forecast.metrics` compare it with the truth.

Systems run one per task, serially or in a process pool (``workers``). A
system or model that fails (integration error, a model error) is recorded
in ``status`` with its message and NaN scores; a forecast that diverges is
scored as one at ``+-1e12`` where it is not finite (sMAPE near 200).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, SciMLError
from sciml.forecast import metrics as M
from sciml.forecast.base import Forecaster, check_int
from sciml.forecast.baselines import Climatology, LinearAR, Persistence
from sciml.forecast.bench_plots import plot_forecasts, plot_results
from sciml.forecast.reservoir import ESN, NVAR, HybridESN
from solvers.contract import package_version
from solvers.io import write_zarr

__all__ = [
    "DEFAULT_METRICS",
    "TASK_HORIZONS",
    "TUNING_SYSTEMS",
    "default_models",
    "hybrid_candidates",
    "markdown_table",
    "neural_models",
    "plot_forecasts",
    "plot_results",
    "run",
    "test_systems",
]

#: The systems hyperparameters may be tuned on; the rest of the catalog is the test set.
TUNING_SYSTEMS = (
    "Aizawa", "Arneodo", "Chen", "Chua", "Dadras", "DoubleGyre", "Duffing", "Halvorsen",
    "Hadley", "Lorenz", "Lorenz96", "MackeyGlass", "NoseHoover", "Rossler", "Rucklidge",
    "SprottA", "SprottB", "Thomas", "ForcedBrusselator", "Finance",
)  # fmt: skip

#: Metrics scored on the test forecast (plus both VPTs and the training time).
DEFAULT_METRICS = ("smape", "mae", "rmse", "nrmse", "mase", "r2", "spearman", "pearson")

#: Test horizons (steps) of the two tasks: the 200-step task and the long task.
TASK_HORIZONS = {"short": 200, "long": 5000}

#: Components of each forecast kept in the result for plotting.
KEPT_COMPONENTS = 3

Candidates = Forecaster | Sequence[Forecaster] | Callable[[str], Sequence[Forecaster]]


def test_systems() -> list[str]:
    """The test set: the catalog's flows and delay equations outside :data:`TUNING_SYSTEMS`.

    Returns
    -------
    list of str
        Sorted names.
    """
    from solvers.chaos import systems

    continuous = set(systems(kind="flow")) | set(systems(delay=True))
    return sorted(continuous - set(TUNING_SYSTEMS))


def default_models() -> dict[str, list[Forecaster]]:
    """The fast models with their candidate settings (selected on the validation trajectory)."""
    return {
        "persistence": [Persistence()],
        "climatology": [Climatology()],
        "linear": [LinearAR(delays=d, alpha=1e-6) for d in (2, 8)],
        "nvar": [
            NVAR(delays=d, stride=s, alpha=a) for d, s in ((2, 1), (2, 5)) for a in (1e-6, 1e-3)
        ],
        "esn": [ESN(n_reservoir=400, spectral_radius=r, alpha=1e-6) for r in (0.5, 0.9)],
    }


def hybrid_candidates(system: str, error: float = 0.1) -> list[Forecaster]:
    """A :class:`HybridESN` whose knowledge model is ``system`` with every scalar parameter off.

    A delay equation has no ODE right-hand side to serve as knowledge model:
    there the candidate is the plain :class:`ESN` of the same settings.

    Parameters
    ----------
    system : str
        The benchmarked catalog flow.
    error : float, default 0.1
        Relative error of each scalar parameter of the knowledge model
        (multiplied by ``1 + error``).

    Returns
    -------
    list of Forecaster
        One candidate.

    Raises
    ------
    ConfigError
        ``system`` is not in the catalog.
    """
    from solvers.chaos import get

    sys_ = get(system)
    if sys_.kind != "flow":
        return [ESN()]
    params = {k: (1 + error) * v for k, v in sys_.params.items() if isinstance(v, float)}
    return [HybridESN(system=system, params=params)]


def neural_models() -> dict[str, Candidates]:
    """The torch models and the hybrid reservoir, at sizes that train in seconds on a CPU.

    The hybrid's knowledge model is the benchmarked system itself with its
    parameters 10% off (:func:`hybrid_candidates`).
    """
    from sciml.forecast.neural import LSTMForecaster, NBeats, NeuralODE, TransformerForecaster

    return {
        "nbeats": [NBeats(epochs=20)],
        "lstm": [LSTMForecaster(epochs=20)],
        "transformer": [TransformerForecaster(epochs=20)],
        "neural_ode": [NeuralODE(epochs=20)],
        "hybrid_esn": hybrid_candidates,
    }


def _group(name: str, value: Any) -> list[Forecaster]:
    group = [value] if isinstance(value, Forecaster) else list(value)
    if not group or not all(isinstance(m, Forecaster) for m in group):
        raise ConfigError(
            f"model {name!r} must be a Forecaster, a non-empty list of them or a function "
            "of the system name giving one"
        )
    return group


def _candidates(models: Mapping[str, Candidates]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in models.items():
        out[str(name)] = value if callable(value) else _group(str(name), value)
    if not out:
        raise ConfigError("no models to benchmark")
    return out


def _finite(pred: xr.DataArray) -> xr.DataArray:
    return pred.copy(data=np.nan_to_num(pred.values, nan=1e12, posinf=1e12, neginf=-1e12))


def _score(
    pred: xr.DataArray, truth: xr.DataArray, train: xr.DataArray, steps: float, names: Sequence[str]
) -> dict[str, float]:
    pred = _finite(pred)
    scores: dict[str, float] = {}
    for name in names:
        fn: Callable[..., xr.DataArray] = M.METRICS[name]
        scores[name] = float(fn(pred, truth, train=train) if name == "mase" else fn(pred, truth))
    if not np.isfinite(steps):  # no positive Lyapunov exponent in the catalog
        return {**scores, "vpt": np.nan, "vpt_nrmse": np.nan}
    scale = train.std("time").values
    scores["vpt"] = float(M.valid_prediction_time(pred, truth, steps))
    scores["vpt_nrmse"] = float(M.valid_prediction_time_nrmse(pred, truth, steps, scale=scale))
    return scores


def _select(
    group: Sequence[Forecaster], train: xr.DataArray, val: xr.DataArray, n_ctx: int, n_fc: int
) -> tuple[Forecaster, float]:
    """Fit every candidate; keep the one with the lowest validation sMAPE, and its fit time."""
    fitted: list[tuple[float, Forecaster, float]] = []
    for candidate in group:
        start = time.perf_counter()
        model = type(candidate)(**candidate.get_params()).fit(train)
        elapsed = time.perf_counter() - start
        err = 0.0
        if len(group) > 1:
            pred = model.forecast(val.isel(time=slice(0, n_ctx)), n_fc).isel(member=0)
            err = float(M.smape(_finite(pred), val.isel(time=slice(n_ctx, None))))
        fitted.append((err, model, elapsed))
    err, model, elapsed = min(fitted, key=lambda item: item[0])
    return model, elapsed


def bench_system(
    system: str,
    models: Mapping[str, Candidates],
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Run the protocol on one system (see the module docstring); a picklable task.

    Parameters
    ----------
    system : str
        Catalog name.
    models : mapping of str to list of Forecaster or callable
        Candidates per model, or a function of the system name giving them.
    config : mapping
        ``n_train``, ``n_context``, ``n_forecast``, ``pts_per_period``, ``rtol``,
        ``seed``, ``metrics``, ``backend``.

    Returns
    -------
    dict
        ``scores[model][metric]``, ``train_time[model]``, ``status[model]``,
        ``choice[model]`` (the kept candidate's parameters), ``forecast[model]``
        (its test forecast, first :data:`KEPT_COMPONENTS` components), ``truth``,
        ``error`` for the system.
    """
    from solvers.chaos import get, trajectory

    result: dict[str, Any] = {
        "scores": {},
        "train_time": {},
        "status": {},
        "choice": {},
        "forecast": {},
    }
    n_ctx, n_fc = config["n_context"], config["n_forecast"]
    try:
        sys_ = get(system)
        ds = trajectory(
            sys_,
            n_ctx + n_fc,
            members=3,
            pts_per_period=config["pts_per_period"],
            rtol=config["rtol"],
            atol=config["rtol"],
            seed=config["seed"],
            backend=config["backend"],
        )
        x = ds.x
        if not np.all(np.isfinite(x.values)):
            raise SciMLError(f"{system}: the integration gave non-finite values")
    except (ValueError, ArithmeticError, RuntimeError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    dt = float(x.time[1] - x.time[0])
    lyap = sys_.lyapunov_time
    steps = np.nan if lyap is None else lyap / dt
    train = x.isel(member=0, time=slice(0, config["n_train"]))
    val, test = x.isel(member=1), x.isel(member=2)
    truth = test.isel(time=slice(n_ctx, None))
    result["truth"] = truth.values[:, :KEPT_COMPONENTS]
    for name, value in models.items():
        try:
            group = _group(name, value(system) if callable(value) else value)
            with np.errstate(over="ignore", invalid="ignore"):
                best, elapsed = _select(group, train, val, n_ctx, n_fc)
                pred = best.forecast(test.isel(time=slice(0, n_ctx)), n_fc).isel(member=0)
                result["scores"][name] = _score(pred, truth, train, steps, config["metrics"])
                result["forecast"][name] = pred.values[:, :KEPT_COMPONENTS]
            result["train_time"][name] = elapsed
            result["status"][name] = "ok"
            result["choice"][name] = json.dumps(best.get_params(), default=str)
        except (ValueError, ArithmeticError) as exc:
            result["status"][name] = f"{type(exc).__name__}: {exc}"
    return result


def run(
    systems: Sequence[str],
    models: Mapping[str, Candidates] | None = None,
    *,
    n_train: int = 1000,
    n_context: int = 1000,
    n_forecast: int | None = None,
    task: str = "short",
    pts_per_period: int = 100,
    rtol: float = 1e-10,
    seed: int = 0,
    metrics: Sequence[str] = DEFAULT_METRICS,
    workers: int = 1,
    backend: str = "numpy",
    output: str | Path | None = None,
) -> xr.Dataset:
    """Benchmark forecasters on catalog systems.

    Parameters
    ----------
    systems : sequence of str
        Catalog names (e.g. :data:`TUNING_SYSTEMS` or ``solvers.chaos.systems()``).
    models : mapping of str to Forecaster, list of Forecaster or callable, optional
        Models by name; a list holds candidate settings, selected on the
        validation trajectory; a function of the system name gives them per
        system (e.g. :func:`hybrid_candidates`). Default: :func:`default_models`.
    n_train : int, default 1000
        Training points (of trajectory 0).
    n_context : int, default 1000
        Points given as context before each validation and test forecast.
    n_forecast : int, optional
        Validation and test horizon, in steps (default: that of ``task``).
    task : {"short", "long"}, default "short"
        The seed study's tasks (:data:`TASK_HORIZONS`): 200-step forecasts,
        or the long task of 5,000 steps (50 periods).
    pts_per_period : int, default 100
        Sampling, in points per dysts period.
    rtol : float, default 1e-10
        Integration tolerance (``atol`` too).
    seed : int, default 0
        Seeds the initial conditions.
    metrics : sequence of str
        Names from :data:`sciml.forecast.metrics.METRICS` (``vpt``,
        ``vpt_nrmse`` and ``train_time`` are always added).
    workers : int, default 1
        Processes (1: serial in this process).
    backend : str, default "numpy"
        Integration backend of :func:`solvers.chaos.trajectory`.
    output : path-like, optional
        Zarr store to write the result to.

    Returns
    -------
    xarray.Dataset
        ``score`` (system, model, metric), ``train_time`` (system, model, in
        s), ``status`` (system, model: ``"ok"`` or the error), ``choice``
        (system, model: the kept parameters as JSON), ``forecast`` (system,
        model, lead, component) and ``truth`` (system, lead, component): the
        test forecasts and truth of the first :data:`KEPT_COMPONENTS`
        components (NaN-padded); attrs: protocol as JSON.
    """
    if task not in TASK_HORIZONS:
        raise ConfigError(f"unknown task {task!r}; choose from {sorted(TASK_HORIZONS)}")
    n_forecast = TASK_HORIZONS[task] if n_forecast is None else n_forecast
    groups = _candidates(default_models() if models is None else models)
    for name, value in (("n_train", n_train), ("n_forecast", n_forecast)):
        check_int(name, value)
    check_int("workers", workers)
    check_int("n_context", n_context)
    if n_train > n_context + n_forecast:
        raise ConfigError(
            f"n_train ({n_train}) must not exceed n_context + n_forecast ({n_context + n_forecast})"
        )
    unknown = sorted(set(metrics) - set(M.METRICS))
    if unknown:
        raise ConfigError(f"unknown metric(s) {unknown}; choose from {sorted(M.METRICS)}")
    names = [str(s) for s in systems]
    if not names:
        raise ConfigError("no systems to benchmark")
    config = {
        "n_train": n_train,
        "n_context": n_context,
        "n_forecast": n_forecast,
        "task": task,
        "pts_per_period": pts_per_period,
        "rtol": rtol,
        "seed": seed,
        "metrics": list(metrics),
        "backend": backend,
    }
    if workers == 1:
        results = [bench_system(s, groups, config) for s in names]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(
                pool.map(bench_system, names, [groups] * len(names), [config] * len(names))
            )
    ds = _assemble(names, list(groups), [*metrics, "vpt", "vpt_nrmse"], results, n_forecast)
    ds.attrs = {
        "title": "sciml chaotic forecasting benchmark",
        "sciml_version": package_version(),
        "seed": seed,
        "config": json.dumps({**config, "models": {k: _describe(v) for k, v in groups.items()}}),
    }
    if output is not None:
        write_zarr(ds, output, overwrite=True, validate=False)
    return ds


def _describe(value: Any) -> str | list[str]:
    return f"{value.__module__}.{value.__qualname__}" if callable(value) else list(map(repr, value))


def _assemble(
    systems: list[str],
    models: list[str],
    metrics: list[str],
    results: list[dict[str, Any]],
    n_forecast: int,
) -> xr.Dataset:
    score = np.full((len(systems), len(models), len(metrics)), np.nan)
    shape = (len(systems), len(models), n_forecast, KEPT_COMPONENTS)
    forecast = np.full(shape, np.nan)
    truth = np.full((len(systems), n_forecast, KEPT_COMPONENTS), np.nan)
    train_time = np.full((len(systems), len(models)), np.nan)
    status = np.full((len(systems), len(models)), "", dtype=object)
    choice = np.full((len(systems), len(models)), "", dtype=object)
    for i, res in enumerate(results):
        if "truth" in res:
            truth[i, :, : res["truth"].shape[1]] = res["truth"]
        for j, model in enumerate(models):
            if model in res["forecast"]:
                pred = res["forecast"][model]
                forecast[i, j, :, : pred.shape[1]] = pred
            status[i, j] = res.get("error") or res["status"].get(model, "not run")
            choice[i, j] = res["choice"].get(model, "")
            train_time[i, j] = res["train_time"].get(model, np.nan)
            for k, metric in enumerate(metrics):
                score[i, j, k] = res["scores"].get(model, {}).get(metric, np.nan)
    coords = {"system": systems, "model": models, "metric": metrics}
    return xr.Dataset(
        {
            "score": (("system", "model", "metric"), score, {"long_name": "test score"}),
            "train_time": (
                ("system", "model"),
                train_time,
                {"long_name": "training time", "units": "s"},
            ),
            "status": (("system", "model"), status, {"long_name": "run status"}),
            "choice": (("system", "model"), choice, {"long_name": "kept parameters"}),
            "forecast": (
                ("system", "model", "lead", "component"),
                forecast,
                {"long_name": "test forecast"},
            ),
            "truth": (("system", "lead", "component"), truth, {"long_name": "test truth"}),
        },
        coords={**coords, "lead": np.arange(1, n_forecast + 1)},
    )


def markdown_table(ds: xr.Dataset, metrics: Sequence[str] = ("smape", "vpt", "vpt_nrmse")) -> str:
    """Medians over systems per model, as a Markdown table sorted by the first metric.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`run`.
    metrics : sequence of str
        Metrics to show (plus the median training time and the failure count).

    Returns
    -------
    str
    """
    med = ds.score.sel(metric=list(metrics)).median("system")
    times = ds.train_time.median("system")
    failed = (ds.status != "ok").sum("system")
    order = np.argsort(med.sel(metric=metrics[0]).values)
    head = ["model", *[f"median {m}" for m in metrics], "median train time (s)", "failed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for j in order:
        model = str(ds.model.values[j])
        cells = [model, *[f"{float(med.sel(metric=m)[j]):.3g}" for m in metrics]]
        cells += [f"{float(times[j]):.3g}", str(int(failed[j]))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\n{ds.sizes['system']} systems.\n"
