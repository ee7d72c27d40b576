"""Demo part: physics-informed clustering of snapshots and local reduced bases.

A moving front whose amplitude varies 30x is clustered two ways with the
same number of clusters K: sine k-medoids (the dissimilarity is the
projection error onto a line, blind to amplitude) and Euclidean k-means (the
classical baseline, which sorts snapshots by size). The picture shows the
clusters in parameter space and the mean relative test projection error
against the online dimension N for both local bases and one global POD
basis; the a priori efficiency criterion, computed from the training set
alone, recommends (K, N) for a 5 % target. A POD-Galerkin ROM of a heat
problem with a moving source is then set against the full model: fields and
wall times side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from gpu._optional import module_available
from sciml.demo._registry import DemoPart, DemoResult
from solvers.contract import with_provenance
from solvers.io import write_netcdf
from solvers.rom import LocalBases, efficiency_criterion, moving_front, pod, projection_error

__all__ = ["PART", "clustering_study", "plot_study", "run"]

SEED = 2024
KINDS: tuple[Literal["sine", "euclidean"], ...] = ("sine", "euclidean")


def clustering_study(
    n_train: int = 400,
    n_test: int = 200,
    n_dofs: int = 200,
    k: int = 8,
    n_values: Sequence[int] = (1, 2, 3, 4, 6, 8),
    backend: str | None = "numpy",
) -> xr.Dataset:
    """Sine k-medoids, Euclidean k-means and global POD on a moving front.

    Parameters
    ----------
    n_train, n_test, n_dofs : int
        Training and test set sizes, grid points.
    k : int
        Clusters of both clusterings.
    n_values : sequence of int
        Online dimensions N to compare.
    backend : str
        Backend of the sine dissimilarity.

    Returns
    -------
    xarray.Dataset
        ``error`` (``basis``, ``n_modes``): mean relative test projection
        error; ``cluster_sine`` and ``cluster_euclidean`` (``snapshot``) of the
        training set with its ``position`` and ``amplitude``.
    """
    train = moving_front(n_train, n_dofs, seed=SEED)
    test = moving_front(n_test, n_dofs, seed=SEED + 1)
    methods = ("sine k-medoids", "euclidean k-means", "global POD")
    errors = np.empty((3, len(n_values)))
    labels = {}
    x = test.values
    norms = np.linalg.norm(x, axis=1)
    for row, kind in enumerate(KINDS):
        # the first n modes of a cluster's SVD are its n-mode POD basis: fit once
        fitted = LocalBases(k, max(n_values), kind, n_init=3, backend=backend, seed=SEED)
        fitted.fit(train)
        labels[kind] = fitted.labels_
        chosen = fitted.assign(test)
        for col, n in enumerate(n_values):
            residual = np.empty_like(x)
            for j, basis in enumerate(fitted.bases_):
                rows = chosen == j
                residual[rows] = x[rows] - (x[rows] @ basis[:n].T) @ basis[:n]
            errors[row, col] = float(np.mean(np.linalg.norm(residual, axis=1) / norms))
    for col, n in enumerate(n_values):
        errors[2, col] = float(projection_error(test, pod(train, n_modes=n)).mean())
    ds = xr.Dataset(
        {
            "error": (
                ("basis", "n_modes"),
                errors,
                {"units": "1", "long_name": "mean relative test projection error"},
            ),
            "cluster_sine": ("snapshot", labels["sine"], {"units": "1", "long_name": "cluster"}),
            "cluster_euclidean": (
                "snapshot",
                labels["euclidean"],
                {"units": "1", "long_name": "cluster"},
            ),
        },
        coords={
            "basis": list(methods),
            "n_modes": list(n_values),
            "position": (
                "snapshot",
                train.position.values,
                {"units": "1", "long_name": "front position"},
            ),
            "amplitude": (
                "snapshot",
                train.amplitude.values,
                {"units": "1", "long_name": "amplitude"},
            ),
        },
    )
    config = {"n_train": n_train, "n_test": n_test, "n_dofs": n_dofs, "k": k}
    return with_provenance(ds, backend=str(backend), seed=SEED, config=config)


def plot_study(ds: xr.Dataset, path: Path) -> None:
    """Clusters in parameter space (sine, Euclidean) and error versus N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, name in zip(axes[:2], ("sine", "euclidean"), strict=True):
        ax.scatter(ds["position"], ds["amplitude"], c=ds[f"cluster_{name}"], cmap="tab10", s=10)
        ax.set_yscale("log")
        ax.set_xlabel("front position")
        ax.set_ylabel("amplitude")
        ax.set_title(f"{'sine k-medoids' if name == 'sine' else 'Euclidean k-means'} clusters")
    for basis in ds["basis"].values:
        axes[2].semilogy(ds["n_modes"], ds["error"].sel(basis=basis), "o-", label=str(basis))
    axes[2].set_xlabel("online dimension N")
    axes[2].set_ylabel("mean relative test error")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _galerkin(folder: Path) -> tuple[list[str], list[str]]:
    from solvers.rom import GalerkinROM, MovingSourceProblem

    problem = MovingSourceProblem(2000)
    rng = np.random.default_rng(SEED)
    train = problem.snapshots(problem.sample_parameters(200, rng))
    bases = LocalBases(6, 10, seed=SEED).fit(train)
    test = problem.sample_parameters(50, rng)
    findings = []
    for select in ("parameters", "residual"):
        result = GalerkinROM(problem, bases, select=select).compare(test)
        speedup = result.attrs["full_seconds"] / result.attrs["rom_seconds"]
        findings.append(
            f"POD-Galerkin on 6 local bases of N = 10 (2001 nodes), basis chosen by {select}: "
            f"median relative error {float(result['error'].median()):.1e}, "
            f"{speedup:.0f}x faster than the full model "
            f"({result.attrs['full_seconds']:.3f} s vs {result.attrs['rom_seconds']:.4f} s "
            "for 50 solves)"
        )
    result = with_provenance(result, backend="numpy", seed=SEED, config={"n_elements": 2000})
    write_netcdf(result, folder / "galerkin.nc", overwrite=True)
    return ["galerkin.nc"], findings


def run(folder: Path, backend: str | None) -> DemoResult:
    """Cluster the moving front, plot, apply the criterion, run the Galerkin ROM."""
    ds = clustering_study(backend=backend or "numpy")
    write_netcdf(ds, folder / "clustering.nc", overwrite=True, extra_dims=["basis", "n_modes"])
    plot_study(ds, folder / "clustering.png")
    at4 = ds["error"].sel(n_modes=4)
    sine, euclid, glob = (float(at4.isel(basis=i)) for i in range(3))
    report = efficiency_criterion(moving_front(400, 200, seed=SEED), (1, 2, 4, 8), 8, 0.05)
    global_n = int(report.attrs["global_n"])
    global_text = f"N = {global_n}" if global_n > 0 else "not reached with N <= 8"
    findings = [
        f"K = 8, N = 4: sine k-medoids {sine:.1e}, Euclidean k-means {euclid:.1e} "
        f"({euclid / sine:.0f}x worse), global POD {glob:.1e} ({glob / sine:.0f}x worse)",
        f"efficiency criterion for a 5% target: K = {report.attrs['recommended_k']}, "
        f"N = {report.attrs['recommended_n']} (global basis: {global_text})",
    ]
    files = ["clustering.nc", "clustering.png"]
    if module_available("skfem"):
        more, found = _galerkin(folder)
        files += more
        findings += found
    else:
        findings.append("Galerkin ROM skipped: pip install 'sciml[fem]'")
    return DemoResult(files=files, findings=findings)


PART = DemoPart("rom", "Reduced-order models: clustering and local bases", run)
