"""FEM global model -> submodel: a Monte Carlo of boundary histories and the submodel check.

Run ``python examples/fem_submodel.py --output out/`` to write
``out/boundary_histories.nc`` (dims member x time x node x component, the
layout the WGAN trains on) and ``out/fem_submodel.png``. Each member draws a
Ricker source and a log-normal Young's modulus field (Karhunen–Loève). The
submodel driven by member 0's boundary history is checked against the global
solution in the zone (they agree to round-off), then refined: its peak von
Mises stress is printed per refinement. Needs ``pip install 'sciml[fem]'``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import xarray as xr

from solvers.fem import (
    Newmark,
    Submodel,
    SubmodelConfig,
    extract_boundary_history,
    global_run,
    sample_global,
    zone_qoi,
)
from solvers.io import write_netcdf


def main(output: Path, members: int = 16, cells: int = 32, steps: int = 200) -> xr.Dataset:
    config = SubmodelConfig(
        cells=cells, n_steps=steps, dt=1.0 / steps, f0=4.0, young_log_sd=0.3, field_length=0.2
    )
    ds = sample_global(config, members=members, seed=2024)
    output.mkdir(parents=True, exist_ok=True)
    write_netcdf(ds, output / "boundary_histories.nc", overwrite=True)
    print(f"boundary histories {dict(ds['displacement'].sizes)}")

    # member 0 again, recorded everywhere, and its submodel driven by the history
    rng = np.random.default_rng(np.random.SeedSequence(2024).spawn(members)[0])
    problem, submodel, glob = global_run(config, rng, record_all=True)
    history = extract_boundary_history([glob], submodel)
    local = submodel.with_sources(problem.sources).run(history, Newmark(config.dt, config.n_steps))
    reference = glob.displacement[:, local.nodes]
    mismatch = float(np.abs(local.displacement - reference).max() / np.abs(reference).max())
    print(f"submodel vs global in the zone: max relative difference {mismatch:.1e}")
    if mismatch > 1e-10:
        raise SystemExit("the submodel does not reproduce the global model")
    np.testing.assert_array_equal(history["displacement"].values[0], ds["displacement"].values[0])
    for refine in (1, 2, 4):
        finer = Submodel(problem, submodel.zone, refine=refine)
        sol = finer.run(history, Newmark(config.dt, config.n_steps))
        qoi = zone_qoi(finer.problem, sol.displacement, config.dt)
        print(
            f"submodel refined {refine}x: peak |u| {float(qoi['peak_displacement']):.3e} m, "
            f"peak von Mises {float(qoi['peak_von_mises']):.3e} Pa"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    peak = np.sqrt((ds["displacement"] ** 2).sum("component")).max(("time", "node"))
    axes[0].bar(ds["member"], peak)
    axes[0].set(xlabel="member", ylabel="peak |u| on the zone boundary [m]", title="Monte Carlo")
    ds["displacement"].isel(member=0, component=0).plot(
        x="node", y="time", ax=axes[1], cmap="RdBu_r"
    )
    axes[1].set(title="member 0: boundary history of u_x")
    fig.tight_layout()
    fig.savefig(output / "fem_submodel.png", dpi=100)
    plt.close(fig)
    return ds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("fem-submodel-out"))
    parser.add_argument("--quick", action="store_true", help="a small run (for the tests)")
    args = parser.parse_args()
    if args.quick:
        main(args.output, members=3, cells=8, steps=40)
    else:
        main(args.output)
