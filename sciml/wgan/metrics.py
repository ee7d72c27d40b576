"""How close generated boundary histories are to real ones.

:func:`compare_histories` gathers the checks of a generator in one Dataset:
the sliced Wasserstein-2 distance and the unbiased MMD² of
:mod:`sciml.uq` on the flattened histories, the relative errors of the mean
and of the covariance, and the power spectral density of every channel.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import periodogram

from sciml.uq import mmd2, sliced_wasserstein
from sciml.wgan.layout import DIMS, extract

__all__ = ["compare_histories"]


def _spacing(real: xr.Dataset, variable: str) -> float:
    time = real[variable]["time"] if "time" in real.coords else None
    if time is None or time.dtype.kind not in "if" or time.size < 2:
        return 1.0
    return float(np.median(np.diff(np.asarray(time.values, dtype=np.float64))))


def compare_histories(
    real: xr.Dataset,
    generated: xr.Dataset,
    *,
    variable: str | None = None,
    n_projections: int = 128,
    seed: int = 0,
) -> xr.Dataset:
    """Distribution metrics of generated versus real boundary histories.

    Parameters
    ----------
    real, generated : xarray.Dataset
        Histories with dims ``(member, time, node, component)``, same layout.
    variable : str, optional
        The variable compared (the only fitting one by default).
    n_projections : int, default 128
        Directions of the sliced Wasserstein distance.
    seed : int, default 0
        Seed of the directions and of the MMD bandwidth subset.

    Returns
    -------
    xarray.Dataset
        ``sliced_w2`` (in the units of the data) over ``n_projections``
        directions; ``mmd2`` (unbiased, RBF kernel, median bandwidth);
        ``mean_rel_error`` and ``cov_rel_error``, the Frobenius norms of the
        differences of the sample mean histories and of the sample covariance
        matrices of the flattened histories, relative to the real ones;
        ``psd_real`` and ``psd_generated`` (``node``, ``component``,
        ``frequency``), the member-averaged periodograms of each channel, and
        ``psd_log_ratio``, the mean absolute ``log10`` ratio of the two per
        channel (0 for equal spectra).

    Raises
    ------
    ContractError, InputError
        Data not in the boundary-history layout, NaN, or two different layouts.
    """
    a, _, layout = extract(real, variable, ())
    b, _, other = extract(generated, variable, ())
    layout.check_matches(other, "the generated Dataset")
    flat_a, flat_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    units = layout.attrs.get("units", "1")
    mean_a = flat_a.mean(0)
    cov_a = np.cov(flat_a.T)
    mean_err = np.linalg.norm(flat_b.mean(0) - mean_a) / np.linalg.norm(mean_a)
    cov_err = np.linalg.norm(np.cov(flat_b.T) - cov_a) / np.linalg.norm(cov_a)
    dt = _spacing(real, layout.variable)
    freq, psd_a = periodogram(a, fs=1.0 / dt, axis=1)
    _, psd_b = periodogram(b, fs=1.0 / dt, axis=1)
    psd_a, psd_b = psd_a.mean(0).T, psd_b.mean(0).T  # (channel, frequency)
    tiny = np.finfo(np.float64).tiny
    log_ratio = np.abs(np.log10((psd_b + tiny) / (psd_a + tiny))).mean(axis=1)
    nodes, comps = (len(layout.coords[d][0]) for d in DIMS[2:])
    template = layout.to_dataset(np.zeros((1, layout.n_time, layout.n_channels)))
    coords: dict[str, xr.DataArray | xr.Variable] = {d: template[d] for d in DIMS[2:]}
    coords["frequency"] = xr.Variable(
        "frequency", freq, {"units": "Hz" if dt != 1.0 else "1", "long_name": "frequency"}
    )
    per_time = f"({units})2 s" if units != "1" else "1"
    out = xr.Dataset(
        {
            "sliced_w2": xr.DataArray(
                float(sliced_wasserstein(flat_b, flat_a, n_projections=n_projections, seed=seed)),
                attrs={"units": units, "long_name": f"sliced Wasserstein-2 ({n_projections} dirs)"},
            ),
            "mmd2": xr.DataArray(
                float(mmd2(flat_b, flat_a, seed=seed)),
                attrs={"units": "1", "long_name": "unbiased MMD2, RBF kernel, median bandwidth"},
            ),
            "mean_rel_error": xr.DataArray(
                float(mean_err), attrs={"units": "1", "long_name": "relative error of the mean"}
            ),
            "cov_rel_error": xr.DataArray(
                float(cov_err),
                attrs={"units": "1", "long_name": "relative error of the covariance"},
            ),
            "psd_real": xr.DataArray(
                psd_a.reshape(nodes, comps, -1),
                dims=("node", "component", "frequency"),
                attrs={"units": per_time, "long_name": "power spectral density, real"},
            ),
            "psd_generated": xr.DataArray(
                psd_b.reshape(nodes, comps, -1),
                dims=("node", "component", "frequency"),
                attrs={"units": per_time, "long_name": "power spectral density, generated"},
            ),
            "psd_log_ratio": xr.DataArray(
                log_ratio.reshape(nodes, comps),
                dims=("node", "component"),
                attrs={"units": "1", "long_name": "mean |log10 PSD ratio|, generated vs real"},
            ),
        },
        coords=coords,
    )
    return out
