"""Global model -> submodel consistency, boundary-history layout, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.errors import InputError
from solvers.contract import validate_dataset
from solvers.fem import (
    CentralDifference,
    ElastodynamicsProblem,
    Mesh,
    Newmark,
    Submodel,
    SubmodelConfig,
    WaveProblem,
    Zone,
    extract_boundary_history,
    gaussian_source,
    global_member,
    global_run,
    sample_global,
)


def _source(dim: int) -> list:
    # starts at rest: the load vanishes at t = 0
    return [gaussian_source((0.2, 0.3), 0.08, (1.0, 0.5)[:dim], lambda t: np.sin(15 * t) ** 2)]


@pytest.mark.parametrize(
    ("kind", "degree", "scheme"),
    [
        ("elastic", 1, "newmark"),
        ("elastic", 2, "newmark"),
        ("elastic", 1, "central"),
        ("wave", 1, "newmark"),
        ("heterogeneous", 2, "newmark"),
    ],
)
def test_submodel_reproduces_global(fem_backend: str, kind: str, degree: int, scheme: str) -> None:
    mesh = Mesh.rectangle(12, 12)
    if kind == "wave":
        p = WaveProblem(mesh, degree, sources=_source(1), rayleigh=(0.2, 0.0), backend=fem_backend)
    else:
        p = ElastodynamicsProblem(
            mesh,
            degree,
            # a per-cell modulus (kind "heterogeneous") restricts with the zone's cells
            young=1.0 + 0.5 * np.sin(np.arange(len(mesh.cells)))
            if kind == "heterogeneous"
            else 1.0,
            poisson=0.3,
            sources=_source(2),
            rayleigh=(0.1, 0.001 if scheme == "newmark" else 0.0),
            backend=fem_backend,
        )
    integ = Newmark(0.01, 120) if scheme == "newmark" else CentralDifference(0.01, 120)
    sub = Submodel(p, Zone((0.5, 0.25), (1.0, 0.75)))
    glob = integ.run(p)
    history = extract_boundary_history([glob], sub)
    local = sub.run(history, integ)
    reference = glob.displacement[:, local.nodes]
    assert np.abs(reference).max() > 1e-4
    assert np.abs(local.displacement - reference).max() <= 1e-12 * np.abs(reference).max()
    interior = ~np.isin(local.nodes, sub.boundary_nodes)
    assert interior.sum() > 0


def test_sample_global_layout_and_seeding() -> None:
    config = SubmodelConfig(cells=8, n_steps=30)
    ds = sample_global(config, members=3, seed=11)
    assert ds["displacement"].dims == ("member", "time", "node", "component")
    validate_dataset(ds)
    assert ds.attrs["seed"] == 11 and ds["time"].attrs["units"] == "s"
    assert ds["x"].attrs["units"] == "m"
    again = sample_global(config, members=2, seed=11)
    np.testing.assert_array_equal(again["displacement"], ds["displacement"][:2])
    assert np.abs(ds["displacement"][0] - ds["displacement"][1]).max() > 0
    # the histories drive the submodel of the same configuration
    sub = Submodel(ElastodynamicsProblem(Mesh.rectangle(8, 8), 1), Zone((0.5, 0.25), (1.0, 0.75)))
    assert np.array_equal(ds["node"], sub.boundary_nodes)


def test_global_member_qoi_match_submodel() -> None:
    config = SubmodelConfig(cells=8, n_steps=40, f0=4.0)
    ds = global_member(config, 0, np.random.default_rng(5))
    validate_dataset(ds, require_provenance=False)
    assert ds["displacement"].dims == ("time", "node", "component")
    # the zone's peak includes its boundary, where the zone solution equals the history
    boundary_peak = float(np.sqrt((ds["displacement"] ** 2).sum("component")).max())
    assert float(ds["peak_displacement"]) >= boundary_peak > 0
    # the submodel driven by the history reproduces the global zone solution, so its
    # quantities of interest (its energy from the integrator itself) are the same
    sub = global_member(
        config.model_copy(update={"qoi_source": "submodel"}), 0, np.random.default_rng(5)
    )
    np.testing.assert_array_equal(sub["displacement"], ds["displacement"])
    for name in ("peak_displacement", "peak_von_mises"):
        assert float(sub[name]) == pytest.approx(float(ds[name]), rel=1e-10)
    np.testing.assert_allclose(sub["energy"], ds["energy"], rtol=1e-10, atol=1e-14)
    problem, submodel, glob = global_run(config, np.random.default_rng(5))
    direct = submodel.with_sources(problem.sources).run(
        extract_boundary_history([glob], submodel), Newmark(config.dt, config.n_steps), energy=True
    )
    np.testing.assert_allclose(ds["energy"], direct.energy, rtol=1e-10, atol=1e-14)
    assert float(ds["energy"][-1]) > 0
    # QoIs from a submodel refined twice: same boundary history, finite QoIs
    fine = global_member(
        config.model_copy(update={"qoi_source": "submodel", "submodel_refine": 2}),
        0,
        np.random.default_rng(5),
    )
    np.testing.assert_array_equal(fine["displacement"], ds["displacement"])
    assert float(fine["peak_displacement"]) >= boundary_peak
    assert 0 < float(fine["peak_von_mises"]) < np.inf


def test_bad_zone_and_history() -> None:
    p = ElastodynamicsProblem(Mesh.rectangle(6, 6), 1)
    with pytest.raises(InputError, match="does not lie inside"):
        Submodel(p, Zone((0.5, 0.5), (1.5, 1.0)))
    with pytest.raises(InputError, match="lower < upper"):
        Zone((0.5, 0.5), (0.4, 1.0))
    with pytest.raises(InputError, match="no whole cell"):
        Submodel(p, Zone((0.5, 0.5), (0.55, 0.55)))
    small = Submodel(p, Zone((0.5, 0.5), (1.0, 1.0)))
    other = Submodel(p, Zone((0.0, 0.0), (0.5, 0.5)))
    integ = Newmark(0.01, 5)
    history = extract_boundary_history([integ.run(p)], other)
    with pytest.raises(InputError, match="do not match the submodel"):
        small.run(history, integ)
    with pytest.raises(InputError, match="times do not match"):
        other.run(history, Newmark(0.02, 5))
    with pytest.raises(InputError, match="did not record"):
        extract_boundary_history([integ.run(p, record=np.arange(3))], other)
