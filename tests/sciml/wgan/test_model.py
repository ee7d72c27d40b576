"""WGAN-GP: gradient penalty, determinism, resume, conditioning, save/load, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sciml.errors import BackendUnavailable, ConfigError, ContractError, InputError
from sciml.uq import sliced_wasserstein
from sciml.wgan import WGANGP, WGANConfig, gaussian_process_histories, gradient_penalty
from sciml.wgan.model import FORMAT_VERSION
from solvers.contract import validate_dataset
from tests._markers import requires_torch

pytestmark = requires_torch

TINY = WGANConfig(
    n_iterations=6, batch_size=16, hidden=16, latent_dim=4, patience=None, validation_fraction=0.0
)


def _flat(ds: xr.Dataset) -> np.ndarray:
    return ds["displacement"].values.reshape(ds.sizes["member"], -1)


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_penalty_of_a_linear_critic_is_exact(seed: int) -> None:
    torch = pytest.importorskip("torch")
    rng = torch.Generator().manual_seed(seed)
    w = torch.randn(8, 3, generator=rng, dtype=torch.float64)

    def critic(x: object, cond: object) -> object:
        return (x * w).sum(dim=(1, 2)) + 0.7

    real = torch.randn(5, 8, 3, generator=rng, dtype=torch.float64)
    fake = torch.randn(5, 8, 3, generator=rng, dtype=torch.float64)
    eps = torch.rand(5, 1, 1, generator=rng, dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake, torch.empty(5, 0), eps, 10.0)
    expected = 10.0 * (float(w.norm()) - 1.0) ** 2
    assert float(gp) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_same_seed_same_weights_and_global_rng_untouched(
    architecture: str, histories: xr.Dataset
) -> None:
    torch = pytest.importorskip("torch")
    cfg = TINY.replace(architecture=architecture)
    before = torch.random.get_rng_state()
    a = WGANGP(cfg).fit(histories)
    b = WGANGP(cfg).fit(histories)
    assert torch.equal(torch.random.get_rng_state(), before)
    for (name, pa), pb in zip(
        a.generator_.state_dict().items(), b.generator_.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
    c = WGANGP(cfg.replace(seed=1)).fit(histories)
    assert not np.allclose(_flat(a.sample(4, seed=0)), _flat(c.sample(4, seed=0)))


def test_resume_from_checkpoint_equals_one_run(histories: xr.Dataset, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    cfg = TINY.replace(n_iterations=8, validation_fraction=0.25, patience=50, eval_every=2)
    straight = WGANGP(cfg).fit(histories)
    ckpt = tmp_path / "train.ckpt"
    WGANGP(cfg.replace(n_iterations=4)).fit(histories, checkpoint=ckpt, checkpoint_every=2)
    resumed = WGANGP(cfg).fit(histories, checkpoint=ckpt, resume=True)
    assert resumed.n_iterations_ == 8
    for (name, pa), pb in zip(
        straight.generator_.state_dict().items(),
        resumed.generator_.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(pa, pb), name
    xr.testing.assert_identical(straight.history_, resumed.history_)
    with pytest.raises(ConfigError, match="hidden"):
        WGANGP(cfg.replace(hidden=8)).fit(histories, checkpoint=ckpt, resume=True)
    other = gaussian_process_histories(256, seed=5)
    with pytest.raises(InputError, match="other data"):
        WGANGP(cfg).fit(other, checkpoint=ckpt, resume=True)


def test_loss_curves_and_early_stopping(histories: xr.Dataset) -> None:
    cfg = TINY.replace(
        n_iterations=200, validation_fraction=0.25, eval_every=1, patience=2, lr_generator=1e-2
    )
    gan = WGANGP(cfg).fit(histories)
    curves = gan.history_
    assert curves.sizes["iteration"] == gan.n_iterations_
    assert set(curves.data_vars) >= {"wasserstein_estimate", "gradient_penalty", "generator_loss"}
    validate_dataset(curves, extra_dims=["iteration"])
    assert gan.stopped_early_ and gan.n_iterations_ < 200
    scores = curves["validation_sliced_w2"].values
    assert np.isfinite(scores).all()
    # the generator kept is the best one: its score is the minimum, reached before the end
    assert np.argmin(scores) == len(scores) - 1 - cfg.patience


def test_sample_layout_and_save_load(histories: xr.Dataset, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    gan = WGANGP(TINY.replace(architecture="conv")).fit(histories, progress=True, threads=1)
    ds = gan.sample(7, seed=3)
    validate_dataset(ds)
    assert ds["displacement"].dims == ("member", "time", "node", "component")
    assert ds.sizes["member"] == 7
    assert ds["displacement"].attrs["units"] == "m"
    xr.testing.assert_identical(ds["time"], histories["time"])
    xr.testing.assert_identical(ds, gan.sample(7, seed=3))
    path = gan.save(tmp_path / "gen.pt")
    back = WGANGP.load(path, like=histories)
    xr.testing.assert_identical(back.sample(7, seed=3), ds)

    other = gaussian_process_histories(20, n_nodes=3, seed=1)
    with pytest.raises(InputError, match="3 node points instead of 2"):
        WGANGP.load(path, like=other)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(InputError, match="format"):
        WGANGP.load(tmp_path / "future.pt")
    (tmp_path / "junk.pt").write_text("not a model")
    with pytest.raises(InputError, match="not a sciml WGAN file"):
        WGANGP.load(tmp_path / "junk.pt")


def test_conv_generator_uses_the_condition() -> None:
    data = gaussian_process_histories(64, n_nodes=1, conditioned=True, seed=2)
    gan = WGANGP(TINY.replace(architecture="conv", conditions=("amplitude",))).fit(data)
    low = gan.sample(4, seed=0, conditions={"amplitude": 0.5})
    high = gan.sample(4, seed=0, conditions={"amplitude": [1.5, 1.5, 1.5, 1.5]})
    assert not np.allclose(low["displacement"], high["displacement"])


def test_conditioning_learns_the_amplitude() -> None:
    data = gaussian_process_histories(512, n_nodes=1, conditioned=True, seed=2)
    cfg = WGANConfig(
        conditions=("amplitude",),
        n_iterations=150,
        batch_size=64,
        hidden=32,
        latent_dim=4,
        lr_generator=1e-3,
        lr_critic=1e-3,
        patience=None,
        validation_fraction=0.0,
    )
    gan = WGANGP(cfg).fit(data)
    low = gan.sample(256, seed=0, conditions={"amplitude": 0.5})
    high = gan.sample(256, seed=0, conditions={"amplitude": 1.5})
    assert np.all(low["amplitude"].values == 0.5)
    # the mean history scales with the amplitude: sin(2 pi t) on one channel
    t = data["time"].values
    shape = np.sin(2 * np.pi * t)
    gain_low = float(low["displacement"].mean("member").squeeze().values @ shape / (shape @ shape))
    gain_high = float(
        high["displacement"].mean("member").squeeze().values @ shape / (shape @ shape)
    )
    assert gain_high - gain_low > 0.5  # exact: 1.0
    with pytest.raises(InputError, match="missing"):
        gan.sample(3)


def test_bad_input(histories: xr.Dataset) -> None:
    gan = WGANGP(TINY)
    with pytest.raises(ContractError, match="xarray Dataset"):
        gan.fit(histories["displacement"])  # type: ignore[arg-type]
    with pytest.raises(ContractError, match="need exactly"):
        gan.fit(histories.rename(node="nodes"))
    with pytest.raises(ContractError, match="need exactly"):
        gan.fit(histories.expand_dims(lat=[0.0]))
    with pytest.raises(InputError, match="found 0 variables"):
        gan.fit(histories.assign(other=histories["time"]).rename(node="nodes"))
    bad = histories.copy(deep=True)
    bad["displacement"][3, 4, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        gan.fit(bad)
    with pytest.raises(InputError, match="too few"):
        gan.fit(histories.isel(member=slice(0, 10)))
    with pytest.raises(InputError, match="not trained"):
        gan.sample(3)
    with pytest.raises(InputError, match="condition 'load'"):
        WGANGP(TINY.replace(conditions=("load",))).fit(histories)
    with pytest.raises(ConfigError, match="kernel_size"):
        WGANConfig().replace(kernel_size=4)
    with pytest.raises(ConfigError, match="device"):
        WGANConfig().replace(device="tpu")


def test_training_improves_on_the_untrained_generator() -> None:
    data = gaussian_process_histories(512, seed=0)
    held = _flat(gaussian_process_histories(512, seed=1))
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
    untrained = WGANGP(cfg.replace(n_iterations=1, lr_generator=1e-12, lr_critic=1e-12)).fit(data)
    trained = WGANGP(cfg).fit(data)
    sw_before = sliced_wasserstein(_flat(untrained.sample(512, seed=9)), held)
    sw_after = sliced_wasserstein(_flat(trained.sample(512, seed=9)), held)
    assert sw_after < 0.5 * sw_before
    assert sw_after < 0.15  # real vs real at this size: about 0.06


def test_cuda_device(histories: xr.Dataset) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is visible: see test_cuda_matches_cpu")
    with pytest.raises(BackendUnavailable, match="no CUDA GPU"):
        WGANGP(TINY.replace(device="cuda")).fit(histories)
    assert WGANGP(TINY.replace(device="auto")).fit(histories).device_.type == "cpu"


@pytest.mark.gpu
def test_cuda_matches_cpu(histories: xr.Dataset) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    gpu = WGANGP(TINY.replace(device="cuda")).fit(histories)
    cpu = WGANGP(TINY).fit(histories)
    assert next(gpu.generator_.parameters()).device.type == "cuda"
    # the same random draws on both devices: the results differ by rounding only
    np.testing.assert_allclose(
        gpu.sample(16, seed=0)["displacement"], cpu.sample(16, seed=0)["displacement"], atol=1e-3
    )


def test_constant_entries_are_reproduced(histories: xr.Dataset) -> None:
    """A state at rest at t = 0 (zero variance) stays at rest in generated histories."""
    data = histories.copy(deep=True)
    data["displacement"][:, 0] = 0.0  # every member starts at rest
    data["displacement"][:, :, 1] = 0.25  # node 1 is clamped
    gan = WGANGP(TINY).fit(data)
    fake = gan.sample(64, seed=3)["displacement"]
    scale = float(histories["displacement"].std("member").max())
    np.testing.assert_allclose(fake[:, 0, 0].values, 0.0, atol=1e-10 * scale)
    np.testing.assert_allclose(fake[:, :, 1].values, 0.25, atol=1e-10 * scale)
    assert float(fake[:, 1:, 0].std()) > 0.1 * scale  # the rest still varies
