"""The submodel Monte Carlo: generated boundary conditions in, QoI statistics out.

:func:`submodel_monte_carlo` samples boundary histories from a trained
:class:`~sciml.wgan.WGANGP`, runs a submodel on each of them through
:func:`sciml.ensemble.run_ensemble` (one member per history, any Dask
scheduler), and estimates the distribution of the submodel's quantity of
interest with :func:`sciml.uq.mc_estimate`. Given reference histories (e.g.
held-out members of the global model), it runs the same submodel on them
and compares the two QoI distributions: a two-sample Kolmogorov-Smirnov
test and the Wasserstein-1 distance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, ContractError, InputError
from sciml.ensemble import run_ensemble
from sciml.uq import ks_marginals, mc_estimate, sliced_wasserstein
from sciml.wgan.layout import DIMS, extract
from sciml.wgan.model import WGANGP
from solvers.contract import with_provenance

__all__ = ["LinearSubmodel", "Submodel", "submodel_monte_carlo"]

#: ``submodel(boundary) -> float | DataArray | Dataset``; ``boundary`` is one
#: history, dims ``(time, node, component)``, with the conditions as scalar coordinates.
Submodel = Callable[[xr.DataArray], Any]


class LinearSubmodel:
    """A small linear submodel: a weighted space-time average of the boundary history.

    :math:`q = \\sum_{t,n,c} w_{tnc}\\,u_{tnc}`, by default with equal weights
    :math:`1/(T N C)` (the mean boundary value). Its exact mean over a
    distribution of histories is the same weighted average of the mean
    history, which makes it a test case with a known answer.

    Parameters
    ----------
    weights : array_like, shape (time, node, component), optional
        The weights :math:`w`; equal weights by default.
    name : str, default "qoi"
        Name of the quantity of interest.
    """

    def __init__(self, weights: Any = None, name: str = "qoi") -> None:
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.name = name

    def __call__(self, boundary: xr.DataArray) -> xr.Dataset:
        """The quantity of interest of one boundary history."""
        values = np.asarray(boundary.transpose(*DIMS[1:]).values, dtype=np.float64)
        if self.weights is None:
            q = float(values.mean())
        else:
            if self.weights.shape != values.shape:
                raise InputError(
                    f"weights have shape {self.weights.shape}, the boundary {values.shape}"
                )
            q = float((self.weights * values).sum())
        attrs = {
            "units": boundary.attrs.get("units", "1"),
            "long_name": f"weighted average of {boundary.attrs.get('long_name', 'the boundary')}",
        }
        return xr.Dataset({self.name: xr.DataArray(q, attrs=attrs)})


def _as_dataset(out: Any, name: str) -> xr.Dataset:
    if isinstance(out, xr.Dataset):
        return out
    if isinstance(out, xr.DataArray):
        return out.to_dataset(name=str(out.name or name))
    if isinstance(out, int | float | np.number):
        return xr.Dataset(
            {name: xr.DataArray(float(out), attrs={"units": "1", "long_name": "submodel QoI"})}
        )
    raise ContractError(
        f"the submodel must return a number, a DataArray or a Dataset, not {type(out).__name__}"
    )


class _Members:
    """The member function: the submodel on member ``k`` of a boundary ensemble."""

    def __init__(self, submodel: Submodel, boundary: xr.DataArray, qoi: str) -> None:
        self.submodel = submodel
        self.boundary = boundary
        self.qoi = qoi

    def __call__(self, config: Any, k: int, rng: np.random.Generator) -> xr.Dataset:
        history = self.boundary.isel(member=k).drop_vars("member")
        return _as_dataset(self.submodel(history), self.qoi)


def _run(
    submodel: Submodel,
    boundary: xr.DataArray,
    qois: Sequence[str],
    seed: int,
    scheduler: str,
    workers: int | None,
    config: dict[str, Any],
) -> tuple[dict[str, xr.DataArray], float]:
    began = time.perf_counter()
    ensemble = run_ensemble(
        _Members(submodel, boundary, qois[0]),
        boundary.sizes["member"],
        seed=seed,
        scheduler=scheduler,
        workers=workers,
        config=config,
        strict=True,
        progress=False,
    )
    seconds = time.perf_counter() - began
    values = {}
    for qoi in qois:
        if qoi not in ensemble:
            names = [str(n) for n in ensemble.data_vars if not str(n).startswith("fail")]
            raise ContractError(f"the submodel returned no variable {qoi!r} (it returned {names})")
        if ensemble[qoi].dims != ("member",):
            raise ContractError(
                f"the QoI {qoi!r} must be a scalar per member, has dims {ensemble[qoi].dims}"
            )
        values[qoi] = ensemble[qoi].load()
    return values, seconds


def _summary(values: xr.DataArray, quantiles: Sequence[float]) -> xr.Dataset:
    est = mc_estimate(values, "member", quantiles=quantiles)
    keep = ["mean", "mean_lower", "mean_upper", "variance", "variance_lower", "variance_upper"]
    keep += ["quantiles", "quantiles_lower", "quantiles_upper"]
    out = est[keep]
    units = values.attrs.get("units", "1")
    for name in ("variance", "variance_lower", "variance_upper"):
        out[name].attrs["units"] = "1" if units == "1" else f"({units})2"
    out["std"] = (est["variance"] ** 0.5).assign_attrs(
        units=units, long_name="Monte Carlo standard deviation"
    )
    return out.drop_vars("member", errors="ignore")


def _compare(
    q_gen: xr.DataArray, q_ref: xr.DataArray | None, quantiles: Sequence[float]
) -> xr.Dataset:
    """Samples, statistics along ``source`` and, with a reference, KS and W1 of one QoI."""
    out = xr.Dataset({"qoi_generated": q_gen.drop_vars("member", errors="ignore")})
    summaries = [_summary(q_gen, quantiles)]
    if q_ref is not None:
        summaries.append(_summary(q_ref, quantiles))
        out["qoi_reference"] = q_ref.drop_vars("member", errors="ignore").rename(member="sample")
        ks = ks_marginals(q_gen.values, q_ref.values)
        out["ks_statistic"] = xr.DataArray(float(ks["statistic"].squeeze())).assign_attrs(
            units="1", long_name="two-sample Kolmogorov-Smirnov statistic, generated vs reference"
        )
        out["ks_p_value"] = xr.DataArray(float(ks["p_value"].squeeze())).assign_attrs(
            units="1", long_name="p-value of the two-sample Kolmogorov-Smirnov test"
        )
        w1 = sliced_wasserstein(q_gen.values, q_ref.values, p=1, n_projections=1)
        out["w1_distance"] = xr.DataArray(float(w1)).assign_attrs(
            units=q_gen.attrs.get("units", "1"),
            long_name="Wasserstein-1 distance of the QoI, generated vs reference",
        )
    stats = xr.concat(summaries, dim="source", join="outer", coords="minimal", compat="override")
    return out.merge(stats)


def _prefixed(block: xr.Dataset, qoi: str) -> xr.Dataset:
    """``qoi_generated`` -> ``<qoi>_generated``, ``mean`` -> ``<qoi>_mean``, ..."""
    names = {name: f"{qoi}_{str(name).removeprefix('qoi_')}" for name in block.data_vars}
    return block.rename(names)


def submodel_monte_carlo(
    generator: WGANGP,
    n_samples: int,
    *,
    submodel: Submodel | None = None,
    qoi: str | Sequence[str] = "qoi",
    seed: int = 0,
    conditions: dict[str, Any] | None = None,
    reference: xr.Dataset | None = None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    scheduler: str = "threads",
    workers: int | None = None,
) -> xr.Dataset:
    """Monte Carlo statistics of a submodel's QoI under generated boundary conditions.

    Parameters
    ----------
    generator : WGANGP
        A trained (or loaded) generator.
    n_samples : int
        Number of generated boundary histories, one submodel run each.
    submodel : callable, optional
        ``submodel(boundary) -> float | DataArray | Dataset`` for one history
        ``(time, node, component)``; :class:`LinearSubmodel` by default.
    qoi : str or sequence of str, default "qoi"
        Name of the quantity of interest in the submodel's output (a scalar),
        or several names: the submodel runs once per history for all of them.
    seed : int, default 0
        Seed of the generated histories and of the ensemble runs.
    conditions : dict, optional
        Conditions of a conditional generator (see :meth:`WGANGP.sample`).
    reference : xarray.Dataset, optional
        Real boundary histories in the training layout (e.g. held-out global
        model members); the submodel is run on them too, for comparison.
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Quantile levels to estimate, with Monte Carlo confidence intervals.
    scheduler : str, default "threads"
        Dask scheduler of :func:`~sciml.ensemble.run_ensemble`.
    workers : int, optional
        Workers of a local scheduler.

    Returns
    -------
    xarray.Dataset
        ``qoi_generated`` (``member``) and, with a reference,
        ``qoi_reference`` (``sample``); along ``source`` (``generated``,
        ``reference``): ``mean``, ``std``, ``variance`` and ``quantiles``
        with their ``*_lower``/``*_upper`` 95 % bounds, and
        ``seconds_per_sample`` (wall time of sampling plus the submodel run);
        with a reference, ``ks_statistic``, ``ks_p_value`` and ``w1_distance``.
        With several QoI names, each of these variables is prefixed by its
        QoI (``peak_displacement_generated``, ``peak_displacement_mean``,
        ``peak_displacement_ks_p_value``, ...); ``seconds_per_sample`` is shared.

    Raises
    ------
    ConfigError, InputError, ContractError
        Bad arguments, reference data of another boundary, or a submodel
        output without a scalar ``qoi``.
    sciml.ensemble.MemberFailures
        The submodel failed on some histories.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ConfigError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    names = [qoi] if isinstance(qoi, str) else list(qoi)
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"qoi must be a name or distinct names, got {qoi!r}")
    model = submodel if submodel is not None else LinearSubmodel(name=names[0])
    if not callable(model):
        raise ConfigError(f"submodel must be callable, got {type(model).__name__}")
    run_config = {"n_samples": n_samples, "seed": seed, "generator": generator.config}
    began = time.perf_counter()
    generated = generator.sample(n_samples, seed=seed, conditions=conditions)
    sampling = time.perf_counter() - began
    boundary = generated[generator.layout_.variable]
    q_gen, seconds = _run(model, boundary, names, seed, scheduler, workers, run_config)
    per_sample = [(sampling + seconds) / n_samples]
    sources = ["generated"]
    q_ref: dict[str, xr.DataArray] | None = None
    if reference is not None:
        _, _, layout = extract(reference, generator.config.variable, generator.config.conditions)
        generator.layout_.check_matches(layout, "the reference Dataset")
        real = reference[layout.variable].transpose(*DIMS)
        q_ref, ref_seconds = _run(model, real, names, seed, scheduler, workers, run_config)
        per_sample.append(ref_seconds / real.sizes["member"])
        sources.append("reference")
    blocks = [_compare(q_gen[n], None if q_ref is None else q_ref[n], quantiles) for n in names]
    out = (
        blocks[0]
        if isinstance(qoi, str)
        else xr.merge([_prefixed(block, n) for block, n in zip(blocks, names, strict=True)])
    )
    out = out.assign_coords(
        source=("source", sources, {"units": "1", "long_name": "origin of the boundary histories"})
    )
    out["seconds_per_sample"] = xr.DataArray(
        per_sample,
        dims="source",
        attrs={"units": "s", "long_name": "wall time per sample (boundary history and submodel)"},
    )
    backend = generated.attrs.get("backend", "torch")
    return with_provenance(out, backend=backend, seed=seed, config=run_config)
