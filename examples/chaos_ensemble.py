"""Chaos: a Lorenz ensemble on the attractor, its spread, and its Lyapunov spectrum.

Run ``python examples/chaos_ensemble.py --output out/`` to write
``out/lorenz_ensemble.nc`` (members x time x component, contract xarray) and
``out/lorenz_ensemble.png``. The Lyapunov spectrum's sum is checked against
theory: the Lorenz Jacobian has constant trace ``-(sigma + 1 + beta)``.
Needs ``pip install 'sciml[chaos]'``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import xarray as xr

import sciml
from solvers import chaos


def main(output: Path, members: int = 32, n: int = 2000, backend: str = "auto") -> xr.Dataset:
    ds = chaos.trajectory("Lorenz", n, members=members, seed=7, backend=backend)
    output.mkdir(parents=True, exist_ok=True)
    sciml.write_netcdf(ds, output / "lorenz_ensemble.nc", overwrite=True)
    print(
        f"{members} members x {n} points on {ds.attrs['backend']}, status {set(ds.status.values)}"
    )

    system = chaos.get("Lorenz")
    spectrum = chaos.lyapunov_spectrum("Lorenz", members=2, periods=20, seed=7, backend="numpy")
    total = float(spectrum.sum("component").mean())
    theory = -(system.params["sigma"] + 1.0 + system.params["beta"])
    mean = spectrum.mean("member").values.round(3)
    print(f"Lyapunov spectrum {mean}; sum {total:.3f} (theory {theory:.3f})")
    if abs(total - theory) > 0.01 * abs(theory):
        raise SystemExit("the spectrum sum disagrees with theory")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for m in range(min(members, 8)):
        left.plot(ds.x.values[m, :, 0], ds.x.values[m, :, 2], lw=0.3)
    left.set(xlabel="x", ylabel="z", title="members on the attractor")
    ds.x.isel(component=0).std("member").plot(x="lyapunov_time", ax=right)
    right.set(title="ensemble spread of x")
    fig.tight_layout()
    fig.savefig(output / "lorenz_ensemble.png", dpi=100)
    plt.close(fig)
    return ds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("out"))
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()
    if args.quick:
        main(args.output, members=4, n=300, backend=args.backend)
    else:
        main(args.output, backend=args.backend)
