"""Synthetic boundary histories with known statistics: a Gaussian process in time.

The histories have the layout of the FEM boundary histories, dims
``(member, time, node, component)``. Every channel (node × component,
node-major) is a Gaussian process over ``t`` in [0, 1] with

* mean :math:`m_j(t) = a \\sin(2\\pi t + \\varphi_j)`, :math:`\\varphi_j = \\pi j / C`;
* covariance :math:`\\mathrm{Cov}(x_i(t), x_j(s)) = \\sigma^2 \\rho^{|i-j|}
  \\exp(-(t - s)^2 / (2\\ell^2))` (squared-exponential in time, AR(1)-like across channels).

With ``conditioned=True`` the amplitude :math:`a` of each member is drawn
uniformly from [0.5, 1.5] and stored as the coordinate ``amplitude`` along
``member``, for conditional GANs.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gpu.errors import ConfigError
from solvers.contract import with_provenance

__all__ = ["gaussian_process_histories", "gaussian_process_statistics"]

#: Range of the per-member amplitude of conditioned histories.
AMPLITUDE_RANGE = (0.5, 1.5)


def _check(n_time: int, n_nodes: int, n_components: int, length_scale: float) -> None:
    for name, value, least in (
        ("n_time", n_time, 2),
        ("n_nodes", n_nodes, 1),
        ("n_components", n_components, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}")
    if not length_scale > 0:
        raise ConfigError(f"length_scale must be positive, got {length_scale!r}")


def gaussian_process_statistics(
    n_time: int = 32,
    n_nodes: int = 2,
    n_components: int = 1,
    *,
    length_scale: float = 0.15,
    sigma: float = 0.5,
    rho: float = 0.6,
    amplitude: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact mean and covariance of :func:`gaussian_process_histories`.

    Parameters
    ----------
    n_time, n_nodes, n_components : int
        Sizes of the ``time``, ``node`` and ``component`` dims.
    length_scale : float, default 0.15
        Correlation length in time (the time runs over [0, 1]).
    sigma : float, default 0.5
        Standard deviation of every channel.
    rho : float, default 0.6
        Correlation of neighbouring channels.
    amplitude : float, default 1
        Amplitude :math:`a` of the mean.

    Returns
    -------
    mean : numpy.ndarray, shape (time, channel)
    covariance : numpy.ndarray, shape (time * channel, time * channel)
        Of the history flattened time-major (``history.reshape(-1)``).
    """
    _check(n_time, n_nodes, n_components, length_scale)
    t = np.linspace(0.0, 1.0, n_time)
    channels = n_nodes * n_components
    phase = np.pi * np.arange(channels) / channels
    mean = amplitude * np.sin(2 * np.pi * t[:, None] + phase[None, :])
    k_time = np.exp(-((t[:, None] - t[None, :]) ** 2) / (2 * length_scale**2))
    lag = np.abs(np.arange(channels)[:, None] - np.arange(channels)[None, :])
    return mean, sigma**2 * np.kron(k_time, rho**lag)


def gaussian_process_histories(
    n_members: int,
    *,
    n_time: int = 32,
    n_nodes: int = 2,
    n_components: int = 1,
    length_scale: float = 0.15,
    sigma: float = 0.5,
    rho: float = 0.6,
    conditioned: bool = False,
    seed: int = 0,
) -> xr.Dataset:
    """Draw boundary histories from the Gaussian process of the module docs.

    Parameters
    ----------
    n_members : int
        Number of histories (dim ``member``).
    n_time, n_nodes, n_components : int
        Sizes of the ``time``, ``node`` and ``component`` dims.
    length_scale, sigma, rho : float
        See :func:`gaussian_process_statistics`.
    conditioned : bool, default False
        Draw a per-member amplitude (coordinate ``amplitude``) instead of 1.
    seed : int, default 0
        Seed of the draws.

    Returns
    -------
    xarray.Dataset
        Variable ``displacement`` (m) with dims ``(member, time, node, component)``,
        time in seconds, and provenance.
    """
    if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:
        raise ConfigError(f"n_members must be a positive integer, got {n_members!r}")
    mean, cov = gaussian_process_statistics(
        n_time, n_nodes, n_components, length_scale=length_scale, sigma=sigma, rho=rho
    )
    rng = np.random.default_rng(seed)
    factor = np.linalg.cholesky(cov + 1e-8 * sigma**2 * np.eye(len(cov)))
    noise = rng.standard_normal((n_members, len(cov))) @ factor.T
    amplitude = rng.uniform(*AMPLITUDE_RANGE, n_members) if conditioned else np.ones(n_members)
    values = amplitude[:, None, None] * mean[None] + noise.reshape(n_members, *mean.shape)
    ds = xr.Dataset(
        {
            "displacement": xr.DataArray(
                values.reshape(n_members, n_time, n_nodes, n_components),
                dims=("member", "time", "node", "component"),
                attrs={"units": "m", "long_name": "boundary displacement"},
            )
        },
        coords={
            "member": ("member", np.arange(n_members), {"units": "1", "long_name": "member"}),
            "time": (
                "time",
                np.linspace(0.0, 1.0, n_time),
                {"units": "s", "long_name": "time", "standard_name": "time"},
            ),
            "node": ("node", np.arange(n_nodes), {"units": "1", "long_name": "boundary node"}),
            "component": (
                "component",
                np.arange(n_components),
                {"units": "1", "long_name": "displacement component"},
            ),
        },
    )
    if conditioned:
        ds = ds.assign_coords(
            amplitude=("member", amplitude, {"units": "m", "long_name": "load amplitude"})
        )
    config = {
        "n_members": n_members,
        "n_time": n_time,
        "n_nodes": n_nodes,
        "n_components": n_components,
        "length_scale": length_scale,
        "sigma": sigma,
        "rho": rho,
        "conditioned": conditioned,
    }
    return with_provenance(ds, backend="numpy", seed=seed, config=config)
