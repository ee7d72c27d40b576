"""The fem-submodel workflow: a WGAN-GP of boundary histories drives the FEM submodel.

Run ``python examples/fem_submodel_wgan.py --output out/`` to

1. run a global elastodynamic FEM ensemble with random Ricker sources
   (training and held-out members) through the ensemble runner;
2. train a WGAN-GP on the displacement histories of the zone's boundary;
3. drive the zone's FEM submodel with generated histories and with the
   held-out real ones;
4. write ``fem_submodel.nc`` (QoI samples, mean/std/quantiles with Monte
   Carlo confidence intervals, KS and W1, speed-up per sample),
   ``qoi_histograms.png`` and ``boundary_histories.png``.

The same workflow runs from a run file: ``sciml run fem_submodel.toml`` with
``pipeline = "fem-submodel"``. Needs ``pip install 'sciml[torch,fem]'``.
``--quick`` runs a tiny version in seconds; the full one trains 6,000
generator updates (about 3 minutes on a GPU, ``device="auto"``).
``--output-modes 64`` makes the generator produce only the leading 64
principal components of the training histories (``WGANConfig.output_modes``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import xarray as xr

from sciml.pipelines.fem_submodel import FemSubmodelConfig, run, summary
from sciml.wgan import WGANConfig
from solvers.fem import SubmodelConfig
from solvers.io import write_netcdf


def config(quick: bool, output_modes: int | None = None) -> FemSubmodelConfig:
    """The tiny (``quick``) or the documented one (that of ``examples/fem_submodel.toml``)."""
    chosen = _config(quick)
    wgan = chosen.wgan.replace(output_modes=output_modes)
    return chosen.replace(wgan=wgan)


def _config(quick: bool) -> FemSubmodelConfig:
    if quick:
        return FemSubmodelConfig(
            global_model=SubmodelConfig(cells=8, n_steps=40, dt=0.025),
            wgan=WGANConfig(
                n_iterations=100, batch_size=32, hidden=64, latent_dim=8,
                lr_generator=1e-3, lr_critic=1e-3, adam_beta1=0.0,
                patience=None, validation_fraction=0.0,
            ),
            n_train=64, n_heldout=64, n_samples=128, seed=1,
        )  # fmt: skip
    return FemSubmodelConfig(
        global_model=SubmodelConfig(cells=16, n_steps=60, dt=0.02),
        wgan=WGANConfig(
            n_iterations=6000, batch_size=64, hidden=128, latent_dim=16,
            lr_generator=1e-3, lr_critic=1e-3, adam_beta1=0.0,
            validation_fraction=0.0, device="auto",  # nothing held out: no early stopping
        ),
        n_train=512, n_heldout=256, n_samples=1000, seed=1,
    )  # fmt: skip


def main(output: Path, quick: bool = False, output_modes: int | None = None) -> xr.Dataset:
    output.mkdir(parents=True, exist_ok=True)
    chosen = config(quick, output_modes)
    ds = run(chosen, scheduler="serial" if quick else "threads", figures=output)
    write_netcdf(ds, output / "fem_submodel.nc", overwrite=True, extra_dims=["source"])
    print(summary(ds))
    for name in ("peak_displacement", "peak_energy", "peak_von_mises"):
        print(ds[[f"{name}_mean", f"{name}_std"]].to_dataframe().to_string())
    print(
        f"per sample: global model {float(ds.seconds_per_global_sample) * 1e3:.1f} ms, "
        f"generator + submodel {float(ds.seconds_per_sample.sel(source='generated')) * 1e3:.1f}"
        f" ms; training {float(ds.training_seconds):.1f} s"
    )
    # the generated median must lie inside the held-out 5-95 % range
    q = ds["peak_displacement_quantiles"]
    median = float(q.sel(source="generated", quantile=0.5))
    low, high = (float(q.sel(source="reference", quantile=p)) for p in (0.05, 0.95))
    if not low < median < high:
        raise SystemExit(
            f"generated median {median:.3g} outside the held-out [{low:.3g}, {high:.3g}]"
        )
    return ds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("out"))
    parser.add_argument("--quick", action="store_true", help="a tiny run (seconds)")
    parser.add_argument(
        "--output-modes", type=int, default=None, help="principal components the generator uses"
    )
    args = parser.parse_args()
    main(args.output, quick=args.quick, output_modes=args.output_modes)
