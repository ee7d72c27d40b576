"""The issue's quality check: a WGAN-GP learns a Gaussian process's mean and covariance.

Signals: :func:`sciml.wgan.gaussian_process_histories` (32 time points, 2
nodes, squared-exponential kernel in time, known mean and covariance).
About 45 s on one CPU thread, so marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from sciml.uq import sliced_wasserstein
from sciml.wgan import (
    WGANGP,
    WGANConfig,
    gaussian_process_histories,
    gaussian_process_statistics,
)
from tests._markers import requires_torch

pytestmark = [requires_torch, pytest.mark.slow]

CONFIG = WGANConfig(
    n_iterations=2000,
    batch_size=128,
    hidden=128,
    latent_dim=16,
    lr_generator=1e-3,
    lr_critic=1e-3,
    adam_beta1=0.0,
    patience=None,
    validation_fraction=0.0,
)


def _errors(samples: np.ndarray) -> tuple[float, float]:
    mean, cov = gaussian_process_statistics()
    mean_err = np.linalg.norm(samples.mean(0) - mean.ravel()) / np.linalg.norm(mean)
    cov_err = np.linalg.norm(np.cov(samples.T) - cov) / np.linalg.norm(cov)
    return float(mean_err), float(cov_err)


def test_generator_matches_the_gaussian_process() -> None:
    def flat(seed: int, n: int = 512) -> np.ndarray:
        return gaussian_process_histories(n, seed=seed)["displacement"].values.reshape(n, -1)

    data = gaussian_process_histories(1024, seed=0)
    held, other = flat(1), flat(2)
    gan = WGANGP(CONFIG).fit(data)
    fake = gan.sample(4096, seed=3)["displacement"].values.reshape(4096, -1)
    sw_real = sliced_wasserstein(other, held)
    sw_gen = sliced_wasserstein(fake[:512], held)
    mean_err, cov_err = _errors(fake)
    assert sw_gen < 2.0 * sw_real
    assert mean_err < 0.2
    assert cov_err < 0.2

    # a generator with the right marginals but no correlations: each coordinate
    # shuffled independently across real samples
    rng = np.random.default_rng(4)
    real = flat(5, 4096)
    decorrelated = np.take_along_axis(real, rng.random(real.shape).argsort(axis=0), axis=0)
    sw_bad = sliced_wasserstein(decorrelated[:512], held)
    _, cov_err_bad = _errors(decorrelated)
    assert sw_bad > 2.0 * sw_real
    assert sw_bad > 1.5 * sw_gen
    assert cov_err_bad > 3.0 * cov_err
