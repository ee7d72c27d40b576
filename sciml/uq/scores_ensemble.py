"""CRPS of an ensemble forecast, standard and fair, in O(M log M) per forecast.

For an ensemble :math:`x_1, \\dots, x_M` and an observation :math:`y`,

.. math::

    \\mathrm{CRPS} = \\frac{1}{M}\\sum_i |x_i - y|
        - \\frac{1}{2M^2}\\sum_i\\sum_j |x_i - x_j|,

and the fair CRPS (Ferro 2014) divides the second sum by :math:`2M(M-1)`
instead, which makes it an unbiased estimate of the CRPS of the distribution
the members are drawn from. With the members sorted,
:math:`\\sum_i\\sum_j |x_i - x_j| = 2\\sum_i (2i - M - 1)\\,x_{(i)}`, so each
forecast costs one sort and one pass. The numba path sorts blocks of
forecasts with NumPy's vectorized sort and scores them in a compiled loop,
one block per core at a time;
the NumPy path computes the same formula with array operations and is the
reference.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from sciml.uq._compile import compiled, kernel_backend
from sciml.uq._xr import Arg, apply_kernel, finish, flatten_leading, prepare, units_attrs

__all__ = ["crps_ensemble"]

#: Forecasts sorted and scored per block by the numba path (fits in cache).
_BLOCK = 4096


def _crps_sorted_loop(
    xs: np.ndarray, y: np.ndarray, fair: bool, skipna: bool, out: np.ndarray
) -> None:
    """CRPS of each row of ``xs`` (sorted, NaN last) against ``y``, written to ``out``."""
    n, size = xs.shape
    for r in range(n):
        m = size
        if skipna:
            while m > 0 and np.isnan(xs[r, m - 1]):
                m -= 1
        if m == 0 or (fair and m < 2):
            out[r] = np.nan
            continue
        yr = y[r]
        absdev = 0.0
        spread = 0.0
        for i in range(m):
            v = xs[r, i]
            absdev += abs(v - yr)
            spread += (2 * i - m + 1) * v
        denom = m * (m - 1) if fair else m * m
        out[r] = absdev / m - spread / denom


def _crps_numba(fc: np.ndarray, obs: np.ndarray, *, fair: bool, skipna: bool) -> np.ndarray:
    (fc2, y), lead = flatten_leading([fc, obs], [1, 0])
    loop = compiled(_crps_sorted_loop)
    n = fc2.shape[0]
    y = np.ascontiguousarray(y, dtype=np.float64)
    out = np.empty(n)

    def score_block(start: int) -> None:
        stop = min(n, start + _BLOCK)
        block = np.sort(fc2[start:stop], axis=-1)  # NaN sorts last
        loop(block, y[start:stop], fair, skipna, out[start:stop])

    # NumPy's sort and the compiled loop both release the GIL: blocks run on all cores.
    starts = range(0, n, _BLOCK)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(score_block, starts))
    else:
        for start in starts:
            score_block(start)
    return out.reshape(lead)


def _crps_numpy(fc: np.ndarray, obs: np.ndarray, *, fair: bool, skipna: bool) -> np.ndarray:
    (fc2, y), lead = flatten_leading([fc, obs], [1, 0])
    xs = np.sort(fc2.astype(np.float64), axis=-1)  # NaN sorts last
    size = xs.shape[-1]
    if skipna:
        valid = ~np.isnan(xs)
        m = valid.sum(axis=-1)
        absdev = np.where(valid, np.abs(xs - y[:, None]), 0.0).sum(axis=-1)
        xs = np.where(valid, xs, 0.0)
    else:
        m = np.full(xs.shape[0], size)
        absdev = np.abs(xs - y[:, None]).sum(axis=-1)
    i = np.arange(size)
    weights = np.where(i < m[:, None], 2 * i - m[:, None] + 1, 0)
    spread = (weights * xs).sum(axis=-1)
    denom = (m * (m - 1) if fair else m * m).astype(np.float64)
    ok = denom > 0
    out = np.full(xs.shape[0], np.nan)
    out[ok] = absdev[ok] / m[ok] - spread[ok] / denom[ok]
    return out.reshape(lead)


def crps_ensemble(
    fc: Any,
    obs: Any,
    dim: str = "member",
    *,
    fair: bool = False,
    skipna: bool = False,
    backend: str | None = None,
) -> Any:
    """Continuous ranked probability score of an ensemble forecast.

    Parameters
    ----------
    fc : xarray.DataArray or array_like
        The ensemble. A plain array has the members on its last axis.
    obs : xarray.DataArray or array_like
        The observations: ``fc``'s shape without the ensemble dim (broadcast).
    dim : str, default "member"
        The ensemble dim of ``fc``.
    fair : bool, default False
        The fair CRPS (the spread term over :math:`M(M-1)` pairs), unbiased for
        the CRPS of the distribution the members are drawn from; needs two members.
    skipna : bool, default False
        ``False``: a NaN raises :class:`~gpu.errors.InputError`. ``True``: NaN
        members are left out of their forecast (the score uses the others) and
        a NaN observation gives a NaN score.
    backend : {None, "auto", "numba", "numpy"}
        ``numba`` (default): compiled loop over sorted blocks; ``numpy``: the
        vectorized reference.

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        The CRPS of each forecast, in the units of ``obs`` (``fc`` without ``dim``).
        Lazy for dask input; NumPy (a float for one forecast) for plain input.

    Raises
    ------
    InputError
        Missing ``dim``, an ``obs`` with the ensemble dim, mismatched sizes,
        a fair score of a one-member ensemble, NaN with ``skipna=False``.

    Examples
    --------
    >>> round(crps_ensemble([0.0, 1.0, 2.0], 0.5), 12)  # 7/18
    0.388888888889
    >>> round(crps_ensemble([0.0, 1.0, 2.0], 0.5, fair=True), 12)  # 1/6
    0.166666666667
    """
    args = [Arg("fc", fc, (dim,)), Arg("obs", obs)]
    least = {dim: (2, "the fair CRPS needs two members")} if fair else None
    arrays, plain = prepare(args, min_sizes=least)
    kernel = _crps_numba if kernel_backend(backend) == "numba" else _crps_numpy
    attrs = {
        "long_name": f"{'fair ' if fair else ''}CRPS of the ensemble forecast",
        **units_attrs(arrays[1], arrays[0]),
    }
    result = apply_kernel(
        kernel,
        arrays,
        args,
        skipna=skipna,
        kwargs={"fair": fair, "skipna": skipna},
        name="crps",
        attrs=attrs,
    )
    return finish(result, plain)
