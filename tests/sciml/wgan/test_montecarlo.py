"""The submodel Monte Carlo: generated boundary conditions through the ensemble runner."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sciml.ensemble import MemberFailures
from sciml.errors import ConfigError, ContractError, InputError
from sciml.wgan import (
    WGANGP,
    LinearSubmodel,
    WGANConfig,
    gaussian_process_histories,
    gaussian_process_statistics,
    submodel_monte_carlo,
)
from solvers.contract import validate_dataset
from tests._markers import requires_torch

pytestmark = requires_torch


@pytest.fixture(scope="module")
def gan() -> WGANGP:
    cfg = WGANConfig(
        n_iterations=300,
        batch_size=64,
        hidden=64,
        latent_dim=8,
        lr_generator=1e-3,
        lr_critic=1e-3,
        patience=None,
        validation_fraction=0.0,
    )
    return WGANGP(cfg).fit(gaussian_process_histories(512, seed=0), threads=1)


def test_qoi_statistics_match_the_true_distribution(gan: WGANGP) -> None:
    reference = gaussian_process_histories(400, seed=1)
    mc = submodel_monte_carlo(gan, 400, reference=reference, seed=2, scheduler="serial")
    validate_dataset(mc, extra_dims=["source"])
    assert list(mc["source"].values) == ["generated", "reference"]
    # exact QoI distribution of the linear submodel: N(w.m, w^T C w), w = 1/64
    mean, cov = gaussian_process_statistics()
    w = np.full(cov.shape[0], 1.0 / cov.shape[0])
    true_mean, true_std = float(w @ mean.ravel()), float(np.sqrt(w @ cov @ w))
    ref = mc.sel(source="reference")
    assert float(ref.mean_lower) < true_mean < float(ref.mean_upper)
    gen = mc.sel(source="generated")
    assert abs(float(gen["mean"]) - true_mean) < 0.5 * true_std
    assert float(gen["std"]) == pytest.approx(true_std, rel=0.5)
    assert float(mc.w1_distance) < 0.5 * true_std
    assert mc["quantiles"].sizes["quantile"] == 3
    assert (mc["quantiles_lower"] <= mc["quantiles_upper"]).all()
    assert (mc["seconds_per_sample"] > 0).all()
    assert 0.0 <= float(mc.ks_p_value) <= 1.0


def test_user_submodel_and_errors(gan: WGANGP) -> None:
    def peak(boundary: xr.DataArray) -> float:
        return float(boundary.max())

    mc = submodel_monte_carlo(gan, 20, submodel=peak, seed=0, scheduler="serial")
    assert mc["qoi_generated"].sizes["member"] == 20
    assert "reference" not in mc["source"].values
    assert float(mc["mean"].sel(source="generated")) > 0.5  # the sine's peak is 1

    def broken(boundary: xr.DataArray) -> float:
        raise RuntimeError("solver diverged")

    with pytest.raises(MemberFailures):
        submodel_monte_carlo(gan, 4, submodel=broken, scheduler="serial")
    with pytest.raises(ContractError, match="no variable 'stress'"):
        submodel_monte_carlo(gan, 4, submodel=LinearSubmodel(name="q"), qoi="stress")
    wrong = gaussian_process_histories(10, n_time=16, seed=3)
    with pytest.raises(InputError, match="16 time points instead of 32"):
        submodel_monte_carlo(gan, 4, reference=wrong, scheduler="serial")


def test_several_qois_share_one_submodel_run(gan: WGANGP) -> None:
    calls: list[int] = []

    def two(boundary: xr.DataArray) -> xr.Dataset:
        calls.append(1)
        q = float(boundary.mean())
        attrs = {"units": "m", "long_name": "mean boundary value"}
        return xr.Dataset({"a": ((), q, attrs), "b": ((), 2.0 * q, attrs)})

    reference = gaussian_process_histories(8, seed=5)
    mc = submodel_monte_carlo(
        gan, 10, submodel=two, qoi=["a", "b"], reference=reference, scheduler="serial"
    )
    assert len(calls) == 18  # 10 generated + 8 reference histories, once each
    single = submodel_monte_carlo(
        gan, 10, submodel=LinearSubmodel(name="a"), qoi="a", reference=reference, scheduler="serial"
    )
    np.testing.assert_allclose(mc["a_generated"], single["qoi_generated"], rtol=1e-12)
    np.testing.assert_allclose(mc["a_mean"], single["mean"], rtol=1e-12)
    # b = 2 a: location and scale statistics double, the KS test is unchanged
    np.testing.assert_allclose(mc["b_quantiles"], 2.0 * mc["a_quantiles"], rtol=1e-12)
    assert float(mc["b_w1_distance"]) == pytest.approx(2.0 * float(mc["a_w1_distance"]))
    assert float(mc["b_ks_p_value"]) == float(mc["a_ks_p_value"])
    assert "seconds_per_sample" in mc and "qoi_generated" not in mc
    with pytest.raises(ConfigError, match="distinct names"):
        submodel_monte_carlo(gan, 4, submodel=two, qoi=["a", "a"])
