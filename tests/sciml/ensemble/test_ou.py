"""The built-in ou pipeline: exact Ornstein-Uhlenbeck statistics through the runner."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError
from sciml.config import parse_config
from sciml.ensemble import run_ensemble
from sciml.ensemble.ou import OUConfig, ou_mean, ou_member, ou_members, ou_variance
from solvers.contract import validate_dataset

MEMBERS = 4000
CONFIG = OUConfig(theta=1.5, sigma=0.8, mu=0.5, x0=2.0, x0_spread=0.3, dt=0.05, n_steps=80)


@pytest.fixture(scope="module")
def ensemble() -> xr.Dataset:
    return run_ensemble(
        ou_member, MEMBERS, seed=11, config=CONFIG, batch=ou_members, scheduler="threads"
    )


def test_mean_and_variance_match_theory_at_every_time(ensemble: xr.Dataset) -> None:
    t = ensemble["time"].values
    variance = ou_variance(CONFIG, t)
    mean = ou_mean(CONFIG, t)
    # Sampling errors of M draws of a Gaussian: sd(mean) = sqrt(var / M) and
    # sd(sample variance) = var sqrt(2 / (M - 1)); allow 5 of them at each of the
    # 81 (correlated) times, so the check holds for any seed but a rare one.
    mean_tolerance = 5 * np.sqrt(variance / MEMBERS)
    variance_tolerance = 5 * variance * np.sqrt(2 / (MEMBERS - 1))
    np.testing.assert_array_less(np.abs(ensemble["x"].mean("member").values - mean), mean_tolerance)
    sample_variance = ensemble["x"].var("member", ddof=1).values
    np.testing.assert_array_less(np.abs(sample_variance - variance), variance_tolerance)
    stationary = CONFIG.sigma**2 / (2 * CONFIG.theta)
    assert variance[-1] == pytest.approx(stationary, rel=1e-4)  # t = 4 s is 6 / theta
    np.testing.assert_allclose(ensemble["x0"].values, ensemble["x"].isel(time=0).values)


def test_output_follows_the_contract(ensemble: xr.Dataset) -> None:
    validate_dataset(ensemble)
    assert ensemble["time"].attrs["units"] == "s"
    assert ensemble["x"].dims == ("member", "time")
    assert ensemble.sizes == {"member": MEMBERS, "time": CONFIG.n_steps + 1}


def test_batched_and_single_member_paths_are_identical() -> None:
    config = OUConfig(n_steps=50, x0_spread=1.0)
    batched = run_ensemble(
        ou_member, 16, seed=3, config=config, batch=ou_members, scheduler="serial"
    )
    single = run_ensemble(ou_member, 16, seed=3, config=config, scheduler="serial", chunk_size=5)
    xr.testing.assert_identical(batched.drop_attrs(), single.drop_attrs())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("theta", -1.0, "theta: Input should be greater than 0"),
        ("dt", 0.0, "dt: Input should be greater than 0"),
        ("sigma", float("nan"), "sigma: Input should be a finite number"),
        ("n_steps", 0, "n_steps: Input should be greater than or equal to 1"),
        ("thetta", 1.0, "thetta: unknown key"),
    ],
)
def test_invalid_configuration_names_the_key(key: str, value: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(OUConfig, {key: value})
