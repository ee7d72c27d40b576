"""Forecasting chaotic systems with quantified uncertainty.

* Forecasters with one contract (:class:`~sciml.forecast.base.Forecaster`):
  :class:`Persistence`, :class:`Climatology`, :class:`LinearAR`,
  :class:`NVAR`, :class:`ESN`, :class:`HybridESN`; in torch (imported on use)
  :class:`NBeats`, :class:`LSTMForecaster`, :class:`TransformerForecaster`,
  :class:`NeuralODE`.
* Uncertainty: :class:`SeedEnsemble` (several seeds, perturbed initial
  conditions) and :class:`ConformalForecaster` (per-lead-time intervals).
* Batched training: :func:`fit_batch` and :func:`forecast_batch` (many reservoirs
  or ridge penalties in one kernel call).
* :func:`search`: hyperparameter search on a validation trajectory through
  the ensemble runner.
* :func:`plot_forecast`: forecast (members, mean, interval) against the truth.
* :mod:`sciml.forecast.metrics`: point, chaos and probabilistic metrics on xarray.
* :mod:`sciml.forecast.bench`: the benchmark harness (``sciml chaos-bench``);
  :mod:`sciml.forecast.coverage`: conformal coverage over catalog systems.
"""

from sciml.forecast import bench, coverage, metrics
from sciml.forecast.base import Forecaster, load
from sciml.forecast.baselines import Climatology, LinearAR, Persistence
from sciml.forecast.batched import fit_batch, forecast_batch
from sciml.forecast.neural import LSTMForecaster, NBeats, NeuralODE, TransformerForecaster
from sciml.forecast.plots import plot_forecast
from sciml.forecast.reservoir import ESN, NVAR, HybridESN
from sciml.forecast.search import SearchResult, search
from sciml.forecast.uncertainty import ConformalForecaster, SeedEnsemble

__all__ = [
    "ESN",
    "NVAR",
    "Climatology",
    "ConformalForecaster",
    "Forecaster",
    "HybridESN",
    "LSTMForecaster",
    "LinearAR",
    "NBeats",
    "NeuralODE",
    "Persistence",
    "SearchResult",
    "SeedEnsemble",
    "TransformerForecaster",
    "bench",
    "coverage",
    "fit_batch",
    "forecast_batch",
    "load",
    "metrics",
    "plot_forecast",
    "search",
]
