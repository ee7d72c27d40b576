"""Plots of the ``fem-submodel`` workflow (matplotlib, imported when called)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_qoi_histograms(ds: xr.Dataset, qois: Sequence[str], path: Path) -> Path:
    """One panel per QoI: generated and held-out histograms overlaid, with KS and W1."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(qois), figsize=(4.6 * len(qois), 3.6), squeeze=False)
    for ax, name in zip(axes[0], qois, strict=True):
        gen, ref = ds[f"{name}_generated"].values, ds[f"{name}_reference"].values
        bins = np.histogram_bin_edges(np.concatenate([gen, ref]), 25)
        ax.hist(ref, bins=bins, density=True, alpha=0.55, label=f"held-out real ({ref.size})")
        ax.hist(gen, bins=bins, density=True, alpha=0.55, label=f"generated ({gen.size})")
        units = ds[f"{name}_generated"].attrs.get("units", "1")
        ax.set(xlabel=f"{name} [{units}]", ylabel="density")
        ax.set_title(
            f"KS p = {float(ds[f'{name}_ks_p_value']):.2f}, "
            f"W1 = {float(ds[f'{name}_w1_distance']):.2g} {units}",
            fontsize=10,
        )
        ax.legend(fontsize=8)
    fig.suptitle("submodel QoI: generated vs held-out boundary histories", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_boundary_histories(real: xr.Dataset, fake: xr.Dataset, path: Path, n: int = 10) -> Path:
    """Boundary histories at the node that moves most, real (left) and generated (right)."""
    plt = _pyplot()
    disp = real["displacement"]
    node = int(np.argmax(abs(disp).max(("member", "time", "component")).values))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for ax, ds, title in ((axes[0], real, "held-out real"), (axes[1], fake, "generated")):
        da = ds["displacement"].isel(node=node, component=0, member=slice(0, n))
        da.plot.line(x="time", ax=ax, add_legend=False, lw=0.8)
        ax.set_title(f"{title} boundary histories (node {int(da['node'])}, component 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
