"""Quickstart: pick a backend, run a kernel, hand the result over as contract xarray.

Run ``python examples/quickstart.py --output out/`` to write ``out/heat.nc``
and ``out/heat.png``: heat diffusion on a latitude ring for an ensemble of
initial amplitudes, integrated on the fastest backend available, checked
against the analytic decay ``exp(-k^2 t)``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import xarray as xr

import sciml


def main(output: Path, members: int = 16, steps: int = 500, backend: str = "auto") -> xr.Dataset:
    be = sciml.get_backend(backend)
    print(f"backend: {be.name} on {be.device}")
    n = 128
    phi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    dphi = phi[1] - phi[0]
    rng = be.random(seed=2024)
    amplitude = be.to_numpy(rng.uniform(0.5, 1.5, size=(members, 1)))
    u = be.asarray(amplitude * np.sin(2.0 * phi))
    coefficient = 0.25  # nu dt / dphi^2, stable below 1/2
    xp = be.xp
    for _ in range(steps):
        u = u + coefficient * (xp.roll(u, 1, axis=1) - 2.0 * u + xp.roll(u, -1, axis=1))
    t_end = steps * coefficient * dphi**2
    exact = amplitude * np.exp(-4.0 * t_end) * np.sin(2.0 * phi)
    ds = xr.Dataset(
        {
            "u": (
                ("member", "lon"),
                be.to_numpy(u),
                {"units": "K", "long_name": "temperature anomaly"},
            ),
            "u_exact": (("member", "lon"), exact, {"units": "K", "long_name": "analytic solution"}),
        },
        coords={
            "lon": ("lon", np.degrees(phi), {"units": "degrees_east", "long_name": "longitude"})
        },
    )
    ds = sciml.with_provenance(ds, backend=be.name, seed=2024, config={"steps": steps, "n": n})
    output.mkdir(parents=True, exist_ok=True)
    sciml.write_netcdf(ds, output / "heat.nc", overwrite=True)
    error = float(abs(ds["u"] - ds["u_exact"]).max())
    print(f"max error against the analytic solution: {error:.2e}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ds["u"].isel(member=slice(0, 5)).plot.line(x="lon", ax=ax, add_legend=False)
    ax.set_title(f"{members} members after {steps} steps ({be.name})")
    fig.tight_layout()
    fig.savefig(output / "heat.png", dpi=100)
    plt.close(fig)
    return ds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("quickstart-out"))
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--quick", action="store_true", help="small sizes, for the test suite")
    args = parser.parse_args()
    main(args.output, members=4 if args.quick else 16, backend=args.backend)
