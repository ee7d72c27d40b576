"""solvers — layer 1 of sciml: simulation cores, each returning xarray.

Also home of the xarray data contract (:mod:`solvers.contract`) and its
atomic writers (:mod:`solvers.io`), which every solver's output follows.
"""

from solvers.contract import DIMENSIONS, provenance, validate_dataset, with_provenance
from solvers.io import write_netcdf, write_zarr

__all__ = [
    "DIMENSIONS",
    "provenance",
    "validate_dataset",
    "with_provenance",
    "write_netcdf",
    "write_zarr",
]
