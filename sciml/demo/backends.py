"""Demo part: one diffusion kernel on every backend, checked against theory.

Diffusion along the equator, ``du/dt = nu / R^2 d2u/dphi2``, with initial
modes ``sin(k phi)`` decays as ``exp(-nu k^2 t / R^2)``. Each available backend
integrates the same members (one per wavenumber) with explicit Euler steps;
the demo reports each backend's difference from the NumPy reference, its
error against the analytic solution, and its wall time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

from gpu import available_backends, get_backend
from gpu.kernels import ring_diffusion
from sciml.demo._registry import DemoPart, DemoResult
from solvers.contract import with_provenance
from solvers.io import write_netcdf

N_LON = 256
WAVENUMBERS = (1, 2, 3, 4)
STEPS = 2000
CFL = 0.4  # explicit Euler is stable for nu dt / dphi^2 <= 1/2


def run(folder: Path, backend: str | None) -> DemoResult:
    """Integrate on every available backend (or only ``backend``) and compare."""
    phi = np.linspace(0.0, 2 * np.pi, N_LON, endpoint=False)
    dphi = phi[1] - phi[0]
    k = np.asarray(WAVENUMBERS, dtype=float)[:, None]
    u0 = np.sin(k * phi)
    # nondimensional time: nu / R^2 = 1
    dt = CFL * dphi**2
    t_end = STEPS * dt
    exact = np.exp(-(k**2) * t_end) * u0
    names = [info.name for info in available_backends() if info.available]
    if backend is not None and backend != "auto":
        names = sorted({"numpy", get_backend(backend).name}, key=names.index)
    results: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}
    for name in names:
        be = get_backend(name)
        ring_diffusion(be, u0, CFL, STEPS)  # warm-up: compile outside the timing
        start = time.perf_counter()
        results[name] = ring_diffusion(be, u0, CFL, STEPS)
        timings[name] = time.perf_counter() - start
    reference = results["numpy"]
    lon = np.degrees(phi)
    ds = xr.Dataset(
        {
            "u": (("member", "lon"), reference, {"units": "1", "long_name": "diffused field"}),
            "u_exact": (("member", "lon"), exact, {"units": "1", "long_name": "analytic solution"}),
        },
        coords={
            "member": ("member", np.arange(len(WAVENUMBERS))),
            "wavenumber": ("member", np.asarray(WAVENUMBERS), {"units": "1", "long_name": "k"}),
            "lon": ("lon", lon, {"units": "degrees_east", "long_name": "longitude"}),
        },
    )
    config = {"n_lon": N_LON, "steps": STEPS, "cfl": CFL, "wavenumbers": list(WAVENUMBERS)}
    ds = with_provenance(ds, backend="numpy", seed=None, config=config)
    write_netcdf(ds, folder / "diffusion.nc", overwrite=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for member in range(len(WAVENUMBERS)):
        left.plot(lon, reference[member], label=f"k={WAVENUMBERS[member]}")
        left.plot(lon, exact[member], "k:", lw=1)
    left.set(xlabel="longitude [deg]", ylabel="u", title="numpy result (dotted: analytic)")
    left.legend(fontsize=8)
    right.bar(list(timings), [timings[n] * 1e3 for n in timings], color="tab:blue")
    right.set(ylabel="wall time [ms]", title=f"{STEPS} steps, {len(WAVENUMBERS)} members")
    fig.tight_layout()
    fig.savefig(folder / "diffusion.png", dpi=110)
    plt.close(fig)

    findings = []
    for name in results:
        diff = float(np.max(np.abs(results[name] - reference)))
        err = float(np.max(np.abs(results[name] - exact)))
        findings.append(
            f"{name}: {timings[name] * 1e3:.1f} ms, max |diff vs numpy| = {diff:.1e}, "
            f"max |error vs analytic| = {err:.1e}"
        )
    return DemoResult(files=["diffusion.nc", "diffusion.png"], findings=findings)


PART = DemoPart("backends", "Array backends: diffusion on a ring", run)
