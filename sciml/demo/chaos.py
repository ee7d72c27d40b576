"""Demo part: chaotic systems from the dysts catalog, integrated in batches.

A gallery of attractors (one batched call per system), an ensemble of 32
Lorenz members started 1e-8 apart spreading over the attractor (the spread
grows as exp(lambda t) until it saturates), and a table of largest Lyapunov
exponents against dysts' estimates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gpu._optional import module_available
from sciml.demo._registry import DemoPart, DemoResult
from solvers import chaos
from solvers.io import write_netcdf

GALLERY = (
    "Lorenz",
    "Rossler",
    "Thomas",
    "Halvorsen",
    "Aizawa",
    "Chen",
    "Dadras",
    "SprottB",
    "Arneodo",
)
TABLE = ("Lorenz", "Rossler", "Halvorsen")
MEMBERS = 32


def run(folder: Path, backend: str | None) -> DemoResult:
    """Draw the gallery, spread an ensemble, tabulate Lyapunov exponents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = backend or "auto"
    fig = plt.figure(figsize=(12, 12))
    for i, name in enumerate(GALLERY):
        ds = chaos.trajectory(name, 2000, pts_per_period=100, rtol=1e-6, atol=1e-6, backend=chosen)
        x = ds.x.isel(member=0).values
        ax = fig.add_subplot(3, 3, i + 1, projection="3d")
        ax.plot(x[:, 0], x[:, 1], x[:, 2], lw=0.3)
        ax.set_title(name)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(folder / "gallery.png", dpi=90)
    plt.close(fig)

    lorenz = chaos.get("Lorenz")
    start = chaos.trajectory("Lorenz", 2, dt=10 * (lorenz.period or 1.0), backend="numpy")
    ic = start.x.values[0, -1] + 1e-8 * np.random.default_rng(2024).standard_normal((MEMBERS, 3))
    ens = chaos.trajectory(
        "Lorenz", 1200, members=MEMBERS, ic=ic, rtol=1e-10, atol=1e-10, backend=chosen
    )
    write_netcdf(ens, folder / "lorenz_ensemble.nc", overwrite=True)
    spread = ens.x.std("member").max("component")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for m in range(0, MEMBERS, 8):
        left.plot(ens.x.values[m, :, 0], ens.x.values[m, :, 2], lw=0.4)
    left.set(xlabel="x", ylabel="z", title=f"{MEMBERS} Lorenz members")
    right.semilogy(ens.lyapunov_time, spread)
    lt = ens.lyapunov_time.values
    growth = 1e-8 * np.exp(lt)
    right.semilogy(lt, growth, "k:", label="exp(t / Lyapunov time)")
    right.set(xlabel="Lyapunov times", ylabel="ensemble spread", title="spread")
    right.legend()
    fig.tight_layout()
    fig.savefig(folder / "lorenz_ensemble.png", dpi=110)
    plt.close(fig)

    lyap_backend = "jax" if module_available("jax") else "numpy"
    periods = 100.0 if lyap_backend == "jax" else 20.0
    finite = bool(np.isfinite(ens.x.values).all())
    findings = [
        f"ensemble: {MEMBERS} Lorenz members on {ens.attrs['backend']}, all finite: {finite}"
    ]
    lines = [
        "| system | largest exponent (sciml) | dysts estimate | Kaplan–Yorke |",
        "|---|---|---|---|",
    ]
    for name in TABLE:
        spectrum = chaos.lyapunov_spectrum(
            name, members=2, periods=periods, seed=0, backend=lyap_backend
        )
        mean = spectrum.mean("member").values
        dysts_value = chaos.get(name).max_lyapunov
        ky = chaos.kaplan_yorke_dimension(mean)
        lines.append(f"| {name} | {mean[0]:.3f} | {dysts_value:.3f} | {ky:.2f} |")
        findings.append(
            f"{name}: largest Lyapunov exponent {mean[0]:.3f} (dysts {dysts_value:.3f})"
        )
    (folder / "lyapunov.md").write_text("\n".join(lines) + "\n")
    return DemoResult(
        files=["gallery.png", "lorenz_ensemble.png", "lorenz_ensemble.nc", "lyapunov.md"],
        findings=findings,
    )


PART = DemoPart("chaos", "Chaotic systems: the dysts catalog in batches", run)
