"""FEM: sciml's scikit-fem path against the same problem written in dolfinx; submodel speed-up.

1. P1 plane-strain elastodynamics on a 200 x 200 square (80,802 dofs): time per
   explicit central-difference step and per Newmark step (factorization
   excluded), sciml against the same problem written directly with dolfinx and
   PETSc (run under ``.venv-fenics``: ``make test-fenics`` sets it up; without
   dolfinx the peer column is left out).
2. Cost per Monte Carlo sample of the submodel on a zone of a quarter of the
   domain against the global model (Newmark, assembly included in neither).

``--quick`` runs a 60 x 60 mesh.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import print_table, time_call

from gpu._optional import module_available
from solvers.fem import (
    CentralDifference,
    ElastodynamicsProblem,
    Mesh,
    Newmark,
    Submodel,
    Zone,
    extract_boundary_history,
    gaussian_source,
    ricker,
)

E, NU, RHO = 1.0, 0.3, 1.0


def _per_step(run: object, steps: int) -> float:
    timed = time_call(lambda: run(steps), repeats=3)  # type: ignore[operator]
    base = time_call(lambda: run(1), repeats=3)  # type: ignore[operator]
    return (timed["median"] - base["median"]) / (steps - 1)


def _dolfinx_steps(n: int, dt: float) -> tuple[object, object]:
    """Explicit and Newmark stepping written directly in dolfinx 0.5 and PETSc."""
    import dolfinx.fem
    import dolfinx.fem.petsc
    import dolfinx.mesh
    import ufl
    from mpi4py import MPI
    from petsc4py import PETSc

    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_SELF, n, n)
    V = dolfinx.fem.VectorFunctionSpace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    mu, lam = E / (2 * (1 + NU)), E * NU / ((1 + NU) * (1 - 2 * NU))
    eps = lambda w: ufl.sym(ufl.grad(w))  # noqa: E731
    a = (lam * ufl.tr(eps(u)) * ufl.tr(eps(v)) + 2 * mu * ufl.inner(eps(u), eps(v))) * ufl.dx
    m = RHO * ufl.inner(u, v) * ufl.dx
    facets = dolfinx.mesh.locate_entities_boundary(mesh, 1, lambda x: np.full(x.shape[1], True))
    bdofs = dolfinx.fem.locate_dofs_topological(V, 1, facets)
    bc = dolfinx.fem.dirichletbc(np.zeros(2, dtype=PETSc.ScalarType), bdofs, V)
    K = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(a), bcs=[bc])
    K.assemble()
    M = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(m), bcs=[bc])
    M.assemble()
    ones = K.createVecRight()
    ones.set(1.0)
    lumped = K.createVecRight()
    M.mult(ones, lumped)
    inv_m = lumped.copy()
    inv_m.reciprocal()
    A = K.copy()
    A.axpy(4.0 / dt**2, M)
    ksp = PETSc.KSP().create(MPI.COMM_SELF)
    ksp.setOperators(A)
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.setUp()

    def explicit(steps: int) -> None:
        u0, u1, w = K.createVecRight(), K.createVecRight(), K.createVecRight()
        u1.setRandom()
        for _ in range(steps):
            K.mult(u1, w)
            w.pointwiseMult(w, inv_m)
            u0.aypx(-1.0, u1)  # u0 <- u1 - u0
            u0.axpy(1.0, u1)  # 2 u1 - u0
            u0.axpy(-(dt**2), w)
            u0, u1 = u1, u0

    def newmark(steps: int) -> None:
        un, vn, an, rhs, tmp = (K.createVecRight() for _ in range(5))
        un.setRandom()
        for _ in range(steps):
            tmp.waxpy(dt, vn, un)  # predictor u + dt v + dt^2/4 a
            tmp.axpy(0.25 * dt**2, an)
            M.mult(tmp, rhs)
            rhs.scale(4.0 / dt**2)
            new = un.duplicate()
            ksp.solve(rhs, new)
            a_new = new.copy()
            a_new.axpy(-1.0, tmp)
            a_new.scale(4.0 / dt**2)
            vn.axpy(0.5 * dt, an)
            vn.axpy(0.5 * dt, a_new)
            un, an = new, a_new

    return explicit, newmark


def main(n: int) -> None:
    mesh = Mesh.rectangle(n, n)
    start = time.perf_counter()
    problem = ElastodynamicsProblem(mesh, 1, young=E, poisson=NU, density=RHO)
    print(
        f"P1 plane strain, {problem.space.ndofs} dofs: assembly {time.perf_counter() - start:.2f} s"
    )
    dt = 0.5 * problem.critical_time_step
    rng = np.random.default_rng(0)
    u0 = np.zeros(problem.space.ndofs)
    u0[problem.free] = rng.standard_normal(len(problem.free))
    explicit = lambda steps: CentralDifference(dt, steps).run(problem, u0=u0, record=np.arange(1))  # noqa: E731
    newmark = lambda steps: Newmark(dt, steps).run(problem, u0=u0, record=np.arange(1))  # noqa: E731
    mine = {"explicit step": _per_step(explicit, 51), "Newmark step": _per_step(newmark, 21)}
    if module_available("dolfinx"):
        peer_explicit, peer_newmark = _dolfinx_steps(n, dt)
        peer = {
            "explicit step": _per_step(peer_explicit, 51),
            "Newmark step": _per_step(peer_newmark, 21),
        }
        print_table([(k, mine[k], peer[k]) for k in mine], "sciml (scikit-fem) vs dolfinx")
    else:
        for case, seconds in mine.items():
            print(f"{case}: {seconds * 1e3:.2f} ms (dolfinx not installed: no peer)")

    sources = [gaussian_source((0.25, 0.5), 0.05, (1.0, 0.0), ricker(4.0))]
    problem = problem.with_sources(sources)
    submodel = Submodel(problem, Zone((0.5, 0.25), (1.0, 0.75))).with_sources(sources)
    steps = 50
    glob = time_call(
        lambda: Newmark(dt, steps).run(problem, record=submodel.boundary_nodes), repeats=1
    )
    history_ds = extract_boundary_history([glob["result"]], submodel)
    local = time_call(lambda: submodel.run(history_ds, Newmark(dt, steps)), repeats=1)
    print(
        f"Monte Carlo sample, {steps} Newmark steps: global {glob['median']:.2f} s "
        f"({problem.space.ndofs} dofs), submodel {local['median']:.2f} s "
        f"({submodel.problem.space.ndofs} dofs): speed-up {glob['median'] / local['median']:.1f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 60 x 60 mesh")
    main(60 if parser.parse_args().quick else 200)
