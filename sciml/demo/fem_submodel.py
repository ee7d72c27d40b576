"""Demo part: the fem-submodel workflow at a tiny size.

A global elastodynamic ensemble (6 × 6 cells, random Ricker sources) gives
boundary histories of a zone; a small WGAN-GP learns them; the zone's FEM
submodel runs on generated and on held-out real histories, and the QoI
distributions are compared (KS, W1) with the wall time per sample. At this
size the GAN trains for a few seconds only: the comparison shows the
machinery, not a converged generator (see ``examples/fem_submodel_wgan.py``).
"""

from __future__ import annotations

from pathlib import Path

from sciml.demo._registry import DemoPart, DemoResult
from sciml.pipelines.fem_submodel import FemSubmodelConfig, run
from sciml.wgan import WGANConfig
from solvers.fem import SubmodelConfig
from solvers.io import write_netcdf

CONFIG = FemSubmodelConfig(
    global_model=SubmodelConfig(cells=6, n_steps=24, dt=0.04),
    wgan=WGANConfig(
        n_iterations=60, batch_size=16, hidden=32, latent_dim=8,
        lr_generator=1e-3, lr_critic=1e-3, adam_beta1=0.0,
        patience=None, validation_fraction=0.0,
    ),
    n_train=48, n_heldout=32, n_samples=64, seed=7,
)  # fmt: skip


def run_part(folder: Path, backend: str | None) -> DemoResult:
    """Run the workflow; ``backend`` does not apply (FEM on scikit-fem, the GAN on torch)."""
    ds = run(CONFIG, scheduler="serial", figures=folder)
    write_netcdf(ds, folder / "fem_submodel.nc", overwrite=True, extra_dims=["source"])
    findings = [
        f"{CONFIG.n_train} training and {CONFIG.n_heldout} held-out global members, "
        f"{CONFIG.n_samples} generated histories driving the zone's FEM submodel"
    ]
    for name in CONFIG.qoi:
        units = ds[f"{name}_generated"].attrs["units"]
        mean = ds[f"{name}_mean"]
        findings.append(
            f"{name}: mean {float(mean.sel(source='generated')):.3g} {units} generated vs "
            f"{float(mean.sel(source='reference')):.3g} {units} held-out; "
            f"KS p {float(ds[f'{name}_ks_p_value']):.3f}, W1 {float(ds[f'{name}_w1_distance']):.3g}"
        )
    findings.append(
        f"per sample: global model {float(ds.seconds_per_global_sample) * 1e3:.1f} ms, "
        f"generator + submodel {float(ds.seconds_per_sample.sel(source='generated')) * 1e3:.1f}"
        f" ms (speed-up {float(ds.speedup):.1f}x at this tiny size; the GAN trained "
        f"{float(ds.training_seconds):.1f} s)"
    )
    files = ["fem_submodel.nc", "qoi_histograms.png", "boundary_histories.png"]
    return DemoResult(files=files, findings=findings)


PART = DemoPart("fem-submodel", "The fem-submodel workflow: WGAN-GP boundary conditions", run_part)
