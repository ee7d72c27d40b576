"""Finer submodels: uniform refinement, interpolated boundary histories, convergence."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr
from scipy.spatial import cKDTree

from gpu.errors import ConfigError, InputError
from solvers.fem import (
    ElastodynamicsProblem,
    Mesh,
    Newmark,
    Submodel,
    WaveProblem,
    Zone,
    extract_boundary_history,
    gaussian_source,
    ricker,
)
from solvers.fem.refine import refine


@pytest.mark.parametrize("r", [1, 2, 3])
def test_refined_mesh_is_conforming(r: int) -> None:
    coarse = Mesh.rectangle(3, 2, 1.5, 1.0)
    ref = refine(coarse, r)
    fine = ref.mesh
    n_v, n_e, n_c = len(coarse.points), len(coarse.edges()), len(coarse.cells)
    # Euler: vertices + (r - 1) per edge + (r - 1)(r - 2)/2 per cell, r² cells
    assert len(fine.points) == n_v + (r - 1) * n_e + n_c * (r - 1) * (r - 2) // 2
    assert len(fine.cells) == r * r * n_c
    assert fine.cell_measures().sum() == pytest.approx(1.5)
    assert (fine.cell_measures() > 0).all()
    assert len(fine.boundary_facets()) == r * len(coarse.boundary_facets())
    # the barycentric coordinates in the parent give the fine vertices
    x = np.einsum("fvk,fkd->fvd", ref.vertex_bary, coarse.points[coarse.cells[ref.parent]])
    np.testing.assert_allclose(x, fine.points[fine.cells], atol=1e-14)


def _history(
    sub: Submodel, times: np.ndarray, f: Callable[[np.ndarray, float], np.ndarray]
) -> xr.DataArray:
    x = sub.boundary_coords
    values = np.stack([f(x.T, t).T for t in times])
    return xr.DataArray(
        values,
        dims=("time", "node", "component"),
        coords={
            "time": times,
            "node": sub.boundary_nodes,
            "x": ("node", x[:, 0]),
            "y": ("node", x[:, 1]),
        },
    )


@pytest.mark.parametrize("degree", [1, 2])
def test_boundary_interpolation_is_exact(fem_backend: str, degree: int) -> None:
    # fields of the global space's degree in x, quadratic in t: the trace and the
    # cubic spline reproduce them exactly at the finer nodes and times
    def field(x: np.ndarray, t: float) -> np.ndarray:
        return np.stack([x[0] ** degree - 2 * x[1], x[0] * x[1] ** (degree - 1)]) * (1 + t * t)

    p = ElastodynamicsProblem(Mesh.rectangle(6, 6), degree, backend=fem_backend)
    sub = Submodel(p, Zone((0.0, 0.5), (0.5, 1.0)), refine=3)
    history = _history(sub, 0.02 * np.arange(11), field)
    integ = Newmark(0.005, 40)
    values = sub.boundary_values(history, integ, interpolate_time=True)
    space = sub.problem.space
    nodes = space.nodes[space.boundary_nodes()]
    t = integ.dt * np.arange(integ.n_steps + 1)
    expected = np.stack([field(nodes.T, ti).T.ravel() for ti in t])
    np.testing.assert_allclose(values, expected, atol=1e-12)
    assert len(nodes) == 3 * len(sub.boundary_nodes)  # a closed boundary, refined 3 times
    with pytest.raises(InputError, match="interpolate_time=True"):
        sub.boundary_values(history, integ)
    with pytest.raises(InputError, match="must span"):
        sub.boundary_values(history, Newmark(0.005, 60), interpolate_time=True)


def test_refined_submodel_converges() -> None:
    # a sharp source inside the zone, a broad one outside: the finer submodels,
    # driven by the 8x8 global model's history, approach a 64x64 global reference
    sources = [
        gaussian_source((0.5, 0.5), 0.04, (1.0,), ricker(8.0, 0.15, 5.0)),
        gaussian_source((0.1, 0.15), 0.2, (1.0,), ricker(1.5, 0.8, 3.0)),
    ]
    zone, integ = Zone((0.25, 0.25), (0.75, 0.75)), Newmark(0.0025, 100)
    coarse = WaveProblem(Mesh.rectangle(8, 8), 1, sources=sources)
    reference = WaveProblem(Mesh.rectangle(64, 64), 1, sources=sources)
    ref_sol = integ.run(reference)
    restricted = Submodel(coarse, zone)
    history = extract_boundary_history(
        [integ.run(coarse, record=restricted.boundary_nodes)], restricted
    )
    tree = cKDTree(reference.space.nodes)
    errors = []
    for r in (1, 2, 4):
        sub = Submodel(coarse, zone, refine=r)
        sol = sub.run(history, integ)
        dist, idx = tree.query(sub.problem.space.nodes)
        assert dist.max() < 1e-12
        errors.append(np.sqrt(np.mean((sol.displacement - ref_sol.displacement[:, idx]) ** 2)))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.5 * errors[0]
    # refine=1 is the restricted submodel, nodes numbered globally
    same = Submodel(coarse, zone, refine=1).run(history, integ)
    np.testing.assert_array_equal(same.nodes, restricted.global_nodes)


def test_refine_bad_input() -> None:
    p = WaveProblem(Mesh.rectangle(4, 4), 1)
    with pytest.raises(ConfigError, match="positive integer"):
        Submodel(p, Zone((0.0, 0.0), (0.5, 0.5)), refine=0)
    with pytest.raises(ConfigError, match="2-D"):
        Submodel(WaveProblem(Mesh.box(2, 2, 2), 1), Zone((0, 0, 0), (0.5, 0.5, 0.5)), refine=2)
    fine = Submodel(p, Zone((0.0, 0.0), (0.5, 0.5)), refine=2)
    other = Submodel(p, Zone((0.5, 0.5), (1.0, 1.0)))
    integ = Newmark(0.01, 4)
    history = extract_boundary_history([integ.run(p)], other)
    with pytest.raises(InputError, match="do not match the submodel"):
        fine.run(history, integ)
