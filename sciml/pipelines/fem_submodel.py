"""The ``fem-submodel`` workflow: a WGAN-GP of boundary histories drives the FEM submodel.

Steps of :func:`run`:

1. the global-model ensemble (the ``fem-global`` runner pipeline: random
   Ricker sources, Newmark) for ``n_train + n_heldout`` members, through
   :func:`sciml.ensemble.run_ensemble`; members ``0 … n_train-1`` train,
   the others are held out;
2. a WGAN-GP (:class:`sciml.wgan.WGANGP`) trained on the training members'
   displacement histories on the zone boundary;
3. ``n_samples`` generated boundary histories, each driving the FEM submodel
   of the zone (:class:`solvers.fem.Submodel`, no source inside it), and the
   same submodel driven by the held-out real histories, both through
   :func:`sciml.wgan.submodel_monte_carlo`;
4. the quantities of interest of the two Monte Carlo ensembles side by side
   (mean, std, 5/50/95 % quantiles with confidence intervals), a two-sample
   KS test and the W1 distance between them, the held-out global runs' own
   QoIs, and the wall time per sample of the global model versus generator
   plus submodel.

The submodel sees only its boundary: a global member whose source lies
inside the zone has a different QoI in the global run (``*_global``) than in
the submodel driven by its history (``*_reference``).
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

import xarray as xr
from pydantic import Field, ValidationInfo, field_validator

from gpu.errors import ConfigError
from sciml.config import Config
from sciml.ensemble import run_ensemble
from sciml.ensemble.fem import PIPELINE as FEM_GLOBAL
from sciml.ensemble.pipelines import Workflow
from sciml.wgan import WGANGP, WGANConfig, compare_histories, submodel_monte_carlo
from solvers.contract import with_provenance
from solvers.fem import (
    Newmark,
    Submodel,
    SubmodelConfig,
    Zone,
    global_problem,
    zone_qoi,
)

__all__ = ["QOIS", "WORKFLOW", "FemSubmodelConfig", "ZoneSubmodel", "run"]

#: The zone's quantities of interest: name -> (units, long name).
QOIS: dict[str, tuple[str, str]] = {
    "peak_displacement": ("m", "peak displacement magnitude in the zone"),
    "peak_energy": ("J", "peak energy (kinetic plus strain) in the zone"),
    "peak_von_mises": ("Pa", "peak von Mises stress in the zone"),
}
QoIName = Literal["peak_displacement", "peak_energy", "peak_von_mises"]


class FemSubmodelConfig(Config):
    """Configuration of the ``fem-submodel`` workflow.

    Attributes
    ----------
    global_model : solvers.fem.SubmodelConfig
        The global model, its zone of interest and its random sources (a
        uniform material: ``young_log_sd = 0``); the submodel mesh is refined
        ``submodel_refine`` times.
    n_train : int
        Global members whose boundary histories train the WGAN-GP.
    n_heldout : int
        Global members held out: the reference Monte Carlo.
    n_samples : int
        Generated boundary histories, one submodel run each (the run file's ``members``).
    wgan : sciml.wgan.WGANConfig
        The WGAN-GP (unconditional; its variable is ``displacement``).
    qoi : tuple of str
        Quantities of interest of the zone (:data:`QOIS`); ``peak_von_mises``
        needs ``global_model.kind = "elastodynamics"``.
    quantiles : tuple of float
        Quantile levels estimated with Monte Carlo confidence intervals.
    seed : int
        Seed of the global ensemble and of the generated histories (the run
        file's ``seed``); the WGAN has its own ``wgan.seed``.
    threads : int, optional
        Torch intra-op threads while training (``None``: torch's setting).
    """

    global_model: SubmodelConfig = SubmodelConfig()
    wgan: WGANConfig = WGANConfig()
    n_train: int = Field(256, ge=2, description="global members that train the WGAN")
    n_heldout: int = Field(128, ge=2, description="global members held out for comparison")
    n_samples: int = Field(1000, ge=2, description="generated histories, one submodel run each")
    qoi: tuple[QoIName, ...] = Field(
        ("peak_displacement", "peak_energy", "peak_von_mises"), min_length=1
    )
    quantiles: tuple[float, ...] = Field((0.05, 0.5, 0.95), min_length=1)
    seed: int = Field(0, ge=0, description="seed of the global ensemble and of the samples")
    threads: int | None = Field(1, ge=1, description="torch intra-op threads while training")

    @field_validator("global_model")
    @classmethod
    def _known_material(cls, value: SubmodelConfig) -> SubmodelConfig:
        if value.young_log_sd > 0:
            raise ValueError(
                "young_log_sd > 0 draws a material field per member, which a submodel driven "
                "by generated boundary histories cannot know: set young_log_sd = 0"
            )
        return value

    @field_validator("wgan")
    @classmethod
    def _unconditional(cls, value: WGANConfig) -> WGANConfig:
        if value.conditions:
            raise ValueError("the fem-submodel WGAN is unconditional: remove conditions")
        if value.variable not in (None, "displacement"):
            raise ValueError("the boundary histories are 'displacement': remove variable")
        return value

    @field_validator("n_train")
    @classmethod
    def _enough_for_a_batch(cls, value: int, info: ValidationInfo) -> int:
        wgan = info.data.get("wgan")
        if wgan is None:  # the wgan table is invalid and reported on its own
            return value
        training = value - wgan.n_held_out(value)
        if training < wgan.batch_size:
            raise ValueError(
                f"{value} global members leave {training} for training (after the WGAN's "
                f"early-stopping hold-out), fewer than wgan.batch_size={wgan.batch_size}: "
                "raise n_train or lower the batch size"
            )
        return value

    @field_validator("qoi")
    @classmethod
    def _known_qoi(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("quantities of interest must be distinct")
        model = info.data.get("global_model")
        if "peak_von_mises" in value and model is not None and model.kind != "elastodynamics":
            raise ValueError("peak_von_mises needs global_model.kind = 'elastodynamics'")
        return value

    @field_validator("quantiles")
    @classmethod
    def _levels(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0.0 < q < 1.0 for q in value):
            raise ValueError("quantile levels must lie strictly between 0 and 1")
        return value


@lru_cache(maxsize=4)
def _zone_submodel(config: SubmodelConfig) -> Submodel:
    """The source-free submodel of ``config``'s zone, refined ``config.submodel_refine`` times."""
    problem = global_problem(config)
    zone = Zone(config.zone_lower, config.zone_upper)
    return Submodel(problem, zone, refine=config.submodel_refine)


class ZoneSubmodel:
    """The FEM submodel of a global configuration's zone, driven only by a boundary history.

    Parameters
    ----------
    config : solvers.fem.SubmodelConfig
        The global model; the submodel uses its mesh (refined
        ``submodel_refine`` times, the boundary history interpolated onto
        it), material, zone and Newmark steps, and no source.

    Examples
    --------
    >>> from solvers.fem import SubmodelConfig, sample_global
    >>> cfg = SubmodelConfig(cells=8, n_steps=20, dt=0.025)
    >>> history = sample_global(cfg, members=1, seed=0)["displacement"].isel(member=0)
    >>> float(ZoneSubmodel(cfg)(history)["peak_displacement"]) > 0
    True
    """

    def __init__(self, config: SubmodelConfig) -> None:
        self.config = config

    def __call__(self, boundary: xr.DataArray) -> xr.Dataset:
        """The zone's QoIs (:data:`QOIS`) for one history ``(time, node, component)``."""
        submodel = _zone_submodel(self.config)
        sol = submodel.run(boundary, Newmark(self.config.dt, self.config.n_steps))
        qoi = zone_qoi(submodel.problem, sol.displacement, self.config.dt)
        return _with_peak_energy(qoi).drop_vars(["energy", "time"])


def _with_peak_energy(qoi: xr.Dataset) -> xr.Dataset:
    """``peak_energy``, the maximum over ``time`` of ``energy``, added to ``qoi``."""
    units, long_name = QOIS["peak_energy"]
    peak = qoi["energy"].max("time").assign_attrs(units=units, long_name=long_name)
    return qoi.assign(peak_energy=peak)


def _global_ensemble(
    config: FemSubmodelConfig, scheduler: str, workers: int | None, progress: bool | None
) -> tuple[xr.Dataset, float]:
    """The ``fem-global`` ensemble and its wall time per member."""
    began = time.perf_counter()
    ensemble = run_ensemble(
        FEM_GLOBAL.member,
        config.n_train + config.n_heldout,
        seed=config.seed,
        config=config.global_model,
        scheduler=scheduler,
        workers=workers,
        strict=True,
        progress=progress,
    )
    seconds = (time.perf_counter() - began) / (config.n_train + config.n_heldout)
    return _with_peak_energy(ensemble), seconds


def _scalar(value: float, units: str, long_name: str) -> xr.DataArray:
    return xr.DataArray(float(value), attrs={"units": units, "long_name": long_name})


def run(
    config: FemSubmodelConfig,
    *,
    scheduler: str = "threads",
    workers: int | None = None,
    figures: str | Path | None = None,
    progress: bool | None = None,
    generator: WGANGP | None = None,
) -> xr.Dataset:
    """Run the whole workflow: global ensemble, WGAN-GP, submodel Monte Carlo, comparison.

    Parameters
    ----------
    config : FemSubmodelConfig
    scheduler : str, default "threads"
        Dask scheduler of the global and submodel ensembles.
    workers : int, optional
        Workers of a local scheduler.
    figures : path-like, optional
        Existing folder to write ``qoi_histograms.png`` and
        ``boundary_histories.png`` into (needs matplotlib).
    progress : bool, optional
        Progress bars of the global ensemble and of the training.
    generator : WGANGP, optional
        A trained generator for this boundary: training is skipped.

    Returns
    -------
    xarray.Dataset
        For each QoI ``q`` of ``config.qoi``: ``q_generated`` (``member``),
        ``q_reference`` and ``q_global`` (``sample``: the submodel driven by
        the held-out histories, and the held-out global runs' own QoI);
        ``q_mean``, ``q_std``, ``q_variance``, ``q_quantiles`` along
        ``source`` (``generated``, ``reference``) with ``*_lower``/``*_upper``
        95 % bounds; ``q_ks_statistic``, ``q_ks_p_value``, ``q_w1_distance``.
        Shared: ``seconds_per_sample`` (``source``), ``seconds_per_global_sample``,
        ``speedup`` (global over generated, per sample), ``training_seconds``,
        and ``history_sliced_w2``, ``history_mean_rel_error``,
        ``history_cov_rel_error`` of generated against held-out histories.
        CF attributes and provenance.

    Raises
    ------
    ConfigError
        ``config`` is not a :class:`FemSubmodelConfig`.
    InputError, ContractError
        A generator for another boundary.
    sciml.ensemble.MemberFailures
        A global or submodel run failed.
    """
    if not isinstance(config, FemSubmodelConfig):
        raise ConfigError(f"config must be a FemSubmodelConfig, got {type(config).__name__}")
    ensemble, global_seconds = _global_ensemble(config, scheduler, workers, progress)
    train = ensemble[["displacement"]].isel(member=slice(0, config.n_train))
    held = ensemble.isel(member=slice(config.n_train, None))
    began = time.perf_counter()
    if generator is None:
        wgan = config.wgan.model_copy(update={"variable": "displacement"})
        generator = WGANGP(wgan).fit(train, progress=progress, threads=config.threads)
    training_seconds = time.perf_counter() - began
    mc = submodel_monte_carlo(
        generator,
        config.n_samples,
        submodel=ZoneSubmodel(config.global_model),
        qoi=list(config.qoi),
        seed=config.seed,
        reference=held[["displacement"]],
        quantiles=config.quantiles,
        scheduler=scheduler,
        workers=workers,
    )
    for name in config.qoi:
        mc[f"{name}_global"] = held[name].drop_vars("member").rename(member="sample")
        mc[f"{name}_global"].attrs["long_name"] += " (held-out global runs)"
    generated = float(mc["seconds_per_sample"].sel(source="generated"))
    mc["seconds_per_global_sample"] = _scalar(
        global_seconds, "s", "wall time per global-model sample (global run and zone QoIs)"
    )
    mc["speedup"] = _scalar(
        global_seconds / generated, "1", "speed-up per sample: global model over generator+submodel"
    )
    mc["training_seconds"] = _scalar(training_seconds, "s", "wall time of the WGAN-GP training")
    fake = generator.sample(config.n_heldout, seed=config.seed + 1)
    metrics = compare_histories(held[["displacement"]], fake, variable="displacement")
    for metric in ("sliced_w2", "mean_rel_error", "cov_rel_error"):
        mc[f"history_{metric}"] = metrics[metric].assign_attrs(
            long_name=f"{metrics[metric].attrs.get('long_name', metric)}, generated vs held-out"
        )
    if figures is not None:
        from sciml.pipelines._plots import plot_boundary_histories, plot_qoi_histograms

        plot_qoi_histograms(mc, config.qoi, Path(figures) / "qoi_histograms.png")
        plot_boundary_histories(held, fake, Path(figures) / "boundary_histories.png")
    backend = f"numpy+{fake.attrs.get('backend', 'torch')}"
    return with_provenance(
        mc.drop_vars("member", errors="ignore"),
        backend=backend,
        seed=config.seed,
        config=config.model_dump(mode="json"),
    )


def summary(ds: xr.Dataset) -> str:
    """One line: KS p-value and W1 per QoI, and the speed-up per sample."""
    parts = []
    for qoi in QOIS:
        if f"{qoi}_ks_p_value" in ds:
            parts.append(
                f"{qoi}: KS p {float(ds[f'{qoi}_ks_p_value']):.3f}, "
                f"W1 {float(ds[f'{qoi}_w1_distance']):.3g} {ds[f'{qoi}_w1_distance'].units}"
            )
    parts.append(f"speed-up per sample {float(ds['speedup']):.1f}x")
    return "; ".join(parts)


#: The run-file workflow ``pipeline = "fem-submodel"``.
WORKFLOW = Workflow(
    name="fem-submodel",
    config_model=FemSubmodelConfig,
    run=run,
    members_field="n_samples",
    seed_field="seed",
    extra_dims=("source",),
    summary=summary,
    description="global FEM ensemble -> WGAN-GP boundary histories -> submodel Monte Carlo",
)
