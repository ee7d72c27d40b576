"""WGAN-GP options: the early-stopping units and the generator's principal-component basis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sciml.errors import ConfigError
from sciml.uq import sliced_wasserstein
from sciml.wgan import WGANGP, WGANConfig
from sciml.wgan._training import held_out_distance, history_scale
from tests._markers import requires_torch

pytestmark = requires_torch

TINY = WGANConfig(
    n_iterations=6, batch_size=16, hidden=16, latent_dim=4, patience=None, validation_fraction=0.0
)


def _flat(ds: xr.Dataset) -> np.ndarray:
    return ds["displacement"].values.reshape(ds.sizes["member"], -1)


def _arriving_pulses(n: int, rng: np.random.Generator) -> np.ndarray:
    """Ricker pulses arriving late at two nodes: ``(member, 64 time points, 2 channels)``.

    Before the arrival the histories are the pulses' Gaussian tails, 1e-20
    to 1e-3 of the peak: near-constant entries, more than half of them.
    """
    t = np.linspace(0.0, 1.0, 64).reshape(1, -1, 1)
    arrival = rng.uniform(0.75, 0.85, (n, 1, 1)) + np.array([0.0, 0.05]).reshape(1, 1, 2)
    x = (t - arrival) / 0.08
    return rng.lognormal(0.0, 0.3, (n, 1, 1)) * (1.0 - 2.0 * x**2) * np.exp(-(x**2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_data_units_tell_a_too_narrow_generator_from_a_right_one(seed: int) -> None:
    """Standardized units let near-constant entries weigh as much as the wave."""
    rng = np.random.default_rng(seed)
    train, held, fresh = (_arriving_pulses(n, rng) for n in (200, 100, 100))
    mean, std = history_scale(train)
    real = (fresh - mean) / std  # what a perfect generator outputs (standardized)
    quiet = std < 1e-3 * std.max()
    assert quiet.mean() > 0.5
    # spread 4x too narrow, near-constant entries right (a generator stopped too early)
    narrow = np.where(quiet, real, 0.25 * real)
    # the wave right, near-constant entries off by 1 standardized unit (1e-6 of the peak)
    right = np.where(quiet, rng.standard_normal(real.shape), real)
    scores = {
        units: [
            held_out_distance(fake, held, mean, std, WGANConfig(validation_units=units))
            for fake in (narrow, right)
        ]
        for units in ("data", "standardized")
    }
    # reference: the sliced W2 of numpy arrays in data units, computed directly
    expected = sliced_wasserstein(
        (right * std + mean).reshape(100, -1), held.reshape(100, -1), seed=0
    )
    assert scores["data"][1] == pytest.approx(expected, rel=1e-12)
    assert scores["data"][1] < 0.5 * scores["data"][0]
    assert 0.75 < scores["standardized"][1] / scores["standardized"][0] < 1.33


def test_data_units_are_the_default(histories: xr.Dataset) -> None:
    cfg = TINY.replace(validation_fraction=0.25, patience=5, eval_every=2)
    assert cfg.validation_units == "data"
    curve = WGANGP(cfg).fit(histories).history_["validation_sliced_w2"]
    assert curve.attrs["units"] == "m"
    standardized = WGANGP(cfg.replace(validation_units="standardized")).fit(histories)
    assert "standardized" in standardized.history_["validation_sliced_w2"].attrs["long_name"]


def _residual(histories: np.ndarray, basis: np.ndarray) -> float:
    """Relative norm of the part of ``histories`` outside the span of ``basis``'s rows."""
    outside = histories - histories @ basis.T @ basis
    return float(np.linalg.norm(outside) / np.linalg.norm(histories))


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_output_modes_keep_samples_in_the_leading_principal_components(
    architecture: str, histories: xr.Dataset, tmp_path: Path
) -> None:
    modes = 5
    gan = WGANGP(TINY.replace(architecture=architecture, output_modes=modes)).fit(histories)
    fake = _flat(gan.sample(64, seed=1))
    standardized = (fake - gan.mean_.ravel()) / gan.std_.ravel()
    # reference: numpy's SVD of the standardized training histories
    real = _flat(histories)
    _, _, vt = np.linalg.svd((real - real.mean(0)) / real.std(0), full_matrices=False)
    assert _residual(standardized, vt[:modes]) < 1e-5  # float32 networks
    free = WGANGP(TINY.replace(architecture=architecture)).fit(histories)
    free_fake = (_flat(free.sample(64, seed=1)) - free.mean_.ravel()) / free.std_.ravel()
    assert _residual(free_fake, vt[:modes]) > 0.1
    back = WGANGP.load(gan.save(tmp_path / "gen.pt"), like=histories)
    xr.testing.assert_identical(back.sample(64, seed=1), gan.sample(64, seed=1))


def test_more_output_modes_than_members_is_refused(histories: xr.Dataset) -> None:
    data = histories.isel(member=slice(0, 20))
    with pytest.raises(ConfigError, match="output_modes=21"):
        WGANGP(TINY.replace(output_modes=21)).fit(data)
    with pytest.raises(ConfigError, match="output_modes"):
        TINY.replace(output_modes=0)
