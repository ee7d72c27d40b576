"""WGAN-GP stochastic boundary conditions driving a submodel Monte Carlo.

Run ``python examples/wgan_boundary.py --output out/`` to

1. draw boundary histories ``(member, time, node, component)`` from a Gaussian
   process with known mean and covariance (a stand-in for the global FEM
   model's boundary histories);
2. train a WGAN-GP on them (checkpointed, early stopping on a held-out
   sliced W2 distance), save the generator and reload it;
3. sample new histories and run a linear submodel on generated and on
   held-out real histories through the ensemble runner;
4. write ``generator.pt``, ``loss_curves.nc``, ``submodel_mc.nc`` and
   ``wgan_boundary.png``, and check the QoI mean against the exact one.

Needs ``pip install 'sciml[torch]'``. ``--quick`` trains for a few seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import xarray as xr

import sciml
from sciml.wgan import (
    WGANGP,
    WGANConfig,
    gaussian_process_histories,
    gaussian_process_statistics,
    submodel_monte_carlo,
)


def main(output: Path, quick: bool = False) -> xr.Dataset:
    output.mkdir(parents=True, exist_ok=True)
    data = gaussian_process_histories(640, seed=0)
    held = gaussian_process_histories(400, seed=1)
    config = WGANConfig(
        n_iterations=200 if quick else 2000,
        batch_size=64 if quick else 128,
        hidden=64 if quick else 128,
        latent_dim=8 if quick else 16,
        lr_generator=1e-3,
        lr_critic=1e-3,
        adam_beta1=0.0,
        validation_fraction=0.2,
        eval_every=50,
        patience=10,
    )
    gan = WGANGP(config).fit(
        data, checkpoint=output / "training.ckpt", checkpoint_every=100, threads=1
    )
    print(f"trained {gan.n_iterations_} generator updates (stopped early: {gan.stopped_early_})")
    sciml.write_netcdf(
        gan.history_, output / "loss_curves.nc", overwrite=True, extra_dims=["iteration"]
    )
    gan.save(output / "generator.pt")
    gan = WGANGP.load(output / "generator.pt", like=data)

    mc = submodel_monte_carlo(gan, 400 if quick else 4000, reference=held, seed=2)
    sciml.write_netcdf(mc, output / "submodel_mc.nc", overwrite=True, extra_dims=["source"])
    mean, cov = gaussian_process_statistics()
    w = np.full(cov.shape[0], 1.0 / cov.shape[0])
    exact_mean, exact_std = float(w @ mean.ravel()), float(np.sqrt(w @ cov @ w))
    print(mc[["mean", "std"]].to_dataframe().to_string())
    print(
        f"exact QoI mean {exact_mean:.4f} m, std {exact_std:.4f} m; "
        f"KS p-value {float(mc.ks_p_value):.3f}, W1 {float(mc.w1_distance):.4f} m"
    )
    if abs(float(mc["mean"].sel(source="generated")) - exact_mean) > 0.5 * exact_std:
        raise SystemExit("the generated QoI mean is off by more than half a standard deviation")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fake = gan.sample(12, seed=3)
    fig, (left, mid, right) = plt.subplots(1, 3, figsize=(13, 3.8))
    held["displacement"].isel(member=slice(0, 12), node=0, component=0).plot.line(
        x="time", ax=left, add_legend=False, lw=0.8
    )
    left.set_title("real boundary histories (node 0)")
    fake["displacement"].isel(node=0, component=0).plot.line(
        x="time", ax=mid, add_legend=False, lw=0.8
    )
    mid.set_title("generated boundary histories (node 0)")
    bins = np.histogram_bin_edges(np.concatenate([mc.qoi_generated, mc.qoi_reference]), 30)
    right.hist(mc.qoi_reference, bins=bins, density=True, alpha=0.6, label="real")
    right.hist(mc.qoi_generated, bins=bins, density=True, alpha=0.6, label="generated")
    right.set(xlabel="QoI [m]", title="submodel QoI distribution")
    right.legend()
    fig.tight_layout()
    fig.savefig(output / "wgan_boundary.png", dpi=100)
    plt.close(fig)
    return mc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("out"))
    parser.add_argument("--quick", action="store_true", help="a small run (seconds)")
    args = parser.parse_args()
    main(args.output, quick=args.quick)
