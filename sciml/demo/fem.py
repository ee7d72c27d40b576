"""Demo part: an elastodynamic global model, a zone of interest and its submodel.

A Ricker source shakes a plane-strain square (scikit-fem, P1, Newmark); the
displacement history on the boundary of a zone is recorded and drives a
submodel on the restricted mesh, which reproduces the global solution in the
zone to round-off. A small Monte Carlo of boundary histories (random sources,
``sample_global``) is written as NetCDF, the layout the WGAN consumes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sciml.demo._registry import DemoPart, DemoResult
from solvers.fem import (
    ElastodynamicsProblem,
    Mesh,
    Newmark,
    Submodel,
    SubmodelConfig,
    Zone,
    extract_boundary_history,
    gaussian_source,
    ricker,
    sample_global,
)
from solvers.io import write_netcdf


def run(folder: Path, backend: str | None) -> DemoResult:
    """Run the global model and the submodel, plot the field and the boundary history.

    ``backend`` (the array backend) does not apply: FEM runs on scikit-fem.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mesh = Mesh.rectangle(40, 40)
    source = gaussian_source((0.25, 0.5), 0.04, (1.0, 0.0), ricker(3.0))
    problem = ElastodynamicsProblem(mesh, 1, young=1.0, poisson=0.25, sources=[source])
    zone = Zone((0.5, 0.25), (1.0, 0.75))
    submodel = Submodel(problem, zone)
    integrator = Newmark(0.005, 200)
    glob = integrator.run(problem)
    history = extract_boundary_history([glob], submodel)
    local = submodel.run(history, integrator)
    reference = glob.displacement[:, local.nodes]
    mismatch = float(np.abs(local.displacement - reference).max() / np.abs(reference).max())

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    step = 150
    magnitude = np.linalg.norm(glob.displacement[step], axis=1)
    tpc = left.tripcolor(
        mesh.points[:, 0], mesh.points[:, 1], mesh.cells, magnitude, shading="gouraud"
    )
    left.add_patch(plt.Rectangle((0.5, 0.25), 0.5, 0.5, fill=False, ec="w", lw=1.5))
    left.set(aspect="equal", title=f"|u| at t = {glob.time[step]:.2f} s, zone in white")
    fig.colorbar(tpc, ax=left, label="m")
    da = history["displacement"].isel(member=0, component=0)
    da.plot.pcolormesh(x="node", y="time", ax=right, cmap="RdBu_r")
    right.set(title="boundary history u_x (drives the submodel)")
    fig.tight_layout()
    fig.savefig(folder / "fem_submodel.png", dpi=100)
    plt.close(fig)

    ensemble = sample_global(SubmodelConfig(cells=16, n_steps=100, f0=4.0), members=8, seed=1)
    write_netcdf(ensemble, folder / "boundary_histories.nc", overwrite=True)
    return DemoResult(
        files=["fem_submodel.png", "boundary_histories.nc"],
        findings=[
            f"global model: {problem.space.ndofs} dofs; "
            f"submodel: {submodel.problem.space.ndofs} dofs",
            f"submodel vs global in the zone: max relative difference {mismatch:.1e}",
            f"boundary histories: {dict(ensemble['displacement'].sizes)}",
        ],
    )


PART = DemoPart("fem", "FEM: global model, zone of interest and submodel", run)
