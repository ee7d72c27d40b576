"""sciml — simulation-driven forecasting with quantified uncertainty.

Layer 2 of the package: learning, uncertainty quantification, the ensemble
runner, configuration and the ``sciml`` command line. The array backends live
in :mod:`gpu` and the simulation cores in :mod:`solvers`; the names most used
are re-exported here. Importing sciml registers the ``.sciml`` accessor on
xarray objects (``fc.sciml.crps(obs)``, see :mod:`sciml.uq`).
"""

from gpu import available_backends, get_backend
from sciml import uq  # registers the .sciml accessor on xarray objects
from sciml.errors import (
    BackendUnavailable,
    ConfigError,
    ContractError,
    InputError,
    MissingExtra,
    NumericalInstability,
    SciMLError,
)
from solvers.contract import DIMENSIONS, package_version, validate_dataset, with_provenance
from solvers.io import write_netcdf, write_zarr

__version__ = package_version()

__all__ = [
    "DIMENSIONS",
    "BackendUnavailable",
    "ConfigError",
    "ContractError",
    "InputError",
    "MissingExtra",
    "NumericalInstability",
    "SciMLError",
    "__version__",
    "available_backends",
    "get_backend",
    "uq",
    "validate_dataset",
    "with_provenance",
    "write_netcdf",
    "write_zarr",
]
