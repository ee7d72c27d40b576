"""Reduced-order models: POD, physics-informed clustering, local bases, Galerkin ROMs.

Snapshot sets are ``(snapshot, dof...)`` DataArrays whose numeric coordinates
along ``snapshot`` are the parameters. :func:`pod` and
:func:`projection_error` compress and measure; :func:`sine_dissimilarity`
(the projection error onto a line), :func:`euclidean_dissimilarity` and
:func:`grassmann_distance` compare snapshots and subspaces;
:func:`kmedoids` clusters on any dissimilarity and :class:`LocalBases` builds
one basis per cluster (parameters assigned to clusters by k-NN or
:class:`MLPClassifier`); :func:`efficiency_criterion` says a priori whether
local bases pay off and for which ``(K, N)``; :class:`GalerkinROM` solves a
linear parametric problem in a (local) reduced basis.
"""

from solvers.rom._snapshots import make_snapshots
from solvers.rom.classifier import MLPClassifier
from solvers.rom.clustering import ClusteringResult, kmeans, kmedoids
from solvers.rom.criterion import efficiency_criterion
from solvers.rom.dissimilarity import (
    euclidean_dissimilarity,
    grassmann_distance,
    sine_dissimilarity,
)
from solvers.rom.families import moving_front
from solvers.rom.galerkin import GalerkinROM, MovingSourceProblem
from solvers.rom.local import LocalBases
from solvers.rom.pod import pod, projection_error

__all__ = [
    "ClusteringResult",
    "GalerkinROM",
    "LocalBases",
    "MLPClassifier",
    "MovingSourceProblem",
    "efficiency_criterion",
    "euclidean_dissimilarity",
    "grassmann_distance",
    "kmeans",
    "kmedoids",
    "make_snapshots",
    "moving_front",
    "pod",
    "projection_error",
    "sine_dissimilarity",
]
