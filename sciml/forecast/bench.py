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

Each system is one member of :func:`sciml.ensemble.run_ensemble`, so the
benchmark runs serially, on local processes or on any Dask cluster, and with
a ``store`` it is checkpointed: an interrupted run resumes where it stopped.
A model that fails on a system is recorded in ``status`` with its message and
NaN scores (declared with the ``nan_means`` attribute, so the runner keeps
them as data); a system that fails (its integration) is the runner's failed
member, its message in ``status`` of every model. A forecast that diverges is
scored as one bounded by ``+-1e12`` (:func:`sciml.forecast.metrics.bounded`:
sMAPE near 200) and stored with NaN where it is not finite.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, NumericalInstability
from sciml.forecast import metrics as M
from sciml.forecast.base import Forecaster, check_int
from sciml.forecast.baselines import Climatology, LinearAR, Persistence
from sciml.forecast.bench_plots import plot_forecasts, plot_results
from sciml.forecast.reservoir import ESN, NVAR, HybridESN
from solvers.contract import NAN_MEANS
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

    Settings chosen on the tuning systems (median sMAPE over the 20): N-BEATS
    with 50-step output chunks and 100 epochs (54 against 77 with 10-step
    chunks and 20 epochs), the LSTM at 100 epochs (29 against 53 at 20), the
    neural ODE at 60 (47 against 74 at 20); the Transformer stays at 20 epochs
    (60 gave 101 against 111, for three times the training). The hybrid's
    knowledge model is the benchmarked system itself with its parameters 10%
    off (:func:`hybrid_candidates`).
    """
    from sciml.forecast.neural import LSTMForecaster, NBeats, NeuralODE, TransformerForecaster

    return {
        "nbeats": [NBeats(epochs=100, chunk=50)],
        "lstm": [LSTMForecaster(epochs=100)],
        "transformer": [TransformerForecaster(epochs=20)],
        "neural_ode": [NeuralODE(epochs=60)],
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


def _score(
    pred: xr.DataArray, truth: xr.DataArray, train: xr.DataArray, steps: float, names: Sequence[str]
) -> dict[str, float]:
    pred = M.bounded(pred)
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
            err = float(M.smape(M.bounded(pred), val.isel(time=slice(n_ctx, None))))
        fitted.append((err, model, elapsed))
    err, model, elapsed = min(fitted, key=lambda item: item[0])
    return model, elapsed


def bench_system(
    system: str,
    models: Mapping[str, Candidates],
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Run the protocol on one system (see the module docstring).

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
        ``scores[model][metric]``, ``train_time[model]``, ``status[model]``
        (``"ok"`` or the model's error), ``choice[model]`` (the kept candidate's
        parameters), ``forecast[model]`` (its test forecast, first
        :data:`KEPT_COMPONENTS` components, NaN where it diverged), ``truth``.

    Raises
    ------
    SciMLError, ValueError, ArithmeticError, RuntimeError
        The system is unknown or its trajectories cannot be integrated (the
        runner records it as the system's failure).
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
    sys_ = get(system)
    x = trajectory(
        sys_,
        n_ctx + n_fc,
        members=3,
        pts_per_period=config["pts_per_period"],
        rtol=config["rtol"],
        atol=config["rtol"],
        seed=config["seed"],
        backend=config["backend"],
    ).x
    if not np.all(np.isfinite(x.values)):
        raise NumericalInstability(f"{system}: the integration gave non-finite values")
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
                kept = pred.values[:, :KEPT_COMPONENTS]
                result["forecast"][name] = np.where(np.isfinite(kept), kept, np.nan)
            result["train_time"][name] = elapsed
            result["status"][name] = "ok"
            result["choice"][name] = json.dumps(best.get_params(), default=str)
        except (ValueError, ArithmeticError) as exc:
            result["status"][name] = f"{type(exc).__name__}: {exc}"
    return result


@dataclass(frozen=True)
class _SystemBench:
    """The runner's member function of :func:`run`: member ``k`` benchmarks ``systems[k]``.

    The trajectories come from the protocol's ``seed``, not from the member's
    generator, so a system's result does not depend on which others run.
    """

    models: Mapping[str, Any]

    def __call__(
        self, config: Mapping[str, Any], index: int, rng: np.random.Generator
    ) -> xr.Dataset:
        result = bench_system(config["systems"][index], self.models, config)
        metrics = [*config["metrics"], "vpt", "vpt_nrmse"]
        return _system_dataset(result, list(self.models), metrics, config["n_forecast"])


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
    scheduler: str | None = None,
    backend: str = "numpy",
    store: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool | None = None,
    output: str | Path | None = None,
) -> xr.Dataset:
    """Benchmark forecasters on catalog systems, one system per member of the ensemble runner.

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
        Seeds the initial conditions (the same for every system).
    metrics : sequence of str
        Names from :data:`sciml.forecast.metrics.METRICS` (``vpt``,
        ``vpt_nrmse`` and ``train_time`` are always added).
    workers : int, default 1
        Workers of the runner's scheduler.
    scheduler : str, optional
        Any scheduler of :func:`sciml.ensemble.run_ensemble` (``"serial"``,
        ``"threads"``, ``"processes"``, ``"local-cluster"`` or a Dask address).
        Default: ``"serial"`` for one worker, else ``"processes"``.
    backend : str, default "numpy"
        Integration backend of :func:`solvers.chaos.trajectory`.
    store : path-like, optional
        Zarr store the runner writes each system to as it finishes (a checkpoint).
    resume : bool, default False
        Continue the run in ``store``: systems already done are not recomputed.
    progress : bool, optional
        Progress bar over systems (default: when standard error is a terminal).
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
        components (NaN-padded); attrs: the runner's provenance
        (:func:`solvers.contract.provenance`; the protocol is
        ``json.loads(ds.attrs["config"])["config"]``), ``n_failed`` (systems
        that failed) and ``history``.
    """
    from sciml.ensemble import run_ensemble

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
        "systems": names,
        "models": {k: _describe(v) for k, v in groups.items()},
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
    members = run_ensemble(
        _SystemBench(groups), len(names), seed=seed,
        scheduler=scheduler or ("serial" if workers == 1 else "processes"),
        workers=workers, chunk_size=1, config=config, store=store, resume=resume,
        backend=backend, progress=progress,
    )  # fmt: skip
    ds = _by_system(members.load(), names, list(groups), [*metrics, "vpt", "vpt_nrmse"], n_forecast)
    ds.attrs["title"] = "sciml chaotic forecasting benchmark"
    if output is not None:
        write_zarr(ds, output, overwrite=True, validate=False)
    return ds


def _describe(value: Any) -> str | list[str]:
    return f"{value.__module__}.{value.__qualname__}" if callable(value) else list(map(repr, value))


_FAILED_MODEL = "the model failed on this system"


def _system_dataset(
    result: dict[str, Any], models: list[str], metrics: list[str], n_forecast: int
) -> xr.Dataset:
    """One system's :func:`bench_system` result as a Dataset over ``model`` (a runner member)."""
    score = np.full((len(models), len(metrics)), np.nan)
    forecast = np.full((len(models), n_forecast, KEPT_COMPONENTS), np.nan)
    truth = np.full((n_forecast, KEPT_COMPONENTS), np.nan)
    truth[:, : result["truth"].shape[1]] = result["truth"]
    for j, model in enumerate(models):
        if model in result["forecast"]:
            pred = result["forecast"][model]
            forecast[j, :, : pred.shape[1]] = pred
        for k, metric in enumerate(metrics):
            score[j, k] = result["scores"].get(model, {}).get(metric, np.nan)
    padded = "a component beyond the system's dimension"
    return xr.Dataset(
        {
            "score": (
                ("model", "metric"),
                score,
                {
                    "long_name": "test score",
                    "units": "1",
                    NAN_MEANS: f"{_FAILED_MODEL}, or the metric is undefined for it "
                    "(VPT without a positive Lyapunov exponent)",
                },
            ),
            "train_time": (
                ("model",),
                np.array([result["train_time"].get(m, np.nan) for m in models]),
                {"long_name": "training time", "units": "s", NAN_MEANS: _FAILED_MODEL},
            ),
            "status": (
                ("model",),
                np.array([result["status"].get(m, "not run") for m in models], dtype=object),
                {"long_name": "run status", "units": "1"},
            ),
            "choice": (
                ("model",),
                np.array([result["choice"].get(m, "") for m in models], dtype=object),
                {"long_name": "kept parameters", "units": "1"},
            ),
            "forecast": (
                ("model", "lead", "component"),
                forecast,
                {
                    "long_name": "test forecast",
                    "units": "1",
                    NAN_MEANS: f"{padded}, a diverged (non-finite) value, or {_FAILED_MODEL}",
                },
            ),
            "truth": (
                ("lead", "component"),
                truth,
                {"long_name": "test truth", "units": "1", NAN_MEANS: padded},
            ),
        },
        coords={
            "model": models,
            "metric": metrics,
            "lead": (
                "lead",
                np.arange(1, n_forecast + 1),
                {"units": "1", "long_name": "lead (steps)"},
            ),
            "component": np.arange(KEPT_COMPONENTS),
        },
    )


def _by_system(
    members: xr.Dataset, systems: list[str], models: list[str], metrics: list[str], n_forecast: int
) -> xr.Dataset:
    """The runner's ensemble over ``member`` as the benchmark result over ``system``.

    A failed member (a system whose integration failed) keeps NaN data and its
    failure message as the ``status`` of every model.
    """
    from sciml.ensemble import failures_of
    from sciml.ensemble.layout import RUNNER_VARIABLES

    ds = members.drop_vars(list(RUNNER_VARIABLES), errors="ignore")
    if "status" not in ds:  # every system failed: the runner kept only the failures
        nothing = {"truth": np.empty((n_forecast, 0)), "forecast": {}, "scores": {}}
        nothing |= {"status": {}, "choice": {}, "train_time": {}}
        empty = _system_dataset(nothing, models, metrics, n_forecast)
        ds = empty.expand_dims(member=members.member.values).assign_attrs(members.attrs)
    status = np.array(ds["status"].values, dtype=object)
    for failure in failures_of(members):
        status[failure.member] = f"{failure.error_type}: {failure.message}"
    ds["status"] = (ds["status"].dims, status, ds["status"].attrs)
    system = ("system", systems, {"units": "1", "long_name": "catalog system"})
    return ds.rename(member="system").assign_coords(system=system)


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
