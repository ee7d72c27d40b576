"""Global model -> submodel: a zone of interest driven by its boundary history.

The submodel mesh is the restriction of the global mesh to the cells inside a
:class:`Zone`, or (2-D) a uniform refinement of it, driven by the boundary
history interpolated with the global space's trace (and, if asked, a cubic
spline in time). A global run records the displacement history at the nodes of
the submodel's boundary (:func:`extract_boundary_history`, an
``xr.Dataset`` with dims ``(member, time, node, component)``); the
:class:`Submodel` runs with that history as Dirichlet data. Driven by the
global model's own history, with the same integrator, it reproduces the
global solution in the zone up to round-off: the rows of the interior nodes
involve only cells of the zone.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import xarray as xr
from scipy.interpolate import make_interp_spline

from gpu.errors import InputError
from solvers.fem.integrators import CentralDifference, Newmark, Solution
from solvers.fem.problems import ElastodynamicsProblem, Problem, Source, WaveProblem
from solvers.fem.refine import boundary_interpolation
from solvers.fem.refine import refine as refine_mesh
from solvers.fem.space import FunctionSpace

__all__ = ["Submodel", "Zone", "extract_boundary_history"]


@dataclass(frozen=True)
class Zone:
    """An axis-aligned box of interest ``lower <= x <= upper`` [m].

    Parameters
    ----------
    lower, upper : sequence of float
        Corners of the box, one entry per space dimension.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def __post_init__(self) -> None:
        lo, hi = np.asarray(self.lower, dtype=float), np.asarray(self.upper, dtype=float)
        if lo.shape != hi.shape or lo.ndim != 1 or not (hi > lo).all():
            raise InputError(
                f"a zone needs lower < upper in every dimension, got {self.lower}, {self.upper}"
            )

    def cell_mask(self, problem: Problem) -> np.ndarray:
        """Cells of the problem's mesh whose vertices all lie in the zone.

        Raises
        ------
        InputError
            The zone has the wrong dimension, leaves the mesh's bounding box,
            or contains no cell.
        """
        mesh = problem.space.mesh
        lo, hi = np.asarray(self.lower, dtype=float), np.asarray(self.upper, dtype=float)
        if lo.size != mesh.dim:
            raise InputError(f"a {lo.size}-D zone cannot lie in a {mesh.dim}-D mesh")
        tol = 1e-9 * mesh.h()
        pmin, pmax = mesh.points.min(axis=0), mesh.points.max(axis=0)
        if (lo < pmin - tol).any() or (hi > pmax + tol).any():
            raise InputError(
                f"the zone [{self.lower}, {self.upper}] does not lie inside the mesh "
                f"[{tuple(pmin)}, {tuple(pmax)}]"
            )
        inside = np.asarray(((mesh.points >= lo - tol) & (mesh.points <= hi + tol)).all(axis=1))
        mask: np.ndarray = np.asarray(inside[mesh.cells].all(axis=1))
        if not mask.any():
            raise InputError(
                "the zone contains no whole cell of the mesh: enlarge it or refine the mesh"
            )
        return mask


class Submodel:
    """The problem on a zone, with its whole boundary driven by a history.

    Parameters
    ----------
    problem : WaveProblem or ElastodynamicsProblem
        The global problem (its material, sources and damping carry over).
    zone : Zone
        The zone of interest.
    refine : int
        1 (default): the submodel mesh is the restriction of the global mesh
        to the zone. ``r > 1`` (2-D): every zone cell is split into ``r²``
        triangles, and the boundary history is interpolated onto the finer
        boundary nodes with the global space's own trace.

    Attributes
    ----------
    problem : Problem
        The submodel problem.
    global_nodes : ndarray of int
        Global node index of each node of the restricted mesh (the nodes of
        :attr:`problem` when ``refine == 1``).
    boundary_nodes : ndarray of int
        Global indices of the zone's boundary nodes: the nodes of the
        boundary history that drives the submodel.
    boundary_coords : ndarray
        Their coordinates [m].
    """

    def __init__(
        self, problem: WaveProblem | ElastodynamicsProblem, zone: Zone, refine: int = 1
    ) -> None:
        mask = zone.cell_mask(problem)
        cells = np.flatnonzero(mask)
        mesh, vertices = problem.space.mesh.restrict(mask)
        self.zone = zone
        self.refine = refine
        self._trace: sp.csr_matrix | None = None
        if refine == 1:
            self.problem: Problem = problem.restricted(mesh, cells)
            coarse = self.problem.space
            local = coarse.boundary_nodes()
        else:
            ref = refine_mesh(mesh, refine)
            space = problem.space
            coarse = FunctionSpace(mesh, space.degree, space.ncomp, space.backend)
            local = coarse.boundary_nodes()
            self.problem = problem.restricted(ref.mesh, cells[ref.parent])
            self._trace = boundary_interpolation(ref, coarse, self.problem.space, local)
        self.global_nodes = problem.space.sub_nodes(vertices, coarse)
        self.boundary_nodes = self.global_nodes[local]
        self.boundary_coords = coarse.nodes[local]

    def with_sources(self, sources: Sequence[Source]) -> Submodel:
        """A copy whose submodel problem has other sources (matrices shared)."""
        out = copy.copy(self)
        out.problem = self.problem.with_sources(sources)
        return out

    def boundary_values(
        self,
        history: xr.Dataset | xr.DataArray,
        integrator: Newmark | CentralDifference,
        *,
        interpolate_time: bool = False,
    ) -> np.ndarray:
        """The Dirichlet values of the submodel at the integrator's times.

        Parameters
        ----------
        history : xarray.Dataset or DataArray
            ``displacement`` with dims ``(time, node, component)`` (a Dataset
            from :func:`extract_boundary_history` with one member selected),
            its ``node`` equal to :attr:`boundary_nodes`.
        integrator : Newmark or CentralDifference
        interpolate_time : bool
            If the history's times differ from the integrator's grid, take a
            cubic spline (not-a-knot) through them; the history must span
            ``[0, dt n_steps]``. Otherwise the grids must be equal.

        Returns
        -------
        ndarray, shape (n_steps + 1, len(problem.fixed))
            Interpolated in space onto the finer boundary if ``refine > 1``.

        Raises
        ------
        InputError
            Nodes, coordinates, components or times that do not match.
        """
        da = self._checked(history)
        times = integrator.dt * np.arange(integrator.n_steps + 1)
        values = np.asarray(da.values, dtype=float)
        t_hist = np.asarray(da["time"], dtype=float)
        same = len(t_hist) == len(times) and np.allclose(t_hist, times, rtol=1e-12, atol=0.0)
        if not same:
            span = 1e-9 * integrator.dt
            if not interpolate_time:
                raise InputError(
                    "the boundary history's times do not match the integrator's (dt, n_steps): "
                    "pass interpolate_time=True to interpolate"
                )
            if t_hist[0] > span or t_hist[-1] < times[-1] - span:
                raise InputError(
                    f"the boundary history's times [{t_hist[0]:.6g}, {t_hist[-1]:.6g}] s do not "
                    f"match the integrator's: they must span [0, {times[-1]:.6g}] s"
                )
            values = make_interp_spline(t_hist, values, k=min(3, len(t_hist) - 1), axis=0)(
                np.clip(times, t_hist[0], t_hist[-1])
            )
        if self._trace is not None:
            nt, nb, nc = values.shape
            flat = self._trace @ values.transpose(1, 0, 2).reshape(nb, nt * nc)
            values = flat.reshape(-1, nt, nc).transpose(1, 0, 2)
        return np.ascontiguousarray(values).reshape(len(times), -1)

    def _checked(self, history: xr.Dataset | xr.DataArray) -> xr.DataArray:
        """One member's ``(time, node, component)`` history, checked against the boundary."""
        da = history["displacement"] if isinstance(history, xr.Dataset) else history
        if "member" in da.dims:
            if da.sizes["member"] != 1:
                raise InputError(
                    "select one member of the boundary history (history.isel(member=i))"
                )
            da = da.isel(member=0)
        if set(da.dims) != {"time", "node", "component"}:
            raise InputError(
                f"the boundary history needs dims (time, node, component), got {da.dims}"
            )
        da = da.transpose("time", "node", "component")
        nodes = np.asarray(da["node"]) if "node" in da.coords else np.arange(da.sizes["node"])
        if not np.array_equal(nodes, self.boundary_nodes):
            raise InputError(
                f"the boundary history's {len(nodes)} nodes do not match the submodel's "
                f"{len(self.boundary_nodes)} boundary nodes: extract it with this submodel"
            )
        if "x" in da.coords:
            xyz = np.column_stack(
                [np.asarray(da[c]) for c in "xyz"[: self.boundary_coords.shape[1]]]
            )
            if not np.allclose(
                xyz, self.boundary_coords, rtol=0.0, atol=1e-9 * self.problem.space.mesh.h()
            ):
                raise InputError(
                    "the boundary history's node coordinates do not match the submodel boundary"
                )
        if da.sizes["component"] != self.problem.space.ncomp:
            raise InputError(
                f"the boundary history has {da.sizes['component']} components, "
                f"the submodel {self.problem.space.ncomp}"
            )
        return da

    def run(
        self,
        history: xr.Dataset | xr.DataArray,
        integrator: Newmark | CentralDifference,
        *,
        energy: bool = False,
        interpolate_time: bool = False,
    ) -> Solution:
        """Run the submodel driven by one member's boundary history.

        Parameters
        ----------
        history : xarray.Dataset or DataArray
            As in :meth:`boundary_values`.
        integrator : Newmark or CentralDifference
        energy : bool
            Whether to compute the submodel's energy at every step.
        interpolate_time : bool
            As in :meth:`boundary_values`.

        Returns
        -------
        Solution
            The history at every submodel node; ``nodes`` are global indices
            when ``refine == 1``, else indices of the refined submodel mesh.

        Raises
        ------
        InputError
            Nodes, coordinates, components or times that do not match.
        """
        values = self.boundary_values(history, integrator, interpolate_time=interpolate_time)
        sol = integrator.run(self.problem, boundary=values, energy=energy)
        if self.refine == 1:
            sol.nodes = self.global_nodes[sol.nodes]
        return sol


def extract_boundary_history(solutions: Sequence[Solution], submodel: Submodel) -> xr.Dataset:
    """The displacement of global runs at the submodel's boundary nodes.

    Parameters
    ----------
    solutions : sequence of Solution
        Global runs (one per member) that recorded at least the submodel's
        boundary nodes (``record=submodel.boundary_nodes`` keeps only those).
    submodel : Submodel

    Returns
    -------
    xarray.Dataset
        ``displacement`` with dims ``(member, time, node, component)``;
        coordinates ``node`` (global node index) and ``x``, ``y`` (, ``z``) [m].

    Raises
    ------
    InputError
        A run did not record every boundary node, or the runs differ in times.
    """
    if len(solutions) == 0:
        raise InputError("no global run to extract a boundary history from")
    time = solutions[0].time
    blocks = []
    for sol in solutions:
        where = {int(n): i for i, n in enumerate(sol.nodes)}
        missing = [int(n) for n in submodel.boundary_nodes if int(n) not in where]
        if missing:
            raise InputError(
                f"a global run did not record {len(missing)} submodel boundary node(s)"
            )
        if not np.array_equal(sol.time, time):
            raise InputError("the global runs have different time grids")
        blocks.append(sol.displacement[:, [where[int(n)] for n in submodel.boundary_nodes], :])
    coords: dict[str, tuple[str, np.ndarray, dict[str, str]]] = {
        "member": (
            "member",
            np.arange(len(blocks)),
            {"units": "1", "long_name": "ensemble member"},
        ),
        "time": ("time", time, {"units": "s", "long_name": "time"}),
        "node": (
            "node",
            submodel.boundary_nodes,
            {"units": "1", "long_name": "global mesh node index"},
        ),
        "component": (
            "component",
            np.arange(blocks[0].shape[2]),
            {"units": "1", "long_name": "displacement component"},
        ),
    }
    for i, name in enumerate("xyz"[: submodel.boundary_coords.shape[1]]):
        coords[name] = (
            "node",
            submodel.boundary_coords[:, i],
            {"units": "m", "long_name": f"{name} coordinate of the node"},
        )
    return xr.Dataset(
        {
            "displacement": (
                ("member", "time", "node", "component"),
                np.stack(blocks),
                {"units": "m", "long_name": "displacement on the submodel boundary"},
            )
        },
        coords=coords,
    )
