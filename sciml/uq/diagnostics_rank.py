"""Where the observation falls in the ensemble: rank histogram, PIT values and PIT histogram.

The histograms pool the cases over ``reduce_dims`` (all dims but the
ensemble dim by default) and keep the others, e.g. a rank histogram per lead
time with ``reduce_dims=["sample"]``. Each returns a Dataset with CF
attributes. With ``skipna=True`` a case with a NaN anywhere (observation or
a member) is left out of the pooled statistics; by default a NaN raises
:class:`~gpu.errors.InputError`.

Ties between the observation and members are broken at random (the
observation takes each of the tied ranks with equal probability), from a
hash of the case's position and ``seed``, so results are reproducible and
do not depend on how a dask input is chunked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from sciml.uq._checks import check_count
from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._histograms import (
    bin_coords,
    flatness,
    pooled_counts,
    probability_bin,
    resolve_reduce_dims,
)
from sciml.uq._xr import (
    Arg,
    apply_kernel,
    case_uniforms,
    check_probability,
    finish,
    flatten_leading,
    prepare,
)

__all__ = ["pit", "pit_histogram", "rank_histogram"]

#: Streams of the tie-breaking and PIT-randomization uniforms.
_TIE_STREAM, _PIT_STREAM = 0, 1


def _rank_loop(fc: np.ndarray, y: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    """Rank of ``y[r]`` among ``fc[r]`` (ties broken by ``u[r]``), NaN if a NaN is involved."""
    n, size = fc.shape
    for r in range(n):
        yr = y[r]
        below = 0
        tied = 0
        above = 0
        for i in range(size):  # branch-free counting: NaN falls in no class
            v = fc[r, i]
            below += v < yr
            tied += v == yr
            above += v > yr
        if below + tied + above < size or np.isnan(yr):
            out[r] = np.nan
        else:
            out[r] = below + np.floor(u[r] * (tied + 1))


def _rank_numba(fc: np.ndarray, obs: np.ndarray, u: np.ndarray) -> np.ndarray:
    (x, y, uu), lead = flatten_leading([fc, obs, u], [1, 0, 0])
    out = np.empty(x.shape[0])
    compiled(_rank_loop)(x, y, uu, out)
    return out.reshape(lead)


def _rank_numpy(fc: np.ndarray, obs: np.ndarray, u: np.ndarray) -> np.ndarray:
    (x, y, uu), lead = flatten_leading([fc, obs, u], [1, 0, 0])
    below = (x < y[:, None]).sum(axis=-1)
    tied = (x == y[:, None]).sum(axis=-1)
    rank = below + np.floor(uu * (tied + 1))
    bad = np.isnan(y) | np.isnan(x).any(axis=-1)
    return np.where(bad, np.nan, rank).reshape(lead)


def _ranks(
    fc: Any, obs: Any, dim: str, seed: int, skipna: bool, backend: str | None
) -> tuple[xr.DataArray, list[xr.DataArray], list[Arg], bool]:
    args = [Arg("fc", fc, (dim,)), Arg("obs", obs)]
    arrays, plain = prepare(args)
    u = case_uniforms(arrays, args, seed=seed, stream=_TIE_STREAM)
    kernel = _rank_numba if kernel_backend(backend) == "numba" else _rank_numpy
    ranks = apply_kernel(
        kernel,
        [*arrays, u],
        [*args, Arg("u", None)],
        skipna=skipna,
        name="rank",
        attrs={"units": "1", "long_name": "rank of the observation in the ensemble"},
    )
    return ranks, arrays, args, plain


def _flatness_vars(
    counts: xr.DataArray, bin_dim: str
) -> tuple[xr.DataArray, xr.DataArray, dict[str, xr.DataArray]]:
    """Number of cases, squared deviation sum and the chi-squared variables of a histogram."""
    n, chi2, p_value, sq_dev = flatness(counts, bin_dim)
    return (
        n,
        sq_dev,
        {
            "n_cases": n.assign_attrs(units="1", long_name="number of cases"),
            "chi2": chi2.assign_attrs(units="1", long_name="chi-squared flatness statistic"),
            "p_value": p_value.assign_attrs(
                units="1", long_name="p-value of the chi-squared flatness test"
            ),
        },
    )


def rank_histogram(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    reduce_dims: str | Sequence[str] | None = None,
    seed: int = 0,
    skipna: bool = False,
    backend: str | None = None,
) -> xr.Dataset:
    """Rank (Talagrand) histogram of an ensemble, with its flatness statistics.

    The rank of the observation among the :math:`M` members, :math:`0..M`,
    is uniform for a calibrated ensemble. Besides the counts the result holds
    the Candille-Talagrand :math:`\\delta = \\Delta/\\Delta_0`, with
    :math:`\\Delta = \\sum_k (s_k - N/(M+1))^2` and :math:`\\Delta_0 = NM/(M+1)`
    (about 1 when flat, much larger when not), and the :math:`\\chi^2` test
    of flatness with :math:`M` degrees of freedom.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``, the last axis of a plain array).
    obs : xarray.DataArray or array_like
        The observations (``fc`` without ``dim``).
    dim : str, default "member"
        The ensemble dim.
    reduce_dims : str or sequence of str, optional
        Dims pooled into one histogram; all but ``dim`` by default.
    seed : int, default 0
        Seed of the random tie-breaking.
    skipna : bool, default False
        ``True``: cases with a NaN are left out; ``False``: NaN raises.
    backend : {None, "auto", "numba", "numpy"}
        Where the ranking loop runs.

    Returns
    -------
    xarray.Dataset
        ``count`` and ``frequency`` over the ``rank`` dim; ``n_cases``,
        ``delta``, ``chi2`` and ``p_value`` over the kept dims.

    Raises
    ------
    InputError
        A missing or mismatched dim, ``reduce_dims`` the inputs lack, NaN
        with ``skipna=False``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rh = rank_histogram(rng.normal(size=(10000, 9)), rng.normal(size=10000))
    >>> rh.sizes["rank"], bool(rh.p_value > 0.001)
    (10, True)
    """
    ranks, arrays, _, _ = _ranks(fc, obs, dim, seed, skipna, backend)
    size = arrays[0].sizes[dim]
    dims = resolve_reduce_dims(arrays, reduce_dims, (dim,))
    counts = pooled_counts(ranks, size + 1, dims, "rank")
    n, sq_dev, test = _flatness_vars(counts, "rank")
    delta = sq_dev / (n.where(n > 0) * size / (size + 1))
    ds = xr.Dataset(
        {
            "count": counts.assign_attrs(units="1", long_name="number of cases with this rank"),
            "frequency": (counts / n.where(n > 0)).assign_attrs(
                units="1", long_name="relative frequency of the rank"
            ),
            "delta": delta.assign_attrs(
                units="1", long_name="Candille-Talagrand delta (1 for a flat histogram)"
            ),
            **test,
        },
        coords={"rank": ("rank", np.arange(size + 1), {"units": "1", "long_name": "rank"})},
    )
    ds.attrs["n_members"] = size
    return ds


def pit(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    seed: int = 0,
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Randomized probability integral transform (PIT) of observations in an ensemble.

    :math:`u = (r + V)/(M + 1)` with :math:`r` the rank of the observation
    (ties broken at random) and :math:`V \\sim U(0, 1)`, so :math:`u` is
    uniform on (0, 1) exactly when the ensemble is calibrated.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble (members on ``dim``, the last axis of a plain array).
    obs : xarray.DataArray or array_like
        The observations (``fc`` without ``dim``).
    dim : str, default "member"
        The ensemble dim.
    seed : int, default 0
        Seed of the tie-breaking and of :math:`V`.
    skipna : bool, default False
        ``True``: cases with a NaN get NaN; ``False``: NaN raises.
    backend : {None, "auto", "numba", "numpy"}
        Where the ranking loop runs.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The PIT value of each case (NaN for cases left out with ``skipna=True``).
    """
    ranks, arrays, args, plain = _ranks(fc, obs, dim, seed, skipna, backend)
    size = arrays[0].sizes[dim]
    v = case_uniforms(arrays, args, seed=seed, stream=_PIT_STREAM)
    values = ((ranks + v) / (size + 1)).rename("pit")
    values.attrs.update(units="1", long_name="randomized PIT value")
    return finish(values, plain)


def _pit_index_kernel(values: np.ndarray, *, bins: int) -> np.ndarray:
    return probability_bin(values.astype(np.float64), bins)


def pit_histogram(
    values: Any,
    bins: int = 10,
    *,
    reduce_dims: str | Sequence[str] | None = None,
    skipna: bool = False,
) -> xr.Dataset:
    """Histogram of PIT values on ``bins`` equal bins of [0, 1], with a flatness test.

    Parameters
    ----------
    values : xarray.DataArray or array_like
        PIT values in [0, 1] (from :func:`pit`, or a CDF evaluated at the observations).
    bins : int, default 10
        Number of bins.
    reduce_dims : str or sequence of str, optional
        Dims pooled into one histogram; all by default.
    skipna : bool, default False
        ``True``: NaN values are left out; ``False``: NaN raises.

    Returns
    -------
    xarray.Dataset
        ``count`` and ``density`` (1 for a flat histogram) over ``bin``, with
        the edges as coordinates; ``n_cases``, ``chi2`` and ``p_value``.

    Raises
    ------
    InputError
        Values outside [0, 1], NaN with ``skipna=False``.
    ConfigError
        ``bins`` not a positive integer.
    """
    bins = check_count(bins, "bins")
    arg = Arg("pit", values)
    arrays, _ = prepare([arg])
    da = check_probability(arrays[0], "PIT values")
    index = apply_kernel(_pit_index_kernel, [da], [arg], skipna=skipna, kwargs={"bins": bins})
    dims = resolve_reduce_dims([da], reduce_dims, ())
    counts = pooled_counts(index, bins, dims, "bin")
    n, _, test = _flatness_vars(counts, "bin")
    return xr.Dataset(
        {
            "count": counts.assign_attrs(units="1", long_name="number of PIT values in the bin"),
            "density": (counts * bins / n.where(n > 0)).assign_attrs(
                units="1", long_name="PIT density (1 when calibrated)"
            ),
            **test,
        },
        coords=bin_coords(bins),
    )
