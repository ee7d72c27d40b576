"""sciml.uq — uncertainty quantification on named dims.

Proper scores, ensemble diagnostics, calibration of classifiers (Platt,
isotonic, temperature, Venn-ABERS) and calibration errors, conformal
prediction, distances between sample sets and Monte Carlo estimators.

Every function takes xarray objects with named dims (``member`` for
ensembles, ``sample`` for i.i.d. cases) or plain arrays (core axes last); the
array functions run through :func:`xarray.apply_ufunc` with
``dask="parallelized"``, so a chunked ensemble streams chunk by chunk. The
estimators follow the scikit-learn contract (``fit`` returns ``self``,
learned attributes end in ``_``). Importing this package registers the
``.sciml`` accessor on DataArrays and Datasets (``fc.sciml.crps(obs)``).
"""

from sciml.uq import accessor as accessor
from sciml.uq import dataset_accessor as dataset_accessor
from sciml.uq.binary import auprc, auroc, brier_score, event_probability
from sciml.uq.calibration import IsotonicCalibrator, PlattScaler, TemperatureScaler
from sciml.uq.calibration_certainty import certainty_threshold_analysis
from sciml.uq.calibration_metrics import ace, ece, top_label_ece
from sciml.uq.conformal_adaptive import AdaptiveConformal
from sciml.uq.conformal_classification import ConformalClassifier
from sciml.uq.conformal_cv import CVPlusRegressor
from sciml.uq.conformal_forecast import conformal_interval
from sciml.uq.conformal_regression import CQR, SplitConformalRegressor
from sciml.uq.diagnostics_rank import pit, pit_histogram, rank_histogram
from sciml.uq.diagnostics_reliability import reliability, spread_skill
from sciml.uq.diagnostics_summary import ensemble_summary, entropy_decomposition
from sciml.uq.distances import energy_distance, ks_marginals, mmd2, sliced_wasserstein
from sciml.uq.energy import energy_score, variogram_score
from sciml.uq.montecarlo import mc_estimate
from sciml.uq.plots import plot_pit_histogram, plot_rank_histogram, plot_reliability
from sciml.uq.scores_ensemble import crps_ensemble
from sciml.uq.scores_parametric import (
    crps_logistic,
    crps_mixnorm,
    crps_normal,
    log_score_logistic,
    log_score_mixnorm,
    log_score_normal,
)
from sciml.uq.scores_quantile import interval_score, quantile_score
from sciml.uq.venn_abers import VennAbers

__all__ = [
    "CQR",
    "AdaptiveConformal",
    "CVPlusRegressor",
    "ConformalClassifier",
    "IsotonicCalibrator",
    "PlattScaler",
    "SplitConformalRegressor",
    "TemperatureScaler",
    "VennAbers",
    "ace",
    "auprc",
    "auroc",
    "brier_score",
    "certainty_threshold_analysis",
    "conformal_interval",
    "crps_ensemble",
    "crps_logistic",
    "crps_mixnorm",
    "crps_normal",
    "ece",
    "energy_distance",
    "energy_score",
    "ensemble_summary",
    "entropy_decomposition",
    "event_probability",
    "interval_score",
    "ks_marginals",
    "log_score_logistic",
    "log_score_mixnorm",
    "log_score_normal",
    "mc_estimate",
    "mmd2",
    "pit",
    "pit_histogram",
    "plot_pit_histogram",
    "plot_rank_histogram",
    "plot_reliability",
    "quantile_score",
    "rank_histogram",
    "reliability",
    "sliced_wasserstein",
    "spread_skill",
    "top_label_ece",
    "variogram_score",
]
