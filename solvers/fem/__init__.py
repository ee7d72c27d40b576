"""FEM global models and submodels: wave and elastodynamics on P1/P2 Lagrange spaces.

Two assembly backends behind one protocol: scikit-fem (extra ``fem``, the
default) and FEniCSx/dolfinx (from the system's packages). Meshes, spaces,
problems and integrators work in one backend-neutral dof order, so a global
model's boundary history drives a :class:`Submodel` on any backend.
"""

from solvers.fem._backend import BACKENDS
from solvers.fem.integrators import CentralDifference, Newmark, Solution
from solvers.fem.mesh import Mesh
from solvers.fem.problems import (
    ElastodynamicsProblem,
    Problem,
    Source,
    WaveProblem,
    gaussian_source,
    lame,
    ricker,
)
from solvers.fem.qoi import von_mises, zone_qoi
from solvers.fem.random_field import KarhunenLoeve, covariance
from solvers.fem.sampling import (
    SubmodelConfig,
    global_member,
    global_problem,
    global_run,
    sample_global,
)
from solvers.fem.space import FunctionSpace
from solvers.fem.submodel import Submodel, Zone, extract_boundary_history

__all__ = [
    "BACKENDS",
    "CentralDifference",
    "ElastodynamicsProblem",
    "FunctionSpace",
    "KarhunenLoeve",
    "Mesh",
    "Newmark",
    "Problem",
    "Solution",
    "Source",
    "Submodel",
    "SubmodelConfig",
    "WaveProblem",
    "Zone",
    "covariance",
    "extract_boundary_history",
    "gaussian_source",
    "global_member",
    "global_problem",
    "global_run",
    "lame",
    "ricker",
    "sample_global",
    "von_mises",
    "zone_qoi",
]
