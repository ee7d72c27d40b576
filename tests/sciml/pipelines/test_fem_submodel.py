"""The fem-submodel workflow end to end: API, run file, bad input, and checks that can fail."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from gpu.errors import ConfigError
from sciml.cli import app
from sciml.config import parse_config
from sciml.demo import run_demo
from sciml.demo.fem_submodel import CONFIG
from sciml.ensemble import load_run
from sciml.pipelines.fem_submodel import FemSubmodelConfig, ZoneSubmodel, run
from sciml.wgan import WGANGP, WGANConfig
from sciml.wgan.layout import extract
from solvers.contract import validate_dataset
from solvers.fem import SubmodelConfig, sample_global
from tests._markers import requires_torch

pytestmark = requires_torch

GLOBAL = {"cells": 6, "n_steps": 24, "dt": 0.04}
WGAN = {
    "n_iterations": 30,
    "batch_size": 16,
    "hidden": 16,
    "latent_dim": 4,
    "patience": None,
    "validation_fraction": 0.0,
}
QOIS = ("peak_displacement", "peak_energy", "peak_von_mises")


def tiny(**changes: Any) -> FemSubmodelConfig:
    """A few seconds: 6×6 mesh, 24 steps, a 30-update WGAN."""
    data = {
        "global_model": GLOBAL,
        "wgan": WGAN,
        "n_train": 24,
        "n_heldout": 20,
        "n_samples": 24,
        "seed": 4,
        **changes,
    }
    return parse_config(FemSubmodelConfig, data)


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _held_out(config: FemSubmodelConfig) -> xr.Dataset:
    """The held-out members, computed independently of the workflow with ``sample_global``."""
    members = config.n_train + config.n_heldout
    ds = sample_global(config.global_model, members=members, seed=config.seed)
    return ds.isel(member=slice(config.n_train, None))


def test_api_end_to_end(tmp_path: Path) -> None:
    config = tiny()
    ds = run(config, scheduler="serial", figures=tmp_path)
    validate_dataset(ds, extra_dims=["source"])
    assert {p.name for p in tmp_path.iterdir()} == {"qoi_histograms.png", "boundary_histories.png"}
    assert parse_config(FemSubmodelConfig, json.loads(ds.attrs["config"])) == config
    assert list(ds["source"].values) == ["generated", "reference"]
    held = _held_out(config)
    submodel = ZoneSubmodel(config.global_model)
    for name in QOIS:
        assert ds[f"{name}_generated"].sizes["member"] == config.n_samples
        assert (ds[f"{name}_generated"] > 0).all()
        # the reference: the same FEM submodel driven by the held-out histories
        direct = [float(submodel(h["displacement"])[name]) for h in _members(held)]
        np.testing.assert_allclose(ds[f"{name}_reference"].values, direct, rtol=1e-12)
        ref = ds.sel(source="reference")
        assert float(ref[f"{name}_mean"]) == pytest.approx(np.mean(direct), rel=1e-12)
        assert float(ref[f"{name}_std"]) == pytest.approx(np.std(direct, ddof=1), rel=1e-9)
        np.testing.assert_allclose(
            ref[f"{name}_quantiles"].values,
            np.quantile(direct, config.quantiles),
            rtol=1e-12,
        )
        assert (ds[f"{name}_quantiles_lower"] <= ds[f"{name}_quantiles_upper"]).all()
        assert 0.0 <= float(ds[f"{name}_ks_p_value"]) <= 1.0
        assert ds[f"{name}_global"].sizes["sample"] == config.n_heldout
    generated = float(ds["seconds_per_sample"].sel(source="generated"))
    assert float(ds["speedup"]) == pytest.approx(
        float(ds["seconds_per_global_sample"]) / generated, rel=1e-12
    )
    assert float(ds["training_seconds"]) > 0
    assert float(ds["history_sliced_w2"]) > 0


def _members(ds: xr.Dataset) -> Iterator[xr.Dataset]:
    for k in range(ds.sizes["member"]):
        yield ds.isel(member=k)


class Replay(WGANGP):
    """A stand-in generator that returns given histories, scaled: ``sample(n)`` ignores the seed."""

    def __init__(self, histories: xr.Dataset, scale: float) -> None:
        super().__init__(WGANConfig(variable="displacement"))
        self.histories = histories.assign_coords(member=np.arange(histories.sizes["member"]))
        self.scale = scale
        self.layout_ = extract(histories, "displacement", ())[2]

    def sample(
        self, n: int, *, seed: int = 0, conditions: Mapping[str, Any] | None = None
    ) -> xr.Dataset:
        out = self.histories.isel(member=np.arange(n) % self.histories.sizes["member"])
        out = out.assign_coords(member=np.arange(n))
        out["displacement"] = self.scale * out["displacement"]
        out.attrs["backend"] = "replay"
        return out


def test_the_comparison_passes_real_histories_and_flags_scaled_ones() -> None:
    config = tiny(n_samples=20, n_heldout=20)
    held = _held_out(config)
    same = run(config, scheduler="serial", generator=Replay(held, 1.0))
    wrong = run(config, scheduler="serial", generator=Replay(held, 2.0))
    for name in QOIS:
        ref = same[f"{name}_reference"].values
        # the held-out histories themselves: identical QoI samples
        np.testing.assert_allclose(same[f"{name}_generated"].values, ref, rtol=1e-12)
        assert float(same[f"{name}_ks_statistic"]) == 0.0
        assert float(same[f"{name}_ks_p_value"]) == pytest.approx(1.0)
        assert float(same[f"{name}_w1_distance"]) == pytest.approx(0.0, abs=1e-12 * ref.max())
    # a linear submodel started at rest: doubled boundary data double the peak
    # displacement and stress and quadruple the energy, so W1 = (a - 1) E[q] exactly
    for name, power in (("peak_displacement", 1), ("peak_von_mises", 1), ("peak_energy", 2)):
        ref = wrong[f"{name}_reference"].values
        np.testing.assert_allclose(wrong[f"{name}_generated"].values, 2**power * ref, rtol=1e-9)
        expected = (2**power - 1) * ref.mean()
        assert float(wrong[f"{name}_w1_distance"]) == pytest.approx(expected, rel=1e-9)
        assert float(wrong[f"{name}_ks_p_value"]) < 0.05
        assert float(wrong[f"{name}_ks_statistic"]) > float(same[f"{name}_ks_statistic"])


RUN_FILE = """
pipeline = "fem-submodel"
members = 24
seed = 4
output = "mc.zarr"
scheduler = "serial"

[config]
n_train = 24
n_heldout = 20
qoi = ["peak_displacement"]

[config.global_model]
cells = 6
n_steps = 24
dt = 0.04

[config.wgan]
n_iterations = 30
batch_size = 16
hidden = 16
latent_dim = 4
validation_fraction = 0.0
"""


def _invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_run_file_matches_the_api(tmp_path: Path) -> None:
    path = tmp_path / "fem_submodel.toml"
    path.write_text(RUN_FILE)
    code, out, _ = _invoke("validate", path)
    assert code == 0
    assert "workflow fem-submodel, 24 members, seed 4" in out
    code, out, err = _invoke("run", path, "--no-progress")
    assert (code, err) == (0, ""), err
    assert "peak_displacement: KS p" in out
    stored = xr.open_zarr(tmp_path / "mc.zarr").load()
    assert {p.name for p in (tmp_path / "mc-plots").iterdir()} == {
        "qoi_histograms.png",
        "boundary_histories.png",
    }
    config = load_run(path).config
    assert isinstance(config, FemSubmodelConfig)
    assert config.wgan.patience == WGANConfig().patience  # defaults stay where not given
    direct = run(config, scheduler="serial")
    for name in ("peak_displacement_generated", "peak_displacement_reference"):
        np.testing.assert_array_equal(stored[name].values, direct[name].values)
    code, out, _ = _invoke("show", tmp_path / "mc.zarr")
    assert code == 0
    assert "workflow fem-submodel from" in out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("n_trian = 24", r"config\.n_trian: unknown key"),
        ("n_samples = 9", r"config\.n_samples: set the members once"),
        ("n_train = 12", r"config\.n_train: .*12 global members leave 12 for training.*16"),
        ('qoi = ["peak_stress"]', r"config\.qoi\.0: Input should be 'peak_displacement'"),
    ],
)
def test_bad_run_files_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    text = RUN_FILE.replace('qoi = ["peak_displacement"]', table)
    path.write_text(text.replace("n_train = 24\n", "") if "n_train" in table else text)
    with pytest.raises(ConfigError, match=message):
        load_run(path)
    code, _, err = _invoke("validate", path)
    assert code == 2
    assert "error:" in err


def test_bad_api_input() -> None:
    with pytest.raises(ConfigError, match="FemSubmodelConfig"):
        run(SubmodelConfig())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="peak_von_mises needs"):
        tiny(global_model={**GLOBAL, "kind": "wave"})
    with pytest.raises(ConfigError, match="set young_log_sd = 0"):
        tiny(global_model={**GLOBAL, "young_log_sd": 0.2})
    with pytest.raises(ConfigError, match="unconditional"):
        tiny(wgan={**WGAN, "conditions": ["amplitude"]})
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        tiny(quantiles=[0.5, 1.0])


def test_demo_part(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, parts=["fem-submodel"], show_progress=False)
    text = summary.read_text()
    assert "peak_displacement: mean" in text and "fem-submodel/qoi_histograms.png" in text
    with xr.open_dataset(tmp_path / "fem-submodel" / "fem_submodel.nc") as ds:
        assert FemSubmodelConfig.model_validate_json(ds.attrs["config"]) == CONFIG
        assert ds["peak_displacement_generated"].sizes["member"] == CONFIG.n_samples


def test_example_run_file_is_the_documented_configuration() -> None:
    root = Path(__file__).resolve().parents[3] / "examples"
    sys.path.insert(0, str(root))
    try:
        import fem_submodel_wgan
    finally:
        sys.path.pop(0)
    plan = load_run(root / "fem_submodel.toml")
    assert plan.describe().startswith("workflow fem-submodel, 1000 members, seed 1")
    assert plan.config == fem_submodel_wgan.config(quick=False)
