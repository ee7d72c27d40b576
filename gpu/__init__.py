"""gpu — layer 0 of sciml: array backends and compute kernels.

The NumPy backend is the reference; numba, JAX and CuPy backends are tested
against it. Nothing here imports an optional accelerator at import time.
"""

from gpu.backends import BACKEND_NAMES, Backend, BackendInfo, available_backends, get_backend
from gpu.errors import (
    BackendUnavailable,
    ConfigError,
    ContractError,
    InputError,
    MissingExtra,
    NumericalInstability,
    SciMLError,
)
from gpu.namespace import array_namespace
from gpu.random import RandomGenerator

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "BackendInfo",
    "BackendUnavailable",
    "ConfigError",
    "ContractError",
    "InputError",
    "MissingExtra",
    "NumericalInstability",
    "RandomGenerator",
    "SciMLError",
    "array_namespace",
    "available_backends",
    "get_backend",
]
